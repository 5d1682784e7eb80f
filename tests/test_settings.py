"""The frozen settings object: validated once, canonical, one set of defaults per entry point."""

from __future__ import annotations

import dataclasses
import inspect
import json

import pytest

import inference_compare as ic
from inference_compare import cli
from inference_compare.errors import UsageError
from inference_compare.settings import COMPARE_NUTS, EXACT_NUTS, STUDY_NUTS, Settings


def test_settings_are_canonical_and_frozen():
    s = Settings(methods="bayes, MLE", latent=["z"], random_seed=7)
    assert s.methods == ("mle", "bayes")  # canonical order, whatever order given
    assert s.latent == ("z",) and s.latent_option() == ["z"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.draws = 3  # type: ignore[misc]
    assert s.replace(draws=3).draws == 3 and s.draws == COMPARE_NUTS.draws


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("draws", 0, "draws must be an integer >= 1, got 0"),
        ("chains", 1.5, "chains must be an integer >= 1"),
        ("ci_prob", 1.0, "ci_prob must be in the interval (0, 1)"),
        ("ci_kind", "hpd", "ci_kind must be one of ('eti', 'hdi'), got 'hpd'"),
        ("methods", "mle,vi", "unknown method(s) ['vi']"),
        ("sufficient_statistics", "yes", "sufficient_statistics must be True, False or 'auto'"),
        ("target_accept", 1.0, "target_accept must be a number in the interval (0, 1), got 1.0"),
        ("target_accept", True, "target_accept must be a number in the interval (0, 1), got True"),
        ("target_accept", "high", "target_accept must be a number in the interval (0, 1)"),
        ("target_accept", "0.9", "target_accept must be a number in the interval (0, 1)"),
    ],
)
def test_a_bad_value_is_a_usage_error_that_shows_it(field, value, message):
    with pytest.raises(UsageError) as info:
        Settings(**{field: value})
    assert message in str(info.value)
    with pytest.raises(UsageError):  # a copy is validated again
        Settings().replace(**{field: value})


def test_each_entry_point_takes_its_defaults_from_one_place():
    defaults = {
        ic.compare: COMPARE_NUTS,
        ic.study: STUDY_NUTS,
        ic.sbc: STUDY_NUTS,
        ic.exact_coverage: EXACT_NUTS,
    }
    for function, nuts in defaults.items():
        params = inspect.signature(function).parameters
        assert {k: params[k].default for k in ("draws", "tune", "chains")} == dataclasses.asdict(
            nuts
        ), function.__name__
    commands = {
        ("run",): COMPARE_NUTS,
        ("study", "--sizes", "10", "--replicates", "2"): STUDY_NUTS,
        ("coverage", "--n", "10", "--truth", "0.5"): EXACT_NUTS,
    }
    for command, nuts in commands.items():
        args = cli.build_parser().parse_args([command[0], "coin_flip", *command[1:]])
        assert (args.draws, args.tune, args.chains) == (nuts.draws, nuts.tune, nuts.chains)


def test_an_entry_point_passes_its_settings_by_their_parameter_names():
    # `Settings.from_arguments(locals())`: a setting whose parameter is named otherwise would
    # silently keep its default
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert fields <= set(inspect.signature(ic.compare).parameters)
    from inference_compare.runner import run_model

    given = {"latent", "progressbar", "ci_kind", "sufficient_statistics"}  # not run's parameters
    assert fields - given <= set(inspect.signature(run_model).parameters)
    s = Settings.from_arguments({"model": object(), "draws": 7, "chains": 3}, chains=1)
    assert (s.draws, s.chains, s.tune) == (7, 1, COMPARE_NUTS.tune)


def test_settings_survive_json_as_a_saved_comparison_stores_them():
    s = Settings(methods=("map",), ci_kind="hdi", latent=("a", "b"), random_seed=3)
    assert Settings(**json.loads(json.dumps(dataclasses.asdict(s)))) == s


def test_plot_and_to_html_refuse_what_is_not_a_result(tmp_path):
    with pytest.raises(TypeError, match="Comparison or a StudyResult"):
        ic.plot({"mle": None})
    with pytest.raises(TypeError, match="Comparison or a StudyResult"):
        ic.to_html([], tmp_path / "r.html")


def test_target_accept_reaches_the_sampler_and_the_record(tmp_path, capsys):
    # NUTS tunes its step size until the mean acceptance of its trees is target_accept
    # (dual averaging): over the kept draws the mean lands near it. ADAPT_TOL: the kept
    # draws' mean differs from the tuning target by a few hundredths at these settings.
    adapt_tol = 0.1
    module = ic.load_model("coin_flip")
    steps = {}
    for target in (0.6, 0.99):
        fit = ic.fit_bayes(
            module.build(module.DATA),
            target_accept=target,
            draws=300,
            tune=300,
            chains=2,
            random_seed=1,
        )
        stats = fit["sample_stats"]
        assert abs(float(stats["mean_tree_accept"].mean()) - target) < adapt_tol
        assert fit.attrs["target_accept"] == target
        steps[target] = float(stats["step_size"].mean())
    assert steps[0.99] < steps[0.6] / 2  # smaller steps for a higher target
    cmp = ic.compare(
        module.build(module.DATA),
        methods="bayes",
        target_accept=0.95,
        draws=100,
        tune=100,
        chains=1,
        random_seed=0,
        progressbar=False,
    )
    assert cmp.attrs["target_accept"] == 0.95
    assert "target acceptance 0.95" in ic.to_html(cmp, tmp_path / "r.html").read_text()
    code = cli.main(["run", "coin_flip", "--target-accept", "1.5", "--out", str(tmp_path / "x")])
    assert code == 2
    assert "--target-accept" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_study_records_target_accept_and_resumes_only_with_the_same(tmp_path):
    kwargs = {
        "sizes": [10],
        "replicates": 2,
        "methods": "bayes",
        "draws": 50,
        "tune": 50,
        "chains": 1,
        "progressbar": False,
    }
    ic.study("coin_flip", out=tmp_path / "a", target_accept=0.95, **kwargs)
    config = json.loads((tmp_path / "a" / "study.json").read_text())
    assert config["target_accept"] == 0.95
    page = ic.to_html(ic.load_study(tmp_path / "a"), tmp_path / "a.html").read_text()
    assert "chains, target acceptance 0.95;" in " ".join(page.split())
    with pytest.raises(UsageError, match=r"--target-accept 0.95 \(now 0.8\)"):
        ic.study("coin_flip", out=tmp_path / "a", resume=True, **kwargs)
    ic.study("coin_flip", out=tmp_path / "b", **kwargs)  # the default: not recorded, so a
    config = json.loads((tmp_path / "b" / "study.json").read_text())  # study run before
    assert "target_accept" not in config  # target_accept existed resumes as it was
    ic.study("coin_flip", out=tmp_path / "b", resume=True, **kwargs)
    # the same rule for ci_kind, recorded only when not "eti": a resume without it was taken
    ic.study("coin_flip", out=tmp_path / "c", ci_kind="hdi", **kwargs)
    with pytest.raises(UsageError, match=r"--ci-kind hdi \(now eti\)"):
        ic.study("coin_flip", out=tmp_path / "c", resume=True, **kwargs)


def test_a_setting_for_a_method_not_run_is_refused():
    # found by a new user: --target-accept with --methods mle,map and --nagq 5 with bayes alone
    # were accepted and did nothing
    with pytest.raises(UsageError, match=r"target_accept \(--target-accept\) tunes NUTS"):
        Settings(methods="mle,map", target_accept=0.95)
    with pytest.raises(UsageError, match=r"nagq \(--nagq\) sets how the MLE and MAP"):
        Settings(methods="bayes", nagq=5)
    assert Settings(methods="mle,map", target_accept=0.8).target_accept == 0.8  # the default
