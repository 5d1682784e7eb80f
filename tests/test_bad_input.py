"""Bad input never produces a silent wrong number or a raw traceback.

Property-based (hypothesis) fuzzing of data files and arrays, plus one test per named case of
the hardening issue. Each property checks that the outcome is either a clean result or one of
our own errors, whose message names the problem.
"""

from __future__ import annotations

import json
import string
import types
import warnings

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymc.exceptions import ImputationWarning

import inference_compare as ic
from inference_compare import cli
from inference_compare.data import build_model, read_data

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CELLS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "NA",
            "null",
            "heads",
            "1e400",
            " 3 ",
            "1,5",
            "0x10",
            "\u00bd",
            "TRUE",
        ]
    ),
    st.text(string.printable, max_size=6),
)


def _check_columns(columns: dict[str, np.ndarray]) -> None:
    lengths = {len(v) for v in columns.values()}
    assert len(lengths) == 1 and lengths.pop() > 0
    for values in columns.values():
        assert values.ndim == 1 and values.dtype.kind in "if"
        assert np.all(np.isfinite(values))


@FUZZ
@given(
    header=st.lists(
        st.text(string.ascii_letters + '_ ;,\t"\ufeff', min_size=0, max_size=5),
        min_size=0,
        max_size=3,
    ),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=4), max_size=6),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    bom=st.booleans(),
)
def test_fuzzed_csv_reads_cleanly_or_raises_data_error(tmp_path_factory, header, rows, sep, bom):
    text = ("\ufeff" if bom else "") + "\n".join(sep.join(r) for r in [header, *rows])
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    path.write_text(text, encoding="utf-8")
    try:
        columns = read_data(path)
    except ic.DataError as exc:
        assert "data.csv" in str(exc)
        return
    _check_columns(columns)


@pytest.mark.parametrize(
    "text",
    ["\ufeffy,x\n1,2\n0,3\n", "y;x\n1;2\n0;3\n", "y\tx\n1\t2\n0\t3\n"],
    ids=["bom", "semicolon", "tab"],
)
def test_csv_with_bom_or_another_delimiter_reads_its_columns(tmp_path, text):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    columns = read_data(path)
    assert list(columns) == ["y", "x"]
    np.testing.assert_array_equal(columns["y"], [1, 0])


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@FUZZ
@given(content=JSON_VALUES)
def test_fuzzed_json_reads_cleanly_or_raises_data_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("json") / "data.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    try:
        columns = read_data(path)
    except ic.DataError as exc:
        assert "data.json" in str(exc)
        return
    _check_columns(columns)


@FUZZ
@given(
    values=st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 5), max_size=6)
)
def test_fuzzed_arrays_build_a_valid_model_or_raise_our_error(values):
    from inference_compare.priors import check_model  # not ic.priors: a lazy package

    module = ic.load_model("gaussian")
    data = {"y": np.asarray(values, dtype=float)}
    try:
        model = build_model(module, data)
        check_model(model)
    except (ic.DataError, ic.ModelError) as exc:
        assert str(exc)
        return
    assert len(values) > 0 and np.all(np.isfinite(values))


def _write(tmp_path, source: str):
    path = tmp_path / "user_model.py"
    path.write_text(source)
    return str(path)


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("def build(data:\n    pass\n", "syntax error at line 1"),
        ("DATA = {}\n", "lacks build"),
        (
            "DATA = {'y': [1.0]}\ndef build(data):\n    raise RuntimeError('x')\n",
            "RuntimeError",
        ),
        (
            "import pymc as pm\nDATA = {'y': [1.0]}\ndef build(data):\n"
            "    with pm.Model() as m:\n        pm.Normal('mu')\n    return m\n",
            "no observed variable",
        ),
        (
            "import pymc as pm\nDATA = {'y': [1.0, 2.0]}\ndef build(data):\n"
            "    with pm.Model() as m:\n        k = pm.Poisson('k', 3)\n"
            "        pm.Normal('y', k, 1, observed=data['y'])\n    return m\n",
            "discrete free variables",
        ),
        (
            "import pymc as pm\nDATA = {'y': [1.0, 2.0]}\ndef build(data):\n    return 42\n",
            "not a pymc.Model",
        ),
    ],
    ids=["syntax-error", "no-build", "build-raises", "no-observed", "discrete", "not-a-model"],
)
def test_bad_model_files_exit_2_with_one_line(tmp_path, capsys, source, needle):
    code = cli.main(
        [
            "run",
            _write(tmp_path, source),
            "--methods",
            "mle,map",
            "--no-progress",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and needle in err, err
    assert not (tmp_path / "out" / "report.html").exists()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--draws", "0"], "--draws"),
        (["--ci-prob", "2"], "--ci-prob"),
        (["--chains", "-1"], "--chains"),
        (["--methods", ""], "method"),
    ],
)
def test_absurd_settings_exit_2(tmp_path, capsys, argv, needle):
    code = cli.main(["run", "coin_flip", "--no-progress", "--out", str(tmp_path), *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2 and needle in err and len(err.splitlines()) == 1


def test_nan_and_inf_observations_are_refused_not_imputed():
    for bad in (np.array([1.0, np.nan, 2.0]), np.array([1.0, np.inf, 2.0])):
        with pm.Model() as model, warnings.catch_warnings():
            warnings.simplefilter("ignore", ImputationWarning)  # PyMC's own note on the NaN
            mu = pm.Normal("mu")
            pm.Normal("y", mu, 1, observed=bad)
        with pytest.raises(ic.ModelError, match="NaN|infinite"):
            ic.fit_mle(model)


@pytest.mark.parametrize("bad", [-1, 3], ids=["negative", "one past the end"])
def test_a_group_index_outside_its_groups_is_the_datas_mistake(bad):
    """Found by a new user: a county of -1 silently took the last county (NumPy's negative
    indexing) and the fit reported estimates; one of len(groups) was an internal error."""
    group = np.array([0, 1, bad, 2, 1])
    with pm.Model(coords={"group": range(3)}) as model:  # a pm.Data index into dims
        index = pm.Data("group_idx", group)
        effect = pm.Normal("effect", 0.0, 1.0, dims="group")
        pm.Normal("y", effect[index], 1.0, observed=np.arange(5.0))
    message = rf"'group_idx' holds {bad} at position 2 .* effect, whose 3 entries .* 0 to 2"
    with pytest.raises(ic.DataError, match=message):
        ic.fit_mle(model)
    with pytest.raises(ic.DataError, match=message):
        ic.fit_bayes(model, draws=10, tune=10, chains=1)
    with pm.Model() as model:  # a NumPy index into the second axis of a matrix
        slope = pm.Normal("slope", 0.0, 1.0, shape=(2, 3))
        pm.Normal("y", slope[1, group], 1.0, observed=np.arange(5.0))
    with pytest.raises(ic.DataError, match=rf"an index array holds {bad} .* slope, whose 3"):
        ic.fit_map(model)


def _exponential_survival(time: np.ndarray, censored: np.ndarray) -> pm.Model:
    with pm.Model() as model:
        rate = pm.HalfNormal("rate", 2.0)
        upper = np.where(censored, time, np.inf)  # right-censored at the time itself
        pm.Censored("time", pm.Exponential.dist(rate), lower=None, upper=upper, observed=time)
    return model


def test_a_censored_value_outside_the_support_is_refused(tmp_path, capsys):
    """Found by a new user: a negative survival time, right-censored, contributes
    log P(T > -3) = 0 and was fitted silently."""
    time = np.array([1.0, 2.0, -3.0, 5.0, 4.0])
    censored = np.array([False, False, True, True, False])
    message = r"'time' are outside the support of its Exponential distribution: row 3 is -3.0"
    with pytest.raises(ic.DataError, match=message):
        ic.compare(_exponential_survival(time, censored), methods=("mle",))
    time[2] = 3.0  # the same data, possible: the MLE is events / total time (Lawless 3.1)
    table = ic.compare(_exponential_survival(time, censored), methods=("mle",)).table()
    assert table["estimate"].iloc[0] == pytest.approx(3 / time.sum(), rel=1e-6)
    model_file = tmp_path / "survival.py"
    model_file.write_text(
        "import numpy as np\nimport pymc as pm\n"
        "DATA = {'time': np.array([1.0, -2.0, 4.0]), 'censored': np.array([0, 1, 0])}\n"
        "def build(data):\n"
        "    with pm.Model() as model:\n"
        "        rate = pm.HalfNormal('rate', 2.0)\n"
        "        upper = np.where(data['censored'] == 1, data['time'], np.inf)\n"
        "        pm.Censored('time', pm.Exponential.dist(rate), lower=None, upper=upper,\n"
        "                    observed=data['time'])\n"
        "    return model\n"
    )
    code = cli.main(["run", str(model_file), "--methods", "mle", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "row 2 is -2.0" in err[0]


def test_improper_prior_map_reports_what_happens():
    # a flat prior on a scale makes the MAP the MLE; with one observation both are unbounded
    with pm.Model() as model:
        mu = pm.Flat("mu")
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", mu, sigma, observed=np.array([0.4]))
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=0, progressbar=False)
    assert {(d.method, d.code) for d in cmp.diagnostics} >= {
        ("mle", "unbounded"),
        ("map", "unbounded"),
    }


def test_a_zero_exposure_is_named_as_such_not_as_data_outside_the_support():
    # found by a new user: an exposure of 0 (log(0) in the offset) makes the Poisson rate of
    # its row 0, and the count 2 there was called "outside the support" of the Poisson
    from inference_compare.errors import DataError
    from inference_compare.support import check_start

    def model(y, exposure):
        with pm.Model() as m:
            b0 = pm.Normal("b0", -5, 2)
            pm.Poisson("y", mu=pm.math.exp(b0 + np.log(exposure)), observed=y)
        return m

    with np.errstate(divide="ignore"):
        zero = model(np.array([0, 2, 3]), np.array([127.0, 0.0, 1095.0]))
    with pytest.raises(DataError, match=r"row 2 is 2, and there a parameter of its Poisson"):
        check_start(zero)
    negative = model(np.array([0, -2, 3]), np.array([127.0, 10.0, 1095.0]))
    with pytest.raises(DataError, match=r"outside the support of its Poisson distribution: row 2"):
        check_start(negative)
    # a bound of 0 or infinity that every row shares is the distribution's own: data below a
    # truncation at 0 are outside the support
    with pm.Model() as truncated:
        mu = pm.Normal("mu", 1, 1)
        pm.Truncated("y", pm.Normal.dist(mu, 1), lower=0.0, observed=np.array([0.5, -1.0, 0.2]))
    with pytest.raises(DataError, match=r"outside the support of its TruncatedNormal"):
        check_start(truncated)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pandas.csv", "y,x\nTrue,0.5\nFalse,1.5\nTrue,2.0\n"),  # DataFrame.to_csv's booleans
        ("r.csv", "y,x\nTRUE,0.5\nFALSE,1.5\n true ,2.0\n"),  # R's write.csv
        ("data.json", '{"y": [true, false, true], "x": [0.5, 1.5, 2.0]}'),
    ],
)
def test_a_column_of_booleans_reads_as_ones_and_zeros(tmp_path, name, text):
    # found by a new user: a Bernoulli outcome saved by pandas was refused as text
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    columns = read_data(path)
    np.testing.assert_array_equal(columns["y"], [1, 0, 1])
    assert columns["y"].dtype == np.int64
    np.testing.assert_array_equal(columns["x"], [0.5, 1.5, 2.0])


@pytest.mark.parametrize(
    ("name", "text", "what"),
    [
        ("mixed.csv", "y\n1\nTrue\n0\n", "'True'"),
        ("mixed.json", '{"y": [1, true, 0]}', "True"),
    ],
)
def test_booleans_among_numbers_are_refused(tmp_path, name, text, what):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    module = types.SimpleNamespace(__name__="m", build=lambda data: data["y"])
    with pytest.raises(ic.DataError, match=f"column 'y' row 2 holds {what}"):
        build_model(module, read_data(path), name)


def test_a_decimal_comma_is_named_as_the_likely_cause(tmp_path):
    path = tmp_path / "komma.csv"
    path.write_text("id;y\n1;1,5\n2;2\n", encoding="utf-8")  # a European spreadsheet's export
    module = types.SimpleNamespace(__name__="m", build=lambda data: data["y"])
    with pytest.raises(ic.DataError, match=r"row 1 holds '1,5' \(a decimal comma\? write 1\.5\)"):
        build_model(module, read_data(path), "komma.csv")


_SCHOOLS_FROM_ONE = """
import numpy as np
import pymc as pm

DATA = {"school": np.array([1, 1, 2, 2, 3, 3]), "score": np.array([1.0, 1.2, 2.0, 2.1, 0.5, 0.7])}

def build(data):
    school = np.asarray(data["school"]).astype(int) - SHIFT
    with pm.Model(coords={"school": [1, 2, 3]}) as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 2)
        a = pm.Normal("a", mu, tau, dims="school")
        sigma = pm.HalfNormal("sigma", 2)
        pm.Normal("y", a[school], sigma, observed=data["score"])
    return model
"""


def _refused_run(tmp_path, capsys, source: str, csv_text: str) -> str:
    """Run a model file on a CSV; assert exit 2, one line, no output folder; return the line."""
    data_file = tmp_path / "scores.csv"
    data_file.write_text(csv_text)
    out = tmp_path / "out"
    argv = ["run", _write(tmp_path, source), "--data", str(data_file), "--out", str(out)]
    code = cli.main([*argv, "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert not out.exists()
    return err


@pytest.mark.parametrize(
    ("shift", "cells", "needle"),
    [
        (0, "1 1 2 2 3 3", "column 'school' row 5 holds 3, but it indexes a, whose 3 entries"),
        (1, "1 1 2 0 3 3", "column 'school' row 4 holds 0 (index -1 in the model), but it"),
    ],
    ids=["coded from one, used as is", "a zero, shifted by the model"],
)
def test_a_group_index_out_of_range_is_named_by_its_file_column_and_row(
    tmp_path, capsys, shift, cells, needle
):
    """Found by a new user: the refusal named the model's array and a 0-based position, where
    every other data error names the file's column and row."""
    scores = ["1.0", "1.2", "2.0", "2.1", "0.5", "0.7"]
    rows = [f"{school},{score}" for school, score in zip(cells.split(), scores, strict=True)]
    source = _SCHOOLS_FROM_ONE.replace("SHIFT", str(shift))
    err = _refused_run(tmp_path, capsys, source, "school,score\n" + "\n".join(rows) + "\n")
    assert f"data file 'scores.csv': {needle}" in err, err


def test_a_nan_in_a_model_files_data_is_named_where_pymc_refuses_it(tmp_path, capsys):
    """Found by a new user: a NaN in DATA read through pm.Data was reported as the build's
    failure with PyMC's words on masked arrays and imputation, not as the data's mistake."""
    source = (
        "import numpy as np\nimport pymc as pm\n"
        "DATA = {'x': np.array([1.0, 2.0, 3.0]), 'y': np.array([1.1, np.nan, 2.9])}\n"
        "def build(data):\n    with pm.Model() as m:\n"
        "        y = pm.Data('y', data['y'])\n        b = pm.Normal('b', 0, 10)\n"
        "        pm.Normal('obs', b * data['x'], 1, observed=y)\n    return m\n"
    )
    out = tmp_path / "out"
    code = cli.main(["run", _write(tmp_path, source), "--no-progress", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "the model's DATA: column 'y' row 2 holds nan; every value must be a finite" in err
    assert not out.exists()


def test_a_fractional_group_number_truncated_by_the_model_is_refused(tmp_path, capsys):
    """Found by a new user: school = 0.5 in row 6, and the model's ``.astype(int)`` made it
    school 0 without a word (the same numbers as the clean data)."""
    source = _SCHOOLS_FROM_ONE.replace("SHIFT", "1")
    csv_text = "school,score\n1,1.0\n1,1.2\n2,2.0\n2,2.1\n3,0.5\n2.5,0.7\n"
    err = _refused_run(tmp_path, capsys, source, csv_text)
    assert "column 'school' row 6 holds 2.5, but the model truncates it to 1, an index" in err


def test_groups_written_as_decimals_are_named_when_build_cannot_index_with_them(tmp_path, capsys):
    """Found by a new user: groups written 0.0, 1.0 read as floats; indexing with them failed
    in build with NumPy's "index must be integers", naming no column."""
    source = _SCHOOLS_FROM_ONE.replace(
        'np.asarray(data["school"]).astype(int) - SHIFT', 'data["school"]'
    )
    assert source != _SCHOOLS_FROM_ONE
    csv_text = "school,score\n0.0,1.0\n0.0,1.2\n1.0,2.0\n1.0,2.1\n2.0,0.5\n2.0,0.7\n"
    err = _refused_run(tmp_path, capsys, source, csv_text)
    assert "column 'school' holds whole numbers written as decimals" in err, err


#: The same model coding its groups from their names, as the PyMC gallery does.
_SCHOOLS_BY_NAME = "import pandas as pd\n" + _SCHOOLS_FROM_ONE.replace(
    'school = np.asarray(data["school"]).astype(int) - SHIFT',
    'school, names = pd.factorize(np.asarray(data["school"]))',
).replace('coords={"school": [1, 2, 3]}', 'coords={"school": names}')


def test_a_column_of_group_names_reaches_build_as_text_labels(tmp_path, capsys):
    """Found by a new user: a radon-style CSV (county names, coded by pd.factorize in build,
    as the PyMC gallery does) was refused: "column 'school' row 1 holds 'A'"."""
    names = ["Aitkin", "Aitkin", "Anoka", "Anoka", "Benton", "Benton"]
    scores = ["1.0", "1.2", "2.0", "2.1", "0.5", "0.7"]
    rows = [f"{n},{s},s{i}" for i, (n, s) in enumerate(zip(names, scores, strict=True))]
    named = tmp_path / "named.csv"
    named.write_text("school,score,student\n" + "\n".join(rows) + "\n")
    coded = tmp_path / "coded.csv"
    coded.write_text("school,score\n0,1.0\n0,1.2\n1,2.0\n1,2.1\n2,0.5\n2,0.7\n")
    model_file = _write(tmp_path, _SCHOOLS_BY_NAME)
    tables = []
    for data_file, out in [(named, tmp_path / "by_name"), (coded, tmp_path / "by_code")]:
        argv = ["run", model_file, "--data", str(data_file), "--methods", "mle"]
        code = cli.main([*argv, "--no-progress", "--seed", "1", "--out", str(out)])
        assert code == 0, capsys.readouterr().err
        tables.append(pd.read_csv(out / "summary.csv"))
    by_name, by_code = tables
    assert {"a[Aitkin]", "a[Anoka]", "a[Benton]"} <= set(by_name["parameter"])
    np.testing.assert_allclose(by_name["estimate"], by_code["estimate"], rtol=1e-10)
    report = (tmp_path / "by_name" / "report.html").read_text()
    said = (
        "Data file named.csv: 3 columns, 6 rows. Text labels, read by the model: school (3 names)."
    )
    assert said in report
    assert "Not numeric, and not read by the model: student." in report


def test_text_that_build_cannot_use_as_numbers_is_the_datas_mistake(tmp_path, capsys):
    source = _SCHOOLS_FROM_ONE.replace("SHIFT", "0")  # casts the groups with .astype(int)
    err = _refused_run(tmp_path, capsys, source, "school,score\nA,1.0\nA,1.2\nB,2.0\nB,2.1\n")
    assert "data file 'scores.csv': column 'school' holds text (row 1: 'A'), and" in err, err
    assert "pd.factorize" in err


def test_a_name_in_one_row_only_is_pointed_out_as_a_possible_misspelling():
    """Found by a new user: a misspelled county (AITKEN for AITKIN) became a group of one row,
    with nothing said."""
    from inference_compare.runner import _describe_labels

    names = np.array(["AITKIN", "AITKEN", "AITKIN", "ANOKA", "ANOKA"])
    assert _describe_labels("county", names) == "county (3 names; in one row only: AITKEN)"
    assert _describe_labels("county", np.array(["A", "B"])) == "county (2 names)"


def test_a_column_of_names_with_a_gap_or_a_number_names_that_row(tmp_path):
    """Found by a new user: an empty cell in row 6 of a county column was reported as "row 1
    holds 'AITKIN'; every value must be a finite number", the opposite of the fix."""
    counties = ["AITKIN", "AITKIN", "ANOKA", "ANOKA", "BENTON", "BENTON"]
    for bad, what in [("", "a missing value"), ("5", "'5', a number,")]:
        cells = [*counties[:5], bad]
        path = tmp_path / "radon.csv"
        path.write_text("county,y\n" + "".join(f"{c},1.0\n" for c in cells))
        data = read_data(path)
        with pytest.raises(ic.DataError, match=f"column 'county' row 6 holds {what} among names"):
            data["county"]
