"""The marginal likelihood of a hierarchical model: its latent variables integrated out.

For a model with top-level parameters ``theta`` (unconstrained: ``x``) and latent variables
``u`` (group effects; unconstrained ``v``), the joint log density that is integrated is

    f(x, v) = log p(y | u, theta) + log p(u | theta) + log |du/dv|

(the likelihood terms, the latent variables' conditional prior and the Jacobian of their value
transforms, so that the integral over ``v`` is the integral over ``u``). The marginal
log-likelihood is approximated by Laplace's method at the conditional mode ``v*(x)``:

    log p(y | theta) ~= f(x, v*) + (d / 2) log(2 pi) - (1 / 2) log det(-H_vv)

which is exact when ``f`` is quadratic in ``v`` (Gaussian-linear models: random intercepts and
slopes, the eight schools). ``v*`` is found by Newton's method with the exact Hessian ``H_vv``.

Its gradient is exact, by implicit differentiation of the inner optimum:
``dv*/dx = -H_vv^-1 H_vx``, and the gradient of ``log det(-H_vv)`` is the trace
``tr(M dH/dz)`` with ``M = (-H_vv)^-1`` held fixed, which reverse-mode differentiation of the
scalar ``sum(M * -H_vv)`` gives at the cost of one Hessian (no third-derivative tensor). The
Hessian of the marginal log-likelihood, used by the optimiser and for standard errors, is the
central difference of that exact gradient (relative step `FD_STEP`: about 7 correct digits).

**Adaptive Gauss-Hermite quadrature** (``nagq = K > 1``, as lme4's ``nAGQ``) for scalar
group effects: where ``H_vv`` is diagonal the integrand factorises over the groups, ``f(x, v) =
c(x) + sum_j g_j(v_j)``, and each group's integral is taken by K-point Gauss-Hermite quadrature
centred at its conditional mode and scaled by its conditional sd ``s_j = (-h_jj)^(-1/2)``:

    log p(y | theta) ~= f(x, v*) + sum_j [log(sqrt(2) s_j)
                        + log sum_k w_k exp(z_k^2) exp(D_jk)],
    D_jk = f(x, v* + sqrt(2) s_j z_k e_j) - f(x, v*)

(``z_k``, ``w_k``: the nodes and weights for ``exp(-z^2)``; K = 1 is the Laplace
approximation). Its gradient is exact too: with the nodes' weights ``pi_jk`` (a softmax over
k), the partial derivatives in ``x`` and ``v*`` at fixed ``s`` come from the gradients of ``f``
at the nodes, and the derivative through ``s_j`` is the trace term above with ``M`` replaced
by the diagonal matrix of ``-s_j^3 / 2 dL/ds_j``. The node values and gradients are computed
in one vectorised call over the ``J K`` nodes. Each node moves one group only (the joint density
gives no per-group terms), so that call evaluates ``J K + 1`` full densities: its cost grows as
``J^2 K``, fine for hundreds of groups, slow for tens of thousands.

`MarginalFunctions` offers the interface of `ModelFunctions` over ``x`` alone, with
``terms(x)`` returning the marginal log-likelihood as the "log-likelihood" and the top-level
priors as the "log-prior": the optimiser, the diagnostics, the Laplace step and the profile
intervals work on it unchanged. The MLE maximises the marginal likelihood (top-level priors
flat on their support; the latent variables keep their conditional prior); the MAP maximises
it times the top-level priors (the mode of the marginal posterior).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import scipy.special
from pymc.blocking import DictToArrayBijection
from pymc.logprob.utils import ParameterValueError
from pymc.pytensorf import join_nonshared_inputs
from pytensor.graph.replace import graph_replace, vectorize_graph
from pytensor.graph.traversal import ancestors

from inference_compare._traces import compiling
from inference_compare.errors import ModelError, UsageError
from inference_compare.methods._objective import (
    LastCall,
    ModelFunctions,
    XIndex,
    forward_jacobian,
    model_functions,
    variable_layout,
)
from inference_compare.methods._reuse import Kept, copy_reading, labels_of, structure_of
from inference_compare.priors import check_model, latent_variables, likelihood_terms

__all__ = [
    "MAX_NAGQ",
    "MarginalFunctions",
    "check_nagq",
    "fitting_functions",
    "marginal_functions",
    "probably_kept",
]

#: The inner Newton iteration stops when half its Newton decrement is below this.
INNER_TOL = 1e-18
#: Largest number of inner Newton steps.
MAX_INNER_STEPS = 200
#: Relative step of the central differences that give the marginal Hessian.
FD_STEP = 1e-5
#: Largest number of quadrature points per group (``nagq``), as lme4's limit.
MAX_NAGQ = 25


@dataclass(frozen=True, slots=True)
class _Conditional:
    """The conditional mode of the latent variables at one ``x``, and what it gives."""

    v: np.ndarray  # unconstrained conditional mode
    cov: np.ndarray  # (-H_vv)^-1: the conditional covariance of v
    loglik: float  # marginal log-likelihood (Laplace or quadrature)
    logprior: float
    grad_ll: np.ndarray
    grad_lp: np.ndarray
    hess_lp: np.ndarray
    dv_dx: np.ndarray


@dataclass(frozen=True, slots=True)
class _Values:
    """The model's values at ``x``, the latent variables at their conditional mode."""

    flat: np.ndarray
    jac_x: np.ndarray  # total derivative of the values with respect to x (through v*)
    jac_v: np.ndarray  # partial derivative of the values with respect to v


@dataclass(eq=False)
class MarginalFunctions(XIndex):
    """Compiled Laplace-marginal log density over the top-level parameters ``x``.

    Same interface as `ModelFunctions` (``terms``, ``hessians``, ``values``, ``values_only``,
    ``variables``, ``x0``, ``x_names``, ``n_free``, ``value_point``). ``variables`` lists the
    top-level free variables (``free=True``), then the latent variables and the deterministics
    (``free=False``), evaluated at the conditional mode of the latent variables.
    ``conditional_names`` are the latent variables and the deterministics computed from them:
    they are reported conditionally on the top-level estimates. ``nagq`` is the number of
    adaptive Gauss-Hermite points per group (1: the Laplace approximation). ``diagonal``:
    the latent Hessian is diagonal (scalar group effects), which quadrature needs.
    """

    latent: list[str]
    conditional_names: list[str]
    v0: np.ndarray
    _inner: Any = field(repr=False)
    _outer: Any = field(repr=False)
    _report: Any = field(repr=False)
    _values_at: Any = field(repr=False)
    _latent_map_info: Any = field(repr=False)
    _graphs: Any = field(repr=False)
    diagonal: bool = False
    nagq: int = 1
    _nodes: Any = field(default=None, repr=False)
    _warm: np.ndarray | None = field(default=None, repr=False)
    # per object: a copy by `replace` (another nagq) starts with nothing cached
    _last: LastCall[_Conditional | None] = field(default_factory=LastCall, init=False, repr=False)
    _last_hessian: LastCall[tuple[np.ndarray, np.ndarray]] = field(
        default_factory=LastCall, init=False, repr=False
    )
    _last_values: LastCall[_Values | None] = field(default_factory=LastCall, init=False, repr=False)

    # ------------------------------------------------------------------ the inner problem
    def _solve(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Conditional mode ``v*`` and ``-H_vv`` there; None where it does not exist."""
        starts = [self.v0] if self._warm is None else [self._warm, self.v0]
        for v in starts:
            found = _newton(self._inner, x, v.copy())
            if found is not None:
                self._warm = found[0]
                return found
        return None

    def conditional(self, x: np.ndarray) -> _Conditional | None:
        """Everything at ``x``, the latent variables at their conditional mode (cached)."""
        return self._last.get(x, self._conditional)

    def _conditional(self, x: np.ndarray) -> _Conditional | None:
        with np.errstate(all="ignore"):
            try:
                found = self._solve(x)
                if found is None:
                    return None
                v, neg_h = found
                chol = np.linalg.cholesky(neg_h)
                cov = np.linalg.inv(neg_h)  # numpy's: scipy's cho_solve is slower here
                outs = [np.asarray(o) for o in self._outer(x, v, cov)]
            except (ParameterValueError, np.linalg.LinAlgError, ValueError):
                return None
        f, g_x, g_v, h_vx, s_x, s_v, lp, g_lp, h_lp = outs
        dv_dx = cov @ np.atleast_2d(h_vx)
        if self.nagq > 1:
            try:
                loglik, grad = self._quadrature(x, v, np.diag(neg_h), dv_dx)
            except ParameterValueError:
                return None
        else:
            log_det = 2.0 * np.sum(np.log(np.diag(chol)))
            loglik = float(f) + 0.5 * v.size * np.log(2 * np.pi) - 0.5 * log_det
            grad = g_x + g_v @ dv_dx - 0.5 * (s_x + s_v @ dv_dx)
        return _Conditional(v, cov, loglik, float(lp), grad, g_lp, h_lp, dv_dx)

    def value_jacobians(self, x: np.ndarray) -> _Values | None:
        """Return the values at ``x`` and their Jacobians, latent variables at their mode."""
        return self._last_values.get(x, self._value_jacobians)

    def _value_jacobians(self, x: np.ndarray) -> _Values | None:
        c = self.conditional(x)
        if c is None:
            return None
        with np.errstate(all="ignore"):
            flat, jx, jv = (np.asarray(o) for o in self._report(x, c.v)[:3])
        jv = np.atleast_2d(jv)
        return _Values(flat, np.atleast_2d(jx) + jv @ c.dv_dx, jv)

    def _quadrature(
        self, x: np.ndarray, v: np.ndarray, curvature: np.ndarray, dv_dx: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Adaptive Gauss-Hermite marginal log-likelihood and its exact gradient (docstring).

        ``curvature`` is the diagonal of ``-H_vv`` at the conditional mode ``v``.
        """
        z, w = np.polynomial.hermite.hermgauss(self.nagq)
        n_groups, n_nodes = v.size, z.size
        s = 1.0 / np.sqrt(curvature)
        offset = np.sqrt(2.0) * s[:, None] * z[None, :]  # (group, node)
        nodes = np.tile(v, (n_groups * n_nodes + 1, 1))  # the last row: the mode itself
        groups = np.repeat(np.arange(n_groups), n_nodes)
        nodes[np.arange(groups.size), groups] += offset.ravel()
        f, g_x, g_v = (np.asarray(o) for o in self.nodes(x, nodes))
        f0, g_x0, g_v0 = f[-1], g_x[-1], g_v[-1]
        a = np.log(w) + z**2 + (f[:-1] - f0).reshape(n_groups, n_nodes)
        pi = scipy.special.softmax(a, axis=1).ravel()[:, None]
        loglik = f0 + np.sum(0.5 * np.log(2.0) + np.log(s) + scipy.special.logsumexp(a, axis=1))
        d_x = g_x0 + np.sum(pi * (g_x[:-1] - g_x0), axis=0)
        d_v = g_v0 + np.sum(pi * (g_v[:-1] - g_v0), axis=0)
        slope = g_v[np.arange(groups.size), groups].reshape(n_groups, n_nodes)
        d_s = 1.0 / s + np.sum(pi.reshape(n_groups, n_nodes) * slope * np.sqrt(2.0) * z, axis=1)
        weights = np.diag(-0.5 * s**3 * d_s)  # d(-h_jj) weights of the trace term
        s_x, s_v = (np.asarray(o) for o in self._outer(x, v, weights)[4:6])
        return float(loglik), d_x + s_x + (d_v + s_v) @ dv_dx

    def nodes(self, x: np.ndarray, v_rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """Return ``f``, its gradient in ``x`` and in ``v`` at each row of ``v_rows``."""
        return self._nodes(np.asarray(x, float), np.asarray(v_rows, float))

    # ------------------------------------------------------------ the ModelFunctions interface
    def data_changed(self) -> None:
        """Forget cached evaluations: call after ``pm.set_data`` on the model."""
        for cache in (self._last, self._last_hessian, self._last_values):
            cache.clear()
        self._warm = None

    def terms(self, x: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Return ``(marginal loglik, top-level logprior, their gradients)`` at ``x``."""
        c = self.conditional(x)
        if c is None:
            nan = np.full(np.shape(x), np.nan)
            return -np.inf, -np.inf, nan, nan
        return c.loglik, c.logprior, c.grad_ll, c.grad_lp

    def hessians(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the Hessians of the marginal log-likelihood and of the top-level log-prior.

        The first is the central difference of the exact gradient (`FD_STEP`), the second exact.
        """
        return self._last_hessian.get(x, self._hessians)

    def _hessians(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nan = np.full((x.size, x.size), np.nan)
        c = self.conditional(x)
        if c is None:
            return nan, nan
        hess = np.empty((x.size, x.size))
        for k in range(x.size):
            h = FD_STEP * max(1.0, abs(x[k]))
            step = np.zeros_like(x)
            step[k] = h
            up, down = self._conditional(x + step), self._conditional(x - step)
            if up is None or down is None:
                hess = nan
                break
            hess[:, k] = (up.grad_ll - down.grad_ll) / (2 * h)
        hess = (hess + hess.T) / 2
        self._warm = c.v
        return hess, c.hess_lp

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the raveled values and their total Jacobian with respect to ``x``.

        The latent variables sit at their conditional mode, which moves with ``x``.
        """
        values = self.value_jacobians(x)
        if values is None:
            raise ValueError("the marginal log density is not defined at this point")
        return values.flat, values.jac_x

    def values_only(self, x: np.ndarray) -> np.ndarray:
        """Raveled values at ``x``, the latent variables at their conditional mode."""
        x = np.asarray(x, dtype=float)
        found = self._solve(x)
        if found is None:
            return np.full(self.variables[-1].stop, np.nan)
        return self.values_at(x, found[0])

    def values_at(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Raveled values at top-level ``x`` and unconstrained latent values ``v``."""
        return np.asarray(self._values_at(np.asarray(x, float), np.asarray(v, float)))

    def value_point(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Return the model's full value point at ``x``, the latent variables at their mode."""
        found = self._solve(np.asarray(x, dtype=float))
        v = self.v0 if found is None else found[0]
        point = {}
        for data, info in ((x, self._point_map_info), (v, self._latent_map_info)):
            raveled = pm.blocking.RaveledVars(np.asarray(data), info)
            point.update(DictToArrayBijection.rmap(raveled))
        return point


def _newton(inner, x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Maximise ``f(x, .)`` from ``v`` by damped Newton steps; (v*, -H_vv) or None.

    Where ``-H_vv`` is not positive definite, the step uses it shifted by its smallest
    eigenvalue (a Levenberg step); the mode is accepted only where ``-H_vv`` is positive
    definite and half the Newton decrement is below `INNER_TOL` (or no longer falls). Where a
    distribution's parameter leaves its domain (a group scale underflowing to 0 far out in the
    top-level space), or ``H_vv`` is lost to rounding there (a step that cannot be solved),
    there is no mode: None.
    """
    try:
        return _newton_steps(inner, x, v)
    except (ParameterValueError, np.linalg.LinAlgError):
        return None


def _newton_steps(inner, x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    f, g, h = (np.asarray(o) for o in inner(x, v))
    last_dec = np.inf
    for _ in range(MAX_INNER_STEPS):
        if not (np.isfinite(f) and np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
            return None
        neg_h = -np.atleast_2d(h)
        step, concave = _step(neg_h, g)
        dec = float(g @ step) / 2
        if concave and (dec < INNER_TOL or dec >= last_dec):
            return v, neg_h
        last_dec = dec if concave else np.inf
        t = 1.0
        while t > 1e-12:
            f_new, g_new, h_new = (np.asarray(o) for o in inner(x, v + t * step))
            if np.isfinite(f_new) and (f_new >= f + 1e-4 * t * dec or (dec < 1e-8 and t == 1)):
                break
            t /= 2
        else:
            return (v, neg_h) if concave else None
        v, f, g, h = v + t * step, f_new, g_new, h_new
    return None


def _step(neg_h: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, bool]:
    """Newton step ``(-H)^-1 g``; shifted to a positive definite matrix where ``-H`` is not."""
    try:
        np.linalg.cholesky(neg_h)
        return np.linalg.solve(neg_h, g), True
    except np.linalg.LinAlgError:
        eig = np.linalg.eigvalsh(neg_h)
        # relative to the largest magnitude: beside an eigenvalue of -1e89 an absolute 1e-6
        # is lost to rounding and the shifted matrix is singular
        shift = -eig[0] + 1e-6 * max(1.0, abs(eig[0]), abs(eig[-1]))
        return np.linalg.solve(neg_h + shift * np.eye(len(g)), g), False


#: Compiled marginal functions per model object and latent set (weakly keyed, as the engine's).
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def marginal_functions(model: pm.Model, latent: list[str], nagq: int = 1) -> MarginalFunctions:
    """Return the compiled Laplace-marginal functions of ``model``, compiling on first use.

    Parameters
    ----------
    model : pymc.Model
        The user's model (not mutated).
    latent : list of str
        The free variables to integrate out (see `inference_compare.priors.latent_variables`).
    nagq : int, default 1
        Adaptive Gauss-Hermite points per group (1: the Laplace approximation); more than one
        needs scalar group effects (a diagonal ``H_vv``), see `check_nagq`.

    Returns
    -------
    MarginalFunctions
    """
    check_nagq(nagq)
    key = (tuple(model.named_vars), tuple(latent))
    per_model = _COMPILED.setdefault(model, {})
    if key not in per_model:
        per_model.clear()  # a variable added since: compile again
        per_model[key] = _compiled_or_kept(model, list(latent))
    if (key, nagq) not in per_model:
        base = per_model[key]
        if nagq > 1:
            _check_scalar_groups(base)
        with compiling(model):
            nodes = None if nagq == 1 else _compile_nodes(base._graphs)
        per_model[(key, nagq)] = base if nagq == 1 else replace(base, nagq=nagq, _nodes=nodes)
    functions = per_model[(key, nagq)]
    functions.data_changed()
    return functions


def fitting_functions(
    model: pm.Model, latent: str | list[str] | None, nagq: int = 1
) -> ModelFunctions | MarginalFunctions:
    """Return the functions the MLE and MAP maximise (marginal when there are latent variables).

    Parameters
    ----------
    model : pymc.Model
    latent : "auto", list of str or None
        See `inference_compare.priors.latent_variables`.
    nagq : int, default 1
        Adaptive Gauss-Hermite points per group for the marginal (1: Laplace); see
        `marginal_functions`. Without latent variables there is nothing to integrate: more
        than 1 is refused.

    Raises
    ------
    UsageError
        ``nagq`` > 1 for a model without latent variables.
    """
    check_model(model)
    check_nagq(nagq)
    names = latent_variables(model, latent)
    if nagq > 1 and not names:
        raise UsageError(
            f"nagq={nagq} sets how the MLE and MAP integrate group effects out, but this model "
            "has no latent variables to integrate (none found, or latent=None): drop it"
        )
    return marginal_functions(model, names, nagq) if names else model_functions(model)


def check_nagq(nagq: int) -> None:
    """Refuse a number of quadrature points that is not an integer in [1, `MAX_NAGQ`]."""
    whole = isinstance(nagq, int | np.integer) and not isinstance(nagq, bool)
    if not whole or not 1 <= nagq <= MAX_NAGQ:
        raise UsageError(f"nagq must be an integer from 1 to {MAX_NAGQ}, got {nagq!r}")


def _check_scalar_groups(functions: MarginalFunctions) -> None:
    """Refuse quadrature unless the latent Hessian is diagonal (`_is_diagonal`)."""
    if not functions.diagonal:
        raise ModelError(
            f"nagq > 1 needs scalar group effects (one latent value per group, no term "
            f"shared between them), but the latent variables {functions.latent} are "
            "coupled (e.g. a random intercept and slope of one group, or crossed effects): "
            "use nagq=1 (the Laplace approximation)"
        )


@dataclass(frozen=True)
class _Graphs:
    """The graphs `_compile` compiles, in the model's value variables, and its initial point."""

    start: dict[str, np.ndarray]
    top_rvs: list
    latent_rvs: list
    joint: Any  # the likelihood terms and the latent variables' conditional prior
    logprior: Any  # the top-level parameters' priors
    outputs: list  # every random variable's value, then the deterministics


def _graphs(model: pm.Model, latent: list[str]) -> _Graphs:
    """Build the graphs of the Laplace marginal of ``model`` (module docstring)."""
    latent_rvs = [model[name] for name in latent]
    top_rvs = [rv for rv in model.free_RVs if rv.name not in latent]
    joint = model.logp(vars=likelihood_terms(model), jacobian=False, sum=True)
    joint = joint + model.logp(vars=latent_rvs, jacobian=True, sum=True)
    logprior = model.logp(vars=top_rvs, jacobian=False, sum=True)
    outputs = [model.replace_rvs_by_values([rv])[0] for rv in [*top_rvs, *latent_rvs]]
    outputs += model.replace_rvs_by_values(list(model.deterministics))
    return _Graphs(model.initial_point(), top_rvs, latent_rvs, joint, logprior, outputs)


#: Compiled marginal functions of the last few model structures, for a new model object of the
#: same structure (a notebook cell run again): `inference_compare.methods._reuse`.
_KEPT = Kept(size=4)


def probably_kept(model: pm.Model, latent: list[str]) -> bool:
    """Return True when the marginal functions of ``model`` are likely compiled already.

    For ``model`` itself, or kept from a model object of the same names, dims, coordinates and
    latent variables (`Kept.has_labels`: cheap, no graph built; its graphs may still differ).
    """
    key = (tuple(model.named_vars), tuple(latent))
    return key in _COMPILED.get(model, {}) or _KEPT.has_labels(labels_of(model, tuple(latent)))


def _compiled_or_kept(model: pm.Model, latent: list[str]) -> MarginalFunctions:
    """Compile the marginal functions of ``model``, or copy those of a model of its structure.

    The graphs are built within `compiling` too: with stack traces, which every rewrite merges,
    the third derivatives of an LKJ model took 6.4 GB to compile.
    """
    with compiling(model):
        graphs = _graphs(model, latent)
        structure = structure_of(
            model, tuple(latent), [graphs.joint, graphs.logprior, *graphs.outputs], graphs.start
        )
        found = _KEPT.find(structure) if structure is not None else None
        if found is not None:
            kept, swap = found
            return _reading(kept, model, swap)
        functions = _compile(model, latent, graphs)
    if structure is not None:
        _KEPT.keep(structure, functions)
    return functions


def _reading(functions: MarginalFunctions, model: pm.Model, swap: dict) -> MarginalFunctions:
    """Copy ``functions`` (of a model of the same structure) for ``model`` and its shared data."""
    x, v, *rest = functions._graphs
    return replace(
        functions,
        model=model,
        _inner=copy_reading(functions._inner, swap),
        _outer=copy_reading(functions._outer, swap),
        _report=copy_reading(functions._report, swap),
        _values_at=copy_reading(functions._values_at, swap),
        _graphs=(x, v, *(graph_replace(rest, swap) if swap else rest)),
        _nodes=None,
        _warm=None,
    )


def _compile(model: pm.Model, latent: list[str], built: _Graphs) -> MarginalFunctions:
    """Compile the inner and outer functions of the Laplace marginal (module docstring)."""
    start = built.start
    latent_rvs, top_rvs = built.latent_rvs, built.top_rvs
    top_values = [model.rvs_to_values[rv] for rv in top_rvs]
    latent_values = [model.rvs_to_values[rv] for rv in latent_rvs]
    joint, logprior, outputs = built.joint, built.logprior, built.outputs
    rvs = [*top_rvs, *latent_rvs]
    graphs, v = join_nonshared_inputs(start, [joint, logprior, *outputs], latent_values)
    [joint, logprior, *outputs], x = join_nonshared_inputs(start, graphs, top_values)
    x.name, v.name = "x", "v"
    if v in set(ancestors([logprior])):
        raise ModelError(
            f"the prior of a top-level parameter depends on the latent variables {latent}: "
            "they cannot be integrated out first. Declare the hierarchy from the top down"
        )

    flat = pt.concatenate([pt.as_tensor(o, dtype="float64").ravel() for o in outputs])
    # one cost, one wrt: a variable (pytensor's signature also allows lists, and None)
    g_v = cast(pt.TensorVariable, pytensor.grad(joint, v))
    ignore: dict[str, Any] = {"disconnected_inputs": "ignore"}
    g_x = cast(pt.TensorVariable, pytensor.grad(joint, x, **ignore))
    cov = pt.matrix("cov")
    x0, v0 = _raveled(start, top_values), _raveled(start, latent_values)
    diagonal = _is_diagonal(x, v, g_v, x0.data, v0.data)
    if diagonal:  # scalar group effects: one reverse pass gives diag(H_vv) = H_vv 1
        h_diag = cast(pt.TensorVariable, pytensor.grad(g_v.sum(), v))
        h_vv = pt.diag(h_diag)
        trace = -(pt.diagonal(cov) * h_diag).sum()
        h_vx = pytensor.gradient.jacobian(g_x, v, vectorize=True, **ignore).T
    else:
        h_vv = pytensor.gradient.jacobian(g_v, v, vectorize=True)
        trace = -(cov * h_vv).sum()
        h_vx = pytensor.gradient.jacobian(g_v, x, vectorize=True, **ignore)
    # the gradient of ``trace`` is tr(M d(-H_vv)/dz): the log-det's gradient
    s_x, s_v = cast(list[pt.TensorVariable], pytensor.grad(trace, [x, v], **ignore))
    g_lp = cast(pt.TensorVariable, pytensor.grad(logprior, x, **ignore))
    compile_kwargs: dict[str, Any] = {"on_unused_input": "ignore"}
    inner = pytensor.function([x, v], [joint, g_v, h_vv], **compile_kwargs)
    outer = pytensor.function(
        [x, v, cov],
        [
            joint,
            g_x,
            g_v,
            h_vx,
            s_x,
            s_v,
            logprior,
            g_lp,
            pytensor.gradient.jacobian(g_lp, x, vectorize=True, **ignore),
        ],
        **compile_kwargs,
    )
    # evaluated a few times per fit (at the optimum, for the report): rewriting it fully would
    # cost more than it saves
    report = pytensor.function(
        [x, v],
        [
            flat,
            forward_jacobian(flat, x),  # a value per observation: not reverse mode
            forward_jacobian(flat, v),
            *outputs,
        ],
        mode="FAST_COMPILE",
        **compile_kwargs,
    )
    values_at = pytensor.function([x, v], flat, **compile_kwargs)

    shapes = [np.shape(value) for value in report(x0.data, v0.data)[3:]]
    return MarginalFunctions(
        model=model,
        latent=list(latent),
        conditional_names=[*latent, *_dependent_deterministics(model, latent_rvs)],
        x0=np.asarray(x0.data, dtype=float),
        v0=np.asarray(v0.data, dtype=float),
        variables=variable_layout(model, [rv.name for rv in rvs], shapes, len(top_rvs)),
        _inner=inner,
        _outer=outer,
        _report=report,
        _values_at=values_at,
        _point_map_info=x0.point_map_info,
        _latent_map_info=v0.point_map_info,
        _graphs=(x, v, joint, g_x, g_v),
        diagonal=diagonal,
    )


def _raveled(start: dict, values: list):
    return DictToArrayBijection.map({val.name: start[val.name] for val in values})


#: Relative tolerance of the check that H_vv is diagonal (exact in exact arithmetic; reverse
#: mode sums the same products in another order).
DIAGONAL_RTOL = 1e-9


def _is_diagonal(x, v, g_v, x0: np.ndarray, v0: np.ndarray) -> bool:
    """Return True when ``H_vv`` is diagonal: one scalar latent value per group, uncoupled.

    Checked by Hessian-vector products at the start and at a jittered point: ``H r`` equals
    ``(H 1) * r`` for random ``r`` only when ``H`` is diagonal. A group effect sharing a term
    with another (a random intercept and slope of one group, crossed effects, a sum-to-zero
    constraint) breaks it.
    """
    r = pt.vector("r")
    hvp = pytensor.function(
        [x, v, r],
        pytensor.grad((g_v * r).sum(), v),
        mode="FAST_COMPILE",
        on_unused_input="ignore",
    )
    rng = np.random.default_rng(0)
    for point in (v0, v0 + rng.uniform(-0.5, 0.5, v0.size)):
        try:
            with np.errstate(all="ignore"):
                d = np.asarray(hvp(x0, point, np.ones_like(v0)))
                r_value = rng.uniform(0.5, 1.5, v0.size)
                hr = np.asarray(hvp(x0, point, r_value))
        except (ParameterValueError, ValueError):
            return False
        if not np.all(np.isfinite(hr)):
            return False
        if np.any(np.abs(hr - d * r_value) > DIAGONAL_RTOL * np.max(np.abs(hr), initial=1.0)):
            return False
    return True


def _compile_nodes(graphs):
    """Compile ``f``, ``df/dx`` and ``df/dv`` over a matrix of ``v`` rows (the quadrature nodes)."""
    x, v, joint, g_x, g_v = graphs
    rows = pt.matrix("v_rows")
    outputs = vectorize_graph([joint, g_x, g_v], replace={v: rows})
    return pytensor.function([x, rows], outputs, on_unused_input="ignore")


def _dependent_deterministics(model: pm.Model, latent_rvs: list) -> list[str]:
    """Deterministics computed from a latent variable (e.g. ``theta = mu + tau * z``)."""
    latent_set = set(latent_rvs)
    return [d.name for d in model.deterministics if latent_set & set(ancestors([d]))]
