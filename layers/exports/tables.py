"""Attribute tables as XLSX (one sheet per layer) and CSV (UTF-8 with BOM, one file per layer).

Headers are the schema labels in Chinese or English; values are shown as a reader
expects them (是/否, dates, rounded numbers). Conflicts layers use the conflict
report's table (:func:`layers.pipelines.report.report_frame`) so the two agree.
Every table layer of the project (coverage results, programme items, …) is exported
the same generic way.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import shapely

from layers.errors import ProjectError, T
from layers.exports.common import (
    FID_LABEL,
    attribute_columns,
    check_language,
    column_values,
    field_label,
    is_raster,
    is_vector,
    output_path,
    safe_file_stem,
    select_layers,
)
from layers.store.atomic import atomic_target

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def table_frame(layer, lang: str) -> pd.DataFrame:
    """One layer's attributes with translated headers (vector layers add X, Y in metres)."""
    if layer.kind == "conflicts" and is_vector(layer):
        from layers.pipelines.report import report_frame

        frame = report_frame(layer.gdf, lang)
        frame.insert(0, FID_LABEL(lang), list(layer.gdf.index))
        return frame
    data = layer.gdf
    columns = attribute_columns(layer)
    out = pd.DataFrame({FID_LABEL(lang): [int(v) for v in data.index]})
    for col in columns:
        out[field_label(layer, col, lang)] = pd.Series(column_values(data[col], lang),
                                                       dtype=object)
    if is_vector(layer) and len(data):
        points = shapely.point_on_surface(data.geometry.to_numpy())
        out["X (m)"] = [None if v != v else round(float(v), 2) for v in shapely.get_x(points)]
        out["Y (m)"] = [None if v != v else round(float(v), 2) for v in shapely.get_y(points)]
    return out


def tabular_layers(project, names: Sequence[str] | None = None) -> list:
    """The chosen layers that have attributes (vector and table layers; rasters have none)."""
    return [layer for layer in select_layers(project, names) if not is_raster(layer)]


def write_xlsx(project, path: str | Path, names: Sequence[str] | None = None,
               lang: str = "zh") -> Path:
    """All chosen layers' attributes in one workbook, a sheet per layer (atomic write)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    check_language(lang)
    target = output_path(path, (".xlsx",), T("workbook", "工作簿"))
    layers = tabular_layers(project, names)
    book = Workbook(write_only=True)  # streams rows: the city's 165k rows in seconds
    used: set[str] = set()

    def cell(sheet, value):
        if isinstance(value, str) and value.startswith("="):
            text = WriteOnlyCell(sheet, value)
            text.data_type = "s"  # text that looks like a formula stays text
            return text
        return None if _missing(value) else value

    for layer in layers:
        sheet = book.create_sheet(_sheet_name(layer.name, used))
        sheet.freeze_panes = "A2"
        frame = table_frame(layer, lang)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([cell(sheet, v) for v in row])
    if not layers:
        book.create_sheet("-")
    _write(target, lambda tmp: book.save(tmp))
    return target


def write_csv_folder(project, folder: str | Path, names: Sequence[str] | None = None,
                     lang: str = "zh") -> list[Path]:
    """One CSV (UTF-8 with BOM, so Excel reads the Chinese) per chosen layer."""
    check_language(lang)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ProjectError(T("the CSV destination is a file, not a folder",
                             "CSV 输出位置是文件而不是文件夹"), str(folder),
                           T("give a folder name", "请给出文件夹名"))
    written: list[Path] = []
    used: set[str] = set()
    for layer in tabular_layers(project, names):
        stem = safe_file_stem(layer.name)
        n, base = 2, stem
        while stem.lower() in used:
            stem, n = f"{base}_{n}", n + 1
        used.add(stem.lower())
        frame = table_frame(layer, lang)
        target = folder / f"{stem}.csv"
        _write(target, lambda tmp, frame=frame: _csv(frame, tmp))
        written.append(target)
    return written


def _csv(frame: pd.DataFrame, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(frame.columns)
        for row in frame.itertuples(index=False):
            writer.writerow(["" if _missing(v) else _csv_cell(v) for v in row])


def _csv_cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _is_number(value):
        return "'" + value  # Excel would run it as a formula
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _write(target: Path, write) -> None:
    try:
        with atomic_target(target) as tmp:
            write(tmp)
    except OSError as exc:
        raise ProjectError(T(f"cannot write the table ({exc.strerror})",
                             f"无法写出表格（{exc.strerror}）"), str(target),
                           T("choose a folder you can write to, and close the file in Excel",
                             "请选择可写入的文件夹，并在 Excel 中关闭该文件")) from exc
