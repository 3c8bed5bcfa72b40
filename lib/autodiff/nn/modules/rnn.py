"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, with torch's parameter names
(``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), shapes, initialisation and return values.

Per layer and direction the input part of every gate, ``x W_ih^T + b_ih``, is one matrix
product over all time steps; each step then needs one product ``h W_hh^T`` for all gates
together and the fused pointwise gate arithmetic of ``autodiff/ops/rnn.py``.

A PackedSequence input is run as its padded batch: at step t a sequence already finished keeps
its state (``h = where(running_t, h_new, h_prev)``), so the final state of each sequence is the
one at its own last element, and, run backwards, each sequence starts from its own last
element with the initial state.
"""
from __future__ import annotations

import math

import numpy as np

from ... import _creation
from ...ops.indexing import where
from ...ops.joining import cat, stack, unbind
from ...ops.matmul import addmm
from ...ops.rnn import gru_cell_pointwise, lstm_cell_pointwise
from .. import functional as F, init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _padded_sorted
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU (``mode`` picks the cell)."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if dropout > 0 and num_layers == 1:
            import warnings
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        gate = _GATES[mode] * hidden_size
        out_size = proj_size or hidden_size          # the size of h (and of each output step)
        self._flat_weights_names = []
        for layer in range(num_layers):
            for suffix in (("", "_reverse") if bidirectional else ("",)):
                in_size = input_size if layer == 0 else out_size * self.num_directions
                shapes = {"weight_ih": (gate, in_size), "weight_hh": (gate, out_size)}
                if bias:
                    shapes.update(bias_ih=(gate,), bias_hh=(gate,))
                if proj_size:
                    shapes.update(weight_hr=(proj_size, hidden_size))
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(_creation.empty(shape, device=device,
                                                                  dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        per = (4 if self.bias else 2) + (1 if self.proj_size else 0)
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def reset_parameters(self):
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    # ---- forward ----------------------------------------------------------------------------
    def _check_input(self, input, packed=False):
        """torch's checks of the input, or of a PackedSequence's data (``packed``)."""
        if not packed and input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D instead")
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or "
                             f"convert model: model.to({input.dtype})")
        if packed and input.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {input.dim()}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _initial_state(self, x, hx, batched):
        """``h0`` (and ``c0`` for LSTM) as (layers*directions, N, H), h0 of size ``proj_size``
        with projections; zeros by default. ``batched`` is None for a packed input (whose
        states are only checked for shape)."""
        n, stacks = x.shape[1], self.num_layers * self.num_directions
        shapes = [(stacks, n, self.proj_size or self.hidden_size), (stacks, n, self.hidden_size)]
        shapes = shapes if self.mode == "LSTM" else shapes[:1]
        states = hx if isinstance(hx, tuple) else (hx,)
        if hx is None:
            return tuple(_creation.zeros(s, dtype=x.dtype, device=x.device) for s in shapes)
        if self.mode == "LSTM" and not isinstance(hx, tuple):
            raise TypeError("LSTM expects hx as a tuple (h_0, c_0)")
        want = 3 if batched else 2
        if batched is not None and any(s.dim() != want for s in states):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if self.mode == "LSTM":
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({states[0].dim()}-D, {states[1].dim()}-D) tensors")
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                               f"{states[0].dim()}-D tensor")
        out = []
        for i, (s, expected) in enumerate(zip(states, shapes)):
            s = s if batched is not False else s.unsqueeze(1)
            if tuple(s.shape) != expected:
                what = f"hidden[{i}] size" if self.mode == "LSTM" else "hidden size"
                raise RuntimeError(f"Expected {what} {expected}, got {list(s.shape)}")
            out.append(s)
        return tuple(out)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        self._check_input(input)
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        state = self._initial_state(x, hx, batched)
        out, finals = self._layers(x, state)
        out = out.transpose(0, 1) if batched and self.batch_first else out
        if not batched:
            out, finals = out.squeeze(1), tuple(f.squeeze(1) for f in finals)
        return self._result(out, finals)

    def _forward_packed(self, input, hx):
        """A PackedSequence in, a PackedSequence out; states in the batch's original order."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        self._check_input(data, packed=True)
        x, lens = _padded_sorted(input)
        if hx is not None and sorted_indices is not None:     # into packed (sorted) order
            hx = (tuple(s.index_select(1, sorted_indices) for s in hx) if isinstance(hx, tuple)
                  else hx.index_select(1, sorted_indices))
        state = self._initial_state(x, hx, None)
        running = np.arange(x.shape[0])[:, None, None] < lens[None, :, None]
        masks = unbind(_creation.tensor(running, device=x.device), 0)
        out, finals = self._layers(x, state, masks)
        data = cat([out[t, :n] for t, n in enumerate(batch_sizes.tolist())], 0)
        if unsorted_indices is not None:
            finals = tuple(f.index_select(1, unsorted_indices) for f in finals)
        return self._result(PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices),
                            finals)

    def _result(self, out, finals):
        return (out, finals) if self.mode == "LSTM" else (out, finals[0])

    def _layers(self, x, state, masks=None):
        """Every layer and direction over the time-major ``x``: the last layer's output and the
        stacked final states. ``masks[t]`` (N, 1) marks the sequences still running at step t."""
        finals = [[] for _ in state]
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                seq, last = self._run(x, tuple(s[k] for s in state), layer, d == 1, masks)
                outs.append(seq)
                for f, s in zip(finals, last):
                    f.append(s)
            x = outs[0] if len(outs) == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, tuple(stack(f, 0) for f in finals)

    def _run(self, x, state, layer, reverse, masks=None):
        """One layer in one direction over the sequence ``x`` (L, N, in); with ``masks``, a
        sequence keeps its state at the steps past its end. With projections, the LSTM's h is
        ``o * tanh(c)`` times ``W_hr^T``."""
        suffix = f"_l{layer}{'_reverse' if reverse else ''}"
        w_ih, w_hh = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        w_hr_t = getattr(self, "weight_hr" + suffix).t() if self.proj_size else None
        b_ih = getattr(self, "bias_ih" + suffix) if self.bias else None
        b_hh = getattr(self, "bias_hh" + suffix) if self.bias else None
        x_part = F.linear(x, w_ih, b_ih)                       # one product for all steps
        if self.mode in ("LSTM", "RNN_TANH", "RNN_RELU") and b_hh is not None:
            x_part = x_part + b_hh                             # so each step is one addmm
        x_gates = unbind(x_part, 0)
        w_hh_t = w_hh.t()
        steps = range(len(x_gates) - 1, -1, -1) if reverse else range(len(x_gates))
        outs = [None] * len(x_gates)
        h, c = state[0], (state[1] if len(state) > 1 else None)
        for t in steps:
            h_prev, c_prev = h, c
            if self.mode == "GRU":     # the reset gate scales only the hidden part of n
                h = gru_cell_pointwise(x_gates[t], F.linear(h, w_hh, b_hh), h)
            else:
                pre = addmm(x_gates[t], h, w_hh_t)             # x part + h W_hh^T, all gates
                if self.mode == "LSTM":
                    h, c = lstm_cell_pointwise(pre, c)
                    if w_hr_t is not None:
                        h = h.mm(w_hr_t)
                else:
                    h = pre.tanh() if self.mode == "RNN_TANH" else pre.relu()
            if masks is not None:
                h = where(masks[t], h, h_prev)
                c = None if c is None else where(masks[t], c, c_prev)
            outs[t] = h
        return stack(outs, 0), ((h, c) if c is not None else (h,))


def _no_projections(kwargs):
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU)."""

    def __init__(self, *args, nonlinearity="tanh", **kwargs):
        _no_projections(kwargs)
        if len(args) > 3:              # torch allows nonlinearity positionally, 4th
            nonlinearity, args = args[3], args[:3] + args[4:]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory; returns ``(output, (h_n, c_n))``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit; returns ``(output, h_n)``."""

    def __init__(self, *args, **kwargs):
        _no_projections(kwargs)
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """One time step: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate = num_chunks * hidden_size
        kw = dict(device=device, dtype=dtype)
        self.weight_ih = Parameter(_creation.empty((gate, input_size), **kw))
        self.weight_hh = Parameter(_creation.empty((gate, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(_creation.empty(gate, **kw))
            self.bias_hh = Parameter(_creation.empty(gate, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx, n_states):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            z = _creation.zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)
            states = (z,) * n_states
        else:
            states = hx if isinstance(hx, tuple) else (hx,)
            for i, s in enumerate(states):
                if s.dim() not in (1, 2):
                    what = f"hx[{i}]" if n_states == 2 else "hidden"
                    raise ValueError(f"{type(self).__name__}: Expected {what} to be 1D or 2D, "
                                     f"got {s.dim()}D instead")
            states = tuple(s if batched else s.unsqueeze(0) for s in states)
        for i, s in enumerate(states):
            if s.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{i} "
                                   f"batch size {s.shape[0]}")
            if s.dim() < 2 or s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got "
                                   f"{s.shape[min(1, s.dim() - 1)]}, expected {self.hidden_size}")
        return x, states, batched


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        pre = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        h = pre.tanh() if self.nonlinearity == "tanh" else pre.relu()
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._prepare(input, hx, 2)
        gates = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        h, c = lstm_cell_pointwise(gates, c)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        h = gru_cell_pointwise(F.linear(x, self.weight_ih, self.bias_ih),
                               F.linear(h, self.weight_hh, self.bias_hh), h)
        return h if batched else h.squeeze(0)
