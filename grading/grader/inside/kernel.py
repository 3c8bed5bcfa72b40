"""The kernel of a submission, as started inside the sandbox (this file is bound read-only).

    python kernel.py -f CONNECTION_FILE --workdir DIR --src FILES

copies the assignment's files from FILES to the writable DIR, goes there and starts an
IPython kernel whose every execution first undoes the usual ways a cell can tamper with the
cells that follow it:

* IPython input transformers (cleanup, line, token, post), AST transformers and event
  callbacks are reset to what they were before the first cell;
* ``sys.settrace`` / ``sys.setprofile`` are cleared, ``sys.displayhook`` / ``excepthook``
  and custom exception handlers restored;
* ``builtins``, the entries of ``sys.modules`` for numpy, math and autodiff, the attributes
  of those modules and of ``autodiff.Tensor``, and the methods of the shell and kernel
  classes are put back as they were;
* before a graded test cell (the grader marks it in the request's metadata), user globals
  that shadow a builtin (``type = ...``, ``float = ...``) are removed.

This is hardening, not a security boundary: code running in the kernel can always reach the
kernel itself. The sandbox around it is the boundary; the pre-grade scan flags code that
goes after the kernel (get_ipython, settrace, builtins, ...) for a human to read.
"""
import argparse
import builtins
import math
import os
import shutil
import sys
import threading


def _copy_files(src, dest):
    os.makedirs(dest, exist_ok=True)
    if os.path.isdir(src):
        shutil.copytree(src, dest, dirs_exist_ok=True)
    os.chdir(dest)


PROTECTED_MODULES = ("numpy", "math", "builtins", "autodiff", "autodiff.autograd",
                     "autodiff.autograd.gradcheck", "warnings")


class Pristine:
    """What the interpreter looked like before the first cell, and how to get back to it."""

    def __init__(self, kernel):
        import autodiff
        from IPython.core.interactiveshell import InteractiveShell
        from ipykernel.ipkernel import IPythonKernel
        from ipykernel.kernelbase import Kernel
        from ipykernel.zmqshell import ZMQInteractiveShell

        shell = kernel.shell
        self.shell, self.kernel = shell, kernel
        itm = shell.input_transformer_manager
        self.lists = [(lst, list(lst)) for lst in (
            itm.cleanup_transforms, itm.line_transforms, itm.token_transformers,
            shell.input_transformers_post, shell.ast_transformers)]
        self.attrs = [(shell, name, getattr(shell, name)) for name in (
            "input_transformer_manager", "input_transformers_cleanup", "input_transformers_post",
            "ast_transformers", "events", "custom_exceptions", "CustomTB", "InteractiveTB",
            "SyntaxTB", "displayhook", "display_pub")]
        self.attrs += [(itm, name, getattr(itm, name)) for name in (
            "cleanup_transforms", "line_transforms", "token_transformers")]
        self.events = {ev: list(cbs) for ev, cbs in shell.events.callbacks.items()}
        self.sys_hooks = {name: getattr(sys, name) for name in (
            "displayhook", "excepthook", "breakpointhook", "unraisablehook")}
        self.builtins = dict(vars(builtins))
        self.modules = {name: sys.modules[name] for name in PROTECTED_MODULES if name in sys.modules}
        self.module_dicts = [(m, dict(vars(m))) for m in self.modules.values() if m is not builtins]
        self.classes = [(cls, dict(vars(cls))) for cls in (
            autodiff.Tensor, InteractiveShell, ZMQInteractiveShell, IPythonKernel, Kernel,
            type(kernel), type(shell))]
        self.instances = [(obj, dict(vars(obj))) for obj in (shell, kernel)]
        self.user_ns = dict(shell.user_ns)

    def restore(self, test_cell=False):
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)
        threading.setprofile(None)
        for name, hook in self.sys_hooks.items():
            setattr(sys, name, hook)
        for cls, saved in self.classes:
            # added dunders (a new __eq__, __float__...) go; other additions may be the
            # library's own lazy bindings and stay
            for key in [k for k in vars(cls) if k not in saved and k.startswith("__")]:
                try:
                    delattr(cls, key)
                except (AttributeError, TypeError):
                    pass
            for key, value in saved.items():
                if vars(cls).get(key, _MISSING) is not value:
                    try:
                        setattr(cls, key, value)
                    except (AttributeError, TypeError):
                        pass
        for obj, saved in self.instances:
            for key in [k for k in vars(obj) if k not in saved]:
                if callable(vars(obj)[key]):
                    del vars(obj)[key]
            for key, value in saved.items():
                if callable(value) and vars(obj).get(key, _MISSING) is not value:
                    vars(obj)[key] = value
        for obj, name, value in self.attrs:
            if getattr(obj, name, _MISSING) is not value:
                try:
                    setattr(obj, name, value)
                except Exception:
                    pass
        for lst, saved in self.lists:
            lst[:] = saved
        for ev, cbs in self.events.items():
            self.shell.events.callbacks[ev] = list(cbs)
        b = vars(builtins)
        for key, value in self.builtins.items():
            if b.get(key, _MISSING) is not value:
                b[key] = value
        for name, mod in self.modules.items():
            if sys.modules.get(name) is not mod:
                sys.modules[name] = mod
        for mod, saved in self.module_dicts:
            d = vars(mod)
            for key, value in saved.items():
                if d.get(key, _MISSING) is not value:
                    d[key] = value
        ns = self.shell.user_ns
        ns["__builtins__"] = self.user_ns.get("__builtins__", builtins)
        if test_cell:
            for name in list(ns):
                if name in self.builtins and not name.startswith("__") \
                        and ns[name] is not self.user_ns.get(name, _MISSING):
                    del ns[name]


_MISSING = object()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-f", dest="connection_file", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--src", required=True)
    args = parser.parse_args()
    _copy_files(args.src, args.workdir)
    sys.path.insert(0, "")                       # like `python -m ipykernel_launcher`

    import numpy  # noqa: F401  (imported before any cell so that they can be restored)
    import autodiff  # noqa: F401
    import autodiff.autograd  # noqa: F401
    import warnings  # noqa: F401
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelapp import IPKernelApp

    state = {}                                   # not a class attribute: those are restored

    class GuardedKernel(IPythonKernel):
        async def do_execute(self, code, silent, store_history=True, user_expressions=None,
                             allow_stdin=False, *, cell_meta=None, cell_id=None):
            if "pristine" not in state:
                state["pristine"] = Pristine(self)
            test_cell = bool((cell_meta or {}).get("grader_test"))
            state["pristine"].restore(test_cell=test_cell)
            return await IPythonKernel.do_execute(
                self, code, silent, store_history, user_expressions, allow_stdin,
                cell_meta=cell_meta, cell_id=cell_id)

    IPKernelApp.launch_instance(
        argv=["-f", args.connection_file, "--HistoryManager.hist_file=:memory:",
              "--IPKernelApp.transport=ipc", "--IPKernelApp.parent_handle=1"],
        kernel_class=GuardedKernel)


if __name__ == "__main__":
    main()
