"""Spectral normalization ``W / sigma(W)`` (Miyato et al., 2018), legacy hook version
(``torch.nn.utils.spectral_norm``).

The parameter ``weight`` becomes ``weight_orig``; the buffers ``weight_u`` and ``weight_v`` hold
the power-iteration estimates of the top singular vectors, and a forward pre-hook recomputes the
plain attribute ``weight = weight_orig / (u . weight_orig v)`` (one more power-iteration step per
forward in training mode). The newer :func:`autodiff.nn.utils.parametrizations.spectral_norm` does
the same with a parametrization.
"""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...ops.matmul import dot
from .. import functional as F
from ..modules._hooks import RemovableHandle
from ..parameter import Parameter

__all__ = ["SpectralNorm", "SpectralNormLoadStateDictPreHook", "SpectralNormStateDictHook",
           "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_orig``."""

    _version: int = 1        # 1: v is saved too (version 0 checkpoints only had u)

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12) -> None:
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.dim()) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration: bool):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            # in place, then cloned: a graph of an earlier forward keeps the values it used
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v = F.normalize(weight_mat.t().mv(u), dim=0, eps=self.eps, out=v)
                    u = F.normalize(weight_mat.mv(v), dim=0, eps=self.eps, out=u)
                u, v = u.clone(), v.clone()
        sigma = dot(u, weight_mat.mv(v))
        return weight / sigma

    def remove(self, module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    def _solve_v_and_rescale(self, weight_mat, u, target_sigma):
        """The v with ``u = normalize(W v)`` and ``u . W v = target_sigma``."""
        from ... import linalg
        v = linalg.multi_dot([weight_mat.t().mm(weight_mat).pinverse(), weight_mat.t(),
                              u.unsqueeze(1)]).squeeze(1)
        return v.mul_(target_sigma / dot(u, weight_mat.mv(v)))

    @staticmethod
    def apply(module, name: str, n_power_iterations: int, dim: int, eps: float):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError("Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            weight_mat = fn.reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.data)       # a plain attribute, set by the hook
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        for registry, hook in ((module._state_dict_hooks, SpectralNormStateDictHook(fn)),
                               (module._load_state_dict_pre_hooks,
                                SpectralNormLoadStateDictPreHook(fn))):
            registry[RemovableHandle(registry).id] = hook
        return fn


class SpectralNormLoadStateDictPreHook:
    """Upgrades version-0 checkpoints (``weight``, ``weight_orig``, ``weight_u``) by solving
    for ``weight_v``."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, state_dict, prefix, local_metadata, strict, missing_keys,
                 unexpected_keys, error_msgs) -> None:
        fn = self.fn
        version = local_metadata.get("spectral_norm", {}).get(fn.name + ".version", None)
        if version is not None and version >= 1:
            return
        weight_key = prefix + fn.name
        if (version is None and weight_key not in state_dict
                and all(weight_key + s in state_dict for s in ("_orig", "_u", "_v"))):
            return                                  # already in the current layout
        missing = [weight_key + s for s in ("_orig", "", "_u") if weight_key + s not in state_dict]
        if missing:
            if strict:
                missing_keys.extend(missing)
            return
        with no_grad():
            weight_orig = state_dict[weight_key + "_orig"]
            sigma = (weight_orig / state_dict.pop(weight_key)).mean()
            weight_mat = fn.reshape_weight_to_matrix(weight_orig)
            u = state_dict[weight_key + "_u"]
            state_dict[weight_key + "_v"] = fn._solve_v_and_rescale(weight_mat, u, sigma)


class SpectralNormStateDictHook:
    """Records the layout version in the state_dict's metadata."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata) -> None:
        # the metadata entry of this module, when the state_dict carries one
        local_metadata = getattr(state_dict, "_metadata", {}).get(prefix[:-1], local_metadata)
        versions = local_metadata.setdefault("spectral_norm", {})
        key = self.fn.name + ".version"
        if key in versions:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        versions[key] = self.fn._version


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None):
    """Legacy hook version of spectral normalization: ``module.<name>`` is recomputed as
    ``<name>_orig / sigma`` before every forward (``dim``: 1 for transposed convolutions,
    else 0)."""
    if dim is None:
        from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    """Undo :func:`spectral_norm`: ``name`` is a plain parameter again, with its current value."""
    for registry, kind in ((module._forward_pre_hooks, SpectralNorm),
                           (module._state_dict_hooks, SpectralNormStateDictHook),
                           (module._load_state_dict_pre_hooks, SpectralNormLoadStateDictPreHook)):
        for k, hook in registry.items():
            fn = hook if kind is SpectralNorm else getattr(hook, "fn", None)
            if isinstance(hook, kind) and fn.name == name:
                if kind is SpectralNorm:
                    hook.remove(module)
                del registry[k]
                break
        else:
            if kind is SpectralNorm:
                raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    return module
