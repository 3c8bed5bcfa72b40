"""nbgrader's Execute preprocessor, made to withstand hostile notebooks.

* The kernel runs in the sandbox (:class:`grader.sandbox.SandboxKernelManager`).
* A kernel that dies (``os._exit``, killed by a limit) no longer drops the submission: the
  cell gets an error output, the following cells are marked "not executed", and the notebook
  is graded with what ran (nbgrader alone fails the whole submission, GRADING.md trap 8).
* A whole-notebook wall-clock limit on top of nbgrader's per-cell timeout.
* Outputs are capped while they arrive (per cell and per notebook, rich outputs included);
  error outputs are always kept (they decide whether a test failed), truncated in size.
* Test cells are marked in the execute request's metadata, so that the kernel can reset the
  user namespace before them (see ``inside/kernel.py``).
* What happened (kernel death, time-outs, truncations) is written to a JSON report per
  notebook for the summary of ``python -m grader autograde``.
"""
from __future__ import annotations

import json
import os
import time

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync as nbclient_run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from .sandbox import SandboxKernelManager

MAX_ERROR_TEXT = 5000


def _error(ename: str, evalue: str) -> dict:
    return new_output("error", ename=ename, evalue=evalue,
                      traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])


def _content_size(content) -> int:
    if isinstance(content, str):
        return len(content)
    if isinstance(content, dict):
        return sum(_content_size(v) for v in content.values())
    if isinstance(content, (list, tuple)):
        return sum(_content_size(v) for v in content)
    return 8


def is_test_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class SandboxExecute(Execute):
    """Execute in the sandbox, survive dead kernels, cap outputs, report what happened."""

    notebook_timeout = Integer(600, config=True, help="wall-clock seconds for a whole notebook")
    max_cell_output = Integer(1_000_000, config=True, help="bytes of output kept per cell")
    max_notebook_output = Integer(5_000_000, config=True, help="bytes of output kept per notebook")

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(*args, **kwargs)

    # -- whole notebook -------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        self._events = []
        self._stopped = None
        self._start = time.monotonic()
        self._locked = False
        self._total = 0
        self._is_test = False
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError as e:        # died before the first cell (e.g. at start-up)
            self._event(None, "kernel-died", f"the kernel died before running any cell: {e}")
            self._stopped = "the kernel died"
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs = [_error("GraderSkipped", "not executed: the kernel died")]
            return nb, resources
        finally:
            self._write_report(resources)

    def _event(self, index, kind, message):
        self._events.append({"cell": index, "kind": kind, "message": message})
        self.log.warning("cell %s: %s: %s", index, kind, message)

    def _write_report(self, resources):
        folder = os.environ.get("GRADER_REPORT_DIR")
        info = (resources or {}).get("nbgrader", {})
        if not folder or not info:
            return
        path = os.path.join(folder, info.get("student", "unknown"), info.get("assignment", "unknown"))
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, f"{info.get('notebook', 'notebook')}.json"), "w") as f:
            json.dump({"events": self._events, "seconds": round(time.monotonic() - self._start, 2)},
                      f, indent=1)

    # -- one cell ---------------------------------------------------------------------------
    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if not self._locked and self.km is not None:
            self.km.lock_runtime_dir()
            self._locked = True
        if self._stopped is None and time.monotonic() - self._start > self.notebook_timeout:
            self._stopped = f"the notebook ran past its {self.notebook_timeout} s limit"
            self._event(index, "notebook-timeout", self._stopped)
            self._kill_kernel()
        if self._stopped is not None:
            cell.outputs = [_error("GraderSkipped", f"not executed: {self._stopped}")]
            return cell, resources
        self._cell_bytes = 0
        self._cell_truncated = False
        self._is_test = is_test_cell(cell)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stopped = f"the kernel died in cell {index}"
            self._event(index, "kernel-died", "the kernel died (os._exit, a crash, or a resource "
                        "limit: memory, CPU time, processes)")
            cell.outputs.append(_error("DeadKernelError", "the kernel died while running this cell"))
            return cell, resources
        except Exception as e:            # e.g. no reply or no output after an interrupt
            self._stopped = f"the kernel stopped responding in cell {index}"
            self._event(index, "kernel-unresponsive", f"{type(e).__name__}: {str(e)[:300]}")
            cell.outputs.append(_error(type(e).__name__, "the kernel stopped responding"))
            self._kill_kernel()
            return cell, resources
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            name, value = out.get("ename"), str(out.get("evalue", ""))
            if name == "CellTimeoutError":
                self._event(index, "cell-timeout", f"cell ran past {self.timeout} s and was interrupted")
            elif name == "MemoryError":
                self._event(index, "memory-limit", f"MemoryError: {value[:120]}")
            elif name == "BlockingIOError" and "Resource temporarily unavailable" in value:
                self._event(index, "process-limit", "could not start a process or thread")
        return cell, resources

    def _kill_kernel(self):
        try:
            if self.km is not None:
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception as e:          # best effort: the sandbox dies with its parent anyway
            self.log.warning("could not stop the kernel: %s", e)

    # -- the request: mark test cells --------------------------------------------------------
    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        kc = self.kc
        if kc is not None and not getattr(kc, "_grader_patched", False):
            def execute(code, silent=False, store_history=True, user_expressions=None,
                        allow_stdin=None, stop_on_error=True):
                content = {"code": code, "silent": silent, "store_history": store_history,
                           "user_expressions": user_expressions or {}, "allow_stdin": False,
                           "stop_on_error": stop_on_error}
                msg = kc.session.msg("execute_request", content,
                                     metadata={"grader_test": self._is_test})
                kc.shell_channel.send(msg)
                return msg["header"]["msg_id"]
            kc.execute = execute
            kc._grader_patched = True
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    # nbclient binds execute_cell to its own async_execute_cell: rebind it to ours
    execute_cell = nbclient_run_sync(async_execute_cell)

    # -- outputs: capped as they arrive --------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "error":
            c = msg["content"]
            c["ename"] = str(c.get("ename", ""))[:200]
            c["evalue"] = str(c.get("evalue", ""))[:MAX_ERROR_TEXT]
            c["traceback"] = [str(line)[:MAX_ERROR_TEXT] for line in c.get("traceback", [])[:200]]
            return super().output(outs, msg, display_id, cell_index)
        size = _content_size(msg["content"])
        if (self._cell_bytes + size > self.max_cell_output
                or self._total + size > self.max_notebook_output):
            if not self._cell_truncated:
                self._cell_truncated = True
                self._event(cell_index, "output-truncated",
                            f"output beyond {self.max_cell_output} bytes per cell or "
                            f"{self.max_notebook_output} per notebook was dropped")
                out = new_output("stream", name="stderr",
                                 text="[grader: output over the size limit was dropped]\n")
                outs.append(out)
                return out
            return None
        self._cell_bytes += size
        self._total += size
        return super().output(outs, msg, display_id, cell_index)
