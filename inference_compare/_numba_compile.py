"""Compile nutpie's callbacks without numba's formatted slice-assignment messages.

nutpie compiles two C callbacks with numba in every new process (they hold the model's data and
cannot be cached on disk). Each copies the gradient with ``out[...] = grad``, and numba lowers
every slice assignment with a check whose failure raises ``ValueError`` with both shapes in its
message (``numba.np.arrayobj.raise_with_shape_context``). Formatting those shapes compiles
numba's string machinery (``str`` of integers, joins, concatenation) for the process, about
2 s of a NUTS fit's 4-5 s of compilation, for a check that cannot fail there: nutpie calls
the callbacks with the sizes it was compiled for.

`slice_errors_without_shapes` swaps that function, for the duration of a compilation, for one
raising the same ``ValueError`` with numba's fixed message from before the shapes were added
("cannot assign slice from input of different size"). Code compiled meanwhile (nutpie's
callbacks, PyTensor's functions if not in its disk cache) checks the same and raises the same
type; only the message is shorter. Numba is imported when the block is entered, not before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["PLAIN_MESSAGE", "slice_errors_without_shapes"]

#: The message of numba's slice-assignment check inside the block (numba's own before it
#: named the shapes).
PLAIN_MESSAGE = "cannot assign slice from input of different size"

_lock = threading.Lock()
_entered = 0  # blocks open at once, over all threads
_original: Any = None
_plain: Any = None


def _plain_raise() -> Any:
    """Return a stub, typed by numba, that raises `PLAIN_MESSAGE` (made once per process)."""
    global _plain
    if _plain is None:
        from numba.extending import overload

        def raise_without_shapes(src_shapes: Any, index_shape: Any) -> None:
            raise NotImplementedError  # replaced by the overload below in compiled code

        @overload(raise_without_shapes)
        def _overload(src_shapes: Any, index_shape: Any) -> Any:
            def impl(src_shapes: Any, index_shape: Any) -> None:
                raise ValueError(PLAIN_MESSAGE)

            return impl

        _plain = raise_without_shapes
    return _plain


@contextmanager
def slice_errors_without_shapes() -> Iterator[None]:
    """Within the block, numba lowers failed slice assignments to `PLAIN_MESSAGE`.

    Blocks may nest and overlap across threads; numba's own function is put back when the
    last one ends.
    """
    global _entered, _original
    import numba.np.arrayobj as arrayobj

    with _lock:
        if _entered == 0:
            _original = arrayobj.raise_with_shape_context
            arrayobj.raise_with_shape_context = _plain_raise()
        _entered += 1
    try:
        yield
    finally:
        with _lock:
            _entered -= 1
            if _entered == 0:
                arrayobj.raise_with_shape_context = _original
