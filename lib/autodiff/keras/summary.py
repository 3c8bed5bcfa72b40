"""``summary(model, ...)``: the Keras-style table of a model's layers, output shapes and
parameter counts (the format of torchsummary / torchkeras).

The model runs once on a sample input (in eval mode, without recording a graph) while a forward
hook on every *layer* records what it returns. A layer is a module without children, or an
attention module, whose inner projections are part of it. Recurrent and attention layers return
tuples; their first output is shown.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from .._creation import zeros
from .._sampling import rand
from ..autograd.grad_mode import no_grad
from ..nn import Module
from ..tensor import Tensor

__all__ = ["summary", "ModelSummary"]

_LINE, _RULE = "-" * 74, "=" * 74
_MB = 1024.0 ** 2


class ModelSummary(str):
    """The printed table, as a string that also carries the counts (``total_params``,
    ``trainable_params``, ``non_trainable_params``) and ``layers``: a list of
    ``(name, output_shape, params)``. Jupyter does not echo it after ``summary`` printed it."""

    def _ipython_display_(self):
        pass


def _is_layer(module) -> bool:
    from .. import nn
    attention = getattr(nn, "MultiheadAttention", ())
    return not module._modules or isinstance(module, attention)


def _layers(model):
    """The layer modules of ``model``, in definition order; the inside of a layer is skipped."""
    found, inside = [], []
    for name, module in model.named_modules():
        if any(name.startswith(prefix) for prefix in inside):
            continue
        if _is_layer(module):
            found.append(module)
            inside.append(name + "." if name else "")
    return found


def _first_tensor(out):
    while isinstance(out, (tuple, list)) and out:
        out = out[0]
    return out if isinstance(out, Tensor) else None


def _count(module):
    params = list(module.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def _sample_inputs(input_data, input_data_args, input_shape, input_dtype, device):
    if input_data is not None:
        return [input_data]
    if input_data_args is not None:
        return list(input_data_args)
    if input_shape is None:
        return None
    shapes = [input_shape] if isinstance(input_shape[0], int) else list(input_shape)
    # a batch of 2 (BatchNorm needs more than one sample); integer inputs are zeros, valid
    # indices for an Embedding
    if input_dtype.is_floating_point:
        return [rand(2, *s, dtype=input_dtype, device=device) for s in shapes]
    return [zeros(2, *s, dtype=input_dtype, device=device) for s in shapes]


def _run(model, inputs, layers):
    """Call the model once; the record ``(module, output)`` of every layer call, in order."""
    records = []
    hooks = [m.register_forward_hook(lambda mod, args, out: records.append((mod, out)))
             for m in layers]
    modes = {m: m.training for m in model.modules()}
    try:
        model.eval()
        with no_grad():
            model(*inputs)
    finally:
        for h in hooks:
            h.remove()
        for m, mode in modes.items():
            m.training = mode
    return records


def summary(model, input_data=None, input_data_args=None, input_shape=None,
            input_dtype=D.float32, batch_size=-1) -> ModelSummary:
    """Print and return the table of ``model``'s layers.

    The sample input is ``input_data`` (one tensor), ``input_data_args`` (a tuple of
    arguments) or random data of ``input_shape`` (the shape of one sample, or a list of shapes
    for several inputs) and ``input_dtype``. Output shapes show ``batch_size`` (-1: any) as
    their first dimension. Without any input, the layers are listed without output shapes.
    Totals count each parameter once; frozen ones (``requires_grad=False``) are non-trainable.
    Sizes assume the dtypes of the parameters and of each output.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary() expects an nn.Module, got {type(model).__name__}")
    params = list(model.parameters())
    device = params[0].device if params else None
    inputs = _sample_inputs(input_data, input_data_args, input_shape, input_dtype, device)
    layers = _layers(model)
    records = ([(m, None) for m in layers] if inputs is None else _run(model, inputs, layers))

    rows, index, activations = [], {}, 0
    for module, out in records:
        name = f"{type(module).__name__}-{len(rows) + 1}"
        first = _first_tensor(out)
        if first is None:
            shape = "-"
        else:
            dims = [batch_size] + list(first.shape[1:]) if first.ndim else []
            shape = str(dims)
            activations += math.prod(abs(d) for d in dims) * first.element_size()
        rows.append((name, shape, _count(module)[0]))
        index.setdefault(module, name)

    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    input_bytes = 0
    if input_data is not None or input_data_args is not None:
        input_bytes = sum(t.numel() * t.element_size() for t in inputs if isinstance(t, Tensor))
    elif inputs is not None:
        input_bytes = sum(t[0].numel() * t.element_size() for t in inputs) * abs(batch_size)
    forward_backward = 2.0 * activations * abs(batch_size) / _MB    # outputs and their grads
    params_mb = sum(p.numel() * p.element_size() for p in params) / _MB
    input_mb = input_bytes / _MB

    lines = [_LINE, "{:<30}  {:>20} {:>20}".format("Layer (type)", "Output Shape", "Param #"),
             _RULE]
    lines += ["{:<30}  {:>20} {:>20}".format(n, s, f"{p:,}") for n, s, p in rows]
    lines += [_RULE, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", _LINE,
              f"Input size (MB): {input_mb:.6f}",
              f"Forward/backward pass size (MB): {forward_backward:.6f}",
              f"Params size (MB): {params_mb:.6f}",
              f"Estimated Total Size (MB): {input_mb + forward_backward + params_mb:.6f}", _LINE]
    text = ModelSummary("\n".join(lines))
    text.total_params, text.trainable_params = total, trainable
    text.non_trainable_params = total - trainable
    text.layers = rows
    print(text)
    return text
