"""A robust maximiser for the MLE and MAP objectives, with exact gradients and Hessians.

scipy's default L-BFGS-B judges convergence by its own tolerances and, on badly conditioned
problems (predictors on scales from 1 to 1e5), stops far from the optimum. Here each attempt
runs a trust-region Newton method with the exact Hessian (``trust-exact``), then polishes with
damped Newton steps until the Newton decrement stops falling. Convergence is judged afterwards,
by the decrement ``g' H^-1 g`` (affine invariant: it does not care how the parameters are
scaled) and by the Hessian being positive definite, not by the optimiser's own word. When an
attempt fails, BFGS and jittered starts are tried before giving up.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.optimize

from inference_compare._interrupt import raise_if_interrupted
from inference_compare.methods._objective import Objective

__all__ = ["OptimizationResult", "maximize"]

#: Converged when half the Newton decrement, the predicted gain still to be made, is below this.
DECREMENT_TOL = 1e-8
#: A Hessian eigenvalue below this fraction of the largest counts as zero (not identified).
EIGEN_RTOL = 1e-12
#: Largest number of damped Newton steps in the polishing phase.
MAX_NEWTON_STEPS = 100
#: Seed of the jittered restarts: fixed, so a fit does not depend on the caller's seed.
RESTART_SEED = 20_261_126


@dataclass(slots=True)
class OptimizationResult:
    """Where a maximisation ended and whether it can be trusted.

    Attributes
    ----------
    x : ndarray
        The unconstrained parameter vector at the end.
    objective : float
        The maximised objective (log-likelihood for the MLE, log-likelihood plus log-prior for
        the MAP), at ``x``.
    gradient : ndarray
        Its gradient at ``x``.
    hessian : ndarray
        The Hessian of the *negative* objective at ``x`` (the observed information for the MLE).
    converged : bool
        True when the Newton decrement is below `DECREMENT_TOL` and ``hessian`` is positive
        definite.
    decrement : float
        Half the Newton decrement ``g' H^-1 g / 2`` (NaN when ``hessian`` is not positive
        definite).
    min_eigenvalue : float
        Smallest eigenvalue of ``hessian`` relative to its largest.
    method : str
        The attempt that gave the result, e.g. ``"trust-exact"`` or ``"BFGS (start 2)"``.
    n_iter : int
        Iterations of that attempt, polishing included.
    message : str
        What the attempt ended with, in words.
    attempts : list of str
        One line per attempt made.
    """

    x: np.ndarray
    objective: float
    gradient: np.ndarray
    hessian: np.ndarray
    converged: bool
    decrement: float
    min_eigenvalue: float
    method: str
    n_iter: int
    message: str
    attempts: list[str] = field(default_factory=list)


class _Objective:
    """Negative objective with gradient and Hessian; remembers the best point it has seen.

    A trial step that overflows (NaN or infinite objective, non-finite gradient) reads as
    ``+inf``, so trust-region and line-search methods shrink the step; `best_x` is the lowest
    finite point evaluated, what an attempt that aborts falls back to instead of its start.
    """

    def __init__(self, functions: Objective, include_prior: bool) -> None:
        self.functions = functions
        self.include_prior = include_prior
        self.best_x: np.ndarray | None = None
        self.best_f = np.inf

    def value_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        ll, lp, gll, glp = self.functions.terms(x)
        f, g = (-(ll + lp), -(gll + glp)) if self.include_prior else (-ll, -gll)
        if not (np.isfinite(lp) and np.isfinite(f) and np.all(np.isfinite(g))):
            return np.inf, np.zeros_like(x)  # outside the support, or an overflow
        if f < self.best_f:
            self.best_x, self.best_f = np.array(x, dtype=float), float(f)
        return float(f), g

    def hessian(self, x: np.ndarray) -> np.ndarray:
        hll, hlp = self.functions.hessians(x)
        return -(hll + hlp) if self.include_prior else -hll


def _decrement(g: np.ndarray, h: np.ndarray) -> tuple[float, float, np.ndarray | None]:
    """Return (half Newton decrement, relative min eigenvalue, Newton step or None).

    The Hessian is equilibrated first (``D H D`` with ``D = diag(H)^-1/2``), so that parameters
    on very different scales (an intercept of 1e6 beside a slope of 1e-2) do not make a
    well-determined problem look singular.
    """
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(g))):
        return np.nan, np.nan, None
    diag = np.abs(np.diag(h))
    d = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    hs = d[:, None] * h * d[None, :]
    eig = np.linalg.eigvalsh(hs)
    rel_min = eig[0] / max(abs(eig[-1]), np.finfo(float).tiny)
    if rel_min <= EIGEN_RTOL:
        return np.nan, rel_min, None
    try:
        step = -d * scipy.linalg.solve(hs, d * g, assume_a="pos")
    except (np.linalg.LinAlgError, ValueError):  # numerically singular after all
        return np.nan, rel_min, None
    return float(-g @ step) / 2.0, rel_min, step


def _polish(obj: _Objective, x: np.ndarray) -> tuple[np.ndarray, int]:
    """Damped Newton steps until the Newton decrement stops falling.

    Far from the optimum a step must decrease the objective (Armijo backtracking). Close to it
    the objective's change is below its rounding error, so a full step is accepted when it
    lowers the decrement instead: that is what recovers the last digits on ill-conditioned
    problems.
    """
    f, g = obj.value_grad(x)
    half_dec, _, step = _decrement(g, obj.hessian(x))
    n = 0
    while n < MAX_NEWTON_STEPS and step is not None and half_dec > 0:
        n += 1
        t = 1.0
        while t > 1e-10:
            x_new = x + t * step
            f_new, g_new = obj.value_grad(x_new)
            if not np.isfinite(f_new):
                t /= 2.0
                continue
            new_dec, _, new_step = _decrement(g_new, obj.hessian(x_new))
            if f_new <= f + 1e-4 * t * (g @ step):
                break
            if half_dec < 1e-6 and new_dec < half_dec:
                break
            t /= 2.0
        else:
            break
        if not new_dec < half_dec and f_new >= f:
            break
        x, f, g, half_dec, step = x_new, f_new, g_new, new_dec, new_step
    return x, n


def _attempt(obj: _Objective, x0: np.ndarray, method: str) -> tuple[np.ndarray, int, str]:
    kwargs: dict = {"jac": True, "method": method}
    if method == "trust-exact":
        kwargs["hess"] = obj.hessian
        kwargs["options"] = {"gtol": 1e-10, "maxiter": 200}
    else:
        kwargs["options"] = {"gtol": 1e-10, "maxiter": 2000}
    obj.best_x, obj.best_f = None, np.inf
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", scipy.optimize.OptimizeWarning)
        try:
            res = scipy.optimize.minimize(obj.value_grad, x0, **kwargs)
        except Exception as exc:  # noqa: BLE001 - scipy's solvers can fail in many ways
            raise_if_interrupted(exc)  # Ctrl-C inside the compiled logp is not a failure
            # (NaN Hessian, singular system, an UnboundLocalError inside trust-exact after an
            # overflow): keep the best point reached, not the start
            message = f"{type(exc).__name__}: {exc}"
            res = scipy.optimize.OptimizeResult(x=x0, fun=np.inf, nit=0, message=message)
    x = res.x if np.isfinite(res.fun) and res.fun <= obj.best_f else obj.best_x
    x = x0 if x is None else x
    with np.errstate(all="ignore"):
        x, polish_steps = _polish(obj, x)
    return x, int(res.get("nit", 0)) + polish_steps, str(res.get("message", ""))


def _result(obj: _Objective, x: np.ndarray, method: str, n_iter: int, msg: str):
    f, g = obj.value_grad(x)
    h = obj.hessian(x)
    half_dec, rel_min, _ = _decrement(g, h)
    converged = bool(np.isfinite(f) and half_dec < DECREMENT_TOL)
    return OptimizationResult(
        x=x,
        objective=-f,
        gradient=-g,
        hessian=h,
        converged=converged,
        decrement=half_dec,
        min_eigenvalue=rel_min,
        method=method,
        n_iter=n_iter,
        message=msg,
    )


def _plan(x0: np.ndarray, n_restarts: int) -> Iterator[tuple[str, str, Any]]:
    """Yield the attempts after a first one that did not converge: (label, method, start).

    A start is an array, or a function of the best result so far: continue from it, or restart
    from it with the coordinates it ran away along (its flattest direction: a plateau, e.g. a
    rate running to infinity where the model stops depending on it) put back at their start.
    The jittered starts come from a fixed sequence (`RESTART_SEED`), so the answer does not
    depend on the caller's seed.
    """
    yield "trust-exact (from the best point so far)", "trust-exact", lambda best: best.x
    yield "trust-exact (runaway coordinates reset)", "trust-exact", lambda best: _reset(best, x0)
    yield "BFGS", "BFGS", x0
    jitter = np.random.default_rng(RESTART_SEED)
    for k in range(n_restarts):
        spread = 1.0 + k  # wider and wider around the start
        start = x0 + spread * jitter.uniform(-1, 1, size=x0.shape)
        yield f"trust-exact (jittered start {k + 1})", "trust-exact", start


def _reset(best: OptimizationResult, x0: np.ndarray) -> np.ndarray:
    """``best.x`` with the coordinates of its flattest Hessian direction set back to ``x0``."""
    h = best.hessian
    if not np.all(np.isfinite(h)):
        return x0
    diag = np.abs(np.diag(h))
    d = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    weights = np.abs(d * np.linalg.eigh(d[:, None] * h * d[None, :])[1][:, 0])
    runaway = weights >= 0.5 * weights.max()
    return np.where(runaway, x0, best.x)


def maximize(
    functions: Objective,
    *,
    include_prior: bool,
    x0: np.ndarray | None = None,
    n_restarts: int = 4,
    callback: Callable[[str], None] | None = None,
) -> OptimizationResult:
    """Maximise the log-likelihood (``include_prior=False``) or the log-posterior.

    A first trust-region Newton attempt from ``x0`` that converges (Newton decrement below
    `DECREMENT_TOL`, positive definite Hessian) is the answer. Otherwise every further attempt
    of the plan is made (on from the best point reached, BFGS, ``n_restarts`` jittered starts)
    and the best *converged* attempt wins; when none converged, the best objective is returned,
    marked not converged.

    Parameters
    ----------
    functions : Objective
        The model's compiled log-density parts.
    include_prior : bool
        False: maximise the log-likelihood over the prior's support (the MLE). True: maximise
        log-likelihood + log-prior (the MAP). No Jacobian term in either.
    x0 : ndarray, optional
        Unconstrained start; defaults to the model's initial point.
    n_restarts : int, default 4
        Jittered starts tried when the first attempt does not converge.
    callback : callable, optional
        Called with a one-line description before each attempt (for progress display).

    Returns
    -------
    OptimizationResult
        The best attempt.
    """
    obj = _Objective(functions, include_prior)
    x0 = functions.x0 if x0 is None else np.asarray(x0, dtype=float)
    attempts: list[str] = []

    def attempt(label: str, method: str, start: np.ndarray) -> OptimizationResult:
        if callback is not None:
            callback(label)
        x, n_iter, msg = _attempt(obj, start, method)
        res = _result(obj, x, label, n_iter, msg)
        state = "converged" if res.converged else "not converged"
        attempts.append(f"{label}: objective {res.objective:.10g}, {state} ({msg})")
        return res

    def rank(r: OptimizationResult) -> tuple[bool, float]:
        return r.converged, _finite(r.objective)

    results = [attempt("trust-exact", "trust-exact", x0)]
    if not results[0].converged:
        for label, method, start in _plan(x0, n_restarts):
            best = max(results, key=rank)
            results.append(attempt(label, method, start(best) if callable(start) else start))
    best = max(results, key=rank)
    best.attempts = attempts
    return best


def _finite(value: float) -> float:
    return value if np.isfinite(value) else -np.inf
