"""Atomic file writes: a temporary file beside the target, then a rename.

An interrupted write leaves at most a hidden ``.NAME.*.tmp`` file, never a half-written
``NAME``; readers see the old file or the complete new one. Files get the usual permissions
(``0o666`` less the umask), not ``mkstemp``'s ``0o600``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from inference_compare._interrupt import publishing

__all__ = ["atomic_path", "atomic_write", "ensure_writable_dir", "output_dir", "publish_report"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is renamed to ``path``.

    For writers that need a file name (e.g. ``DataTree.to_netcdf``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write(path: str | os.PathLike, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8) to ``path`` atomically, flushed to disk.

    Raises
    ------
    IsADirectoryError
        When ``path`` is a folder (the file would replace it), naming it.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder: give the path of the file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def publish_report(path: str | os.PathLike, content: str | bytes) -> Path:
    """`atomic_write` the report that completes a command's outputs, as one `publishing` step.

    Written last: once it is in place the outputs are complete, and on the command line the
    run is then done (a later Ctrl-C does not make it an interrupted one).
    """
    with publishing():
        return atomic_write(path, content)


def ensure_writable_dir(path: str | os.PathLike) -> Path:
    """Create folder ``path`` (and its parents) and check that files can be written in it.

    Raises
    ------
    UsageError
        When the path is a file, or the folder cannot be created or written (exit 2 on the
        command line: the user's path to fix).
    """
    from inference_compare.errors import UsageError

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"the output folder {str(out)!r} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"cannot write to the folder {str(out)!r}: {exc.strerror or exc}"
        ) from None
    return out


@contextlib.contextmanager
def output_dir(path: str | os.PathLike, *, disposable: tuple[str, ...] = ()) -> Iterator[Path]:
    """`ensure_writable_dir`, undone when the block fails: folders it created and left empty go.

    An interrupted or failed run leaves no empty output folder behind (one that looks as if a
    run had been there); a folder that existed before, or holds anything, is kept. Files named
    in ``disposable`` (a study's ``study.json``, written before the first replicate) do not
    count as anything in a folder created here.
    """
    out = Path(path)
    created = [p for p in (out, *out.parents) if not p.exists()]  # deepest first
    ensure_writable_dir(out)
    try:
        yield out
    except BaseException:
        if out in created and {p.name for p in out.iterdir()} <= set(disposable):
            for name in disposable:
                (out / name).unlink(missing_ok=True)
        for folder in created:
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break
        raise
