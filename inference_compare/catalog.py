"""Model files: the catalogue in ``models/`` and a user's own files.

A model file is a plain Python module (it runs as code: load only files you trust) with:

* a module docstring whose first line is the title;
* ``DATA``: the embedded default data set;
* ``build(data) -> pymc.Model``: the declaration, with informative priors;
* for studies, ``TRUTH`` (true parameter values) and ``design(n, rng) -> data``.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from inference_compare._interrupt import raise_if_interrupted
from inference_compare.errors import ModelError

__all__ = ["catalog_dir", "list_models", "load_model", "model_title", "resolve_model"]

_PACKAGE = Path(__file__).resolve().parent


def catalog_dir() -> Path:
    """Return the catalogue folder: the repository's ``models/`` or the installed copy."""
    for candidate in (_PACKAGE.parent / "models", _PACKAGE / "_catalog_models"):
        if candidate.is_dir():
            return candidate
    raise ModelError("the model catalogue is not installed (no models/ folder found)")


def list_models() -> dict[str, str]:
    """Return ``{name: title}`` for every catalogue model, sorted by name."""
    out = {}
    for path in sorted(catalog_dir().glob("*.py")):
        if path.name.startswith("_"):
            continue
        out[path.stem] = _file_title(path)
    return out


def _file_title(path: Path) -> str:
    """Return the first docstring line of a model file, read without importing it."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (SyntaxError, UnicodeDecodeError, OSError) as exc:
        raise ModelError(f"cannot read the model file {path.name!r}: {exc}") from None
    return doc.strip().splitlines()[0].strip() if doc.strip() else path.stem


def model_title(module: ModuleType) -> str:
    """Return the first line of the module docstring (the model's title)."""
    doc = (module.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else module.__name__


def resolve_model(name: str) -> Path:
    """Return the path of a catalogue name or model file, or raise `ModelError`."""
    path = Path(name)
    if path.suffix == ".py" or len(path.parts) > 1:
        if not path.is_file():
            raise ModelError(f"model file {str(path)!r} does not exist")
        return path.resolve()
    candidate = catalog_dir() / f"{name}.py"
    if not candidate.is_file():
        names = sorted(p.stem for p in catalog_dir().glob("[!_]*.py"))
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ModelError(
            f"unknown model {name!r}: {hint}choose one of {', '.join(names)}, or pass a .py path"
        )
    return candidate


def load_model(model: str | os.PathLike | ModuleType) -> ModuleType:
    """Load a model file by catalogue name or path, and check its protocol.

    Parameters
    ----------
    model : str, path or module
        A catalogue name (``"coin_flip"``), a path to a ``.py`` model file, or an already
        loaded module (returned after checking).

    Returns
    -------
    module
        With ``DATA`` and ``build`` (and optionally ``TRUTH`` and ``design``).

    Raises
    ------
    ModelError
        When the file does not exist, cannot be imported (its error is quoted), or lacks
        ``build`` / ``DATA``.
    """
    if isinstance(model, ModuleType):
        module = model
    else:
        path = resolve_model(str(model))
        spec = importlib.util.spec_from_file_location(f"inference_compare_model_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ModelError(f"cannot load {str(path)!r} as a Python module")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except SyntaxError as exc:
            raise ModelError(
                f"model file {path.name} has a syntax error at line {exc.lineno}: {exc.msg}"
            ) from None
        except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
            raise_if_interrupted(exc)
            raise ModelError(
                f"model file {path.name} failed while loading: {type(exc).__name__}: {exc}"
            ) from None
        module.__name__ = path.stem
        sys.modules.setdefault(spec.name, module)
    missing = [attr for attr in ("build", "DATA") if not hasattr(module, attr)]
    if missing:
        raise ModelError(
            f"model file {module.__name__} lacks {' and '.join(missing)}: a model file defines "
            "DATA (the default data) and build(data) -> pymc.Model"
        )
    if not callable(module.build):
        raise ModelError(f"{module.__name__}.build is not a function")
    return module
