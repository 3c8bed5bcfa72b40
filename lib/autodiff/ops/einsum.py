"""``einsum``: products and sums of tensors written in Einstein's index notation.

The equation is first rewritten in a canonical form that uses letters only (each ellipsis
becomes letters of its own, an implicit output is made explicit), then computed by
``numpy.einsum`` / ``cupy.einsum``. The gradient for operand ``k`` is again an einsum: the
gradient of the output contracted with all the other operands. Two cases need help, which
constant operands provide:

* a letter that appears only in operand ``k`` (summed away, e.g. ``j`` in ``'ij->i'``): the
  gradient is constant along it, so a vector of ones with that letter is added;
* a letter repeated in operand ``k`` (a diagonal, e.g. ``'ii->i'``): the gradient lives on the
  diagonal only, so the repetition gets a fresh letter and an identity matrix links the two.
"""
from __future__ import annotations

import string

from ..autograd.function import Function
from ..tensor import Tensor
from ._linalg_util import TYPE_NAMES, check_not_bool
from ._util import check_same_device, xp_of

__all__ = ["einsum"]

_LETTERS = string.ascii_letters


class Einsum(Function):
    grad_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.save_for_backward(*operands)
        ctx.equation = equation
        arrays = [t._data for t in operands]
        xp = xp_of(arrays[0])
        out = xp.asarray(xp.einsum(equation, *arrays, optimize=True))
        if any(xp.may_share_memory(out, a) for a in arrays):   # 'ii->i' may return a view
            out = out.copy()
        return out

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        inputs, output = ctx.equation.split("->")
        subs = inputs.split(",")
        sizes = {}
        for sub, t in zip(subs, operands):
            for c, n in zip(sub, t._data.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        grads = [None]
        for k, sub in enumerate(subs):
            if not ctx.needs_input_grad[k + 1]:
                grads.append(None)
                continue
            terms = [output] + subs[:k] + subs[k + 1:]
            tensors = [grad] + list(operands[:k]) + list(operands[k + 1:])
            unused = [c for c in _LETTERS if c not in ctx.equation]
            target = ""
            for c in sub:
                if c in target:                   # repeated: a fresh letter tied by an identity
                    fresh = unused.pop()
                    terms.append(c + fresh)
                    tensors.append(Tensor._make(xp_of(grad._data).eye(sizes[c],
                                                                     dtype=grad._data.dtype)))
                    c = fresh
                target += c
            for c in dict.fromkeys(sub):
                if not any(c in t for t in terms):  # summed away: the gradient is constant along c
                    terms.append(c)
                    tensors.append(Tensor._make(xp_of(grad._data).ones(sizes[c],
                                                                      dtype=grad._data.dtype)))
            grads.append(Einsum.apply(",".join(terms) + "->" + target, *tensors))
        return tuple(grads)


def einsum(equation, *operands):
    """Sum of products given by ``equation``, e.g. ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.

    Operands may also come as one list; ``...`` stands for any number of broadcast dims; without
    ``->`` the output has the ellipsis dims, then the letters used once, in alphabetical order.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(t).__name__}")
        if t._data.dtype != operands[0]._data.dtype:
            raise RuntimeError(f"expected scalar type {TYPE_NAMES[operands[0].dtype.name]} but "
                               f"found {TYPE_NAMES[t.dtype.name]}")
        check_same_device(operands[0]._data, t._data)
    check_not_bool(operands[0], "bmm")
    return Einsum.apply(_canonical(equation, operands), *operands)


# ---- parsing -----------------------------------------------------------------------------------
def _check_characters(equation: str):
    i = 0
    while i < len(equation):
        c = equation[i]
        if c == "-" and equation[i + 1:i + 2] == ">" and "->" not in equation[:i]:
            i += 2
            continue
        if not (c in _LETTERS or c in ",. "):
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
        i += 1


def _split_ellipsis(term: str, who: str):
    """``'a...b'`` -> ``('a', 'b')``; ``'ab'`` -> ``('ab', None)``."""
    head, dots, tail = term.partition("...")
    if "." in head or "." in tail:
        if dots and "..." in tail:
            raise RuntimeError(f"einsum(): found '.' for {who} for which an ellipsis was already "
                               "found")
        raise RuntimeError(f"einsum(): found '.' for {who} that is not part of any ellipsis"
                           + (" (...)" if who == "output" else ""))
    return (head, tail) if dots else (term, None)


def _canonical(equation: str, operands) -> str:
    """The equation with letters only and an explicit output (checked as torch checks it)."""
    _check_characters(equation)
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    parsed = []
    for k, (term, t) in enumerate(zip(terms, operands)):
        head, tail = _split_ellipsis(term, f"operand {k}")
        letters = head + (tail or "")
        if tail is None and len(letters) != t.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(letters)}) does not match the number of dimensions "
                               f"({t.ndim}) for operand {k} and no ellipsis was given")
        if tail is not None and len(letters) > t.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(letters)}) is more than the number of dimensions "
                               f"({t.ndim}) for operand {k}")
        parsed.append((head, tail, t.ndim - len(letters) if tail is not None else 0))
    n_ell = max(p[2] for p in parsed)
    free = [c for c in _LETTERS if c not in eq]
    ell = "".join(free[:n_ell])            # the letters standing for the ellipsis dims
    canon = [head + ell[n_ell - w:] + (tail or "") for head, tail, w in parsed]
    _check_sizes(canon, operands, ell)
    if arrow:
        head, tail = _split_ellipsis(rhs, "output")
        out = head + (ell + tail if tail is not None else "")
        for c in head + (tail or ""):
            if (head + (tail or "")).count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if c not in lhs:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
    else:
        once = sorted(c for c in set(lhs) if c in _LETTERS and lhs.count(c) == 1)
        out = ell + "".join(once)
    return ",".join(canon) + "->" + out


def _check_sizes(canon, operands, ell):
    """Each letter has one size (or 1, which broadcasts), as torch requires."""
    seen = {}
    for k, (sub, t) in enumerate(zip(canon, operands)):
        mine = {}
        for c, n in zip(sub, t._data.shape):
            if c in mine and mine[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the "
                                   f"sizes don't match, {n} != {mine[c]}")
            mine[c] = n
        for c, n in mine.items():
            prev = seen.get(c, 1)
            if n != prev and n != 1 and prev != 1:
                if c in ell:
                    dim = ell.index(c) - (len(ell) - sum(1 for x in sub if x in ell))
                    raise RuntimeError(
                        f"einsum(): dimension {dim} covered by ellipsis in operand {k}has size {n}"
                        f" which does not broadcast with previously seen ellipsis with size "
                        f"{prev} for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which "
                                   f"does not broadcast with previously seen size {prev}")
            seen[c] = max(prev, n)
