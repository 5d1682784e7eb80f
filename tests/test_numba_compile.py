"""nutpie's callbacks compiled without numba's formatted slice-assignment messages."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import numba
import numba.np.arrayobj as arrayobj
import numpy as np
import pytest

from inference_compare._numba_compile import PLAIN_MESSAGE, slice_errors_without_shapes


def _copy_into() -> numba.core.dispatcher.Dispatcher:
    """A fresh numba function assigning one array into a slice of another (compiled on call)."""

    @numba.njit
    def copy_into(out: np.ndarray, grad: np.ndarray) -> None:
        out[...] = grad

    return copy_into


def test_a_failed_slice_assignment_still_raises_inside_the_block_with_the_fixed_message() -> None:
    numbas_own = arrayobj.raise_with_shape_context
    with slice_errors_without_shapes():
        inside = _copy_into()
        inside(np.zeros(3), np.ones(3))  # the check passes where the sizes agree
        with pytest.raises(ValueError, match=f"^{PLAIN_MESSAGE}$"):
            inside(np.zeros(3), np.ones(2))
    assert arrayobj.raise_with_shape_context is numbas_own
    with pytest.raises(ValueError, match=r"cannot assign slice of shape \(3,\)"):
        _copy_into()(np.zeros(3), np.ones(2))  # compiled after the block: numba's message


def test_numbas_function_comes_back_when_the_last_of_overlapping_blocks_ends() -> None:
    numbas_own = arrayobj.raise_with_shape_context
    first_entered, second_done = threading.Event(), threading.Event()

    def other_thread() -> None:
        with slice_errors_without_shapes():
            first_entered.set()
            second_done.wait(timeout=30)

    thread = threading.Thread(target=other_thread)
    thread.start()
    assert first_entered.wait(timeout=30)
    with slice_errors_without_shapes():
        assert arrayobj.raise_with_shape_context is not numbas_own
    assert arrayobj.raise_with_shape_context is not numbas_own  # the other block is still open
    second_done.set()
    thread.join(timeout=30)
    assert arrayobj.raise_with_shape_context is numbas_own


def test_nutpie_compiles_no_formatted_message_in_a_fresh_process() -> None:
    # in a new process (where numba has compiled nothing yet), nutpie's compilation of a
    # catalogue model inside the block never compiles numba's formatted message, and the
    # compiled model samples; without the block it does (so the check can fail)
    script = textwrap.dedent(
        """
        import sys
        import nutpie
        from numba.core import event
        import inference_compare as ic
        from inference_compare._numba_compile import slice_errors_without_shapes

        class Compiled(event.Listener):
            names: list = []
            def on_start(self, ev):
                self.names.append(str(ev.data.get("dispatcher", "")))
            def on_end(self, ev):
                pass

        module = ic.load_model("coin_flip")
        model = module.build(module.DATA)
        listener = Compiled()
        with event.install_listener("numba:compile", listener):
            if sys.argv[1] == "inside":
                with slice_errors_without_shapes():
                    compiled = nutpie.compile_pymc_model(model)
            else:
                compiled = nutpie.compile_pymc_model(model)
        formatted = any("raise_with_shape_context" in name for name in listener.names)
        trace = nutpie.sample(compiled, draws=50, tune=50, chains=1, progress_bar=False, seed=1)
        print(formatted, trace.posterior["p"].shape)
        """
    )
    seen = {
        where: subprocess.run(
            [sys.executable, "-c", script, where], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        for where in ("inside", "outside")
    }
    assert seen == {"inside": "False", "outside": "True"}
