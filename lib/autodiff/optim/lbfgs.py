"""L-BFGS: a quasi-Newton method. From the last ``history_size`` steps ``s`` and gradient
changes ``y`` it builds an estimate of the inverse Hessian times the gradient (the two-loop
recursion), and moves along that direction with a fixed step or a strong-Wolfe line search.

All the parameters are handled as one flat vector. The scalars that torch keeps as 0-d tensors
(``ro``, ``H_diag``, ``al``, sometimes ``t``) are 0-d arrays of the parameters' dtype here, so
that float32 runs round as torch's do; the state holds them as tensors, under torch's names.
"""
from __future__ import annotations

from functools import partial

from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import xp_of
from ..tensor import Tensor
from .optimizer import Optimizer, _scalar, sqrt

__all__ = ["LBFGS"]

# what one call of ``step`` leaves in the state for the next one
_MEMORY = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")


def _raw(value):
    """A state value as computed with: tensors (also inside lists) as their arrays."""
    if isinstance(value, list):
        return [_raw(v) for v in value]
    return value._data if isinstance(value, Tensor) else value


def _wrapped(value):
    """A computed value as kept in the state: arrays and array scalars as tensors."""
    if isinstance(value, list):
        return [_wrapped(v) for v in value]
    if value is None or type(value) in (bool, int, float):
        return value
    return Tensor._make(xp_of(value).asarray(value))


def _value(loss) -> float:
    """The closure's loss as a Python number (torch's ``float(loss)`` does not warn about
    ``requires_grad`` under ``no_grad``)."""
    return float(loss.detach() if isinstance(loss, Tensor) else loss)


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through two points with their values ``f`` and slopes ``g``,
    clamped to ``bounds`` (default: between the points); their middle if the cubic has none."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if not d2_square >= 0:
        return (lo + hi) / 2.0
    d2 = sqrt(d2_square)
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A step ``t`` along ``d`` meeting the strong Wolfe conditions (enough decrease, a flat
    enough slope): first bracket one, then zoom in by cubic interpolation (Nocedal & Wright,
    algorithms 3.5 and 3.6). Returns the loss, gradient and ``t`` there and the evaluations."""
    d_norm = abs(d).max()
    f_new, g_new = obj_func(x, t, d)
    evals, ls_iter, done = 1, 0, False
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    while ls_iter < max_ls:                                   # bracketing
        too_high = f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev)
        if not too_high and abs(gtd_new) <= -c2 * gtd:
            bracket, done = [[t, f_new, g_new, gtd_new]], True
            break
        if too_high or gtd_new >= 0:                          # a minimum lies in between
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        t_prev, t = t, _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                          bounds=(t + 0.01 * (t - t_prev), t * 10))
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [[0, f, g, None], [t, f_new, g_new, None]]
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    insufficient_progress = False
    while not done and ls_iter < max_ls:                      # zooming
        ends = (bracket[0][0], bracket[1][0])
        if abs(ends[1] - ends[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(*bracket[0][:2], bracket[0][3], *bracket[1][:2], bracket[1][3])
        # too close to an end (twice in a row, or beyond it): move to 10% of the width inside
        eps = 0.1 * (max(ends) - min(ends))
        if min(max(ends) - t, t - min(ends)) < eps:
            if insufficient_progress or t >= max(ends) or t <= min(ends):
                t = max(ends) - eps if abs(t - max(ends)) < abs(t - min(ends)) else min(ends) + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = [t, f_new, g_new, gtd_new]        # not low enough: a new high end
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = [t, f_new, g_new, gtd_new]         # the new lowest point
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals


class LBFGS(Optimizer):
    """Limited-memory BFGS (Nocedal, 1980; after Schmidt's minFunc). ``step(closure)`` runs up
    to ``max_iter`` iterations and ``max_eval`` evaluations of the closure; it stops early when
    the gradient's largest entry is below ``tolerance_grad`` or the loss or the parameters
    change by less than ``tolerance_change``. Only one parameter group is supported."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    # ---- the parameters as one flat vector ------------------------------------------------------
    @property
    def _params(self):
        return self.param_groups[0]["params"]

    def _flat_grad(self):
        """All the gradients in one new vector (zeros for a parameter without one)."""
        xp = xp_of(self._params[0]._data)
        return xp.concatenate([p.grad._data.ravel() if p.grad is not None
                               else xp.zeros(p._data.size, dtype=p._data.dtype)
                               for p in self._params])

    def _add_grad(self, t, d):
        """Move the parameters by ``t * d``, in place."""
        offset = 0
        for p in self._params:
            size = p._data.size
            p._data += t * d[offset:offset + size].reshape(p._data.shape)
            p._vc[0] += 1
            offset += size

    def _directional_evaluate(self, closure, x, t, d):
        """The loss and the flat gradient at ``x + t * d``; the parameters are put back at ``x``."""
        self._add_grad(t, d)
        loss = _value(closure())
        flat_grad = self._flat_grad()
        for p, saved in zip(self._params, x):
            p._data[...] = saved
            p._vc[0] += 1
        return loss, flat_grad

    # ---- the step --------------------------------------------------------------------------------
    def step(self, closure):
        """Up to ``max_iter`` L-BFGS iterations; ``closure`` (required) re-evaluates the model,
        with gradients, and returns the loss. Returns the loss before the first iteration."""
        if len(self.param_groups) != 1:
            raise AssertionError(f"Expected exactly one param_group, but got "
                                 f"{len(self.param_groups)}")
        with no_grad():
            return self._iterate(enable_grad()(closure), self.param_groups[0])

    def _iterate(self, closure, group):
        """The iterations of one step; the closure's first loss is returned."""
        lr, max_iter, max_eval = _scalar(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        # the state is global, but kept under the first parameter (so that it is cast on loading)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = _value(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        opt_cond = abs(flat_grad).max() <= tolerance_grad
        if opt_cond:
            return orig_loss
        memory = {key: _raw(state.get(key)) for key in _MEMORY}
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            memory["d"] = d = self._direction(flat_grad, memory, state, group["history_size"])
            if memory["prev_flat_grad"] is None:
                memory["prev_flat_grad"] = flat_grad.copy()
            else:
                memory["prev_flat_grad"][...] = flat_grad
            memory["prev_loss"] = prev_loss = loss
            if state["n_iter"] == 1:                  # a first step of at most lr / |g|_1
                t = min(1.0, 1.0 / abs(flat_grad).sum()) * lr
            else:
                t = lr
            memory["t"] = t
            gtd = flat_grad.dot(d)                    # the slope along d
            if gtd > -tolerance_change:
                break
            ls_evals = 0
            if group["line_search_fn"] is not None:
                if group["line_search_fn"] != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x = [p._data.copy() for p in self._params]
                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    partial(self._directional_evaluate, closure), x, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - evals)
                memory["t"] = t
                self._add_grad(t, d)
                opt_cond = abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:                # the last evaluation is left to the caller
                    loss = _value(closure())
                    flat_grad = self._flat_grad()
                    opt_cond = abs(flat_grad).max() <= tolerance_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or evals >= max_eval or opt_cond:
                break
            if abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break
        state.update({key: _wrapped(value) for key, value in memory.items()})
        return orig_loss

    def _direction(self, flat_grad, memory, state, history_size):
        """The search direction: ``-g`` at the very first iteration; otherwise the memory takes
        in the last step and gradient change, and the two-loop recursion gives ``-H g``."""
        if state["n_iter"] == 1:
            memory.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
            return -flat_grad
        old_dirs, old_stps, ro = memory["old_dirs"], memory["old_stps"], memory["ro"]
        y = flat_grad - memory["prev_flat_grad"]
        s = memory["d"] * memory["t"]
        ys = y.dot(s)
        if ys > 1e-10:                                # curvature condition: keep the pair
            if len(old_dirs) == history_size:
                del old_dirs[0], old_stps[0], ro[0]
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            memory["H_diag"] = ys / y.dot(y)          # the initial Hessian's scale
        al = _raw(state.get("al")) or [None] * history_size
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q += -al[i] * old_dirs[i]
        r = q * memory["H_diag"]
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r += (al[i] - be_i) * old_stps[i]
        state["al"] = _wrapped(al)
        return r
