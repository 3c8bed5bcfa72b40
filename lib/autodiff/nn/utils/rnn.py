"""Variable-length sequences for the recurrent layers, padded and packed (``torch.nn.utils.rnn``).

A batch of sequences of lengths ``L_0 >= L_1 >= ...`` is *packed* by keeping, time step after
time step, only the elements still running: ``data`` holds them row after row and
``batch_sizes[t]`` says how many sequences are still running at step ``t``. Packing is a gather
of rows of the padded (T, B, *) batch, padding the scatter back (``ops/rnn.py``); unsorted
batches are first sorted by decreasing length and carry the permutation along.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple, Optional

import numpy as np

from ... import _creation
from ..._dtype import float16, float32, float64, int8, int16, int32, int64, uint8
from ...ops.joining import cat
from ...ops.rnn import pack_rows, pad_rows
from ...ops.sorting import sort
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor]
    unsorted_indices: Optional[Tensor]


class PackedSequence(_PackedFields):
    """The packed rows of a batch of sequences, the number running at each step (a CPU int64
    tensor) and the sorting permutation with its inverse (or None when the batch was sorted)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:            # PackedSequence((data, batch_sizes), ...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data.to(...)``; the permutations follow data's device, batch_sizes stays on the
        CPU. ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=float64)

    def float(self):
        return self.to(dtype=float32)

    def half(self):
        return self.to(dtype=float16)

    def long(self):
        return self.to(dtype=int64)

    def int(self):
        return self.to(dtype=int32)

    def short(self):
        return self.to(dtype=int16)

    def char(self):
        return self.to(dtype=int8)

    def byte(self):
        return self.to(dtype=uint8)

    @property
    def is_cuda(self):
        """Whether ``data`` lives on a GPU."""
        return self.data.is_cuda


def invert_permutation(permutation):
    """The inverse of a 1-D permutation tensor (None stays None)."""
    if permutation is None:
        return None
    out = _creation.empty_like(permutation)
    return out.scatter_(0, permutation, _creation.arange(permutation.numel(),
                                                         device=permutation.device))


def _rows(lengths, total, batch_first):
    """Flat row numbers, in packed order (time step, then sequence), of the valid elements of
    a padded (total, B) or (B, total) batch whose sequences have decreasing ``lengths``."""
    t, b = np.nonzero(np.arange(total)[:, None] < np.asarray(lengths)[None, :])
    return b * total + t if batch_first else t * len(lengths) + b


def _check_lengths(input, lengths, batch_first):
    if lengths.dim() != 1 or lengths.device.type != "cpu":
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lengths.dim()}D {lengths.device.type} Long tensor")
    if input.dim() < 2:
        d = max(input.dim(), 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-d}, {d - 1}], "
                         f"but got 1)")
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    n, steps = input.shape[0 if batch_first else 1], input.shape[1 if batch_first else 0]
    lens = lengths.tolist()
    if len(lens) != n:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={n})")
    if lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if any(a < b for a, b in zip(lens, lens[1:])):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
            "sidestep this requirement if you do not need ONNX exportability.")
    if lens[0] > steps:
        raise RuntimeError(f"Expected every length to be at most the padded length {steps}, but "
                           f"got {lens[0]}")
    return lens


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded (T, B, *) batch (B, T, * with ``batch_first``) of sequences of the given
    lengths; ``enforce_sorted=False`` sorts them by decreasing length first."""
    if isinstance(lengths, Tensor):
        lengths = lengths.to(dtype=int64)
    else:
        lengths = _creation.as_tensor(lengths, dtype=int64)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    lens = _check_lengths(input, lengths, batch_first)
    steps = input.shape[1 if batch_first else 0]
    data = pack_rows(input, _rows(lens, steps, batch_first))
    batch_sizes = (np.arange(lens[0])[:, None] < np.asarray(lens)[None, :]).sum(1)
    return PackedSequence(data, _creation.tensor(batch_sizes, dtype=int64), sorted_indices, None)


def _sorted_lengths(batch_sizes):
    """Each sequence's length, for the sorted order of a packed batch."""
    sizes = np.asarray(batch_sizes.tolist())
    return (sizes[None, :] > np.arange(sizes[0])[:, None]).sum(1)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The padded batch (T, B, *) (or B, T, *) and the lengths of a PackedSequence, sequences in
    their original order; ``total_length`` pads to that many steps."""
    steps = sequence.batch_sizes.shape[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    lens = _sorted_lengths(sequence.batch_sizes)
    shape = (steps, len(lens)) + tuple(sequence.data.shape[1:])
    padded = pad_rows(sequence.data, _rows(lens, steps, False), shape, padding_value)
    padded = padded.transpose(0, 1) if batch_first else padded
    lengths = _creation.tensor(lens, dtype=int64)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices
        return padded.index_select(0 if batch_first else 1, order), lengths[order.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors (L_i, *) into one (T, B, *) (or B, T, *) batch, padded with
    ``padding_value`` on the right (or left) up to the longest length T."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if any(s.dim() == 0 for s in sequences):
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")   # torch's words
    first = sequences[0]
    trailing = tuple(first.shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            _shape_mismatch(trailing, tuple(s.shape))
    lens = np.array([s.shape[0] for s in sequences])
    steps = int(lens.max())
    b, t = np.nonzero(np.arange(steps)[None, :] < lens[:, None])   # sequence after sequence
    if padding_side == "left":
        t = t + (steps - lens)[b]
    rows = b * steps + t if batch_first else t * len(lens) + b
    shape = ((len(lens), steps) if batch_first else (steps, len(lens))) + trailing
    data = cat([s.to(first.dtype) for s in sequences], 0)
    return pad_rows(data, rows, shape, padding_value)


def _shape_mismatch(trailing, shape):
    """torch's message for a sequence whose trailing sizes differ from the first one's."""
    target = (shape[0],) + trailing
    for i in range(1, min(len(target), len(shape)) + 1):
        if target[-i] != shape[-i]:
            dim = len(target) - i
            raise RuntimeError(f"The size of tensor a ({target[-i]}) must match the size of "
                               f"tensor b ({shape[-i]}) at non-singleton dimension {dim}")
    raise RuntimeError(f"pad_sequence: expected every sequence to have trailing sizes "
                       f"{list(trailing)}, but got a sequence of size {list(shape)}")


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch, each cut to its length. As in torch, a
    time-major batch is transposed in place."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    idx = _creation.arange(padded_sequences.shape[1], device=lengths.device)
    return [seq[idx < length] for seq, length in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *): ``pad_sequence`` then ``pack_padded_sequence``."""
    lengths = _creation.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences (L_i, *) of a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def _padded_sorted(sequence):
    """The time-major padded batch of a PackedSequence with its sequences left in packed
    (sorted) order, and their lengths: what the recurrent layers run on."""
    lens = _sorted_lengths(sequence.batch_sizes)
    data = sequence.data
    shape = (sequence.batch_sizes.shape[0], len(lens)) + tuple(data.shape[1:])
    return pad_rows(data, _rows(lens, shape[0], False), shape), lens
