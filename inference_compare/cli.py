"""The ``inference-compare`` command: argument parsing, progress and exit codes (thin).

Exit status: 0 on success, 2 on bad input or usage (one line on stderr, no traceback), 1 on an
internal failure (one line; set ``INFERENCE_COMPARE_DEBUG=1`` for the traceback), 130 when
interrupted (SIGINT or SIGTERM) before the outputs were published. Once they are, the run is
done: later signals are ignored until the process exits. A standard output closed by its reader
(``| head``) is no error: the rest of the output is dropped, the work goes on, and the exit
status is the command's own (0 when it succeeded).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from inference_compare._interrupt import (
    STOP_SIGNALS,
    caused_by_interrupt,
    final_once_published,
    swallowed_interrupts,
)
from inference_compare._stdout import echo, flush
from inference_compare.errors import InferenceCompareError, StudyInterrupted, UsageError
from inference_compare.settings import (
    COMPARE_NUTS,
    EXACT_NUTS,
    STUDY_NUTS,
    TARGET_ACCEPT,
    NUTSDefaults,
)

__all__ = ["main"]

PROG = "inference-compare"
EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one-line `UsageError` s, not usage dumps + exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _checked[T: (int, float)](
    convert: Callable[[str], T], ok: Callable[[T], bool], expected: str
) -> Callable[[str], T]:
    """Return an argparse ``type``: ``convert`` the text, and refuse a value not ``ok``."""

    def parse(text: str) -> T:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_int = _checked(int, lambda v: v >= 1, "an integer >= 1")
_folds = _checked(int, lambda v: v == 0 or v >= 2, "0 (off) or an integer >= 2")
_seed = _checked(int, lambda v: 0 <= v < 2**63, "an integer in [0, 2**63)")
_probability = _checked(float, lambda v: 0 < v < 1, "a number in (0, 1)")


def _latent(text: str) -> str | list[str] | None:
    """``--latent``: "none", "auto" or comma-separated variable names."""
    text = text.strip()
    if text.lower() == "none":
        return None
    if text.lower() in ("auto", "default"):
        return text.lower()
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected variable names a,b, 'auto' or 'none'")
    return names


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _sizes(text: str) -> list[int]:
    return [_positive_int(part) for part in text.split(",") if part.strip()]


def _truth_grid(text: str) -> list[float]:
    """``START:STOP:STEP`` (both ends included) or a comma-separated list of numbers."""
    try:
        if ":" in text:
            start, stop, step = (float(part) for part in text.split(":"))
            if not step > 0 or stop < start:
                raise argparse.ArgumentTypeError(
                    f"in START:STOP:STEP the STEP must be > 0 and STOP >= START; got {text!r}"
                )
            count = int(round((stop - start) / step)) + 1
            return [round(start + i * step, 12) for i in range(count)]
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values:
        raise argparse.ArgumentTypeError(
            f"expected START:STOP:STEP (e.g. 0.01:0.99:0.01) or numbers a,b,c; got {text!r}"
        )
    return values


#: Where one ``NAME=VALUES`` of ``--truth`` ends: a space, comma or semicolon before the next name.
_NEXT_NAME = re.compile(r"[\s,;]+(?=[A-Za-z_][\w.]*\s*=)")


def _truth_spec(text: str) -> list[float] | dict[str, list[float]]:
    """``--truth``: a grid (one-parameter models), or ``NAME=VALUES`` for each parameter named.

    ``mu=0.3,sigma=1.2`` and ``'mu=0.3 sigma=1.2'`` name two parameters; each value is a
    number, a list ``a,b,c`` or a grid ``START:STOP:STEP``.
    """
    if "=" not in text:
        return _truth_grid(text)
    spec: dict[str, list[float]] = {}
    for part in _NEXT_NAME.split(text.strip()):
        name, sep, values = part.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise argparse.ArgumentTypeError(
                f"expected NAME=VALUES for each parameter (e.g. mu=0.3,sigma=1.2), got {part!r}"
            )
        if name in spec:
            raise argparse.ArgumentTypeError(f"{name!r} is given twice in {text!r}")
        try:
            spec[name] = _truth_grid(values.strip().rstrip(",;"))
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(f"the value of {name!r}: {exc}") from None
    return spec


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show each option's default, unless it has none (None, False) or the help names it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return super()._get_help_string(action) or text


def _model_parent() -> _Parser:
    """Return a parent parser: the MODEL argument and the options every fit shares."""
    parent = _Parser(add_help=False)
    parent.add_argument("model", metavar="MODEL", help="catalogue name or path to a model file")
    parent.add_argument(
        "--methods", default="mle,map,bayes", metavar="LIST", help="methods, comma-separated"
    )
    parent.add_argument(
        "--ci-prob", type=_probability, default=0.95, metavar="P", help="interval probability"
    )
    return parent


def _nuts_parent(nuts: NUTSDefaults, seed: int | None) -> _Parser:
    """Return a parent parser: NUTS settings and the seed, with one command's defaults."""
    parent = _Parser(add_help=False)
    parent.add_argument(
        "--draws",
        type=_positive_int,
        default=nuts.draws,
        metavar="N",
        help="NUTS draws per chain; also the Laplace draws that give the MLE and MAP intervals "
        "of deterministics and simplexes",
    )
    parent.add_argument(
        "--tune", type=_positive_int, default=nuts.tune, metavar="N", help="NUTS tuning steps"
    )
    parent.add_argument(
        "--chains", type=_positive_int, default=nuts.chains, metavar="N", help="NUTS chains"
    )
    parent.add_argument(
        "--target-accept",
        type=_probability,
        default=TARGET_ACCEPT,
        metavar="P",
        help="NUTS's target acceptance rate, in (0, 1); raise it (0.9, 0.95, 0.99) when the "
        "bayes fit reports divergences",
    )
    parent.add_argument(
        "--seed",
        type=_seed,
        default=seed,
        metavar="S",
        help="random seed" + (" (drawn and recorded when not given)" if seed is None else ""),
    )
    return parent


def _progress_parent() -> _Parser:
    parent = _Parser(add_help=False)
    parent.add_argument(
        "--no-progress", action="store_true", help="no progress display (also off when piped)"
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``inference-compare`` (its subcommands as in DESIGN.md).

    Options shared by several commands come from parent parsers, each with its help text; every
    default is shown by ``--help``.
    """
    parser = _Parser(
        prog=PROG,
        description="Fit one PyMC model by MLE, MAP and full Bayes, and report them side by side.",
    )
    from inference_compare._version import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    sub.add_parser("list", help="list the catalogue models", formatter_class=_HelpFormatter)

    run = sub.add_parser(
        "run",
        help="fit a model three ways and write the report",
        parents=[_model_parent(), _nuts_parent(COMPARE_NUTS, None), _progress_parent()],
        formatter_class=_HelpFormatter,
    )
    run.add_argument("--data", metavar="FILE", help="CSV or JSON data (default: the model's DATA)")
    run.add_argument("--out", metavar="DIR", help="output folder (default: reports/MODEL)")
    run.add_argument("--profile", action="store_true", help="add profile-likelihood intervals")
    run.add_argument(
        "--latent",
        type=_latent,
        default="default",
        metavar="a,b|auto|none",
        help="variables the MLE and MAP integrate out (default: the model file's LATENT, else "
        "auto: the group effects, whose prior depends on a parameter the likelihood does not "
        "read; none: no latent variable)",
    )
    run.add_argument(
        "--nagq",
        type=_positive_int,
        default=1,
        metavar="N",
        help="adaptive Gauss-Hermite points per group for integrating scalar group effects out "
        "(default: 1, the Laplace approximation; at most 25, as lme4's nAGQ)",
    )
    run.add_argument(
        "--prior-sweep",
        action="store_true",
        help="refit the MAP as the prior is flattened (build must accept prior_scale)",
    )
    run.add_argument(
        "--khat",
        action="store_true",
        help="Pareto k-hat: can the MAP's Laplace approximation be trusted?",
    )
    run.add_argument(
        "--sensitivity",
        action="store_true",
        help="power-scaling prior/likelihood sensitivity and PSIS-LOO of the bayes fit",
    )
    run.add_argument(
        "--heldout",
        type=_folds,
        default=0,
        metavar="K",
        help="K-fold held-out log predictive density of every method (refits K times; 0: off)",
    )

    study = sub.add_parser(
        "study",
        help="sample-size x replicate sweep of the methods",
        parents=[_model_parent(), _nuts_parent(STUDY_NUTS, 0), _progress_parent()],
        formatter_class=_HelpFormatter,
    )
    study.add_argument(
        "--sizes", type=_sizes, required=True, metavar="N,N,...", help="sample sizes"
    )
    study.add_argument(
        "--replicates", type=_positive_int, required=True, metavar="R", help="data sets per size"
    )
    study.add_argument("--out", metavar="DIR", help="study folder (default: reports/MODEL-study)")
    study.add_argument(
        "--workers", type=_positive_int, default=1, metavar="N", help="local worker processes"
    )
    study.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://host:port")
    study.add_argument("--resume", action="store_true", help="continue the study in --out")
    study.add_argument(
        "--ci-kind", choices=("eti", "hdi"), default="eti", help="kind of the Bayes interval"
    )
    study.add_argument(
        "--target-mcse",
        type=_positive_float,
        default=None,
        metavar="E",
        help="after the study, say how many replicates reach this Monte Carlo SE of coverage "
        "and bias (e.g. 0.005), and how long they would take",
    )
    study.add_argument(
        "--truth",
        choices=("fixed", "prior"),
        default="fixed",
        help="fixed: the model's TRUTH; prior: each replicate's truth drawn from the prior",
    )

    coverage = sub.add_parser(
        "coverage",
        help="exact coverage of every method's intervals, by enumerating the data",
        # --no-progress as run and study take it (coverage shows no progress display)
        parents=[_model_parent(), _nuts_parent(EXACT_NUTS, 0), _progress_parent()],
        formatter_class=_HelpFormatter,
    )
    coverage.add_argument(
        "--n", type=_positive_int, required=True, help="data size passed to design (required)"
    )
    coverage.add_argument(
        "--truth",
        type=_truth_spec,
        default=None,
        metavar="VALUES",
        help="true values (default: the model's TRUTH). One parameter: START:STOP:STEP, ends "
        "included (e.g. 0.01:0.99:0.01), or a,b,c (negative ones too: --truth -1,0.5). "
        "Several: NAME=VALUES for each, e.g. mu=0.3,sigma=1.2 or 'mu=0.3 sigma=1.2'; one of "
        "them may take several values (the truths swept), and a parameter not named takes the "
        "model's TRUTH. A vector parameter takes all its values: theta=0.6,0.3,0.1",
    )
    coverage.add_argument(
        "--out", metavar="DIR", help="report folder (default: reports/MODEL-coverage)"
    )

    report = sub.add_parser(
        "report",
        help="rewrite the report of a run (from DIR/comparison.nc) or of a study",
        formatter_class=_HelpFormatter,
    )
    report.add_argument("dir", metavar="DIR", help="a folder written by 'run' or 'study'")
    return parser


def _cmd_list(args: argparse.Namespace) -> int:
    from inference_compare.catalog import list_models

    models = list_models()
    width = max(map(len, models), default=0)
    for name, title in models.items():
        echo(f"{name:<{width}}  {title}")
    return EXIT_OK


def _use_agg() -> None:
    """Draw off-screen: the command line never opens a window.

    Before matplotlib is imported the backend is chosen through its ``MPLBACKEND`` variable,
    so a command that ends up drawing nothing (``report`` with figures to reuse) does not pay
    for importing it.
    """
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")
    else:
        os.environ["MPLBACKEND"] = "Agg"


def _cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from inference_compare.catalog import resolve_model

    resolve_model(args.model)  # an unknown model is refused before PyMC is imported
    _use_agg()
    from inference_compare.runner import run_model
    from inference_compare.seeds import fresh_seed

    # a run without --seed draws one; the recorded command names it, so it reproduces the run
    seed = args.seed if args.seed is not None else fresh_seed()
    outputs, cmp = run_model(
        args.model,
        data_file=args.data,
        out=args.out,
        random_seed=seed,
        **_fit_options(args),
        progress=not args.no_progress,
        command=_reproducible(argv, seed),
        profile=args.profile,
        latent=args.latent,
        nagq=args.nagq,
        prior_sweep=args.prior_sweep,
        khat=args.khat,
        sensitivity=args.sensitivity,
        heldout=args.heldout,
    )
    echo(cmp)
    echo(f"\nReport: {outputs.report.resolve()}")
    echo(
        f"Also in {outputs.report.parent}: {outputs.summary_csv.name}, {outputs.summary_md.name},"
        f" {outputs.comparison.name}, figures/ ({len(outputs.figures)} PNG)"
    )
    return EXIT_OK


def _fit_options(args: argparse.Namespace) -> dict[str, Any]:
    """Return the options every fitting command shares: methods, interval, NUTS settings."""
    return {
        "methods": args.methods,
        "ci_prob": args.ci_prob,
        "draws": args.draws,
        "tune": args.tune,
        "chains": args.chains,
        "target_accept": args.target_accept,
    }


def _reproducible(argv: Sequence[str], seed: int) -> str:
    """Return the command line that reproduces a run: ``argv`` with its seed explicit."""
    words = [PROG, *argv]
    if not any(w == "--seed" or w.startswith("--seed=") for w in argv):
        words += ["--seed", str(seed)]
    return shlex.join(words)


def _cmd_report(args: argparse.Namespace) -> int:
    _use_agg()
    from inference_compare.report.rewrite import rewrite_report

    if (Path(args.dir) / "study.json").is_file():  # a study's folder: loaded once
        from inference_compare.report.rewrite import write_study_outputs
        from inference_compare.report.study_report import incomplete
        from inference_compare.study import load_study

        result = load_study(args.dir)
        report = write_study_outputs(result, Path(args.dir))
        if note := incomplete(result):  # say when it is not finished
            echo(note)
    else:
        outputs = rewrite_report(args.dir)
        report = outputs if isinstance(outputs, Path) else outputs.report
    echo(f"Report: {report.resolve()}")
    return EXIT_OK


def _cmd_study(args: argparse.Namespace) -> int:
    from inference_compare._io import output_dir
    from inference_compare.report.rewrite import write_study_outputs
    from inference_compare.study import study
    from inference_compare.study.store import ReplicateStore

    _use_agg()
    name = Path(args.model).stem
    # said once the study has accepted the resume (it refuses changed settings first)
    found = ReplicateStore.count(args.out) if args.resume and args.out else None
    out = Path(args.out) if args.out else Path("reports") / f"{name}-study"
    # a folder made here and left without a replicate (refused at once) goes again
    with output_dir(out, disposable=("study.json",)):
        result = study(
            args.model,
            sizes=args.sizes,
            replicates=args.replicates,
            random_seed=args.seed,
            out=out,
            resume=args.resume,
            workers=args.workers,
            scheduler=args.scheduler,
            ci_kind=args.ci_kind,
            **_fit_options(args),
            truth=args.truth,
            progressbar=not args.no_progress,
        )
    try:
        report = write_study_outputs(result, out)
    except BaseException as exc:  # Ctrl-C (inside compiled code: a SystemError it caused)
        if not caused_by_interrupt(exc):
            raise
        # every replicate is on disk; only the report is missing
        total = len(set(args.sizes)) * args.replicates
        raise StudyInterrupted(total, total, str(out)) from None
    if found is not None:
        echo(f"resumed the study in {out}: {found} replicate(s) had finished before")
    echo(result)
    echo(f"\nStudy report: {report.resolve()}")
    echo(f"Also in {out}: metrics.csv, replicates.csv, replicates/ (one Parquet file each)")
    if args.target_mcse is not None:
        _print_plan(result, args.target_mcse, out)
    return EXIT_OK


def _print_plan(result, target: float, out: Path) -> None:
    """Print what a target Monte Carlo SE needs, with this study as the pilot."""
    plan = result.plan(target)
    cols = ["size", "method", "parameter", "replicates_coverage", "replicates_bias", "hours"]
    need = int(plan[["replicates_coverage", "replicates_bias"]].to_numpy().max())
    echo(f"\nFor a Monte Carlo SE of {target:g} (this study as the pilot):")
    echo(plan[cols].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    # the rerun fits `need` replicates of every size and method, less those already done; each
    # fit's time counted once (the plan has a row per parameter of it)
    done = result.replicates.drop_duplicates(["size", "replicate"]).groupby("size").size()
    fits = plan.drop_duplicates(["size", "method"])
    left = [max(need - int(done.get(n, 0)), 0) for n in fits["size"]]
    seconds = [float(x) for x in fits["seconds_per_fit"]]
    hours = sum(k * t for k, t in zip(left, seconds, strict=True) if t == t) / 3600  # t: not NaN
    echo(
        f"Rerun with --replicates {need} --resume --out {out} to reach it: {sum(left)} more "
        f"fits, about {hours:.2g} hours of fitting (the pilot's time per fit; simulating the "
        "data and compiling add to it)."
    )


def _cmd_coverage(args: argparse.Namespace) -> int:
    from inference_compare._io import output_dir
    from inference_compare.report.coverage_report import coverage_findings, write_coverage_outputs
    from inference_compare.study.exact import exact_coverage

    _use_agg()
    out = Path(args.out) if args.out else Path("reports") / f"{Path(args.model).stem}-coverage"
    with output_dir(out):  # checked before the fits; removed if made here and the command fails
        table, intervals = exact_coverage(
            args.model,
            args.truth,
            n=args.n,
            random_seed=args.seed,
            return_intervals=True,
            **_fit_options(args),
        )
        report = write_coverage_outputs(table, intervals, out)
    echo("\n".join(coverage_findings(table)))
    echo(f"\nCoverage report: {report.resolve()}")
    echo(f"Also in {out}: coverage.csv, intervals.csv")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``inference-compare`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    The signal handlers of the caller are restored on return.

    Parameters
    ----------
    argv : sequence of str, optional

    Returns
    -------
    int
        0 on success, 2 on bad input or usage, 1 on an internal failure, 130 when interrupted.
    """
    return _run(argv, exiting=False)


def console() -> NoReturn:
    """Run the ``inference-compare`` program: `main`, then exit with its code.

    The outcome is decided when `main` returns: SIGINT and SIGTERM are ignored while the
    interpreter shuts down (about a second), so they cannot turn it into an interruption.
    """
    if sys.argv[1:2] == ["report"]:
        _without_dask()
    code = _run(None, exiting=True)
    # the outcome is said: a library's destructor failing during shutdown (llvmlite's, when
    # a signal cut numba's compilation short) is not the user's to read
    sys.unraisablehook = lambda unraisable: None
    sys.exit(code)


def _without_dask() -> None:
    """Make Dask unimportable in this process (``report``: it reads and draws, never in Dask).

    xarray imports ``dask.array`` (with SciPy's FFT, half a second) to ask whether each
    variable it decodes is a Dask array, whenever Dask is installed; a process that uses no
    Dask array need not pay that. Only for the program's own process: `main` leaves
    ``sys.modules`` as it is, for callers that go on to use Dask.
    """
    if "dask" not in sys.modules:
        sys.modules["dask"] = None  # type: ignore[assignment]  # import dask: ImportError


def _run(argv: Sequence[str] | None, *, exiting: bool) -> int:
    """Run `main`; with ``exiting``, keep SIGINT and SIGTERM ignored after it (the exit)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # libraries' notes (numba object mode, BLAS, ...) are not for the terminal: what matters
    # is in the diagnostics; and SIGTERM stops a run as Ctrl-C does
    with (
        warnings.catch_warnings(),
        _stop_signals(exiting=exiting),
        final_once_published(),
        swallowed_interrupts(),
    ):
        warnings.simplefilter("ignore")
        code = _main(argv)
        flush()  # a closed standard output fails here, if not before: not an error
        return code


#: A ``--truth`` value that starts as a negative number does (``-1,2``, ``-.5:0.5:0.1``).
_NEGATIVE_VALUE = re.compile(r"-\.?\d")


def _negative_truths(argv: list[str]) -> list[str]:
    """Join ``--truth -1,2`` into ``--truth=-1,2``: argparse would take ``-1,2`` for an option."""
    out: list[str] = []
    words = iter(argv)
    for word in words:
        if word == "--truth":
            value = next(words, None)
            if value is not None and _NEGATIVE_VALUE.match(value):
                out.append(f"--truth={value}")
                continue
            out.extend([word] if value is None else [word, value])
            continue
        out.append(word)
    return out


def _main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(_negative_truths(argv))
        if args.command == "list":
            return _cmd_list(args)
        if args.command == "run":
            return _cmd_run(args, argv)
        if args.command == "report":
            return _cmd_report(args)
        if args.command == "coverage":
            return _cmd_coverage(args)
        return _cmd_study(args)
    except InferenceCompareError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except StudyInterrupted as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if caused_by_interrupt(exc):  # Ctrl-C inside compiled code: a SystemError
            print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
            return EXIT_INTERRUPTED
        if os.environ.get("INFERENCE_COMPARE_DEBUG"):
            traceback.print_exc()
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)} (please report it; "
            "set INFERENCE_COMPARE_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


@contextlib.contextmanager
def _stop_signals(*, exiting: bool) -> Iterator[None]:
    """Treat SIGTERM as Ctrl-C, so a terminated run cleans up and exits 130 (main thread).

    After the block, the handlers from before it come back, or with ``exiting`` both signals
    are ignored: the command is over, only the interpreter's shutdown is left.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, signal.SIG_IGN if exiting else old)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    console()
