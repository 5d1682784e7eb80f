"""Data files for the command line: CSV or JSON into a dict of 1-D numeric arrays.

A data file holds columns (CSV) or keys (JSON) that a model file's ``build(data)`` reads. Every
problem a user can cause (missing file, non-numeric values, NaN or infinity, ragged columns, an
empty file, a column the model needs but the file lacks) raises `DataError` with a message that
names the file, the column and, where there is one, the row.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from inference_compare._interrupt import raise_if_interrupted
from inference_compare.errors import DataError, ModelError

__all__ = ["DataColumns", "build_model", "read_data", "summarize_data"]

#: File suffixes `read_data` understands.
FORMATS: tuple[str, ...] = (".csv", ".json")


def read_data(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a CSV or JSON data file into ``{column: 1-D numeric array}``.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` file with a header row, or a ``.json`` file holding either an object of
        ``{"column": [values...]}`` or a list of records ``[{"column": value, ...}, ...]``.

    Returns
    -------
    dict of str to numpy.ndarray
        A `DataColumns`: integer columns stay integer, others are float; a column of names
        only (text labels) is an array of strings when ``build`` reads it.

    Raises
    ------
    DataError
        When the file is missing or unreadable, empty, ragged, or holds a missing, NaN or
        infinite value. A column mixing text with numbers or empty cells is kept aside: its
        `DataError` is raised when it is read (`DataColumns`), so a column ``build`` never
        reads does not matter.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataError(
            f"data file {path.name!r} has an unknown format {suffix or '(no suffix)'!r}: "
            f"use one of {', '.join(FORMATS)}"
        )
    columns = _read_csv(path) if suffix == ".csv" else _read_json(path)
    if not columns:
        raise DataError(f"data file {path.name!r} has no columns")
    numeric, labels, refused = {}, {}, {}
    for name, values in columns.items():
        try:
            numeric[name] = _numeric(path.name, name, values)
        except DataError as exc:  # refused when build reads it: an ID column is no mistake
            text = _labels(values)
            if text is None:
                refused[name] = _names_error(path.name, name, values) or exc
            else:
                labels[name] = (text, exc)
    if not numeric:  # nothing a likelihood could observe: the first column's error
        raise next(iter([*refused.values(), *(exc for _, exc in labels.values())]))
    return DataColumns(numeric, refused, {name: text for name, (text, _) in labels.items()})


def _names_error(file: str, name: str, values: list[Any]) -> DataError | None:
    """Say what spoils a column of names (mostly text): its first empty or numeric cell.

    Without this, the column is refused as a column of numbers, naming its first name as
    the bad value. None where the column is not mostly names.
    """
    cells = ["" if v is None else str(v).strip() for v in values]
    numbers = pd.to_numeric(pd.Series(cells), errors="coerce").notna().to_numpy()
    names = np.array([isinstance(v, str) and c != "" for v, c in zip(values, cells, strict=True)])
    names &= ~numbers
    if names.sum() <= numbers.sum() or names.all():
        return None
    first_name = cells[int(np.flatnonzero(names)[0])]
    row = int(np.flatnonzero(~names)[0])
    what = "a missing value" if cells[row] == "" else f"{values[row]!r}, a number,"
    return DataError(
        f"data file {file!r}: column {name!r} row {row + 1} holds {what} among names (such "
        f"as {first_name!r}): a column of names needs a name in every row"
    )


def _labels(values: list[Any]) -> np.ndarray | None:
    """Return a column of text labels (``"Hennepin"``, ``"A"``) as strings; else None.

    Every cell text that is not a number: a group's name, which ``build`` codes itself
    (``pd.factorize``). A column mixing numbers with text, or with empty cells, is not one.
    """
    if not all(isinstance(v, str) and v.strip() for v in values):
        return None
    stripped = [v.strip() for v in values]
    if pd.to_numeric(pd.Series(stripped), errors="coerce").notna().any():
        return None
    return np.asarray(stripped, dtype=str)


class DataColumns(dict):
    """A data file's numeric columns, its text labels on request, and why others are refused.

    A column of text labels (every cell a name: a county, a school) is returned as an array of
    strings when ``build`` reads it (``data["county"]``), for ``build`` to code (``pd.factorize``);
    ``labels_read`` records which were. A column mixing text with numbers, or with empty cells,
    that ``build`` never reads does not stop the run; reading it raises the `DataError` naming
    its first bad row. ``refused`` maps those columns to their errors. Iterating, ``items()``
    and ``len`` see the numeric columns only.
    """

    def __init__(
        self,
        columns: dict[str, np.ndarray],
        refused: dict[str, DataError],
        labels: dict[str, np.ndarray] | None = None,
    ) -> None:
        super().__init__(columns)
        self.refused = refused
        self.labels = labels or {}
        self.labels_read: set[str] = set()

    def __getitem__(self, key: str) -> np.ndarray:
        """Return column ``key``; raise its `DataError` if it is not numeric."""
        if key in self.labels:
            self.labels_read.add(key)
            return self.labels[key]
        if key in self.refused:
            raise self.refused[key]
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        """Return True for a numeric column or a column of text labels."""
        return key in self.labels or super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Return column ``key`` or ``default``; raise its `DataError` if it is not numeric."""
        return self[key] if key in self.refused or key in self.labels else super().get(key, default)

    def unread(self) -> list[str]:
        """Return the columns left out: text that ``build`` did not read."""
        return [*self.refused, *(name for name in self.labels if name not in self.labels_read)]


def _read_csv(path: Path) -> dict[str, list[Any]]:
    options = {
        "dtype": str,
        "keep_default_na": False,
        "skipinitialspace": True,
        "encoding": "utf-8-sig",  # a byte-order mark is not part of the first name
        "skip_blank_lines": False,  # a blank line inside the data is a missing row: say so
    }
    delimiter = _delimiter(path)
    _check_fields(path, delimiter)
    try:
        frame = pd.read_csv(path, sep=delimiter, index_col=False, **options)
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {path.name!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DataError(f"data file {path.name!r} is not a well-formed CSV: {reason}") from None
    blank = (frame == "").all(axis=1).to_numpy() | frame.isna().all(axis=1).to_numpy()
    last = len(frame) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    frame = frame.iloc[:last].fillna("")  # blank lines at the very end are not data
    if len(frame) == 0:
        raise DataError(f"data file {path.name!r} has a header but no rows")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:")]
    if unnamed:
        raise DataError(f"data file {path.name!r} has a column without a name in its header")
    return {str(c).strip(): frame[c].tolist() for c in frame.columns}


def _check_fields(path: Path, delimiter: str) -> None:
    """Refuse a header naming a column twice, or a row with more or fewer fields than it.

    pandas would rename a repeated name (``y.1``) and take a first row with one field too many
    as holding an index column, shifting every value one column over.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle, delimiter=delimiter, skipinitialspace=True)
            header = next(rows, None)
            if header is None:
                return
            names = [name.strip() for name in header]
            twice = sorted({n for n in names if names.count(n) > 1 and n})
            if twice:
                raise DataError(
                    f"data file {path.name!r} names the column {twice[0]!r} twice in its header"
                )
            for line, row in enumerate(rows, start=1):
                if row and any(field.strip() for field in row) and len(row) != len(header):
                    raise DataError(
                        f"data file {path.name!r}: row {line} has {len(row)} fields, but the "
                        f"header has {len(header)} ({delimiter!r}-separated)"
                    )
    except (UnicodeDecodeError, csv.Error):
        return  # pandas says what is wrong with the file


def _delimiter(path: Path) -> str:
    """Sniff the delimiter among ``, ; tab |`` from the header line; default ``,``."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            header = handle.readline()
        return csv.Sniffer().sniff(header, delimiters=",;\t|").delimiter
    except csv.Error:  # one column, or nothing to tell
        return ","


def _read_json(path: Path) -> dict[str, list[Any]]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"data file {path.name!r} is not valid JSON: {exc}") from None
    if isinstance(content, list):
        if not content:
            raise DataError(f"data file {path.name!r} is an empty list")
        if not all(isinstance(r, dict) for r in content):
            raise DataError(f"data file {path.name!r}: a list must hold records (objects)")
        keys = list(dict.fromkeys(k for r in content for k in r))
        for i, record in enumerate(content):
            missing = [k for k in keys if k not in record]
            if missing:
                raise DataError(
                    f"data file {path.name!r}: record {i} lacks {', '.join(map(repr, missing))}"
                )
        return {k: [r[k] for r in content] for k in keys}
    if not isinstance(content, dict):
        raise DataError(
            f"data file {path.name!r} must hold an object of columns or a list of records, "
            f"not a JSON {type(content).__name__}"
        )
    out = {}
    for key, values in content.items():
        if not isinstance(values, list):
            raise DataError(f"data file {path.name!r}: key {key!r} must hold a list of numbers")
        if any(isinstance(v, list | dict) for v in values):
            raise DataError(f"data file {path.name!r}: column {key!r} is not one-dimensional")
        out[str(key)] = values
    lengths = {k: len(v) for k, v in out.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise DataError(f"data file {path.name!r} has columns of different lengths ({detail})")
    return out


#: How a CSV cell spells a boolean (pandas writes True/False, R TRUE/FALSE), case aside.
BOOLEAN_SPELLINGS = {"true": 1, "false": 0}


def _booleans(values: list[Any]) -> np.ndarray | None:
    """Return a column of booleans only (JSON true/false, CSV True/FALSE) as 0/1; else None."""
    if all(isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    if all(isinstance(v, str) and v.strip().lower() in BOOLEAN_SPELLINGS for v in values):
        return np.asarray([BOOLEAN_SPELLINGS[v.strip().lower()] for v in values], dtype=np.int64)
    return None


def _numeric(file: str, name: str, values: list[Any]) -> np.ndarray:
    """Convert one column to a finite numeric array, naming the first bad value.

    A column holding only booleans (a Bernoulli outcome written by pandas or R) reads as 1 for
    true and 0 for false; booleans among numbers are refused.
    """
    if len(values) == 0:
        raise DataError(f"data file {file!r}: column {name!r} is empty")
    flags = _booleans(values)
    if flags is not None:
        return flags
    for row, value in enumerate(values):
        if isinstance(value, bool) or value is None:
            raise DataError(
                f"data file {file!r}: column {name!r} row {row + 1} holds {value!r}, not a number"
            )
    series = pd.Series(values, dtype=object)
    numbers = pd.to_numeric(series.map(lambda v: v.strip() if isinstance(v, str) else v), "coerce")
    bad = numbers.isna() | ~np.isfinite(numbers.astype(float))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        shown = values[row]
        what = "a missing value" if shown in ("", None) else f"{shown!r}"
        if isinstance(shown, str) and re.fullmatch(r"\s*[-+]?\d+,\d+\s*", shown):
            what += f" (a decimal comma? write {shown.strip().replace(',', '.')})"
        raise DataError(
            f"data file {file!r}: column {name!r} row {row + 1} holds {what}; every value must "
            "be a finite number (no text, empty cells, NaN or infinity)"
        )
    array = numbers.to_numpy()
    return array.astype(np.int64) if array.dtype.kind in "iu" else array.astype(float)


def build_model(
    module: ModuleType, data: dict[str, np.ndarray], source: str = "", *, where: str = ""
) -> pm.Model:
    """Call ``module.build(data)``, turning a missing column into a `DataError`.

    Parameters
    ----------
    module : module
        A model file loaded by `inference_compare.load_model`.
    data : dict of str to numpy.ndarray
    source : str, optional
        Where the data came from (a file name), for the message.
    where : str, optional
        How the message names the data, e.g. ``"the model's DATA"`` (default:
        ``data file 'SOURCE'``, or ``the data`` without a source).

    Returns
    -------
    pymc.Model

    Raises
    ------
    DataError
        When ``build`` reads a column that ``data`` lacks.
    ModelError
        When ``build`` fails for another reason, or does not return a ``pymc.Model``.
    """
    name = module.__name__
    try:
        model = module.build(data)
    except KeyError as exc:
        key = exc.args[0] if exc.args else "?"
        if key in data:
            raise ModelError(f"{name}.build(data) failed: KeyError: {key!r}") from None
        where = where or (f"data file {source!r}" if source else "the data")
        found = ", ".join(map(repr, data)) or "none"
        raise DataError(
            f"model {name} reads column {key!r}, which {where} lacks (columns found: {found})"
        ) from None
    except (DataError, ModelError):
        raise
    except Exception as exc:  # noqa: BLE001 - the user's build() may raise anything
        raise_if_interrupted(exc)
        failure = f"{name}.build(data) failed: {type(exc).__name__}: {exc}"
        where = where or (f"data file {source!r}" if source else "the data")
        _refuse_non_finite(data, where, failure)
        _refuse_labels_read(data, where, failure)
        raise ModelError(failure + _float_index_hint(exc, data)) from None
    if not isinstance(model, pm.Model):
        raise ModelError(f"{name}.build(data) returned {type(model).__name__}, not a pymc.Model")
    return model


def _float_index_hint(exc: Exception, data: dict[str, np.ndarray]) -> str:
    """Name the decimal columns of whole numbers when ``build`` indexed with a float array.

    A file that writes its groups as 0.0, 1.0 reads as decimals; NumPy and PyTensor refuse them
    as an index ("index must be integers"), and the message names neither file nor column.
    """
    if "integer" not in str(exc) or "index" not in str(exc):
        return ""
    whole = [
        column
        for column, values in data.items()
        if np.asarray(values).dtype.kind == "f"
        and np.all(np.asarray(values) == np.trunc(np.asarray(values)))
    ]
    if not whole:
        return ""
    return (
        f" ({'columns' if len(whole) > 1 else 'column'} {', '.join(map(repr, whole))} "
        f"{'hold' if len(whole) > 1 else 'holds'} whole numbers written as decimals, which "
        "read as floats: an index must be integers, so "
        "write 0, 1, 2 in the file, or use .astype(int) in build)"
    )


def _refuse_labels_read(data: dict[str, np.ndarray], where: str, failure: str) -> None:
    """Name a text column that a failed ``build`` read: most likely it wanted numbers there.

    Text labels reach ``build`` as strings, for it to code (``pd.factorize``); a build that
    fails after reading one (an outcome written ``yes``/``no``, or a name used as a number)
    gets the data's error, naming the column and its first cell.
    """
    if not isinstance(data, DataColumns):
        return
    read = [name for name in data.labels if name in data.labels_read]
    if read:
        first = str(data.labels[read[0]][0])
        raise DataError(
            f"{where}: column {read[0]!r} holds text (row 1: {first!r}), and {failure}: write "
            "numbers in the file, or code text labels in build as 0, 1, 2, ... "
            "(pd.factorize(data[...]))"
        ) from None


def _refuse_non_finite(data: dict[str, np.ndarray], where: str, failure: str) -> None:
    """Name the first NaN or infinity in ``data`` as the likely cause of ``failure``.

    A model file's own ``DATA`` is not read through `read_data`, so a NaN there first meets
    PyMC (``pm.Data`` refuses it with a message about masked arrays and imputation).
    """
    for column, values in data.items():
        array = np.asarray(values)
        if array.dtype.kind not in "fc":
            continue
        bad = np.flatnonzero(~np.isfinite(array.ravel()))
        if bad.size:
            row = int(bad[0])
            raise DataError(
                f"{where}: column {column!r} row {row + 1} holds {array.ravel()[row]}; every "
                f"value must be a finite number ({failure})"
            ) from None


def summarize_data(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one row per column: name, n, mean, sd, min, max and distinct-value count.

    Parameters
    ----------
    data : dict of str to array-like
        Columns that are not numeric arrays are summarised by their length only.

    Returns
    -------
    list of dict
    """
    rows = []
    for name, values in data.items():
        array = np.asarray(values)
        row: dict[str, Any] = {"column": str(name), "n": int(array.size)}
        if array.dtype.kind in "biuf" and array.size:
            flat = array.astype(float).ravel()
            row |= {
                "mean": float(np.mean(flat)),
                "sd": float(np.std(flat, ddof=1)) if flat.size > 1 else float("nan"),
                "min": float(np.min(flat)),
                "max": float(np.max(flat)),
                "distinct": int(np.unique(flat).size),
            }
        rows.append(row)
    return rows
