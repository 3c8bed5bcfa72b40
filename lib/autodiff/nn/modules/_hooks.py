"""Hook plumbing of ``Module``: removable handles and the full backward hooks.

A full backward hook ``hook(module, grad_input, grad_output)`` must see the gradients with
respect to the module's inputs and outputs. As in torch, the module's tensor inputs and
outputs are passed through an identity ``Function`` (``BackwardHookFunctionBackward``); a
pre-hook on the output node records ``grad_output``, and a pre-hook on the input node, which
runs once the gradients with respect to the inputs are known, calls the user's hooks.
"""
from __future__ import annotations

from ...autograd.function import Function, RemovableHandle as _Handle
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import Tensor

__all__ = ["RemovableHandle", "BackwardHook", "HooksMixin"]


class RemovableHandle(_Handle):
    """``handle.remove()`` takes the hook out of its dict (and of the ``extra_dict`` flags)."""

    def __init__(self, hooks_dict, *, extra_dict=None):
        super().__init__(hooks_dict)
        extras = extra_dict if isinstance(extra_dict, (list, tuple)) else [extra_dict]
        self._extras = [d for d in extras if d is not None]

    def remove(self):
        super().remove()
        for d in self._extras:
            d.pop(self.id, None)


class BackwardHookFunction(Function):
    """The identity, as a graph node the backward hooks can attach to."""
    grad_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, *tensors):
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return grads


def _pack(value):
    """The tensors of a module's arguments or result, and a way to put new ones back."""
    if isinstance(value, Tensor):
        return [value], lambda new: new[0]
    if isinstance(value, tuple):
        pos = [i for i, v in enumerate(value) if isinstance(v, Tensor)]

        def unpack(new):
            out = list(value)
            for i, t in zip(pos, new):
                out[i] = t
            return tuple(out)
        return [value[i] for i in pos], unpack
    return [], lambda new: value


class BackwardHook:
    """Wraps one call of a module so its full backward (pre-)hooks run during backward."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_hooked = False

    def _identity(self, tensors, on_grads):
        """Route the tensors that require grad through the identity node; returns new tensors."""
        idx = [i for i, t in enumerate(tensors) if t.requires_grad]
        if not idx or not is_grad_enabled():
            return tensors, False
        outs = BackwardHookFunction.apply(*(tensors[i] for i in idx))
        n = len(tensors)

        def prehook(grads):
            full = [None] * n
            for i, g in zip(idx, grads):
                full[i] = g
            new = on_grads(tuple(full))
            return None if new is None else tuple(new[i] for i in idx)
        outs[0].grad_fn.register_prehook(prehook)
        tensors = list(tensors)
        for i, t in zip(idx, outs):
            tensors[i] = t
        return tensors, True

    def setup_input_hook(self, args):
        tensors, unpack = _pack(args)
        self.n_inputs = len(tensors)
        new, self.input_hooked = self._identity(tensors, self._on_grad_input)
        return unpack(new) if self.input_hooked else args

    def setup_output_hook(self, result):
        tensors, unpack = _pack(result)
        new, hooked = self._identity(tensors, self._on_grad_output)
        return unpack(new) if hooked else result

    def _on_grad_output(self, grads):
        for hook in self.user_pre_hooks:
            res = hook(self.module, grads)
            if res is not None:
                grads = _checked(res, len(grads), "backward pre hook")
        self.grad_outputs = grads
        if not self.input_hooked:     # no input needs grad: the hooks still run, as in torch
            for hook in self.user_hooks:
                hook(self.module, (None,) * self.n_inputs, grads)
        return grads

    def _on_grad_input(self, grads):
        for hook in self.user_hooks:
            res = hook(self.module, grads, self.grad_outputs)
            if res is not None:
                grads = _checked(res, len(grads), "backward hook")
        return grads


def _checked(res, n, what):
    res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
    if len(res) != n:
        raise RuntimeError(f"{what} returned an invalid number of grad_input, got {len(res)}, "
                           f"but expected {n}")
    return res


class HooksMixin:
    """``__call__`` and the hook registration methods of ``Module``."""

    def __call__(self, *args, **kwargs):
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        result, ran = None, set()
        try:
            for hid, hook in list(self._forward_pre_hooks.items()):
                if hid in self._forward_pre_hooks_with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        if not (isinstance(res, tuple) and len(res) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of "
                                               f"(new_args, new_kwargs), but got {res}.")
                        args, kwargs = res
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
            bw = None
            if self._backward_hooks or self._backward_pre_hooks:
                bw = BackwardHook(self, list(self._backward_hooks.values()),
                                  list(self._backward_pre_hooks.values()))
                args = bw.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hid, hook in list(self._forward_hooks.items()):
                ran.add(hid)
                res = self._run_forward_hook(hid, hook, args, kwargs, result)
                if res is not None:
                    result = res
            if bw is not None:
                result = bw.setup_output_hook(result)
            return result
        except Exception:           # forward failed: still run the ``always_call`` hooks
            for hid, hook in self._forward_hooks.items():
                if hid in self._forward_hooks_always_called and hid not in ran:
                    self._run_forward_hook(hid, hook, args, kwargs, result)
            raise

    def _run_forward_hook(self, hid, hook, args, kwargs, result):
        if hid in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` (or ``(module, args, kwargs)``) runs before ``forward`` and
        may return replacement arguments."""
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """``hook(module, args, output)`` runs after ``forward`` and may replace the output."""
        handle = RemovableHandle(self._forward_hooks,
                                 extra_dict=[self._forward_hooks_with_kwargs,
                                             self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs once the gradients with respect to the
        module's tensor inputs are computed; it may return a replacement ``grad_input``."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs before the module's gradients are computed."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle
