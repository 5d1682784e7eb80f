"""Data sets for studies, drawn from the model itself at its truth.

The model is declared once: a replicate's covariates come from the model file's
``design(n, rng)``, and its outcomes are drawn from the observed variables of
``pm.do(model, TRUTH)`` (or, for calibration studies, at a truth drawn from the prior). The
forward sampler is compiled once; replicates only swap data (resizing the dims of the data
for another sample size: `Simulator.resize`) and reseed.

A hierarchical model's latent variables (the model file's ``LATENT``, else those
``latent="auto"`` finds: its group effects) are not fixed by ``TRUTH``: each replicate draws
them from their distribution given the top-level truth, then the outcomes given them, as the
model says data arise. Their drawn values are that replicate's truth for them.
"""

from __future__ import annotations

import hashlib
from types import ModuleType

import numpy as np
import pymc as pm
from pymc.pytensorf import compile as compile_pymc
from pymc.pytensorf import find_rng_nodes, reseed_rngs
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.traversal import ancestors, graph_inputs
from pytensor.tensor.variable import TensorConstant

from inference_compare.errors import ModelError
from inference_compare.priors import latent_variables
from inference_compare.seeds import spawn

__all__ = [
    "Simulator",
    "changed_dims",
    "data_containers",
    "replicate_seeds",
    "set_model_data",
    "size_free",
    "study_latent",
]

#: Independent streams per replicate: data, then one per method.
STREAMS = ("data", "mle", "map", "bayes")


def replicate_seeds(seed: int, size: int, replicate: int) -> dict[str, np.random.Generator]:
    """Return the generators of one replicate, fixed by (study seed, size, replicate) alone.

    Any replicate can therefore be re-run on its own and give the same numbers, in any order
    and on any worker.
    """
    return spawn([seed, size, replicate], STREAMS)


def size_free(model: pm.Model, dims: set[str]) -> bool:
    """Return True when no free variable's or deterministic's shape depends on ``dims``.

    Then one compiled set of functions fits data sets in which only the lengths of ``dims``
    (the rows) differ. Judged on the graphs of the shapes: they must not read the length of
    one of ``dims`` or any data container.
    """
    sized = {id(model.dim_lengths[d]) for d in dims} | {id(v) for v in model.data_vars}
    shapes = [v.shape for v in (*model.free_RVs, *model.deterministics)]
    return not any(id(v) in sized for v in ancestors(shapes))


def same_apart_from_data(old: pm.Model, new: pm.Model, dims: set[str]) -> bool:
    """Whether ``new`` is ``old`` with other data: the same graph constants and other dims.

    A model file may size a part of its model from the data in Python (``J = g.max() + 1``
    group effects, or a covariate held as a NumPy array instead of a ``pm.Data`` container):
    the graph then holds that size or those values as constants, which a compiled function
    keeps. ``old``'s compiled functions can fit ``new``'s data only when every constant of the
    two log densities and deterministics is the same (shape and value), and every dim other
    than ``dims`` (those the data containers resize) has the same coordinates.
    """
    for dim in new.coords:
        if dim in dims:
            continue
        if dim not in old.coords or _coords(old, dim) != _coords(new, dim):
            return False
    return _constants(old) == _constants(new)


def _coords(model: pm.Model, dim: str) -> tuple:
    """Return the coordinate values of ``dim`` in ``model``, or ``(length,)`` where none."""
    values = model.coords[dim]
    if values is None:  # a dim without coordinate values: its length
        return (int(np.asarray(model.dim_lengths[dim].eval())),)
    return tuple(values)


def _constants(model: pm.Model) -> list[str]:
    """Digests of every constant of the model's log density and deterministics, sorted."""
    graphs = [model.logp(), *model.deterministics]
    found = []
    for var in ancestors(graphs):
        if isinstance(var, TensorConstant):
            data = np.ascontiguousarray(var.data)
            head = f"{data.dtype.str}{data.shape}".encode()
            found.append(hashlib.sha256(head + data.tobytes()).hexdigest())
    return sorted(found)


def changed_dims(model: pm.Model, shapes: dict[str, np.ndarray]) -> dict[str, int] | None:
    """Return the new lengths of the dims of ``model`` that data of these ``shapes`` change.

    None when such a dim's length is fixed (not a shared variable): the model cannot resize.
    """
    out = {}
    for name, value in shapes.items():
        for dim, n in zip(model.named_vars_to_dims.get(name) or (), np.shape(value)):
            length = model.dim_lengths.get(dim)
            if not isinstance(length, SharedVariable):
                return None
            if int(length.get_value()) != n:
                out[dim] = n
    return out


def set_model_data(
    model: pm.Model, containers: dict[str, np.ndarray], shapes: dict | None = None
) -> None:
    """``pm.set_data``, first resizing the dims whose number of rows has changed.

    ``shapes`` (default: ``containers``): arrays, by container name, whose shapes give the dims'
    new lengths (all of a replicate's data, where only some are set).
    """
    for dim, n in (changed_dims(model, containers if shapes is None else shapes) or {}).items():
        model.set_dim(dim, n, coord_values=np.arange(n))
    pm.set_data(containers, model=model)


def data_containers(model: pm.Model) -> dict[str, np.ndarray]:
    """Return the current values of a model's ``pm.Data`` containers, by name."""
    return {v.name: np.asarray(v.get_value()) for v in model.data_vars}


def observed_containers(model: pm.Model) -> dict[str, str]:
    """Map each observed variable to the name of the ``pm.Data`` container holding its data."""
    out = {}
    for rv in model.observed_RVs:
        value = model.rvs_to_values[rv]
        shared = [v for v in graph_inputs([value]) if isinstance(v, SharedVariable)]
        if len(shared) == 1:  # the container itself, or a cast of it
            value = shared[0]
        if not isinstance(value, SharedVariable):
            raise ModelError(
                f"observed variable {rv.name!r} holds its data as a constant: for studies, "
                "pass the data as a pm.Data container (observed=pm.Data(...)) so that "
                "replicates can swap it without recompiling"
            )
        out[rv.name] = str(value.name)
    return out


def study_latent(module: ModuleType, model: pm.Model) -> list[str]:
    """Return the latent variables of a model file's model: its ``LATENT``, else "auto"'s."""
    return latent_variables(model, getattr(module, "LATENT", "auto"))


def truth_values(
    module: ModuleType, model: pm.Model, drawn: tuple[str, ...] = ()
) -> dict[str, np.ndarray]:
    """Return the model file's ``TRUTH`` for every free variable, checked against the model.

    A scalar truth of a vector variable sets every element to that value. The variables in
    ``drawn`` (latent variables, drawn per replicate) need no truth and get none.
    """
    truth = getattr(module, "TRUTH", None)
    if truth is None or not hasattr(module, "design"):
        raise ModelError(
            f"model {module.__name__} defines no TRUTH and design(n, rng): both are needed "
            "for studies"
        )
    free = [rv.name for rv in model.free_RVs if rv.name not in drawn]
    missing = [name for name in free if name not in truth]
    if missing:
        unknown = [name for name in truth if name not in free and name not in drawn]
        also = f"; it names {unknown}, which the model does not have" if unknown else ""
        raise ModelError(f"TRUTH of {module.__name__} lacks {missing}{also}")
    out = {}
    for rv in model.free_RVs:  # a scalar truth of a vector: every element
        if rv.name in drawn:
            continue
        value = np.asarray(truth[rv.name], dtype=float)
        out[rv.name] = (
            np.broadcast_to(value, tuple(rv.shape.eval())) if value.ndim == 0 and rv.ndim else value
        )
    return out


def _check_design_in_containers(
    module: ModuleType, template: pm.Model, size: int, seed: int
) -> None:
    """Refuse a model whose replicates' designs differ outside its ``pm.Data`` containers.

    Each replicate swaps the containers' values in models compiled once; a value that
    ``design()`` draws anew for each replicate but the model holds as a NumPy array would stay
    the first replicate's: the study would silently fit another design than the one written.
    """
    first = module.design(size, replicate_seeds(seed, size, 0)["data"])
    second = module.design(size, replicate_seeds(seed, size, 1)["data"])
    if same_apart_from_data(template, module.build(second), set()):
        return
    drawn = [k for k in first if not np.array_equal(np.asarray(first[k]), np.asarray(second[k]))]
    culprits = [  # the columns that alone change the model's constants
        k
        for k in drawn
        if not same_apart_from_data(template, module.build({**first, k: second[k]}), set())
    ]
    what = ", ".join(map(repr, culprits)) if culprits else "some values"
    raise ModelError(
        f"model {module.__name__}: design() draws {what} anew for each replicate, but build() "
        "holds it as a NumPy array, not a pm.Data container: a study would fit the first "
        "replicate's values every time. Wrap it in pm.Data in build()"
    )


class Simulator:
    """Draws the data sets of one sample size.

    Parameters
    ----------
    module : module
        The model file.
    size : int
        Number of rows ``n`` passed to ``design``.
    seed : int
        The study seed.
    truth : {"fixed", "prior"}
        ``"fixed"``: outcomes at the model file's ``TRUTH``; ``"prior"``: at a truth drawn from
        the prior for each replicate (simulation-based calibration).
    """

    def __init__(self, module: ModuleType, size: int, seed: int, truth: str = "fixed") -> None:
        self.module, self.size, self.seed, self.truth = module, size, seed, truth
        template = module.build(module.design(size, replicate_seeds(seed, size, 0)["data"]))
        self.latent = study_latent(module, template)
        self.fixed_truth = truth_values(module, template, drawn=tuple(self.latent))
        self.observed = observed_containers(template)
        _check_design_in_containers(module, template, size, seed)
        # starting values do not matter for simulation, and pm.do refuses models that set them
        template.rvs_to_initial_values = dict.fromkeys(template.rvs_to_initial_values)
        self.truth_model = pm.do(template, self.fixed_truth)
        outputs = [self.truth_model[name] for name in [*self.observed, *self.latent]]
        self._rngs = find_rng_nodes(outputs)
        self._draw = compile_pymc(inputs=[], outputs=outputs)
        prior = module.build(module.design(size, replicate_seeds(seed, size, 0)["data"]))
        self._prior_rngs = find_rng_nodes(prior.free_RVs)
        self._prior_names = [rv.name for rv in prior.free_RVs]
        self._draw_prior = compile_pymc(inputs=[], outputs=list(prior.free_RVs))

    def resize(self, size: int) -> None:
        """Draw data sets of ``size`` rows from now on, with the same compiled sampler.

        Only for models whose free variables' shapes do not depend on the size
        (`size_free`): the truth keeps its shape.
        """
        self.size = size

    def replicate(self, replicate: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Return (data containers of the fitting model, truth) for one replicate."""
        rng = replicate_seeds(self.seed, self.size, replicate)["data"]
        data = self.module.design(self.size, rng)
        containers = data_containers(self.module.build(data))
        truth = self.fixed_truth
        if self.truth == "prior":
            reseed_rngs(self._prior_rngs, int(rng.integers(2**31 - 1)))
            truth = dict(zip(self._prior_names, map(np.asarray, self._draw_prior()), strict=True))
        covariates = {k: v for k, v in containers.items() if k not in self.observed.values()}
        known = {v.name for v in self.truth_model.data_vars}
        set_model_data(
            self.truth_model,
            {k: v for k, v in {**covariates, **truth}.items() if k in known},
            shapes=containers,
        )
        reseed_rngs(self._rngs, int(rng.integers(2**31 - 1)))
        draws = self._draw()
        for container, value in zip(self.observed.values(), draws, strict=False):
            containers[container] = np.asarray(value)
        if self.latent:  # this replicate's group effects, drawn given the top-level truth
            drawn = draws[len(self.observed) :]
            truth = {**truth, **dict(zip(self.latent, map(np.asarray, drawn), strict=True))}
        return containers, truth
