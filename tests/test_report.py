"""The report layer: figures, HTML, Markdown and the atomic run outputs."""

from __future__ import annotations

import base64
import dataclasses
import io
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import fitted_line_model
from matplotlib.figure import Figure
from PIL import Image
from scipy import stats

import inference_compare as ic
from inference_compare import plots
from inference_compare.errors import ModelError
from inference_compare.report import outputs as outputs_module
from inference_compare.report import render_markdown, write_html, write_run_outputs
from inference_compare.report.figures import Figures, render_figures

#: Tolerance of the normalised likelihood against its closed form: the curve is exact
#: pointwise, normalised by the trapezoid rule over the grid and its tails.
CURVE_ATOL = 1e-6


@pytest.fixture(scope="session")
def coin_pngs(coin_cmp):
    return render_figures(coin_cmp)


@pytest.fixture(scope="module")
def gaussian_cmp() -> ic.Comparison:
    module = ic.load_model("gaussian")
    return ic.compare(
        module.build(module.DATA),
        methods=("mle", "map"),
        draws=200,
        random_seed=2,
        model_name="gaussian",
    )


def _img_sources(html: str) -> list[str]:
    return re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)


def test_gaussian_profile_likelihood_of_mu_is_student_t(gaussian_cmp):
    # With sigma maximised out, L(mu) is proportional to (sum (y - mu)^2)^(-n/2): a Student t
    # with n - 1 degrees of freedom, centred at the sample mean, scale sqrt(S / (n (n - 1))).
    y = np.asarray(ic.load_model("gaussian").DATA["y"], dtype=float)
    n, s = y.size, np.sum((y - y.mean()) ** 2)
    curves = {c.label: c for c in plots.parameter_curves(gaussian_cmp)}
    density, kind = curves["mu"].likelihood
    assert kind == "profile likelihood"
    expected = stats.t(df=n - 1, loc=y.mean(), scale=np.sqrt(s / (n * (n - 1))))
    np.testing.assert_allclose(density, expected.pdf(curves["mu"].grid), atol=CURVE_ATOL)


def test_forest_plots_the_table_estimates(coin_cmp):
    fig = plots.forest(coin_cmp)
    try:
        assert isinstance(fig, Figure)
        (ax,) = fig.axes  # one parameter: one panel
        assert [t.get_text() for t in ax.get_yticklabels()] == ["p"]
        points = [
            float(np.ravel(line.get_xdata())[0])
            for line in ax.get_lines()
            if line.get_marker() == "o"
        ]
        table = coin_cmp.table()
        np.testing.assert_allclose(points, table["estimate"], rtol=0, atol=1e-12)
    finally:
        plt.close(fig)


def test_forest_shows_a_failed_fit_as_a_note_without_numbers(coin_cmp):
    fits = {m: coin_cmp.fits[m] for m in ("mle", "map")}
    attrs = {**coin_cmp.attrs, "failed": {"bayes": "the sampler could not start"}}
    cmp = dataclasses.replace(coin_cmp, fits=fits, attrs=attrs)
    fig = plots.forest(cmp)
    try:
        (ax,) = fig.axes
        notes = [t.get_text() for t in ax.texts]
        assert notes == ["Bayes (NUTS): no estimate (failed: the sampler could not start)"]
        dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
        assert len(dots) == 2  # mle and map only
    finally:
        plt.close(fig)


def _forest_table(numbers: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    """A tidy table in which every method has the same (estimate, lower, upper) per label."""
    rows = [
        {"parameter": label, "method": method, "estimate": e, "lower": lo, "upper": hi}
        for label, (e, lo, hi) in numbers.items()
        for method in ("mle", "map", "bayes")
    ]
    return pd.DataFrame(rows)


def test_forest_gives_a_slope_its_own_axis_beside_a_large_intercept():
    # the logistic regression of the issue: an intercept of -13, slopes of 0.1 to 2.8
    table = _forest_table(
        {
            "intercept": (-13.0, -22.0, -4.0),
            "beta[GPA]": (2.8, 0.3, 5.3),
            "beta[TUCE]": (0.1, -0.2, 0.4),
            "beta[PSI]": (2.4, 0.3, 4.5),
        }
    )
    assert plots.forest_panels(table) == [
        ["intercept"],
        ["beta[GPA]"],
        ["beta[TUCE]"],
        ["beta[PSI]"],
    ]
    # group effects on one scale (eight schools' theta) share one axis
    theta = {f"theta[{i}]": (5.0 + i, -5.0 + i, 15.0 + i) for i in range(8)}
    assert plots.forest_panels(_forest_table({"mu": (4.0, -2.0, 11.0), **theta})) == [
        ["mu"],
        list(theta),
    ]


def test_forest_leaves_out_a_deterministic_of_one_value_per_observation(tmp_path):
    """Found by a new user: ``mu = pm.Deterministic("mu", a + X @ b)`` with 500 rows made a
    forest of 520 panels, and writing the report took six minutes; with 10,000 rows the printed
    table had 30,000 lines and the density figures showed mu[0] to mu[20], not the ratio the
    user had declared after it."""
    model, _ = fitted_line_model(120, ratio=True)
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=0)  # with the prior's influence
    assert (cmp.table()["parameter"].str.startswith("mu[")).sum() == 240  # the table keeps them
    named = "mu (120 elements); every element is in summary.csv"
    for text in (str(cmp), render_markdown(cmp), write_html(cmp, tmp_path / "r.html").read_text()):
        assert "mu[7]" not in text and named in text
        assert "ratio" in text
    assert [c.label for c in plots.parameter_curves(cmp)] == [
        "a",
        "b[0]",
        "b[1]",
        "b[2]",
        "sigma",
        "ratio",
    ]
    fig = plots.forest(cmp)
    title = fig.get_suptitle().replace("\n", " ")
    assert "Not drawn" in title and "mu (120 elements)" in title
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # the title fits the figure (it was cut at both ends)
    canvas.draw()
    box = fig._suptitle.get_window_extent(canvas.get_renderer())
    assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1
    drawn = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert not any(label.startswith("mu[") for label in drawn)
    assert {"a", "sigma"} <= drawn and any(label.startswith("b[") for label in drawn)


def test_density_figures_one_per_parameter_with_every_curve(coin_cmp, tmp_path):
    curves = plots.parameter_curves(coin_cmp)
    assert [c.label for c in curves] == ["p"]
    p = curves[0]
    assert p.prior is not None and p.posterior is not None and p.likelihood is not None
    assert p.posterior_source == "bayes"
    # the prior is Beta(4, 4), its exact density
    assert p.prior_kind == "exact"
    np.testing.assert_allclose(p.prior, stats.beta(4, 4).pdf(p.grid), rtol=1e-10)
    figures = plots.density_figures(coin_cmp)
    assert list(figures) == ["p"] and isinstance(figures["p"], Figure)
    assert isinstance(ic.plot(coin_cmp, kind="densities"), Figure)
    assert isinstance(ic.plot(coin_cmp), Figure)  # the forest plot by default
    with pytest.raises(ValueError, match="kind must be one of"):
        ic.plot(coin_cmp, kind="nope")
    with pytest.raises(ValueError, match="no shrinkage figure: it has no group effects"):
        ic.plot(coin_cmp, kind="shrinkage")
    with pytest.raises(IsADirectoryError, match="is a folder"):  # not a temporary file's name
        ic.to_html(coin_cmp, tmp_path)


def test_curves_without_model_after_load(coin_cmp, tmp_path):
    # saved without curves (saved ones are drawn: test_curves), loaded without the model
    loaded = ic.load(dataclasses.replace(coin_cmp, curves=None).save(tmp_path / "c.nc"))
    assert loaded.model is None and loaded.curves is None
    (p,) = plots.parameter_curves(loaded)
    assert p.prior is None and p.likelihood is None and p.posterior is not None
    assert isinstance(plots.densities(loaded), Figure)
    html = write_html(loaded, tmp_path / "r.html").read_text()
    assert "prior and the likelihood are not drawn" in html


def test_html_is_self_contained_and_complete(coin_cmp, coin_pngs, tmp_path):
    path = write_html(
        coin_cmp,
        tmp_path / "report.html",
        figures=Figures(*coin_pngs),
        command="inference-compare run coin_flip",
    )
    html = path.read_text(encoding="utf-8")
    sources = _img_sources(html)
    assert len(sources) == 2
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as img:
            img.verify()
    assert not re.search(r'(src|href)="(https?:)?//', html), "no network assets"
    assert "<script" not in html
    table = coin_cmp.table()
    for value in table["estimate"]:
        assert f"{value:.4g}" in html
    for section in (
        "estimates",
        "parameters",
        "forest",
        "diagnostics",
        "model",
        "data",
        "reproduce",
    ):
        assert f'id="{section}"' in html
    assert "No problems found" in html
    assert "p ~ Beta(4, 4)" in html  # the model, in one screen
    assert "graph TD" in html  # its Mermaid graph
    for name, version in coin_cmp.attrs["versions"].items():
        assert name in html and version in html
    assert "inference-compare run coin_flip" in html
    assert "@media print" in html and 'name="viewport"' in html


def test_html_escapes_untrusted_text(coin_cmp, coin_pngs, tmp_path):
    evil = '<script>alert("x")</script>'
    attrs = {
        **coin_cmp.attrs,
        "title": evil,
        "command": f"inference-compare run {evil}",
        "data_source": f"Data file {evil}.csv",
        "model_source": evil,
        "data_summary": [{"column": evil, "n": 3}],
    }
    cmp = dataclasses.replace(coin_cmp, attrs=attrs)
    html = write_html(cmp, tmp_path / "r.html", figures=Figures(*coin_pngs)).read_text()
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_markdown_summary(coin_cmp):
    text = render_markdown(coin_cmp, command="inference-compare run coin_flip")
    lines = text.splitlines()
    assert lines[0] == "## coin_flip"  # no title recorded: the model's name
    title = ic.catalog.model_title(ic.load_model("coin_flip"))
    titled = dataclasses.replace(coin_cmp, attrs={**coin_cmp.attrs, "title": title})
    assert render_markdown(titled).splitlines()[0] == f"## {title}"
    row = next(line for line in lines if line.startswith("| `p`"))
    table = coin_cmp.table().set_index("method")
    for method in coin_cmp.methods:
        assert f"{table.loc[method, 'estimate']:.4g}" in row
    assert row.count("|") == len(coin_cmp.methods) + 2
    assert "Reproduce: `inference-compare run coin_flip`" in text


def test_boundary_mle_is_reported_in_plain_words(tmp_path):
    # 10 heads in 10 tosses: the MLE sits on the boundary p = 1; the report must still render.
    module = ic.load_model("coin_flip")
    cmp = ic.compare(
        module.build({"y": np.ones(10, dtype=int)}),
        methods=("mle", "map"),
        draws=200,
        random_seed=3,
        model_name="coin_flip",
    )
    codes = {d.code for d in cmp.diagnostics}
    assert codes, "expected a diagnostic for the boundary MLE"
    html = ic.to_html(cmp, tmp_path / "r.html").read_text()
    assert "What it means:" in html
    for d in cmp.diagnostics:
        assert d.code in html
    assert "No problems found" not in html
    # a misspelt option is refused, not ignored (found by a new user: titel= wrote a report)
    with pytest.raises(TypeError, match="unexpected report option titel"):
        ic.to_html(cmp, tmp_path / "s.html", titel="x")
    assert not (tmp_path / "s.html").exists()


def test_run_outputs_files_agree(coin_cmp, coin_pngs, tmp_path, monkeypatch):
    monkeypatch.setattr(outputs_module, "draw_figures", lambda cmp: Figures(*coin_pngs))
    out = write_run_outputs(coin_cmp, tmp_path / "run")
    for path in (out.report, out.summary_csv, out.summary_md, out.comparison, *out.figures):
        assert path.is_file(), path
    assert [p.name for p in out.figures] == ["forest.png", "density_p.png"]
    csv = pd.read_csv(out.summary_csv)
    pd.testing.assert_frame_equal(csv, coin_cmp.table(), check_dtype=False)
    pd.testing.assert_frame_equal(ic.load(out.comparison).table(), coin_cmp.table())
    leftovers = [p.name for p in out.report.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_interrupted_run_never_leaves_a_report_that_looks_complete(
    coin_cmp, coin_pngs, tmp_path, monkeypatch
):
    monkeypatch.setattr(outputs_module, "draw_figures", lambda cmp: Figures(*coin_pngs))
    out = write_run_outputs(coin_cmp, tmp_path)
    before = out.report.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # interrupted while writing the new files: the previous complete report stays as it was
    monkeypatch.setattr(outputs_module, "write_markdown", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_run_outputs(coin_cmp, tmp_path)
    assert out.report.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    monkeypatch.undo()
    monkeypatch.setattr(outputs_module, "draw_figures", lambda cmp: Figures(*coin_pngs))

    # interrupted while moving the files into place: no report.html at all
    real_replace = outputs_module.os.replace

    def replace(src, dst):
        if str(dst).endswith("figures"):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(outputs_module.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        write_run_outputs(coin_cmp, tmp_path)
    assert not out.report.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging")]


def test_report_with_some_methods_only(coin_cmp, gaussian_cmp, tmp_path):
    bayes_only = dataclasses.replace(coin_cmp, fits={"bayes": coin_cmp.fits["bayes"]})
    (p,) = plots.parameter_curves(bayes_only)
    assert p.likelihood is None and p.prior is not None  # no optimum to centre the curve on
    html = write_html(bayes_only, tmp_path / "bayes.html").read_text()
    assert "Bayes (NUTS)" in html and ">MLE<" not in html
    curves = plots.parameter_curves(gaussian_cmp)
    assert [c.label for c in curves] == ["mu", "sigma"]
    assert all(c.posterior_source == "map" and c.likelihood is not None for c in curves)
    html = write_html(gaussian_cmp, tmp_path / "gauss.html").read_text()
    assert "Laplace approximation" in html and len(_img_sources(html)) == 3


def test_every_diagnostic_code_has_a_meaning():
    from inference_compare.diagnostics import CODES, FAILURES, Diagnostic
    from inference_compare.report.html import DIAGNOSTIC_MEANINGS

    # CODES is the registry: a Diagnostic with any other code cannot be made
    with pytest.raises(ValueError, match="unknown diagnostic code"):
        Diagnostic("mle", "a_new_code", "warning", "not registered")
    assert set(FAILURES) <= set(CODES)
    assert set(CODES) <= set(DIAGNOSTIC_MEANINGS), set(CODES) - set(DIAGNOSTIC_MEANINGS)
    assert all(DIAGNOSTIC_MEANINGS[code].strip() for code in CODES)


def test_a_failed_analysis_is_reported_not_raised(coin_cmp, coin_pngs, tmp_path, monkeypatch):
    from inference_compare import analysis
    from inference_compare.runner import add_analyses

    def fails(*args, **kwargs):
        raise ModelError("no mode here")  # the project's error for an unusual model

    monkeypatch.setattr(analysis, "laplace_khat", fails)
    cmp = dataclasses.replace(coin_cmp, attrs=dict(coin_cmp.attrs))  # the fixture stays as is
    add_analyses(cmp, khat=True)
    assert cmp.attrs["analysis_errors"] == {"laplace_khat": "no mode here"}
    assert "laplace_khat" not in cmp.attrs
    assert cmp.attrs["prior_medians"] == {"p": 0.5}  # Beta(4, 4)
    page = write_html(cmp, tmp_path / "r.html", figures=Figures(*coin_pngs))
    assert "k-hat could not be computed: no mode here" in page.read_text()
    assert "- laplace_khat could not be computed: no mode here" in render_markdown(cmp)


def test_analyses_leave_the_fits_alone_and_a_bug_is_not_swallowed(coin_cmp, monkeypatch):
    """psense and LOO work on a copy of the bayes fit; only the project's errors are caught."""
    from inference_compare import analysis
    from inference_compare.analyses import Analyses, compute_analyses

    before = {method: set(fit.children) for method, fit in coin_cmp.fits.items()}
    found = compute_analyses(coin_cmp, sensitivity=True)
    assert {method: set(fit.children) for method, fit in coin_cmp.fits.items()} == before
    assert found.errors == {} and [r["parameter"] for r in found.psense] == ["p"]
    assert found.loo["n_data_points"] == coin_cmp.fits["bayes"]["observed_data"]["y"].size  # 10
    assert Analyses.from_attrs(found.to_attrs()) == found  # the saved form reads back

    def bug(*args, **kwargs):
        raise TypeError("a bug of ours")

    monkeypatch.setattr(analysis, "laplace_khat", bug)
    with pytest.raises(TypeError, match="a bug of ours"):
        compute_analyses(coin_cmp, khat=True)


# ----------------------------------------------------------------------------- mode versus mean


def _beta_rows(a: float, b: float, mle: float) -> pd.DataFrame:
    """Table rows of a Beta(a, b) posterior: MAP its mode, Bayes its mean and sd (closed forms)."""
    mean, mode = a / (a + b), (a - 1) / (a + b - 2)
    sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    rows = [("mle", mle, 0.1, np.nan), ("map", mode, 0.1, np.nan), ("bayes", mean, sd, 4000.0)]
    return pd.DataFrame(
        [
            {"parameter": "p", "method": m, "estimate": e, "sd": s, "ess_bulk": ess}
            for m, e, s, ess in rows
        ]
    )


def test_mean_versus_mode_of_a_skewed_beta_posterior_is_explained():
    from inference_compare.analyses import mean_mode_gaps, mean_mode_sentences

    # 7 heads in 10 tosses under Beta(4, 4): posterior Beta(11, 7), mean 11/18 below mode 10/16
    table = _beta_rows(11, 7, mle=0.7)
    gap = mean_mode_gaps(table).loc["p"]
    sd = np.sqrt(11 * 7 / (18**2 * 19))
    assert gap["mode_method"] == "map"
    assert gap["gap"] == pytest.approx((11 / 18 - 10 / 16) / sd, rel=1e-12)
    (sentence,) = mean_mode_sentences(table).values()
    assert "lies 0.12 posterior sds below the MAP" in sentence
    assert "a longer tail below its peak" in sentence and "not the prior's pull" in sentence
    assert "joint density" not in sentence  # one parameter: its joint peak is its own peak
    # with a second parameter the MAP is a joint peak, the Bayes mean a marginal average
    two = pd.concat([table, table.assign(parameter="q")], ignore_index=True)
    assert all("peak of the joint density" in x for x in mean_mode_sentences(two).values())
    # a symmetric posterior, Beta(9, 9): mean = mode, nothing to explain
    assert mean_mode_sentences(_beta_rows(9, 9, mle=0.5)) == {}
    # found by a new user: p[0] of six die faces under a Dirichlet(2) prior, 7 of 30 rolls:
    # the joint MAP is (7 + 1) / (30 + 6) = 0.2222, the marginal posterior Beta(9, 33) with
    # mean 9/42 = 0.2143 below it, yet right-skewed (its 95% interval reaches further above
    # the mean): the gap is the joint mode against a marginal mean, not skew
    a, b = 9.0, 33.0
    die = _beta_rows(a, b, mle=0.2).assign(lower=np.nan, upper=np.nan)
    die.loc[die["method"] == "map", "estimate"] = 8 / 36  # the joint mode
    die.loc[die["method"] == "bayes", ["lower", "upper"]] = stats.beta.ppf([0.025, 0.975], a, b)
    faces = pd.concat([die, die.assign(parameter="q")], ignore_index=True)
    sentence = mean_mode_sentences(faces)["p"]
    assert "below the MAP" in sentence and "reaches further above than below" in sentence
    assert "skew does not explain the gap" in sentence and "longer tail below" not in sentence
    # found by a new user: a group effect's MAP is a conditional mode given the top-level
    # estimates, so the gap is mostly the plug-in, whatever the skew
    group = faces.assign(interval="conditional")
    sentence = mean_mode_sentences(group)["p"]
    assert "conditional mode given the top-level estimates" in sentence
    assert "skew" in sentence and "posterior's shape" not in sentence
    # found by a new user: beside group effects, a top-level parameter's MAP is the peak of the
    # marginal density (the group effects integrated out), not of the joint density
    top = faces.assign(interval="wald")
    top.loc[(top["parameter"] == "q") & (top["method"] == "map"), "interval"] = "conditional"
    sentence = mean_mode_sentences(top)["p"]
    assert "the MAP is the peak of the marginal density of the top-level parameters" in sentence
    assert "joint density" not in sentence


def test_prior_influence_is_mode_against_mode():
    from inference_compare.analyses import influence_sentences

    influence = pd.DataFrame({"shift_bayes": [-0.6], "sd_ratio_bayes": [0.8]}, index=["p"])
    table = _beta_rows(11, 7, mle=0.7)
    # without a MAP, the Bayes mean's gap to the MLE is not blamed on the prior
    (text,) = influence_sentences(influence, table, {"p": 0.5}).values()
    assert "cannot be told apart" in text and "pulls" not in text


def test_report_shows_the_teaching_point_near_the_top(coin_cmp, coin_pngs, tmp_path):
    module = ic.load_model("coin_flip")
    attrs = {**coin_cmp.attrs, "equivalence": module.EQUIVALENCE}
    cmp = dataclasses.replace(coin_cmp, attrs=attrs)
    page = write_html(cmp, tmp_path / "r.html", figures=Figures(*coin_pngs))
    text = page.read_text()
    teaching = text.index(module.EQUIVALENCE.split(";")[0])
    assert teaching < text.index('<section id="estimates">')
    lines = render_markdown(cmp).splitlines()
    assert lines[2] == f"**What this model teaches:** {module.EQUIVALENCE}"


def test_an_unnamed_model_is_named_by_its_parameters():
    import pymc as pm

    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 10)
        sigma = pm.HalfNormal("sigma", 5)
        pm.Normal("y", mu, sigma, observed=[1.0, 2.0, 0.5])
    cmp = ic.compare(model, methods=("mle",), random_seed=0, progressbar=False)
    assert repr(cmp).startswith("Comparison of mle (model of mu, sigma)")


def test_model_table_gives_the_shape_of_a_variable_without_dims():
    # found by a new user: an observed vector without dims was listed as "scalar"
    import pymc as pm

    from inference_compare.report.html import describe_model

    with pm.Model() as model:
        y = pm.Data("y_data", np.arange(5.0))
        mu = pm.Normal("mu")
        pm.Normal("y", mu, 1, observed=y)
        pm.Normal("z", mu, 1, observed=np.ones((2, 3)))
    dims = {v["name"]: v["dims"] for v in describe_model(model)["variables"]}
    assert dims == {"mu": "scalar", "y": "vector", "z": "shape (2, 3)", "y_data": "vector"}


def test_a_failed_laplace_check_is_not_followed_by_no_problems_found(coin_cmp, tmp_path):
    # found by a new user: "Pareto k-hat 0.71 (> 0.7): ... use the Bayes fit" above, and
    # "No problems found" in the Diagnostics section of the same report
    import html

    cmp = dataclasses.replace(coin_cmp, attrs={**coin_cmp.attrs, "laplace_khat": 0.71})
    assert not cmp.diagnostics
    page = html.unescape(ic.to_html(cmp, tmp_path / "r.html").read_text())
    assert "No problems found: " not in page
    assert "No problems found by these checks: " in page
    assert "But the check of the MAP's Laplace approximation above failed (Pareto" in page
    trusted = dataclasses.replace(coin_cmp, attrs={**coin_cmp.attrs, "laplace_khat": 0.3})
    page = html.unescape(ic.to_html(trusted, tmp_path / "t.html").read_text())
    assert "No problems found: " in page and "But the check" not in page


def test_a_failed_bayes_fit_measures_no_gap_between_mean_and_mode(coin_cmp, coin_pngs, tmp_path):
    # found by a new user: NUTS failed (R-hat 1.22), every Bayes cell was empty, and the report
    # still said the mean-versus-mode gap was "negligible for every parameter"
    fits = dict(coin_cmp.fits)
    fits["bayes"] = fits["bayes"].copy()
    fits["bayes"].attrs["status"] = "failed: chains disagree (R-hat 1.22)"
    failed = dataclasses.replace(coin_cmp, fits=fits, curves=None)
    html = write_html(failed, tmp_path / "r.html", figures=Figures(*coin_pngs)).read_text()
    assert "negligible for every parameter" not in html
    assert "not measured here: the Bayes fit failed" in html
