"""NUTS in a second process, alongside the MLE and MAP: the same answers, failures and stops.

`compare` forks a child that samples while the parent compiles and optimises
(`inference_compare._alongside`). What a user must not see: a different answer, a lost
failure reason, a child left running after an error or Ctrl-C, or a fork where it is unsafe.
"""

from __future__ import annotations

import importlib
import os
import signal
import threading
import time

import numpy as np
import pymc as pm
import pytest

import inference_compare as ic
from inference_compare._alongside import Alongside, ChildEndedError, fork_is_safe
from inference_compare.methods import _marginal
from inference_compare.methods._marginal import fitting_functions
from inference_compare.methods.bayes import fit_bayes, nutpie_compiled_here, one_core_per_fit
from inference_compare.settings import Settings

compare_module = importlib.import_module("inference_compare.compare")
bayes_module = importlib.import_module("inference_compare.methods.bayes")

needs_fork = pytest.mark.skipif(not fork_is_safe(), reason="forking is not safe or useful here")


def _coin(k: int = 7, n: int = 10) -> pm.Model:
    with pm.Model() as model:
        p = pm.Beta("p", 4.0, 4.0)
        pm.Bernoulli("y", p=p, observed=np.r_[np.ones(k), np.zeros(n - k)].astype(int))
    return model


def _schools() -> pm.Model:
    """The eight schools (Rubin 1981), centred: the MLE and MAP integrate theta out."""
    y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 5.0)
        tau = pm.HalfNormal("tau", 5.0)
        theta = pm.Normal("theta", mu, tau, shape=8)
        pm.Normal("y", theta, sigma, observed=y)
    return model


#: Short chains: these tests check where NUTS runs and what comes back, not the posterior.
QUICK = {"draws": 200, "tune": 200, "progressbar": False}


def _raise_fit_failed() -> None:
    raise ic.FitFailedError("bayes", "(simulated) the sampler diverged")


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _sleep_then_return(seconds: float) -> str:
    time.sleep(seconds)
    return "finished"


@pytest.fixture(autouse=True)
def nutpie_compiled(monkeypatch) -> None:
    """Each test as in a process where nutpie has compiled: where NUTS runs does not depend on
    which tests ran before in this process (`test_nuts_runs_here_...` sets it otherwise)."""
    monkeypatch.setattr(bayes_module, "_NUTPIE_COMPILED", [True])


@pytest.fixture
def started(monkeypatch) -> list[Alongside]:
    """Record every `Alongside` that `compare` starts."""
    made: list[Alongside] = []

    class Recorded(Alongside):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(compare_module, "Alongside", Recorded)
    return made


# --------------------------------------------------------------------------- the mechanism


@needs_fork
def test_a_call_in_the_child_returns_its_value():
    assert Alongside(sum, [1, 2, 3]).result() == 6


@needs_fork
def test_an_exception_in_the_child_is_raised_here_with_its_fields_and_where():
    with pytest.raises(ic.FitFailedError) as caught:
        Alongside(_raise_fit_failed).result()
    assert caught.value.method == "bayes" and "simulated" in caught.value.reason
    assert any("child process" in note for note in caught.value.__notes__)


@needs_fork
def test_a_child_killed_by_a_signal_is_said_so():
    with pytest.raises(ChildEndedError, match="SIGKILL") as caught:
        Alongside(_kill_self).result()
    assert caught.value.exitcode == -signal.SIGKILL


@needs_fork
def test_cancel_stops_a_running_child_at_once():
    pending = Alongside(_sleep_then_return, 60.0)
    start = time.perf_counter()
    pending.cancel()
    assert time.perf_counter() - start < 5.0
    assert not pending._process.is_alive()


def test_no_fork_beside_another_thread_in_a_study_worker_for_large_draws_or_one_level():
    settings = Settings()  # mle, map and bayes
    model = _schools()
    assert compare_module.bayes_alongside(model, settings) == fork_is_safe()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:  # a thread may hold a lock at the fork (a notebook kernel, a spinner)
        assert not compare_module.bayes_alongside(model, settings)
    finally:
        stop.set()
        thread.join()
    with one_core_per_fit():  # a study's worker: its parallel work is the replicates
        assert not compare_module.bayes_alongside(model, settings)
    assert not compare_module.bayes_alongside(model, settings.replace(methods=("bayes",)))
    assert not compare_module.bayes_alongside(model, settings.replace(latent=None))
    # a one-level model: the MLE and MAP compile little, the child would warm up again
    assert not compare_module.bayes_alongside(_coin(), settings)


@needs_fork
def test_nuts_runs_here_once_when_the_marginal_is_kept_and_nutpie_never_compiled_here(
    monkeypatch,
):
    # a child forked from a process where nutpie never compiled compiles cold, and loses what
    # it warms; where the MLE and MAP have little to compile, NUTS runs here, once
    settings = Settings()
    _marginal._KEPT.clear()
    monkeypatch.setattr(bayes_module, "_NUTPIE_COMPILED", [])
    assert compare_module.bayes_alongside(_schools(), settings)  # a structure not compiled yet
    fitting_functions(_schools(), "auto")
    again = _schools()  # the same code and data: its marginal is kept
    assert not compare_module.bayes_alongside(again, settings)
    fit_bayes(_coin(), draws=50, tune=50, random_seed=1)
    assert nutpie_compiled_here()
    assert compare_module.bayes_alongside(again, settings)  # children now start warm


def _alongside_in_a_pool_worker(_: int) -> bool:
    return compare_module.bayes_alongside(_schools(), Settings())


@needs_fork
def test_no_fork_inside_a_pool_worker_which_may_not_have_children():
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map(_alongside_in_a_pool_worker, [0]) == [False]


def test_no_fork_when_the_draws_are_too_large_to_send_back(monkeypatch):
    monkeypatch.setattr(compare_module, "ALONGSIDE_MAX_BYTES", 0)
    assert not compare_module.bayes_alongside(_schools(), Settings())


# --------------------------------------------------------------------------- through compare


@needs_fork
def test_compare_gives_the_same_draws_alongside_as_in_one_process(started, monkeypatch):
    alongside = ic.compare(_schools(), random_seed=11, **QUICK)
    assert len(started) == 1  # the NUTS fit did run in a child
    monkeypatch.setattr(compare_module, "bayes_alongside", lambda model, settings: False)
    in_process = ic.compare(_schools(), random_seed=11, **QUICK)
    assert len(started) == 1
    for name in ("posterior", "sample_stats"):
        assert (
            alongside.fits["bayes"][name]
            .to_dataset()
            .equals(in_process.fits["bayes"][name].to_dataset())
        )
    assert alongside.table().equals(in_process.table())
    assert alongside.fits["bayes"].attrs == in_process.fits["bayes"].attrs


@needs_fork
def test_nuts_alongside_works_after_nuts_ran_in_this_process(started):
    # nutpie's threads of an earlier in-process run do not exist in a forked child: a
    # sampler that reused them would hang there
    fit_bayes(_coin(), draws=200, tune=200, random_seed=1)
    cmp = ic.compare(_schools(), random_seed=2, **QUICK)
    assert len(started) == 1 and cmp.methods == ("mle", "map", "bayes")


@needs_fork
def test_a_sampler_process_that_dies_is_a_failed_fit_with_the_reason(started, monkeypatch):
    monkeypatch.setattr(compare_module, "fit_bayes", lambda *args, **kwargs: _kill_self())
    cmp = ic.compare(_schools(), random_seed=0, **QUICK)
    assert len(started) == 1
    assert cmp.methods == ("mle", "map")
    failed = [d for d in cmp.diagnostics if d.code == "fit_failed"]
    assert failed and failed[0].method == "bayes"
    assert "SIGKILL" in failed[0].message and "out of memory" in failed[0].message


@needs_fork
def test_a_failure_raised_in_the_child_keeps_its_reason(started, monkeypatch):
    monkeypatch.setattr(compare_module, "fit_bayes", lambda *a, **k: _raise_fit_failed())
    cmp = ic.compare(_schools(), random_seed=0, **QUICK)
    assert len(started) == 1 and cmp.methods == ("mle", "map")
    assert cmp.attrs["failed"] == {"bayes": "(simulated) the sampler diverged"}


@needs_fork
def test_a_user_error_found_by_the_child_is_raised_as_it_is_in_one_process(started, monkeypatch):
    def wrong_data(*args, **kwargs):
        raise ic.DataError("observed 'y' row 3: -1 is outside the support")

    monkeypatch.setattr(compare_module, "fit_bayes", wrong_data)
    with pytest.raises(ic.DataError, match="row 3"):
        ic.compare(_schools(), random_seed=0, **QUICK)
    assert len(started) == 1


@needs_fork
def test_an_interrupt_or_error_in_the_parent_stops_the_child(started, monkeypatch):
    monkeypatch.setattr(compare_module, "fit_bayes", lambda *a, **k: _sleep_then_return(60.0))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(compare_module, "fit_mle", interrupted)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        ic.compare(_schools(), random_seed=0, **QUICK)
    assert len(started) == 1 and not started[0]._process.is_alive()
    assert time.perf_counter() - start < 30.0  # not the child's 60 s
