"""Refuse sources wider than a project layer can hold, before the heavy work.

A GeoPackage layer holds at most :func:`layers.store.limits.max_fields` attribute
fields (SQLite's 2000 columns less the feature id and the geometry). The store checks
the finished layer; here the width of the source is read from its header alone (the
first line of a CSV, the first row of an XLSX sheet, a DBF's header), so a 60,000-
column table is refused in a moment instead of after minutes of parsing.
"""

from __future__ import annotations

import csv
import io
import struct
from pathlib import Path

from layers.errors import ProjectError, T
from layers.store.limits import column_limit_problem

_FIX = T("keep only the fields you need (e.g. delete columns in the source file), or split the "
         "file into several", "请只保留需要的字段（例如在源文件中删除列），或将文件拆分")
_HEADER_SCAN = 1 << 22  # characters of a CSV searched for the end of its first record


def check_width(fields: int, path: Path) -> None:
    """Refuse ``fields`` attribute fields when a layer cannot hold them."""
    problem = column_limit_problem(fields)
    if problem is not None:
        raise ProjectError(problem, str(path), _FIX)


def csv_width(text: str, delimiter: str) -> int:
    """Fields in the first record of a CSV text (quotes respected)."""
    head = text[:_HEADER_SCAN]
    try:
        first = next(csv.reader(io.StringIO(head), delimiter=delimiter), [])
    except csv.Error:
        first = head.split("\n", 1)[0].split(delimiter)
    return len(first)


def excel_width(path: Path, sheet: str | int | None) -> int:
    """Cells up to the last filled one in the first row of an XLSX sheet (0 when the sheet
    cannot be found this way: the full read then says what is wrong)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not an XLSX openpyxl knows (.xls, damaged): left to the reader
        return 0
    try:
        if isinstance(sheet, str):
            if sheet not in book.sheetnames:
                return 0
            ws = book[sheet]
        else:
            ws = book.worksheets[sheet or 0] if book.worksheets else None
        if ws is None:
            return 0
        row = next(ws.iter_rows(max_row=1, values_only=True), ())
        filled = [i for i, v in enumerate(row) if v is not None]
        return filled[-1] + 1 if filled else 0
    finally:
        book.close()


def dbf_width(path: Path) -> int:
    """Fields declared in a shapefile's .dbf header (0 when there is none to read)."""
    dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.is_file()), None)
    if dbf is None:
        return 0
    with open(dbf, "rb") as fh:
        head = fh.read(12)
    if len(head) < 12:
        return 0
    (header_len,) = struct.unpack("<H", head[8:10])
    return max((header_len - 33) // 32, 0)


def check_source_width(path: Path, suffix: str, layer: str | None) -> None:
    """Refuse a shapefile or XLSX whose header already has more fields than a layer holds
    (the geometry or two coordinate columns are not fields)."""
    if suffix == ".shp":
        check_width(dbf_width(path), path)
    elif suffix == ".xlsx":
        check_width(excel_width(path, layer) - 2, path)
