"""`compare`: one model fitted by MLE, MAP and NUTS, and the `Comparison` that holds the fits."""

from __future__ import annotations

import contextlib
import html
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from inference_compare._io import atomic_path
from inference_compare.diagnostics import Diagnostic, diagnostics_from_json
from inference_compare.errors import FitFailedError
from inference_compare.methods import fit_bayes, fit_map, fit_mle
from inference_compare.methods._laplace import _observed
from inference_compare.methods._marginal import fitting_functions
from inference_compare.methods._objective import LARGE_DATA, _data_size
from inference_compare.priors import check_model
from inference_compare.rewrites import large_data_rewrite
from inference_compare.validate import METHODS, check_ci_prob, check_methods

__all__ = ["Comparison", "compare", "load"]

#: Columns of `Comparison.table`, in order (ess_bulk, ess_tail and r_hat are NaN for mle/map).
TABLE_COLUMNS = [
    "parameter",
    "method",
    "estimate",
    "sd",
    "lower",
    "upper",
    "interval",
    "ess_bulk",
    "ess_tail",
    "r_hat",
    "status",
]


def _versions() -> dict[str, str]:
    import arviz_base
    import arviz_stats
    import pytensor
    import scipy

    from inference_compare import __version__

    out = {
        "inference_compare": __version__,
        "pymc": pm.__version__,
        "pytensor": pytensor.__version__,
        "arviz_base": arviz_base.__version__,
        "arviz_stats": arviz_stats.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "xarray": xr.__version__,
        "pandas": pd.__version__,
    }
    try:
        import nutpie

        out["nutpie"] = nutpie.__version__
    except ImportError:  # pragma: no cover - optional sampler
        pass
    return out


def _flat(ds: xr.Dataset) -> pd.Series:
    """Flatten a Dataset without sample dims to a Series indexed by ArviZ labels."""
    from arviz_base import dataset_to_dataframe

    frame = dataset_to_dataframe(ds.expand_dims(_s=[0]), sample_dims=["_s"])
    return frame.iloc[0].astype(float)


def _optimum_rows(fit: xr.DataTree) -> pd.DataFrame:
    estimate = _flat(fit["point_estimate"].to_dataset())
    sd = _flat(fit["standard_error"].to_dataset())
    interval = fit["interval"].to_dataset()
    lower = _flat(interval.sel(ci_bound="lower", drop=True))
    upper = _flat(interval.sel(ci_bound="upper", drop=True))
    kinds = json.loads(fit.attrs.get("interval_kind", "{}"))
    names = [label.split("[", 1)[0] for label in estimate.index]
    rows = pd.DataFrame(
        {
            "parameter": estimate.index,
            "estimate": estimate.to_numpy(),
            "sd": sd.to_numpy(),
            "lower": lower.to_numpy(),
            "upper": upper.to_numpy(),
            "interval": [kinds.get(n, "none") for n in names],
        }
    )
    if "profile_interval" in fit.children:
        profile = fit["profile_interval"].to_dataset()
        rows["profile_lower"] = _flat(profile.sel(ci_bound="lower", drop=True)).to_numpy()
        rows["profile_upper"] = _flat(profile.sel(ci_bound="upper", drop=True)).to_numpy()
    return rows


def _bayes_rows(fit: xr.DataTree, ci_prob: float, ci_kind: str) -> pd.DataFrame:
    import arviz_stats as azs

    summary = azs.summary(fit, ci_prob=ci_prob, ci_kind=ci_kind, round_to="none")
    if fit.attrs.get("status", "ok") != "ok":  # no usable posterior: no number
        summary.loc[:, :] = np.nan
    lb, ub = [c for c in summary.columns if c.endswith("_lb") or c.endswith("_ub")]
    return pd.DataFrame(
        {
            "parameter": summary.index,
            "estimate": summary["mean"].to_numpy(float),
            "sd": summary["sd"].to_numpy(float),
            "lower": summary[lb].to_numpy(float),
            "upper": summary[ub].to_numpy(float),
            "interval": ci_kind,
            "ess_bulk": summary["ess_bulk"].to_numpy(float),
            "ess_tail": summary["ess_tail"].to_numpy(float),
            "r_hat": summary["r_hat"].to_numpy(float),
        }
    )


@dataclass
class Comparison:
    """The fits of one model by several methods, and their side-by-side summaries.

    Attributes
    ----------
    fits : dict of str to xarray.DataTree
        One DataTree per method, keyed ``"mle"``, ``"map"``, ``"bayes"``.
    ci_prob : float
        Probability of every interval in the tables.
    ci_kind : {"eti", "hdi"}
        Kind of the Bayes credible interval.
    attrs : dict
        Provenance: model name, seed, versions, date.
    model : pymc.Model or None
        The model fitted (None after `load`).
    """

    fits: dict[str, xr.DataTree]
    ci_prob: float = 0.95
    ci_kind: str = "eti"
    attrs: dict[str, Any] = field(default_factory=dict)
    model: pm.Model | None = field(default=None, repr=False, compare=False)
    _table_cache: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods fitted, in canonical order."""
        return check_methods(self.fits)

    def table(self) -> pd.DataFrame:
        """Tidy table, one row per (parameter, method).

        Returns
        -------
        pandas.DataFrame
            Columns ``parameter, method, estimate, sd, lower, upper, interval, ess_bulk,
            ess_tail, r_hat``. ``estimate`` is the mode for mle/map and the posterior mean for
            bayes; ``sd`` the delta-method standard error (mle), Laplace sd (map) or posterior
            sd (bayes); ``lower``/``upper`` the ``ci_prob`` interval, of the kind named in
            ``interval`` (``wald``: on the unconstrained scale, mapped back; ``laplace_eti``:
            quantiles of the Laplace draws; ``eti``/``hdi``: credible intervals; ``profile``:
            profile likelihood, at a boundary), and ``status``: ``"ok"`` or ``"failed: why"``
            (a failed fit's numbers are NaN).

        Notes
        -----
        Computed once and cached until the fits or the interval settings change; each call
        returns a copy.
        """
        key = (
            self.ci_prob,
            self.ci_kind,
            tuple((m, id(f), len(f.children)) for m, f in self.fits.items()),
            repr(self.attrs.get("failed")),
        )
        if self._table_cache is None or self._table_cache[0] != key:
            self._table_cache = (key, self._compute_table())
        return self._table_cache[1].copy()

    def _compute_table(self) -> pd.DataFrame:
        parts = []
        for method in self.methods:
            fit = self.fits[method]
            rows = (
                _bayes_rows(fit, self.ci_prob, self.ci_kind)
                if method == "bayes"
                else _optimum_rows(fit)
            )
            rows.insert(1, "method", method)
            rows["status"] = str(fit.attrs.get("status", "ok"))
            parts.append(rows)
        labels = list(dict.fromkeys(parts[0]["parameter"])) if parts else []
        for method, reason in (self.attrs.get("failed") or {}).items():
            parts.append(
                pd.DataFrame({"parameter": labels, "method": method, "status": f"failed: {reason}"})
            )
        table = pd.concat(parts, ignore_index=True)
        extra = [c for c in ("profile_lower", "profile_upper") if c in table.columns]
        table = table.reindex(columns=TABLE_COLUMNS + extra)
        order = {p: i for i, p in enumerate(dict.fromkeys(table["parameter"]))}
        table["_p"] = table["parameter"].map(order)
        table["_m"] = table["method"].map({m: i for i, m in enumerate(METHODS)})
        table["interval"] = table["interval"].fillna("none")
        return table.sort_values(["_p", "_m"]).drop(columns=["_p", "_m"]).reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Wide table: index parameter, columns (method, statistic)."""
        table = self.table()
        stats = ["estimate", "sd", "lower", "upper"]
        wide = table.pivot(index="parameter", columns="method", values=stats)
        wide = wide.swaplevel(axis=1)
        columns = [(m, s) for m in self.methods for s in stats]
        if "bayes" in self.methods:
            columns += [("bayes", "ess_bulk"), ("bayes", "r_hat")]
            extra = table[table.method == "bayes"].set_index("parameter")[["ess_bulk", "r_hat"]]
            for stat in ("ess_bulk", "r_hat"):
                wide[("bayes", stat)] = extra[stat]
        order = list(dict.fromkeys(table["parameter"]))
        return wide.reindex(index=order, columns=pd.MultiIndex.from_tuples(columns))

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every diagnostic of every fit, in method order."""
        out: list[Diagnostic] = []
        failed = self.attrs.get("failed") or {}
        for method in [m for m in METHODS if m in self.fits or m in failed]:
            if method in failed:
                out.append(Diagnostic(method, "fit_failed", "error", str(failed[method])))
            else:
                out += diagnostics_from_json(self.fits[method].attrs.get("diagnostics"))
        return out

    def plot(self, kind: str = "forest"):
        """Draw the comparison; ``kind="forest"`` (all intervals) or ``"densities"``.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from inference_compare import plots

        if kind == "forest":
            return plots.forest(self)
        if kind == "densities":
            return plots.densities(self)
        raise ValueError(f"kind must be 'forest' or 'densities', got {kind!r}")

    def to_datatree(self) -> xr.DataTree:
        """One DataTree with a child per method (what `save` writes)."""
        root = xr.DataTree(name="comparison")
        for method in self.methods:
            root[method] = _netcdf_safe(self.fits[method])
        root.attrs = {
            **{k: _attr(v) for k, v in self.attrs.items()},
            "ci_prob": self.ci_prob,
            "ci_kind": self.ci_kind,
        }
        return root

    def save(self, path: str | os.PathLike) -> Path:
        """Write the comparison to one NetCDF file, atomically.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        pathlib.Path
        """
        path = Path(path)
        with atomic_path(path) as tmp:
            self.to_datatree().to_netcdf(tmp, engine="h5netcdf")
        return path

    def to_html(self, path: str | os.PathLike, **kwargs: Any) -> Path:
        """Write the self-contained HTML report (see `inference_compare.report`)."""
        from inference_compare.report import write_html  # the report layer sits above

        return write_html(self, path, **kwargs)

    def __str__(self) -> str:
        """Return the side-by-side table and the diagnostics as text."""
        head = f"Comparison of {', '.join(self.methods)} ({self.attrs.get('model', 'model')})"
        body = _text_table(self.table())
        notes = "\n".join(f"  {d}" for d in self.diagnostics)
        return f"{head}, {self.ci_prob:.0%} intervals\n{body}" + (
            f"\nDiagnostics:\n{notes}" if notes else ""
        )

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cols = ["parameter", "method", "estimate", "sd", "lower", "upper", "interval"]
        table = self.table()[cols].to_html(index=False, float_format=lambda v: f"{v:.4g}")
        notes = "".join(
            f"<li><b>{html.escape(d.method)} {html.escape(d.code)}</b>: "
            f"{html.escape(d.message)}</li>"
            for d in self.diagnostics
        )
        return f"<div>{table}" + (f"<ul>{notes}</ul>" if notes else "") + "</div>"


def _text_table(table: pd.DataFrame) -> str:
    """Return the table as text; a failed fit's row says why instead of numbers."""
    cols = ["parameter", "method", "estimate", "sd", "lower", "upper"]
    shown = table[cols].astype(object)
    for col in cols[2:]:  # no number (no standard error at an edge): a dash, not "nan"
        shown[col] = ["\u2013" if np.isnan(v) else f"{v:.4g}" for v in table[col]]
    failed = table["status"] != "ok"
    shown.loc[failed, "estimate"] = table.loc[failed, "status"]
    shown.loc[failed, ["sd", "lower", "upper"]] = ""
    return shown.to_string(index=False)


def _attr(value: Any) -> Any:
    if isinstance(value, str | int | float | np.number):
        return value
    return json.dumps(value, default=str)


def _netcdf_safe(tree: xr.DataTree) -> xr.DataTree:
    """Copy of ``tree`` whose object-dtype variables (nutpie's messages) are strings."""

    def fix(ds: xr.Dataset) -> xr.Dataset:
        ds = ds.copy()
        for name, var in ds.data_vars.items():
            if var.dtype == object:
                ds[name] = var.astype(str)
        return ds

    return tree.map_over_datasets(fix)


def load(path: str | os.PathLike) -> Comparison:
    """Load a comparison written by `Comparison.save`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    Comparison
    """
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    fits = {name: child for name, child in tree.children.items()}
    attrs = dict(tree.attrs)
    ci_prob = float(attrs.pop("ci_prob", 0.95))
    ci_kind = str(attrs.pop("ci_kind", "eti"))
    for key, value in attrs.items():
        if isinstance(value, str) and value[:1] in "{[":
            with contextlib.suppress(json.JSONDecodeError):  # text that only looks like JSON
                attrs[key] = json.loads(value)
    return Comparison(fits=fits, ci_prob=ci_prob, ci_kind=ci_kind, attrs=attrs)


def _spawn_seeds(random_seed: int | None) -> tuple[int, dict[str, np.random.Generator]]:
    """One generator per method, fixed by the comparison's seed whatever methods run."""
    if random_seed is None:  # a fresh seed, small enough to save and to type back in
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    else:
        seed = int(random_seed)
    children = np.random.SeedSequence(seed).spawn(3)
    return seed, {
        m: np.random.default_rng(s) for m, s in zip(("mle", "map", "bayes"), children, strict=True)
    }


def compare(
    model: pm.Model,
    methods: Iterable[str] | str = ("mle", "map", "bayes"),
    *,
    ci_prob: float = 0.95,
    ci_kind: str = "eti",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    progressbar: bool = True,
    model_name: str | None = None,
    on_step: Callable[[str], None] | None = None,
    profile: bool = False,
    sufficient_statistics: bool | str = "auto",
    latent: str | list[str] | None = "auto",
) -> Comparison:
    """Fit ``model`` by each method and return a `Comparison`.

    The MLE and MAP share one compiled set of log-density functions (their objectives differ
    only by the prior terms).

    Parameters
    ----------
    model : pymc.Model
        The model, with its informative priors. Not mutated.
    methods : sequence of {"mle", "map", "bayes"} or comma-separated str
    ci_prob : float, default 0.95
    ci_kind : {"eti", "hdi"}, default "eti"
        Kind of the Bayes credible interval.
    draws, tune, chains : int
        NUTS settings; ``draws`` is also the number of Laplace draws of mle and map.
    random_seed : int, optional
        Seeds every method (each gets its own stream, so adding a method does not change the
        others). When None, a seed is drawn and recorded in ``attrs["random_seed"]``.
    progressbar : bool, default True
        Show the sampler's progress.
    model_name : str, optional
        Recorded in ``attrs["model"]``.
    on_step : callable, optional
        Called with a short description as each method starts (progress display).
    profile : bool, default False
        Add profile-likelihood intervals to the MLE (``profile_lower``, ``profile_upper``
        columns of `Comparison.table`).
    sufficient_statistics : bool or "auto", default "auto"
        Fit a Gaussian linear likelihood through its sufficient statistics
        (`inference_compare.rewrites.gaussian_sufficient_statistics`: the same log density,
        O(p^2) instead of O(n p) per evaluation), or a logistic regression through ``X'y``
        (`inference_compare.rewrites.logistic_sufficient_statistics`: the same log density
        without the Bernoulli's per-observation branches). ``"auto"``: when the model has one of
        these forms and more than ``LARGE_DATA`` data values. Recorded in ``attrs["rewrite"]``.
    latent : "auto", list of str or None, default "auto"
        Variables that the MLE and MAP integrate out (Laplace approximation): ``"auto"``, the
        free variables whose prior depends on another free variable (centred group effects);
        a list of names (needed for non-centred forms); None, none (every prior flat for the
        MLE). Recorded in ``attrs["latent"]`` and ``attrs["latent_rule"]``. Bayes samples
        every variable whatever this is.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import inference_compare as ic
    >>> module = ic.load_model("coin_flip")
    >>> cmp = ic.compare(module.build(module.DATA), random_seed=1, progressbar=False)
    >>> cmp.table()  # doctest: +SKIP
    """
    methods = check_methods(methods)
    check_ci_prob(ci_prob)
    if ci_kind not in ("eti", "hdi"):
        raise ValueError(f"ci_kind must be 'eti' or 'hdi', got {ci_kind!r}")
    seed, rngs = _spawn_seeds(random_seed)
    step = on_step or (lambda _msg: None)
    fits: dict[str, xr.DataTree] = {}
    fit_model, rewrite = _fitting_model(model, sufficient_statistics)
    functions = None
    if {"mle", "map"} & set(methods):
        step("compiling log-likelihood and log-prior")
        functions = fitting_functions(fit_model, latent)
    settings = {
        "ci_prob": ci_prob,
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "progressbar": progressbar,
        "profile": profile,
    }
    failed: dict[str, str] = {}
    for method in methods:
        step(f"fitting {method}")
        try:
            fits[method] = _fit_one(method, fit_model, functions, rngs[method], step, settings)
            if fit_model is not model:  # the data, as the user's model holds them
                fits[method]["observed_data"] = _observed(model)
        except FitFailedError as exc:  # keep the other methods' answers; say why this one failed
            failed[method] = exc.reason
    if not fits:
        raise FitFailedError(", ".join(failed), "; ".join(failed.values()))
    attrs = {
        "model": model_name or getattr(model, "name", "") or "model",
        "random_seed": seed,
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    if failed:
        attrs["failed"] = failed
    if rewrite:
        attrs["rewrite"] = rewrite
    if functions is not None:
        attrs["latent"] = list(getattr(functions, "latent", []))
        attrs["latent_rule"] = "auto" if latent == "auto" else "given"
    return Comparison(fits=fits, ci_prob=ci_prob, ci_kind=ci_kind, attrs=attrs, model=model)


def _fitting_model(model: pm.Model, sufficient_statistics: bool | str) -> tuple[pm.Model, str]:
    """Return the model the methods fit: the user's, or its exact rewrite (and its name)."""
    if sufficient_statistics not in (True, False, "auto"):
        raise ValueError(
            f"sufficient_statistics must be True, False or 'auto', got {sufficient_statistics!r}"
        )
    if sufficient_statistics is False:
        return model, ""
    if sufficient_statistics == "auto" and _data_size(model) <= LARGE_DATA:
        return model, ""
    check_model(model)
    found = large_data_rewrite(model)
    return found if found is not None else (model, "")


def _fit_one(method, model, functions, rng, step, settings) -> xr.DataTree:
    """Fit one method with the comparison's settings."""
    if method == "bayes":
        return fit_bayes(
            model,
            ci_prob=settings["ci_prob"],
            draws=settings["draws"],
            tune=settings["tune"],
            chains=settings["chains"],
            random_seed=rng,
            progressbar=settings["progressbar"],
        )
    fitter = fit_mle if method == "mle" else fit_map
    options = {"profile": settings["profile"]} if method == "mle" else {}
    return fitter(
        model,
        ci_prob=settings["ci_prob"],
        draws=settings["draws"],
        random_seed=rng,
        functions=functions,
        callback=lambda attempt: step(f"{method}: {attempt}"),
        **options,
    )
