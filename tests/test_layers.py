"""The package's import structure: no private name crosses a package line, no cycle.

import-linter (``lint-imports``, run by ``make test``) checks the layers of DESIGN.md; it cannot
see which *names* a module imports, so this test reads every module's imports with `ast` and
fails when a module takes a ``_name`` from a module of another package (a private helper used
from outside its package is an interface nobody promised).
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

import inference_compare

ROOT = Path(inference_compare.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str, path: Path) -> str:
    """The package a module belongs to (itself when it is a package's ``__init__``)."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _private_imports(path: Path) -> list[str]:
    """``module: name`` for each private name this file imports from another package."""
    module = _module_name(path)
    here = _package(module, path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        if not node.module.startswith("inference_compare"):
            continue
        source = node.module
        source_path = ROOT.parent / Path(*source.split("."))
        source_pkg = source if source_path.is_dir() else source.rpartition(".")[0]
        if source_pkg == here:
            continue
        for alias in node.names:
            private = alias.name.startswith("_") and not alias.name.startswith("__")
            if private:
                found.append(f"{module}: {source}.{alias.name}")
    return found


def test_no_private_name_crosses_a_package_line():
    found = [item for path in sorted(ROOT.rglob("*.py")) for item in _private_imports(path)]
    assert found == []


def test_the_check_sees_a_private_import_across_packages(tmp_path):
    """The checker itself: a made-up module taking ``_dataset`` from methods is caught."""
    bad = ROOT / "_layers_probe_module.py"
    bad.write_text("from inference_compare.methods._laplace import _dataset\n")
    try:
        assert _private_imports(bad) == [
            "inference_compare._layers_probe_module: inference_compare.methods._laplace._dataset"
        ]
    finally:
        bad.unlink()


def test_no_import_cycle():
    """No group of modules imports each other (imports inside functions count)."""
    graph = grimp.build_graph("inference_compare", cache_dir=None)
    cycles = [
        (a, b)
        for a in sorted(graph.modules)
        for b in sorted(graph.find_modules_directly_imported_by(a))
        if a < b and graph.chain_exists(importer=b, imported=a)
    ]
    assert cycles == []
