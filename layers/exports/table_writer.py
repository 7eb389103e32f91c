"""The one way the product writes a table a person opens in a spreadsheet: CSV or XLSX.

:func:`write_table` picks the format by the file extension, replaces the file
atomically (a failed write leaves the old file), writes CSV as UTF-8 with a BOM
(so Excel reads the Chinese) and XLSX one sheet per frame (:mod:`.xlsx_writer`,
a column at a time): a bold, shaded, frozen header row with an autofilter, columns as wide
as their content, number formats by column (``formats``: yuan, %, metres …) and, if
given, a notes sheet first (``notes``: what the reader must know, e.g. the CRS of the
coordinates, the sources, that the data are synthetic).

**Formula injection.** A spreadsheet runs a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (and some also one that starts with a tab or a
carriage return), so a community called ``=HYPERLINK("http://x","y")`` in an
imported file would become a live link. Every *text* cell (headers included)
that starts with one of those characters is written with a single quote in
front, as OWASP advises; the rule is the same for CSV and XLSX.

*Numbers are never altered*: an ``int``/``float`` (numpy ones too) of ``-5`` is
written as the number -5. A *text* ``"-5"`` is text that starts with ``-`` and
is quoted like any other (``'-5``): the writer does not guess whether a text
could be read as a number (``"-1e3"``, ``"-inf"``, ``"-1_0"`` …); a column that
should be numeric must hold numbers. Missing values (None, NaN, NA, NaT) are
empty cells. XLSX cannot hold control characters other than tab, line feed and
carriage return; those few are dropped from XLSX text (CSV keeps them), and a text
longer than Excel's 32,767 characters a cell is cut there (ending in "…").
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from layers.errors import ProjectError, T
from layers.exports.xlsx_writer import FORMATS, MAX_ROWS, MAX_TEXT, SheetData, write_workbook

TABLE_SUFFIXES = (".csv", ".xlsx")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML 1.0 cannot hold these
_TABLE = T("table", "表格")

Frames = Mapping[str, pd.DataFrame] | pd.DataFrame


def neutralise(value: Any) -> Any:
    """``value`` as a cell no spreadsheet runs as a formula: text starting with
    ``= + - @``, a tab or a carriage return gets a leading ``'``; anything else
    (numbers above all) comes back unchanged.

    >>> neutralise('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise("-5"), neutralise(-5), neutralise(-2.5), neutralise("小区")
    ("'-5", -5, -2.5, '小区')
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_table(frames: Frames, path: str | Path, *, index: bool = False,
                what: T = _TABLE, formats: Mapping[str, Mapping[str, str]] | None = None,
                notes: tuple[str, pd.DataFrame] | None = None) -> Path:
    """Write one DataFrame, or ``{sheet name: DataFrame}``, as ``.csv`` or ``.xlsx``.

    A CSV holds one table, so it takes a DataFrame or a one-entry mapping. With
    ``index=True`` the index is written as the first column(s). ``what`` names
    the table in error messages ("the report", "the plan" …). XLSX only: ``formats``
    gives ``{sheet name: {column: kind}}`` with kinds of
    :data:`layers.exports.xlsx_writer.FORMATS` ("percent" columns hold percentage points
    and become fractions shown as %), ``notes`` a ``(sheet name, DataFrame)`` written
    first as plain text (bold first column).

    >>> import tempfile
    >>> import pandas as pd
    >>> from openpyxl import load_workbook
    >>> folder = Path(tempfile.mkdtemp())
    >>> plan = pd.DataFrame({"name": ["=1+1", "东湖"], "delta": [-5, 3]})
    >>> out = write_table({"plan": plan}, folder / "plan.xlsx")
    >>> [[c.value for c in row] for row in load_workbook(out)["plan"].iter_rows()]
    [['name', 'delta'], ["'=1+1", -5], ['东湖', 3]]
    >>> write_table(plan, folder / "plan.csv").read_text(encoding="utf-8-sig").splitlines()
    ['name,delta', "'=1+1,-5", '东湖,3']
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ProjectError(
            T(f"cannot write a {what.en} as {suffix or 'a file without extension'}",
              f"无法写出 {suffix or '无扩展名'} 格式的{what.zh}"),
            str(target), T("name the file .csv or .xlsx", "请将文件命名为 .csv 或 .xlsx"))
    sheets = {"Sheet1": frames} if isinstance(frames, pd.DataFrame) else dict(frames)
    if index:
        sheets = {name: _index_as_columns(frame) for name, frame in sheets.items()}
    if suffix == ".csv":
        if len(sheets) != 1:
            raise ValueError(f"a CSV file holds one table, not {len(sheets)}")
        frame = next(iter(sheets.values()))
        _replace(target, what, lambda tmp: _write_csv(frame, tmp))
    else:
        for name, frame in sheets.items():
            if len(frame) + 1 > MAX_ROWS:
                raise ProjectError(
                    T(f"{name}: {len(frame):,} rows do not fit in an Excel sheet",
                      f"{name}：{len(frame):,} 行超出 Excel 工作表的行数上限"), str(target),
                    T("export it as CSV", "请导出为 CSV"))
        _replace(target, what, lambda tmp: _write_xlsx(sheets, tmp, formats or {}, notes))
    return target


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique (case-blind) Excel sheet name from ``name``; records it in ``used``.

    >>> used = set()
    >>> sheet_name("冲突/2024", used), sheet_name("冲突/2024", used)
    ('冲突_2024', '冲突_2024 (2)')
    """
    base = _SHEET_BAD.sub("_", str(name)).strip("'")[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _index_as_columns(frame: pd.DataFrame) -> pd.DataFrame:
    names = [name if name is not None else "" for name in frame.index.names]
    return frame.reset_index(names=names)


def _rows(frame: pd.DataFrame) -> Iterator[list[Any]]:
    """The header row, then the data rows, every cell made plain and neutralised."""
    yield [neutralise(str(c)) for c in frame.columns]
    for row in frame.itertuples(index=False, name=None):
        yield [neutralise(_plain(v)) for v in row]


def _plain(value: Any) -> Any:
    """A cell value both writers understand: None for missing, Python scalars, or text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):  # dates and times; Excel has no time zones
        return value.replace(tzinfo=None) if getattr(value, "tzinfo", None) else value
    return str(value)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for row in _rows(frame):
            writer.writerow(["" if v is None else v for v in row])


def _write_xlsx(sheets: dict[str, pd.DataFrame], path: Path,
                formats: Mapping[str, Mapping[str, str]],
                notes: tuple[str, pd.DataFrame] | None) -> None:
    used: set[str] = set()
    out = []
    if notes is not None:
        out.append(SheetData(sheet_name(notes[0], used), _xlsx_safe(notes[1]), notes=True))
    for name, frame in sheets.items():
        kinds = {str(c): k for c, k in (formats.get(name) or {}).items() if k in FORMATS}
        safe = _xlsx_safe(frame)
        columns = {new: kinds[str(old)] for old, new in zip(frame.columns, safe.columns,
                                                              strict=True) if str(old) in kinds}
        out.append(SheetData(sheet_name(name, used), safe, columns))
    if not out:
        out.append(SheetData("-", pd.DataFrame()))
    write_workbook(path, out)


def _xlsx_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with headers and every text cell as :func:`_xlsx_text` makes them (numbers,
    dates and booleans untouched); the writer then only has to lay out the cells."""
    out = pd.DataFrame({i: _safe_column(frame.iloc[:, i]) for i in range(frame.shape[1])},
                       index=range(len(frame)))
    out.columns = [_xlsx_text(str(c)) for c in frame.columns]
    return out


def _safe_column(column: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype) \
            or pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column.reset_index(drop=True)
    values = column.to_numpy(dtype=object)
    texts = np.flatnonzero([isinstance(v, str) for v in values])
    if len(texts):  # each distinct text made safe once
        codes, uniques = pd.factorize(values[texts])
        safe = np.array([_xlsx_text(t) for t in uniques], dtype=object)
        values = values.copy()
        values[texts] = safe[codes]
    return pd.Series(values, dtype=object)


def _xlsx_text(text: str) -> str:
    """A text cell: neutralised, without the control characters XML cannot hold, at most
    Excel's 32,767 characters."""
    text = _XLSX_ILLEGAL.sub("", neutralise(text))
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _replace(target: Path, what: T, write) -> None:
    from layers.store.atomic import atomic_target

    try:
        with atomic_target(target) as tmp:
            write(tmp)
    except OSError as exc:
        raise ProjectError(T(f"cannot write the {what.en} ({exc.strerror})",
                             f"无法写出{what.zh}（{exc.strerror}）"), str(target),
                           T("choose a folder you can write to, and close the file in Excel",
                             "请选择可写入的文件夹，并在 Excel 中关闭该文件")) from exc
