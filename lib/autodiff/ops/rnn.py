"""The pointwise parts of LSTM and GRU cells, fused.

A recurrent layer computes, per time step, one matrix product for all gates (``h @ W_hh^T``,
the input part ``x @ W_ih^T`` is done for all steps at once) and then the gate arithmetic
below. Recorded op by op, that arithmetic would be a dozen graph nodes per step; fused, it is
one node whose backward uses the formulas written out here. ``lstm_cell_reference`` and
``gru_cell_reference`` are the same maths in plain tensor ops: they are what the fused
versions compute, what they are tested against, and what backward falls back on when a
second derivative is asked for (``create_graph=True``).

Packing variable-length sequences is a gather of rows of the padded batch and padding is the
scatter back: ``pack_rows`` and ``pad_rows`` are each other's backward (``nn.utils.rnn``).
"""
from __future__ import annotations

from ..autograd.function import Function
from ..autograd.grad_mode import STATE, enable_grad
from ..tensor import Tensor
from ._util import xp_of

__all__ = ["lstm_cell_pointwise", "gru_cell_pointwise", "lstm_cell_reference",
           "gru_cell_reference", "pack_rows", "pad_rows"]


def _sigmoid(xp, x):
    return 0.5 * (xp.tanh(0.5 * x) + 1)          # overflow-free logistic function


def lstm_cell_reference(gates, c_prev):
    """``gates`` = x W_ih^T + b_ih + h W_hh^T + b_hh, gate order i, f, g, o (torch's)."""
    i, f, g, o = gates.chunk(4, dim=-1)
    c = f.sigmoid() * c_prev + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_cell_reference(gx, gh, h_prev):
    """``gx`` = x W_ih^T + b_ih, ``gh`` = h W_hh^T + b_hh, gate order r, z, n (torch's)."""
    xr, xz, xn = gx.chunk(3, dim=-1)
    hr, hz, hn = gh.chunk(3, dim=-1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * h_prev


def _second_order(reference, inputs, grads):
    """Backward by differentiating the reference version, built on the inputs themselves: the
    gradients are then a graph over those inputs, differentiable to any order."""
    from .. import autograd
    wanted = [t for t in inputs if t.requires_grad]
    with enable_grad():
        outs = reference(*inputs)
        outs = outs if isinstance(outs, tuple) else (outs,)
    pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
    got = iter(autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs],
                             create_graph=True, allow_unused=True))
    return tuple(next(got) if t.requires_grad else None for t in inputs)


class LSTMPointwise(Function):
    grad_name = "LSTMCellBackward0"

    @staticmethod
    def forward(ctx, gates, c_prev):
        xp = xp_of(gates._data)
        i, f, g, o = xp.split(gates._data, 4, axis=-1)
        i, f, o, g = _sigmoid(xp, i), _sigmoid(xp, f), _sigmoid(xp, o), xp.tanh(g)
        c = f * c_prev._data + i * g
        tc = xp.tanh(c)
        ctx.save_for_backward(gates, c_prev)
        ctx.acts = (i, f, g, o, tc)
        return o * tc, c

    @staticmethod
    def backward(ctx, dh, dc):
        gates, c_prev = ctx.saved_tensors
        if STATE.enabled:
            return _second_order(lstm_cell_reference, (gates, c_prev), (dh, dc))
        xp = xp_of(dh._data)
        i, f, g, o, tc = ctx.acts
        dh, dc = dh._data, dc._data
        dc = dc + dh * o * (1 - tc * tc)
        d_gates = xp.concatenate([dc * g * i * (1 - i), dc * c_prev._data * f * (1 - f),
                                  dc * i * (1 - g * g), dh * tc * o * (1 - o)], axis=-1)
        return Tensor._make(d_gates), Tensor._make(dc * f)


class GRUPointwise(Function):
    grad_name = "GRUCellBackward0"

    @staticmethod
    def forward(ctx, gx, gh, h_prev):
        xp = xp_of(gx._data)
        xr, xz, xn = xp.split(gx._data, 3, axis=-1)
        hr, hz, hn = xp.split(gh._data, 3, axis=-1)
        r, z = _sigmoid(xp, xr + hr), _sigmoid(xp, xz + hz)
        n = xp.tanh(xn + r * hn)
        ctx.save_for_backward(gx, gh, h_prev)
        ctx.acts = (r, z, n, hn)
        return (1 - z) * n + z * h_prev._data

    @staticmethod
    def backward(ctx, dh):
        gx, gh, h_prev = ctx.saved_tensors
        if STATE.enabled:
            return _second_order(gru_cell_reference, (gx, gh, h_prev), (dh,))
        xp = xp_of(dh._data)
        r, z, n, hn = ctx.acts
        dh = dh._data
        dn = dh * (1 - z) * (1 - n * n)
        dz = dh * (h_prev._data - n) * z * (1 - z)
        dr = dn * hn * r * (1 - r)
        d_gx = xp.concatenate([dr, dz, dn], axis=-1)
        d_gh = xp.concatenate([dr, dz, dn * r], axis=-1)
        return Tensor._make(d_gx), Tensor._make(d_gh), Tensor._make(dh * z)


def lstm_cell_pointwise(gates, c_prev):
    """(h, c) of an LSTM step from the summed gate pre-activations."""
    return LSTMPointwise.apply(gates, c_prev)


def gru_cell_pointwise(gx, gh, h_prev):
    """h of a GRU step from the input and hidden gate pre-activations."""
    return GRUPointwise.apply(gx, gh, h_prev)


class PackRows(Function):
    grad_name = "PackPaddedSequenceBackward0"

    @staticmethod
    def forward(ctx, padded, rows):
        a = padded._data
        ctx.rows, ctx.shape = rows, a.shape
        return a.reshape((-1,) + a.shape[2:])[xp_of(a).asarray(rows)]

    @staticmethod
    def backward(ctx, grad):
        return pad_rows(grad, ctx.rows, ctx.shape), None


class PadRows(Function):
    grad_name = "CopySlices"        # torch's name: it fills a buffer slice by slice

    @staticmethod
    def forward(ctx, data, rows, shape, value):
        xp, a = xp_of(data._data), data._data
        ctx.rows = rows
        out = xp.full((shape[0] * shape[1],) + tuple(shape[2:]), value, dtype=a.dtype)
        out[xp.asarray(rows)] = a
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return pack_rows(grad, ctx.rows), None, None, None


def pack_rows(padded, rows):
    """Rows ``rows`` (numpy ints) of ``padded`` flattened over its two leading dimensions."""
    return PackRows.apply(padded, rows)


def pad_rows(data, rows, shape, value=0.0):
    """A tensor of ``shape`` filled with ``value`` whose flattened rows ``rows`` are ``data``."""
    return PadRows.apply(data, rows, tuple(shape), value)
