"""``autodiff.nn.functional``: the stateless functions behind the layers (``import
autodiff.nn.functional as F``). The maths lives in ``autodiff/ops``; this module gathers it
under torch's names and signatures."""
from __future__ import annotations

import inspect
import warnings

from ..ops import linalg as _linalg, softmax as _softmax
from ..ops.activation import (celu, elu, gelu, glu, hardshrink, hardsigmoid, hardswish,
                              hardtanh, leaky_relu, logsigmoid, mish, prelu, relu6, rrelu, selu,
                              silu, softplus, softshrink, softsign, tanhshrink, threshold)
from ..ops.cross_entropy import cross_entropy, nll_loss
from ..ops.distance import cosine_similarity, normalize, pairwise_distance
from ..ops.dropout import (alpha_dropout, dropout, dropout1d, dropout2d, dropout3d,
                           feature_alpha_dropout)
from ..ops.embedding import embedding, embedding_bag, one_hot
from ..ops.linear import linear
from ..ops.losses import (binary_cross_entropy, binary_cross_entropy_with_logits,
                          cosine_embedding_loss, huber_loss, kl_div, l1_loss, margin_ranking_loss,
                          mse_loss, pdist, smooth_l1_loss, soft_margin_loss, triplet_margin_loss,
                          triplet_margin_with_distance_loss)
from ..ops.likelihood_losses import gaussian_nll_loss, poisson_nll_loss
from ..ops.margin_losses import (hinge_embedding_loss, multi_margin_loss, multilabel_margin_loss,
                                 multilabel_soft_margin_loss)
from ..ops.normalization import (batch_norm, group_norm, instance_norm, layer_norm,
                                 local_response_norm, rms_norm)
from ..ops.unary import sigmoid as _sigmoid, tanh as _tanh, relu as _relu
from ..ops.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
                        conv_transpose3d)
from ..ops.pooling import (adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d,
                           max_pool1d, max_pool2d, max_pool3d, max_unpool1d, max_unpool2d,
                           max_unpool3d)
from ..ops.avg_pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,
                               avg_pool1d, avg_pool2d, avg_pool3d, lp_pool1d, lp_pool2d)
from ..ops.avg_pooling import avg_pool3d as _avg_pool3d
from ..ops.padding import pad
from ..ops.sampling import interpolate, upsample, upsample_bilinear, upsample_nearest
from ..ops.fold import (channel_shuffle, fold, native_channel_shuffle, pixel_shuffle,
                        pixel_unshuffle, unfold)
from ..ops.attention import multi_head_attention_forward, scaled_dot_product_attention
from ..ops.grid_sampling import affine_grid, grid_sample, gumbel_softmax

__all__ = [
    # activations
    "relu", "relu_", "relu6", "elu", "elu_", "selu", "celu", "leaky_relu", "leaky_relu_",
    "prelu", "rrelu", "rrelu_", "celu_", "selu_", "glu", "gelu", "logsigmoid", "hardshrink",
    "tanhshrink",
    "softsign", "softplus", "softmin", "softmax", "log_softmax", "softshrink", "tanh", "sigmoid",
    "hardsigmoid", "silu", "mish", "hardswish", "hardtanh", "hardtanh_", "threshold",
    "threshold_",
    # linear, dropout, sparse
    "linear", "bilinear", "dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d",
    "dropout2d", "dropout3d", "embedding", "embedding_bag", "one_hot",
    # normalisation and distances
    "batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
    "local_response_norm", "normalize",
    "cosine_similarity", "pairwise_distance", "pdist",
    # losses
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div",
    "cosine_embedding_loss", "margin_ranking_loss", "soft_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "hinge_embedding_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
    "multilabel_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
    # convolution, pooling, resampling
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d", "lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d", "pad",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices", "adaptive_max_pool3d", "lp_pool3d", "max_unpool3d",
    "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold", "fold",
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "affine_grid", "grid_sample", "gumbel_softmax",
    # attention
    "scaled_dot_product_attention", "multi_head_attention_forward",
]

bilinear = _linalg.bilinear


def relu(input, inplace=False):
    """``max(0, x)``."""
    return input.relu_() if inplace else _relu(input)


def sigmoid(input):
    """``1 / (1 + exp(-x))``."""
    return _sigmoid(input)


def tanh(input):
    """The hyperbolic tangent."""
    return _tanh(input)


def _inplace_version(fn):
    def f(input, *args, **kwargs):
        return fn(input, *args, inplace=True, **kwargs)
    f.__name__ = fn.__name__ + "_"
    f.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return f


relu_ = _inplace_version(relu)
elu_ = _inplace_version(elu)
leaky_relu_ = _inplace_version(leaky_relu)
rrelu_ = _inplace_version(rrelu)
hardtanh_ = _inplace_version(hardtanh)
threshold_ = _inplace_version(threshold)
celu_ = _inplace_version(celu)
selu_ = _inplace_version(selu)


def _with_indices(fn):
    """``fn`` that always returns ``(values, indices)``, whatever ``return_indices`` says."""
    signature = inspect.signature(fn)

    def f(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.arguments["return_indices"] = True
        return fn(*bound.args, **bound.kwargs)
    f.__name__ = fn.__name__ + "_with_indices"
    f.__doc__ = f":func:`{fn.__name__}` returning ``(values, indices)``."
    f.__signature__ = signature
    return f


max_pool1d_with_indices = _with_indices(max_pool1d)
max_pool2d_with_indices = _with_indices(max_pool2d)
max_pool3d_with_indices = _with_indices(max_pool3d)
adaptive_max_pool1d_with_indices = _with_indices(adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = _with_indices(adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = _with_indices(adaptive_max_pool3d)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of every window of ``(N, C, D, H, W)``: ``(sum x^p)^(1/p)``."""
    kd, kh, kw = (kernel_size,) * 3 if isinstance(kernel_size, int) else kernel_size
    out = _avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kd * kh * kw).pow(1.0 / norm_type)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(x))``, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _softmax.log_softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return _softmax.softmax(-input, dim, dtype=dtype)
