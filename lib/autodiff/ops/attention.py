"""Attention: ``scaled_dot_product_attention`` and the multi-head attention behind
``nn.MultiheadAttention`` (``multi_head_attention_forward``).

Attention mixes the rows of ``value`` with weights ``softmax(q k^T / sqrt(E) + mask)``: each
query gets a probability distribution over the keys. Both functions are compositions of
differentiable ops (matrix products, a softmax, dropout), so their gradients -- of any order --
come from those ops. Masks come in two kinds: boolean (which keys may be attended to) and float
(added to the scores; ``-inf`` forbids). Note the opposite boolean conventions, as in torch:
``True`` means *attend* for ``scaled_dot_product_attention`` but *mask out* for
``MultiheadAttention``.
"""
from __future__ import annotations

import math
import warnings

from .. import _creation, _dtype as D
from ._linalg_util import C_NAMES, TYPE_NAMES
from ._reduce import quiet
from ._util import xp_of
from .dropout import dropout
from .joining import cat
from .linalg import matmul
from .linear import linear
from .padding import pad
from .softmax import Softmax, softmax

__all__ = []


class SafeSoftmax(Softmax):
    """A softmax whose rows with no finite entry (every key masked out) are zeros, not NaN:
    torch's ``_safe_softmax``, used by ``scaled_dot_product_attention``."""
    grad_name = "SafeSoftmaxBackward0"

    @staticmethod
    def forward(ctx, a, dim):
        x = a._data
        xp = xp_of(x)
        ctx.dim = dim
        if x.size == 0:
            return x.copy()
        with quiet():
            m = x.max(axis=dim, keepdims=True)
            e = xp.exp(x - xp.where(xp.isfinite(m), m, 0))
            total = e.sum(axis=dim, keepdims=True)
            return xp.where(total > 0, e / total, 0)
    # backward: Softmax's, y * (g - sum(g * y)), which is 0 where y is


def _attention(q, k, v, bias, dropout_p, scale, safe):
    """``softmax(q k^T * scale + bias) @ v`` over the last two dims; returns the weights too."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = matmul(q * scale, k.transpose(-2, -1))
    if bias is not None:
        scores = scores + bias
    weights = SafeSoftmax.apply(scores, scores.dim() - 1) if safe else softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, v), weights


def _causal_bias(L, S, like):
    """(L, S) float mask: 0 where key j <= query i (upper-left aligned), ``-inf`` above."""
    return _creation.full((L, S), float("-inf"), dtype=like.dtype, device=like.device).triu(1)


def _bool_to_bias(mask, dtype, masked_value):
    """A float mask with ``-inf`` where the boolean ``mask`` equals ``masked_value``."""
    hide = mask if masked_value else mask.logical_not()
    zeros = _creation.zeros(tuple(mask.shape), dtype=dtype, device=mask.device)
    return zeros.masked_fill(hide, float("-inf"))


# ---- scaled dot-product attention ------------------------------------------------------------
def _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal):
    if min(query.dim(), key.dim(), value.dim()) < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.dim()} key.dim: {key.dim()} and "
                           f"value.dim: {value.dim()} instead.")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {C_NAMES[query.dtype.name]} key.dtype: "
                           f"{C_NAMES[key.dtype.name]} and value.dtype: "
                           f"{C_NAMES[value.dtype.name]} instead.")
    if not query.is_floating_point():
        raise RuntimeError(f"expected scalar type Float but found {TYPE_NAMES[query.dtype.name]}")
    if attn_mask is not None and attn_mask.dtype not in (D.bool, D.float32, query.dtype):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype,"
                           f" but got attn_mask.dtype: {C_NAMES[attn_mask.dtype.name]} and  "
                           f"query.dtype: {C_NAMES[query.dtype.name]} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def _repeat_heads(query, t):
    """Grouped-query attention: each key/value head serves a group of query heads."""
    hq, h = query.shape[-3], t.shape[-3]
    if hq % h:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    return t.repeat_interleave(hq // h, -3)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """``softmax(query key^T * scale + mask) value`` with ``scale = 1/sqrt(E)`` by default.

    ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev) -> (..., L, Ev).
    ``attn_mask``: boolean (True = may attend) or float (added to the scores), broadcastable to
    (..., L, S); ``is_causal`` lets query i see keys 0..i only. Queries that may attend to no
    key get zeros. Dropout with probability ``dropout_p`` is always applied (pass 0.0 in eval).
    """
    _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal)
    if is_causal:
        bias = _causal_bias(query.shape[-2], key.shape[-2], query)
    elif attn_mask is not None and attn_mask.dtype == D.bool:
        bias = _bool_to_bias(attn_mask, query.dtype, False)
    else:
        bias = attn_mask
    if enable_gqa and query.dim() >= 3:
        key, value = _repeat_heads(query, key), _repeat_heads(query, value)
    return _attention(query, key, value, bias, dropout_p, scale, safe=True)[0]


# ---- multi-head attention --------------------------------------------------------------------
def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """True for batched (L, N, E) input, False for unbatched (L, E); AssertionError otherwise."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    batched = query.dim() == 3
    kind, want = ("batched (3-D)", 3) if batched else ("unbatched (2-D)", 2)
    if key.dim() != want or value.dim() != want:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {want}-D but "
                             f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != want - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{want - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or "
                                 f"3-D but found {attn_mask.dim()}-D tensor instead")
        expected = (num_heads, query.shape[0], key.shape[0])
        if not batched and attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                 f"{attn_mask.shape}")
    return batched


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A boolean mask (True = masked out) as a float mask of ``target_type`` (``-inf``/0)."""
    if mask is None:
        return None
    if mask.dtype != D.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    return mask if mask.is_floating_point() else _bool_to_bias(mask, target_type, True)


def _none_or_dtype(t):
    return None if t is None else t.dtype


def _in_projection(query, key, value, w, b, w_q, w_k, w_v):
    """q, k, v projected by the packed ``w`` (3E, E) or by the separate ``w_q``, ``w_k``,
    ``w_v``; self-attention (``query is key is value``) does a single product."""
    b_q, b_k, b_v = (None,) * 3 if b is None else b.chunk(3)
    if w is None:
        return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    if query is key and key is value:
        return linear(query, w, b).chunk(3, dim=-1)
    w_q, w_k, w_v = w.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _check_attn_mask(attn_mask, bsz, num_heads, tgt_len, src_len):
    """A 2-D (L, S) or 3-D (N*heads, L, S) float mask as 3-D."""
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should "
                               f"be {(bsz * num_heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention on sequence-first input: query (L, N, E), key/value (S, N, E*),
    or unbatched (L, E). Returns ``(output, weights)``; weights are None unless
    ``need_weights``, averaged over heads unless ``average_attn_weights=False``.

    Each of the ``num_heads`` heads attends in its own E/num_heads-dimensional slice of the
    projected q, k, v; the heads' outputs are concatenated and projected by ``out_proj``.
    """
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None                 # the hint alone says it: query i sees keys 0..i
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight and key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                             f"value's {value.shape[:2]}")
    if not use_separate_proj_weight and key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    if static_k is not None or static_v is not None:
        raise NotImplementedError("static_k and static_v are not supported")

    w = None if use_separate_proj_weight else in_proj_weight
    q, k, v = _in_projection(query, key, value, w, in_proj_bias, q_proj_weight, k_proj_weight,
                             v_proj_weight)
    if attn_mask is not None:
        attn_mask = _check_attn_mask(attn_mask, bsz, num_heads, tgt_len, src_len)
    if (bias_k is None) != (bias_v is None):
        raise AssertionError(f"bias_{'k' if bias_v is None else 'v'} is set but "
                             f"bias_{'v' if bias_v is None else 'k'} is None")
    if bias_k is not None:               # one learned extra key/value at the end of the sequence
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))

    # heads become batch entries: (L, N, E) -> (N*heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:                    # an extra all-zero key/value
        zeros = _creation.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k, v = cat([k, zeros], 1), cat([v, zeros], 1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if is_causal and attn_mask is None:
        attn_mask = _causal_bias(tgt_len, src_len, q)
    # torch computes the weights it returns with a plain softmax (a query with every key
    # masked gets NaN), and uses scaled_dot_product_attention (zeros there) otherwise
    out, weights = _attention(q, k, v, attn_mask, dropout_p if training else 0.0, None,
                              safe=not need_weights)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if need_weights:
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(1)
        weights = weights.squeeze(0) if need_weights else None
    return out, (weights if need_weights else None)


__methods__ = []
__inplace__ = []
