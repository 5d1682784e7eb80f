"""The ``inference-compare`` command, in-process and as a subprocess, and its data files."""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SMALL_RUN
from PIL import Image

import inference_compare as ic
from inference_compare import cli, runner
from inference_compare.data import build_model, read_data
from inference_compare.progress import StepProgress, progress_enabled

SMALL_ARGS = [
    "--draws",
    str(SMALL_RUN["draws"]),
    "--tune",
    str(SMALL_RUN["tune"]),
    "--chains",
    str(SMALL_RUN["chains"]),
    "--seed",
    str(SMALL_RUN["random_seed"]),
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--hide-scrollbars",
    "--no-first-run",
]
#: Width of a phone screen in CSS pixels, for the "readable on a phone" check.
PHONE_WIDTH = 390


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def command() -> list[str]:
    script = Path(sys.executable).parent / "inference-compare"
    return [str(script)] if script.exists() else [sys.executable, "-m", "inference_compare.cli"]


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("inference-compare: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "coin"
    code, stdout, stderr = run_main(
        ["run", "coin_flip", "--out", str(out), "--no-progress", *SMALL_ARGS]
    )
    assert code == 0, stderr
    return out, stdout


# ----------------------------------------------------------------------------- run


def test_run_writes_every_output(run_dir):
    out, stdout = run_dir
    for name in (
        "report.html",
        "summary.csv",
        "summary.md",
        "comparison.nc",
        "figures/forest.png",
        "figures/density_p.png",
    ):
        assert (out / name).is_file(), name
    assert f"Report: {(out / 'report.html').resolve()}" in stdout
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_run_agrees_with_python_api(run_dir, coin_cmp):
    out, _ = run_dir
    expected = coin_cmp.table()
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv"), expected, check_dtype=False)
    saved = ic.load(out / "comparison.nc")
    pd.testing.assert_frame_equal(saved.table(), expected)
    assert saved.attrs["random_seed"] == SMALL_RUN["random_seed"]
    assert saved.attrs["command"].startswith("inference-compare run coin_flip")
    assert saved.attrs["data"] == {"y": ic.load_model("coin_flip").DATA["y"].tolist()}
    report = (out / "report.html").read_text()
    for value in expected["estimate"]:
        assert f"{value:.4g}" in report
    assert f"{expected['estimate'].iloc[0]:.4g}" in (out / "summary.md").read_text()


def test_report_command_rewrites_the_report(run_dir, tmp_path):
    out, _ = run_dir
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "report.html").unlink()
    code, stdout, stderr = run_main(["report", str(copy)])
    assert code == 0, stderr
    rewritten = (copy / "report.html").read_text()
    assert "likelihood" in rewritten and "graph TD" in rewritten
    original = (out / "report.html").read_text()
    for role in ("free parameter", "observed"):  # the model's variables, stored by the run
        assert rewritten.count(role) == original.count(role) > 0
    assert "prior and the likelihood are not drawn" not in rewritten  # the model was rebuilt
    pd.testing.assert_frame_equal(
        pd.read_csv(copy / "summary.csv"), pd.read_csv(out / "summary.csv")
    )


def test_report_command_draws_the_stored_curves_without_compiling(run_dir, tmp_path, monkeypatch):
    import pymc as pm
    import pytensor

    from inference_compare.report.rewrite import rewrite_report

    def refuse(*args, **kwargs):
        raise AssertionError("report DIR compiled or sampled")

    for module, name in ((pytensor, "function"), (pm, "sample_prior_predictive"), (pm, "sample")):
        monkeypatch.setattr(module, name, refuse)
    out, _ = run_dir
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "figures" / "density_p.png").unlink()
    rewrite_report(copy)
    assert (copy / "figures" / "density_p.png").is_file()
    page = (copy / "report.html").read_text()
    assert "prior and the likelihood are not drawn" not in page  # the stored curves have them


def test_report_command_imports_no_pymc_and_keeps_the_saved_comparison(run_dir, tmp_path):
    # a fresh interpreter, as a user runs it: redrawing reads and draws, nothing more
    out, _ = run_dir
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    saved = (copy / "comparison.nc").read_bytes()
    # the program's own entry point; the run's figures are read back, not drawn: no
    # matplotlib, and no Dask (which xarray would import to test each variable it reads)
    script = (
        "import atexit, sys; sys.argv = ['inference-compare', 'report', sys.argv[1]]; "
        "heavy = ('pymc', 'pytensor', 'nutpie', 'arviz_stats', 'matplotlib', 'dask.array'); "
        "atexit.register(lambda: print('HEAVY', [m for m in heavy if sys.modules.get(m)])); "
        "from inference_compare.cli import console; console()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(copy)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout
    assert (copy / "comparison.nc").read_bytes() == saved  # not written again


def test_report_command_draws_the_figures_again_only_when_their_source_changed(
    run_dir, tmp_path, monkeypatch
):
    from inference_compare.report import figures, outputs
    from inference_compare.report.rewrite import rewrite_report

    drawn: list[str] = []

    def counted(cmp):
        drawn.append("drawn")
        return figures.draw_figures(cmp)

    monkeypatch.setattr(outputs, "draw_figures", counted)
    out, _ = run_dir
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    forest = (copy / "figures" / "forest.png").read_bytes()
    rewrite_report(copy)  # the same comparison, code and matplotlib: read back
    assert drawn == []
    assert (copy / "figures" / "forest.png").read_bytes() == forest
    assert "data:image/png;base64," in (copy / "report.html").read_text()
    record = copy / "figures" / figures.DRAWN_FROM
    entry = json.loads(record.read_text())
    record.write_text(json.dumps({**entry, "source": "0" * 64}))  # drawn from something else
    rewrite_report(copy)
    assert drawn == ["drawn"]
    rewrite_report(copy)  # recorded again when drawn
    assert drawn == ["drawn"]
    (copy / "figures" / "forest.png").unlink()  # a figure gone: all drawn again
    rewrite_report(copy)
    assert drawn == ["drawn", "drawn"]
    assert (copy / "figures" / "forest.png").read_bytes() == forest


def test_report_in_headless_browser(run_dir, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required on CI (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    out, _ = run_dir
    report = (out / "report.html").read_text()
    # A copy of the report whose script, once the page has loaded, writes each image's decoded
    # size and the page's width into the DOM, which chromium then dumps.
    probe = """<script>window.addEventListener("load", () => {
      const pre = document.createElement("pre"); pre.id = "probe";
      pre.textContent = JSON.stringify({
        images: [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight]),
        scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth});
      document.body.appendChild(pre);});</script></body>"""
    checked = tmp_path / "probe.html"
    checked.write_text(report.replace("</body>", probe))

    def chromium_run(*args: str) -> subprocess.CompletedProcess:
        profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
        return subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    done = chromium_run(
        f"--window-size={PHONE_WIDTH},844",
        "--virtual-time-budget=10000",
        "--dump-dom",
        checked.as_uri(),
    )
    found = [line for line in done.stdout.split('<pre id="probe">')[1:]]
    assert found, done.stderr[-2000:]
    result = json.loads(html.unescape(found[0].split("</pre>", 1)[0]))
    assert len(result["images"]) == 2
    for complete, width, height in result["images"]:
        assert complete and width > 0 and height > 0, "an image did not decode"
    assert result["scrollWidth"] <= result["innerWidth"] + 1, "page scrolls sideways on a phone"

    shot = tmp_path / "report.png"
    done = chromium_run(
        "--window-size=1000,2400", f"--screenshot={shot}", (out / "report.html").as_uri()
    )
    assert shot.is_file(), done.stderr[-2000:]
    with Image.open(shot) as img:
        assert img.size == (1000, 2400)
        assert len(img.convert("L").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 10

    pdf = tmp_path / "report.pdf"  # readable when printed: the print stylesheet renders
    done = chromium_run(
        f"--print-to-pdf={pdf}", "--no-pdf-header-footer", (out / "report.html").as_uri()
    )
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), done.stderr[-2000:]


def test_run_as_subprocess_agrees_with_api(tmp_path):
    out = tmp_path / "sub"
    done = subprocess.run(
        [
            *command(),
            "run",
            "coin_flip",
            "--methods",
            "mle,map",
            "--out",
            str(out),
            "--seed",
            "3",
            "--draws",
            "200",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.strip() == ""
    module = ic.load_model("coin_flip")
    expected = ic.compare(
        module.build(module.DATA), methods=("mle", "map"), random_seed=3, draws=200
    ).table()
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv"), expected, check_dtype=False)
    assert (out / "report.html").is_file() and (out / "figures" / "forest.png").is_file()


def test_bad_model_name_as_subprocess():
    done = subprocess.run(
        [*command(), "run", "no_such_model"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert_one_line_error(done.returncode, done.stderr, "unknown model 'no_such_model'")


def test_user_model_file_and_csv_data(tmp_path):
    model_file = tmp_path / "heads.py"
    model_file.write_text(
        textwrap.dedent('''\
        """Heads <b>and</b> tails: a user's own model file."""
        import numpy as np
        import pymc as pm

        DATA = {"heads": np.array([1, 0, 1])}

        def build(data):
            with pm.Model() as model:
                p = pm.Beta("p", 2, 2)
                pm.Bernoulli("obs", p=p, observed=np.asarray(data["heads"]))
            return model
    ''')
    )
    data = tmp_path / "tosses <1>.csv"
    data.write_text("heads,<img src=x onerror=alert(1)>\n1,5\n1,6\n0,7\n1,8\n")
    out = tmp_path / "out"
    code, stdout, stderr = run_main(
        [
            "run",
            str(model_file),
            "--data",
            str(data),
            "--out",
            str(out),
            "--methods",
            "mle,map",
            "--no-progress",
        ]
    )
    assert code == 0, stderr
    table = pd.read_csv(out / "summary.csv").set_index("method")
    assert table.loc["mle", "estimate"] == pytest.approx(0.75, abs=1e-6)  # 3 heads in 4
    report = (out / "report.html").read_text()
    assert "<img src=x" not in report and "&lt;img src=x onerror=alert(1)&gt;" in report
    assert "Heads &lt;b&gt;and&lt;/b&gt; tails" in report
    assert "tosses &lt;1&gt;.csv" in report
    # the title names the data file: a model file's title may describe its own data (found by
    # a new user: "from 7 heads in 10 tosses" over a report of 10 heads)
    assert (
        "<title>Heads &lt;b&gt;and&lt;/b&gt; tails, with the data of tosses &lt;1&gt;.csv" in report
    )


# ----------------------------------------------------------------------------- errors


@pytest.fixture
def csv(tmp_path):
    def write(text: str, name: str = "data.csv") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def test_bad_model_name(tmp_path):
    code, _, err = run_main(["run", "no_such_model", "--out", str(tmp_path)])
    assert_one_line_error(code, err, "unknown model 'no_such_model'", "coin_flip")
    assert "did you mean" not in err  # nothing is close
    code, _, err = run_main(["run", "coin_flp", "--out", str(tmp_path)])
    assert_one_line_error(code, err, "unknown model 'coin_flp': did you mean 'coin_flip'?")


def test_missing_data_file(tmp_path):
    code, _, err = run_main(["run", "coin_flip", "--data", str(tmp_path / "nope.csv")])
    assert_one_line_error(code, err, "nope.csv", "does not exist")


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("x\n1\n0\n", ["reads column 'y'", "columns found: 'x'"]),
        ("y\n1\nheads\n1\n", ["column 'y' row 2", "'heads'"]),
        ("y\n1\nNaN\n1\n", ["column 'y' row 2", "'NaN'"]),
        ("y\n1\n\n1\n", ["column 'y' row 2", "missing value"]),  # a blank line is a row
        ("y\n1\n0,1\n", ["row 2 has 2 fields, but the header has 1"]),
        ("", ["is empty"]),
        ("y\n", ["no rows"]),
        # a first row with one field too many: pandas took it as an index column and shifted
        # every value one column over ("column 'y' row 2 holds a missing value")
        ("x,y\n0,1,5\n0,1\n", ["row 1 has 3 fields, but the header has 2"]),
        # pandas renamed the second y to y.1 and the model read the first one
        ("y,y\n1,0\n", ["names the column 'y' twice in its header"]),
    ],
    ids=[
        "wrong-column",
        "text",
        "nan",
        "blank-line",
        "ragged",
        "empty",
        "header-only",
        "extra-field",
        "named-twice",
    ],
)
def test_malformed_csv(csv, tmp_path, text, needles):
    if not needles:
        assert read_data(csv(text))["y"].tolist() == [1, 1]
        return
    code, _, err = run_main(["run", "coin_flip", "--data", csv(text), "--out", str(tmp_path)])
    assert_one_line_error(code, err, "data.csv", *needles)
    assert not (tmp_path / "report.html").exists()


def test_a_text_column_the_model_never_reads_is_left_out_and_said(csv, tmp_path):
    # found by new users: an ID column stopped the run ("column 'id' row 1 holds 'a'")
    data = csv("id,y\nA7,1\nB2,0\nC9,1\nD4,1\n")
    code, _, err = run_main(
        ["run", "coin_flip", "--data", data, "--methods", "mle", "--out", str(tmp_path / "r")]
    )
    assert code == 0, err
    assert pd.read_csv(tmp_path / "r" / "summary.csv")["estimate"].iloc[0] == pytest.approx(0.75)
    report = (tmp_path / "r" / "report.html").read_text()
    assert "Not numeric, and not read by the model: id" in report
    assert "Data file data.csv: 2 columns, 4 rows." in report  # the text column counted too
    # read by the model, the same column is refused naming its first bad row
    code, _, err = run_main(
        ["run", "coin_flip", "--data", csv("y\nA7\n1\n", "t.csv"), "--out", str(tmp_path / "t")]
    )
    assert_one_line_error(code, err, "t.csv", "column 'y' row 1", "'A7'")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "coin_flip", "--methods", "mle,bogus"], "bogus"),
        (["run", "coin_flip", "--ci-prob", "1.5"], "--ci-prob"),
        (["run", "coin_flip", "--draws", "0"], "--draws"),
        (["run", "coin_flip", "--seed", "-1"], "--seed"),
        (["run"], "MODEL"),
        ([], "COMMAND"),
        (["frobnicate"], "frobnicate"),
        (["report", "/no/such/dir"], "comparison.nc"),
        (["study", "coin_flip", "--sizes", "10,30", "--replicates", "0"], "--replicates"),
        (["study", "coin_flip", "--sizes", "10", "--replicates", "2", "--methods", "em"], "em"),
        (["study", "coin_flip", "--sizes", "10,x", "--replicates", "5"], "--sizes"),
        (["run", "coin_flip", "--methods", ""], "at least one method is needed: choose from"),
        (["run", "coin_flip", "--methods", " , "], "at least one method is needed"),
        (["run", "coin_flip", "--heldout", "1"], "--heldout: expected 0 (off) or an integer >= 2"),
        (["run", "coin_flip", "--heldout", "-2"], "--heldout: expected 0 (off) or an integer >= 2"),
        (["run", "coin_flip", "--seed", "-3"], "--seed"),
        (["run", "coin_flip", "--methods", "map", "--profile"], "add mle to --methods"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, needle):
    code, _, err = run_main(argv)
    assert_one_line_error(code, err, needle)


def test_out_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    code, _, err = run_main(["run", "coin_flip", "--methods", "mle", "--out", str(target)])
    assert_one_line_error(code, err, "is a file")


def test_help_and_version_exit_0():
    code, out, _ = run_main(["--help"])
    assert code == 0 and "run" in out and "report" in out
    code, out, _ = run_main(["--version"])
    assert code == 0 and ic.__version__ in out


def test_internal_failure_exits_1(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\ninside")

    monkeypatch.setattr(runner, "run_model", broken)
    code, _, err = run_main(["run", "coin_flip"])
    assert code == 1
    assert err.strip().count("\n") == 0 and "internal error: RuntimeError: boom inside" in err


def test_list():
    code, out, _ = run_main(["list"])
    assert code == 0
    for name, title in ic.list_models().items():
        assert any(line.split()[0] == name and title in line for line in out.splitlines())


@pytest.mark.parametrize("seed", [-3, 2.5, True, "1"])
def test_a_seed_that_is_no_integer_at_least_0_is_a_usage_error(seed):
    coin = ic.load_model("coin_flip")
    with pytest.raises(ic.UsageError, match=r"random_seed must be an integer >= 0"):
        ic.compare(coin.build(coin.DATA), random_seed=seed, methods="mle", progressbar=False)


def test_a_key_missing_from_the_models_own_data_names_that_data(tmp_path):
    model = tmp_path / "raises.py"
    model.write_text(
        "import pymc as pm\nDATA = {'y': [1, 2]}\n\n"
        "def build(data):\n    data['x']\n    return pm.Model()\n"
    )
    code, _, err = run_main(["run", str(model), "--out", str(tmp_path / "out")])
    assert_one_line_error(code, err, "reads column 'x', which the model's DATA lacks")
    assert "data file" not in err


def _with_stdout_closed(*argv: str) -> subprocess.CompletedProcess:
    """Run the command with its standard output a pipe whose reader is gone (``| head``)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(
            [*command(), *argv], stdout=writer, stderr=subprocess.PIPE, text=True, timeout=300
        )
    finally:
        os.close(writer)


def test_a_closed_standard_output_is_not_an_error(run_dir, tmp_path):
    listed = _with_stdout_closed("list")
    assert (listed.returncode, listed.stderr) == (0, "")
    copy = tmp_path / "copy"
    shutil.copytree(run_dir[0], copy)
    (copy / "report.html").unlink()
    redrawn = _with_stdout_closed("report", str(copy))  # the work is done, then printed
    assert (redrawn.returncode, redrawn.stderr) == (0, "")
    assert (copy / "report.html").is_file()


# ----------------------------------------------------------------------------- data files


def test_read_json_columns_and_records(tmp_path):
    columns = tmp_path / "c.json"
    columns.write_text('{"y": [1, 0, 1], "x": [0.5, 1, 2]}')
    records = tmp_path / "r.json"
    records.write_text('[{"y": 1, "x": 0.5}, {"y": 0, "x": 1}, {"y": 1, "x": 2}]')
    for path in (columns, records):
        data = read_data(path)
        assert data["y"].dtype.kind == "i" and data["y"].tolist() == [1, 0, 1]
        np.testing.assert_array_equal(data["x"], [0.5, 1.0, 2.0])


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"y": [1, 0], "x": [1]}', "different lengths"),
        ('{"y": [1, null]}', "row 2 holds None"),
        ('{"y": [[1, 0]]}', "not one-dimensional"),
        ('{"y": [1, "a"]}', "'a'"),
        ("[1, 2]", "records"),
        ("{", "not valid JSON"),
        ("[]", "empty list"),
        ('[{"y": 1}, {"x": 2}]', "lacks"),
    ],
)
def test_malformed_json(tmp_path, content, needle):
    path = tmp_path / "d.json"
    path.write_text(content)
    with pytest.raises(ic.DataError, match=needle):
        read_data(path)


def test_unknown_format_and_failing_build(tmp_path):
    path = tmp_path / "d.xlsx"
    path.write_text("")
    with pytest.raises(ic.DataError, match="unknown format"):
        read_data(path)
    module = ic.load_model("coin_flip")
    with pytest.raises(ic.DataError, match="reads column 'y'"):
        build_model(module, {"z": np.array([1])}, source="d.csv")


# ----------------------------------------------------------------------------- progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal():
    assert not progress_enabled(True, io.StringIO())
    assert not progress_enabled(False, _Tty())
    assert progress_enabled(True, _Tty())


def test_step_progress_reports_each_step():
    stream = _Tty()
    with StepProgress(enabled=True, stream=stream) as step:
        step("compiling")
        step("mle: trust-exact: converged")
        step("fitting bayes")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stream.getvalue())  # no colour codes
    assert "done compiling" in text and "trust-exact" in text and "done fitting bayes" in text
    quiet = io.StringIO()
    with StepProgress(enabled=False, stream=quiet) as step:
        step("compiling")
    assert quiet.getvalue() == ""


def test_study_command_writes_the_study_report_and_resumes(tmp_path):
    out = tmp_path / "study"
    argv = [
        "study",
        "coin_flip",
        "--sizes",
        "10,30",
        "--replicates",
        "4",
        "--methods",
        "mle,map",
        "--seed",
        "3",
        "--out",
        str(out),
        "--no-progress",
    ]
    code, stdout, _ = run_main(argv)
    assert code == 0 and "Study report" in stdout
    metrics = pd.read_csv(out / "metrics.csv")
    assert set(metrics["size"]) == {10, 30} and set(metrics["method"]) == {"mle", "map"}
    assert "<img" in (out / "study.html").read_text()
    code, _, err = run_main(argv)  # the folder holds a study: refuse to overwrite it
    assert_one_line_error(code, err, "--resume")
    code, stdout, _ = run_main([*argv, "--resume"])
    assert code == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "metrics.csv").drop(columns="seconds"), metrics.drop(columns="seconds")
    )
    code, stdout, _ = run_main(["report", str(out)])
    assert code == 0 and "study.html" in stdout


def test_run_with_profile_adds_profile_interval_columns(tmp_path):
    code, _, _ = run_main(
        [
            "run",
            "coin_flip",
            "--methods",
            "mle,map",
            "--profile",
            "--seed",
            "1",
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert code == 0
    table = pd.read_csv(tmp_path / "summary.csv").set_index("method")
    # coin flip 7/10: the likelihood-ratio interval (see test_profile for the reference)
    assert table.loc["mle", "profile_lower"] == pytest.approx(0.39346, abs=1e-4)
    assert table.loc["mle", "profile_upper"] == pytest.approx(0.91544, abs=1e-4)


# ----------------------------------------------------------------------------- analyses

#: The analyses' part of the report, between the per-method sections and the diagnostics.
ANALYSES_SECTIONS = re.compile(
    r'<section id="prior-influence">.*(?=<section id="diagnostics">)', re.S
)


@pytest.fixture(scope="module")
def analyses_dir(tmp_path_factory) -> Path:
    """One coin-flip run with every optional analysis switched on."""
    out = tmp_path_factory.mktemp("analyses") / "coin"
    flags = ["--prior-sweep", "--khat", "--sensitivity", "--profile"]
    code, _, stderr = run_main(
        ["run", "coin_flip", "--out", str(out), "--no-progress", *SMALL_ARGS, *flags]
    )
    assert code == 0, stderr
    assert stderr == ""  # ArviZ's psense log line stays out of the terminal
    return out


def _page_text(path: Path) -> str:
    """The report's text as a reader sees it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def _without_images(text: str) -> str:
    return re.sub(r"data:image/png;base64,[^\"]*", "", text)


def test_prior_influence_is_reported_by_default(run_dir):
    out, _ = run_dir
    report = html.unescape((out / "report.html").read_text())
    se = np.sqrt(0.7 * 0.3 / 10)
    shift = (10 / 16 - 0.7) / se  # coin flip 7/10, Beta(4, 4): MAP 10/16, MLE 0.7
    table = pd.read_csv(out / "summary.csv").set_index("method")
    narrower = 1 - table.loc["map", "sd"] / table.loc["mle", "sd"]
    sentence = (
        f"pulls p {abs(shift):.2f} standard errors toward 0.5 (its prior median) and narrows "
        f"its uncertainty by {narrower:.0%}"
    )
    assert sentence in report
    assert sentence in (out / "summary.md").read_text()
    for section in ("prior-strength", "laplace-trust", "sensitivity"):  # off by default
        assert f'id="{section}"' not in report


def test_run_prior_sweep_follows_the_closed_form(analyses_dir):
    saved = ic.load(analyses_dir / "comparison.nc")
    sweep = pd.DataFrame(saved.attrs["prior_sweep"])
    np.testing.assert_allclose(sweep["prior_scale"], np.geomspace(0.1, 100, 13))
    s = sweep["prior_scale"].to_numpy()
    # Beta(4, 4) flattened to Beta(1 + 3/s, 1 + 3/s): the MAP of 7 heads in 10 is this
    np.testing.assert_allclose(sweep["map"], (7 + 3 / s) / (10 + 6 / s), rtol=1e-6)
    np.testing.assert_allclose(sweep["mle"], 0.7, rtol=1e-6)
    report = (analyses_dir / "report.html").read_text()
    assert 'id="prior-strength"' in report
    for value in sweep["map"]:
        assert f"{value:.6g}" in report
    assert "MAP against the prior scale" in report
    with Image.open(analyses_dir / "figures" / "prior_sweep.png") as img:
        img.verify()
    assert (
        "Prior strength: MAP of `p` 0.528571 at prior scale 0.1"
        in (analyses_dir / "summary.md").read_text()
    )


def test_run_khat_and_sensitivity_are_reported(analyses_dir):
    saved = ic.load(analyses_dir / "comparison.nc")
    khat = float(saved.attrs["laplace_khat"])
    assert np.isfinite(khat) and khat <= 0.7  # Beta(11, 7) posterior: close to normal
    report = _page_text(analyses_dir / "report.html")
    assert f"Pareto k-hat {khat:.2f} (\u2264 0.7): the normal approximation" in report
    psense = pd.DataFrame(saved.attrs["psense"])
    assert list(psense["parameter"]) == list(saved.table()["parameter"].unique())
    assert (psense[["prior", "likelihood"]] >= 0).all(axis=None)
    for r in psense.itertuples():
        assert f"{r.prior:.3f}" in report and f"{r.likelihood:.3f}" in report
    loo = saved.attrs["loo"]
    assert loo["n_data_points"] == 10 and loo["n_samples"] == 400
    assert loo["k_good"] + loo["k_bad"] + loo["k_very_bad"] == 10
    assert np.isfinite(loo["elpd"]) and loo["elpd"] < 0
    assert f"{loo['elpd']:.2f} (SE {loo['se']:.2f})" in report
    assert "log_likelihood" not in saved.fits["bayes"].children  # the file does not grow
    table = saved.table().set_index("method")
    profile = f"[{table.loc['mle', 'profile_lower']:.4g}, {table.loc['mle', 'profile_upper']:.4g}]"
    assert f"{profile} profile" in report  # beside the Wald interval
    summary = (analyses_dir / "summary.md").read_text()
    for needle in ("Profile-likelihood intervals", "Pareto k-hat", "Power-scaling", "PSIS-LOO"):
        assert needle in summary


def test_report_command_keeps_the_analyses(analyses_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(analyses_dir, copy)
    (copy / "report.html").unlink()
    code, _, stderr = run_main(["report", str(copy)])
    assert code == 0, stderr
    before = ANALYSES_SECTIONS.search(_without_images((analyses_dir / "report.html").read_text()))
    after = ANALYSES_SECTIONS.search(_without_images((copy / "report.html").read_text()))
    assert before and after and before.group() == after.group()
    for section in ("prior-influence", "prior-strength", "laplace-trust", "sensitivity"):
        assert f'id="{section}"' in after.group()
    assert (copy / "figures" / "prior_sweep.png").is_file()
    assert (copy / "summary.md").read_text() == (analyses_dir / "summary.md").read_text()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["coin_flip", "--sensitivity", "--methods", "mle,map"], "add bayes to --methods"),
        (["gaussian", "--prior-sweep"], "prior_scale"),
    ],
)
def test_analysis_flags_refuse_before_fitting(argv, needle, tmp_path):
    code, _, err = run_main(["run", *argv, "--out", str(tmp_path), "--no-progress"])
    assert_one_line_error(code, err, needle)
    assert not (tmp_path / "report.html").exists()


@pytest.mark.slow
def test_run_heldout_reports_the_predictive_comparison(tmp_path):
    argv = [
        "run",
        "coin_flip",
        "--heldout",
        "2",
        "--draws",
        "200",
        "--tune",
        "200",
        "--chains",
        "2",
        "--seed",
        "1",
        "--out",
        str(tmp_path),
        "--no-progress",
    ]
    code, _, err = run_main(argv)
    assert code == 0, err
    html_text = (tmp_path / "report.html").read_text()
    assert 'id="heldout"' in html_text and "held-out elpd" in html_text
    assert "Held-out log score" in (tmp_path / "summary.md").read_text()
    code, _, err = run_main(["run", "coin_flip", "--heldout", "1", "--out", str(tmp_path)])
    assert code == 2  # one fold cannot hold anything out


def test_the_reproduce_command_of_an_unseeded_run_reproduces_it(tmp_path):
    first = tmp_path / "first"
    code, _, err = run_main(
        ["run", "coin_flip", "--methods", "mle,map", "--no-progress", "--out", str(first)]
    )
    assert code == 0, err
    saved = ic.load(first / "comparison.nc")
    recorded = saved.attrs["command"]
    assert f"--seed {saved.attrs['random_seed']}" in recorded  # the drawn seed, written out
    assert f"Reproduce: `{recorded}`" in (first / "summary.md").read_text()
    argv = shlex.split(recorded)[1:]
    argv[argv.index("--out") + 1] = str(tmp_path / "again")
    code, _, err = run_main(argv)
    assert code == 0, err
    again = pd.read_csv(tmp_path / "again" / "summary.csv")
    pd.testing.assert_frame_equal(again, pd.read_csv(first / "summary.csv"))
