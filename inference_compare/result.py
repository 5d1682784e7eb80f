"""The result layer: `Comparison` (the fits of one model by several methods) and `load`.

A `Comparison` holds the fits, the interval settings, provenance and the curves a report draws;
it computes its tables once. It imports nothing above it: plots and reports are functions of a
result (`inference_compare.plot`, `inference_compare.to_html`), not methods of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from inference_compare._io import atomic_path
from inference_compare.diagnostics import Diagnostic, diagnostics_from_json
from inference_compare.draws import (
    PosteriorStats,
    posterior_stats,
    recorded_deterministics,
    unchecked_variables,
)
from inference_compare.registry import METHODS
from inference_compare.settings import Settings
from inference_compare.validate import check_methods

if TYPE_CHECKING:
    import pymc as pm

__all__ = [
    "SHOWN_ELEMENTS_MAX",
    "TABLE_COLUMNS",
    "Comparison",
    "bayes_rows",
    "flat",
    "integrated_out_note",
    "integrating_methods",
    "left_out_sentence",
    "load",
    "optimum_rows",
    "shown_rows",
    "unread_groups_note",
    "variable_of",
]

#: Name of the saved comparison's child that holds the curves (not a method).
CURVES = "curves"
#: Name of the saved comparison's child that holds `Comparison.table` as it was computed.
TABLE = "table"
#: The saved comparison's attribute that holds its `Settings` (as JSON).
SETTINGS = "settings"
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


#: A variable of more elements than this (a ``pm.Deterministic`` with a value per observation)
#: is named, not listed, in the printed, Markdown and HTML tables and the density figures;
#: `Comparison.table`, ``summary.csv`` and the saved result keep every element.
SHOWN_ELEMENTS_MAX = 100


def variable_of(label: str) -> str:
    """Return the variable of an ArviZ label: ``beta`` of ``beta[GPA]``."""
    return label.split("[", 1)[0]


def shown_rows(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Return the rows of a `Comparison.table` a reader is shown, and what was left out.

    Returns
    -------
    rows : pandas.DataFrame
        The rows of every variable of at most `SHOWN_ELEMENTS_MAX` elements.
    left_out : dict of str to int
        The other variables, with their numbers of elements.
    """
    labels = pd.Series(list(dict.fromkeys(table["parameter"])), dtype=object)
    counts = labels.map(variable_of).value_counts()
    left_out = {str(k): int(n) for k, n in counts.items() if n > SHOWN_ELEMENTS_MAX}
    if not left_out:
        return table, {}
    keep = ~table["parameter"].map(variable_of).isin(list(left_out))
    return table[keep], left_out


def left_out_sentence(left_out: dict[str, int]) -> str:
    """Say which variables `shown_rows` left out and where their elements are."""
    names = ", ".join(f"{name} ({count:,} elements)" for name, count in left_out.items())
    return (
        f"Not listed here, too many elements: {names}; every element is in summary.csv and "
        "Comparison.table()"
    )


def integrating_methods(attrs: dict[str, Any]) -> str:
    """Name the methods that integrated the latent variables out: "the MLE and MAP", "the MAP".

    From ``attrs["integrated_by"]`` (a comparison saved before it was recorded: both).
    """
    methods = [m for m in attrs.get("integrated_by", ["mle", "map"]) if m in ("mle", "map")]
    return "the " + " and ".join(m.upper() for m in methods or ["mle", "map"])


def integrated_out_note(attrs: dict[str, Any]) -> str:
    """Say what the MLE and MAP integrated out, and what their rows of it are; "" if nothing.

    For the text and Markdown tables, which have no column for the kind of interval (the
    report says more, `inference_compare.report.html.latent_note`).
    """
    names = ", ".join(str(name) for name in attrs.get("latent") or [])
    if not names:
        return ""
    return (
        f"Integrated out by {integrating_methods(attrs)}: {names}. Their rows of {names} are "
        "conditional modes given the top-level estimates, with conditional intervals "
        "(empirical Bayes), which leave out the uncertainty of those estimates; Bayes includes it."
    )


def unread_groups_note(attrs: dict[str, Any]) -> str:
    """Say which elements no observation reads (`priors.groups_without_data`); "" if none."""
    labels = [str(label) for label in attrs.get("groups_without_data") or []]
    if not labels:
        return ""
    shown = ", ".join(labels[:10]) + (f" and {len(labels) - 10} more" if len(labels) > 10 else "")
    return (
        f"No observation reads {shown}: the data say nothing about "
        f"{'it' if len(labels) == 1 else 'them'} directly, so every method estimates "
        f"{'it' if len(labels) == 1 else 'them'} from the rest of the model alone (a group "
        "effect: the population's). A group coded from 1, or a group with no rows?"
    )


def flat(ds: xr.Dataset) -> pd.Series:
    """Flatten a Dataset without sample dims to a Series indexed by ArviZ labels."""
    from arviz_base import dataset_to_dataframe

    frame = dataset_to_dataframe(ds.expand_dims(_s=[0]), sample_dims=["_s"])
    return frame.iloc[0].astype(float)


def optimum_rows(fit: xr.DataTree) -> pd.DataFrame:
    """Rows of `Comparison.table` for an MLE or MAP fit (one per scalar parameter)."""
    estimate = flat(fit["point_estimate"].to_dataset())
    sd = flat(fit["standard_error"].to_dataset())
    interval = fit["interval"].to_dataset()
    lower = flat(interval.sel(ci_bound="lower", drop=True))
    upper = flat(interval.sel(ci_bound="upper", drop=True))
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
        rows["profile_lower"] = flat(profile.sel(ci_bound="lower", drop=True)).to_numpy()
        rows["profile_upper"] = flat(profile.sel(ci_bound="upper", drop=True)).to_numpy()
    return rows


def bayes_rows(
    fit: xr.DataTree, ci_prob: float, ci_kind: str, stats: PosteriorStats | None = None
) -> pd.DataFrame:
    """Rows of `Comparison.table` for a Bayes fit: posterior mean, sd, interval, ESS, R-hat.

    A deterministic of more than `inference_compare.draws.CHECKED_DETERMINISTIC_MAX` elements
    has no ESS or R-hat (NaN): it is a function of the free variables, which are checked.

    ``stats``: the posterior's `inference_compare.draws.posterior_stats` when already
    computed (with ``ci_prob`` and ``ci_kind``).
    """
    if stats is None:
        post = fit["posterior"].to_dataset()
        unchecked = unchecked_variables(post, recorded_deterministics(fit))
        stats = posterior_stats(post, ci_prob, ci_kind, unchecked)
    failed = fit.attrs.get("status", "ok") != "ok"
    columns = ("mean", "sd", "lower", "upper", "ess_bulk", "ess_tail", "r_hat")
    values = {c: getattr(stats, c) * (np.nan if failed else 1.0) for c in columns}
    # no usable posterior: no number, and no interval kind (as a failed optimum)
    return pd.DataFrame(
        {
            "parameter": stats.labels,
            "estimate": values["mean"],
            "sd": values["sd"],
            "lower": values["lower"],
            "upper": values["upper"],
            "interval": "none" if failed else ci_kind,
            "ess_bulk": values["ess_bulk"],
            "ess_tail": values["ess_tail"],
            "r_hat": values["r_hat"],
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
    settings : Settings or None
        What the fits were made with (`inference_compare.settings.Settings`); None for a
        comparison put together by hand, or saved before settings were recorded.
    curves : xarray.DataTree or None
        The curves a report draws (prior, likelihood, posterior), computed on the engine side;
        saved and loaded as the child ``curves``.
    """

    fits: dict[str, xr.DataTree]
    ci_prob: float = 0.95
    ci_kind: str = "eti"
    attrs: dict[str, Any] = field(default_factory=dict)
    model: pm.Model | None = field(default=None, repr=False, compare=False)
    settings: Settings | None = field(default=None, repr=False, compare=False)
    curves: xr.DataTree | None = field(default=None, repr=False, compare=False)
    _table_cache: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods fitted, in canonical order."""
        return check_methods(self.fits)

    def population_mean(self, name: str) -> tuple[str, float] | None:
        """Return the top-level location of latent ``name``'s Normal prior and its MLE, if any.

        Read from ``attrs["population_means"]`` (stored by a run, so a redrawn report has it
        without the model), else from the model; None when there is none, or no MLE.
        """
        stored = self.attrs.get("population_means")
        if isinstance(stored, dict) and name in stored:
            loc = stored[name]
        elif self.model is not None and name in self.model.named_vars:
            from inference_compare.priors import population_location  # imports PyMC

            loc = population_location(self.model, name)
        else:
            return None
        if loc is None or "mle" not in self.fits:
            return None
        return loc, float(self.fits["mle"]["point_estimate"][loc])

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
        key = self._table_key()
        if self._table_cache is None or self._table_cache[0] != key:
            self._table_cache = (key, self._compute_table())
        return self._table_cache[1].copy()

    def _table_key(self) -> tuple:
        """Return what the table depends on: the interval settings and the fits themselves."""
        return (
            self.ci_prob,
            self.ci_kind,
            tuple((m, id(f), len(f.children)) for m, f in self.fits.items()),
            repr(self.attrs.get("failed")),
        )

    def _compute_table(self) -> pd.DataFrame:
        parts = []
        for method in self.methods:
            fit = self.fits[method]
            rows = (
                bayes_rows(fit, self.ci_prob, self.ci_kind)
                if method == "bayes"
                else optimum_rows(fit)
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

    def to_datatree(self) -> xr.DataTree:
        """One DataTree with a child per method (what `save` writes)."""
        root = xr.DataTree(name="comparison")
        for method in self.methods:
            root[method] = _netcdf_safe(self.fits[method])
        if self.curves is not None:
            root[CURVES] = self.curves
        root[TABLE] = xr.DataTree(_table_dataset(self.table()))
        root.attrs = {
            **{k: _attr(v) for k, v in self.attrs.items()},
            "ci_prob": self.ci_prob,
            "ci_kind": self.ci_kind,
        }
        if self.settings is not None:
            root.attrs[SETTINGS] = json.dumps(dataclasses.asdict(self.settings))
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

    def __str__(self) -> str:
        """Return the side-by-side table and the diagnostics as text."""
        head = f"Comparison of {', '.join(self.methods)} ({self.attrs.get('model', 'model')})"
        rows, left_out = shown_rows(self.table())
        body = _text_table(rows) + (f"\n{left_out_sentence(left_out)}" if left_out else "")
        for note in (integrated_out_note(self.attrs), unread_groups_note(self.attrs)):
            body += f"\n{note}" if note else ""
        notes = "\n".join(f"  {d}" for d in self.diagnostics)
        return f"{head}, {self.ci_prob:.0%} intervals\n{body}" + (
            f"\nDiagnostics:\n{notes}" if notes else ""
        )

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cols = ["parameter", "method", "estimate", "sd", "lower", "upper", "interval"]
        rows, left_out = shown_rows(self.table())
        table = rows[cols].to_html(index=False, float_format=lambda v: f"{v:.4g}")
        if left_out:
            table += f"<p>{html.escape(left_out_sentence(left_out))}</p>"
        notes = "".join(
            f"<li><b>{html.escape(d.method)} {html.escape(d.code)}</b>: "
            f"{html.escape(d.message)}</li>"
            for d in self.diagnostics
        )
        return f"<div>{table}" + (f"<ul>{notes}</ul>" if notes else "") + "</div>"


def _text_table(table: pd.DataFrame) -> str:
    """Return the table as text; a failed fit's rows say "failed [k]", the reasons below it.

    A reason in the table itself would widen its column for every row, so each distinct
    reason is a numbered line under the table.
    """
    cols = ["parameter", "method", "estimate", "sd", "lower", "upper"]
    # profile-likelihood intervals (profile=True) beside the Wald ones, where there are any
    profile = [c for c in ("profile_lower", "profile_upper") if c in table]
    if profile and table[profile].notna().to_numpy().any():
        cols += profile
    shown = table[cols].astype(object)
    for col in cols[2:]:  # no number (no standard error at an edge): a dash, not "nan"
        shown[col] = ["\u2013" if np.isnan(v) else f"{v:.4g}" for v in table[col]]
    failed = table["status"] != "ok"
    reasons = list(dict.fromkeys(zip(table.loc[failed, "method"], table.loc[failed, "status"])))
    number = {reason: k for k, reason in enumerate(reasons, start=1)}
    shown.loc[failed, "estimate"] = [
        f"failed [{number[r]}]"
        for r in zip(table.loc[failed, "method"], table.loc[failed, "status"])
    ]
    shown.loc[failed, cols[3:]] = ""
    notes = [f"[{number[r]}] {r[0]} {r[1]}" for r in reasons]
    return "\n".join([shown.to_string(index=False), *notes])


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
    fits = {name: child for name, child in tree.children.items() if name not in (CURVES, TABLE)}
    curves = tree.children.get(CURVES)
    attrs = {str(k): v for k, v in tree.attrs.items()}
    ci_prob = float(attrs.pop("ci_prob", 0.95))
    ci_kind = str(attrs.pop("ci_kind", "eti"))
    saved = attrs.pop(SETTINGS, None)
    settings = None if saved is None else Settings(**json.loads(saved))
    for key, value in attrs.items():
        if isinstance(value, str) and value[:1] in "{[":
            with contextlib.suppress(json.JSONDecodeError):  # text that only looks like JSON
                attrs[key] = json.loads(value)
    cmp = Comparison(
        fits=fits, ci_prob=ci_prob, ci_kind=ci_kind, attrs=attrs, settings=settings, curves=curves
    )
    if TABLE in tree.children:  # the table as computed when the fits were made: not again
        cmp._table_cache = (cmp._table_key(), _table_frame(tree[TABLE].to_dataset()))
    return cmp


def _table_dataset(table: pd.DataFrame) -> xr.Dataset:
    """Return the table as a Dataset along ``row``, text columns as strings (for NetCDF)."""
    columns = {
        name: ("row", col.to_numpy(str) if col.dtype == object else col.to_numpy())
        for name, col in table.items()
    }
    return xr.Dataset(columns, attrs={"columns": json.dumps(list(table.columns))})


def _table_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Return the table saved by `_table_dataset`, its columns in their order."""
    columns = json.loads(ds.attrs["columns"])
    return pd.DataFrame({name: ds[name].to_numpy() for name in columns})
