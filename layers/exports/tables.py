"""Attribute tables as XLSX (one sheet per layer) and CSV (UTF-8 with BOM, one file per layer).

Headers are the schema labels in Chinese or English; values are shown as a reader
expects them (是/否, dates, rounded numbers). Conflicts layers use the conflict
report's table (:func:`layers.pipelines.report.report_frame`) so the two agree.
Every table layer of the project (coverage results, programme items, …) is exported
the same generic way. Files are written by :func:`layers.exports.table_writer.write_table`
(atomic; text that a spreadsheet would run as a formula is quoted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import shapely

from layers import display
from layers.errors import ProjectError, T
from layers.exports.common import (
    FID_LABEL,
    attribute_columns,
    check_language,
    field_label,
    is_table,
    is_vector,
    layer_values,
    output_path,
    safe_file_stem,
    select_layers,
)
from layers.exports.table_writer import write_table

_WORKBOOK = T("workbook", "工作簿")


def table_frame(layer, lang: str, standards=None) -> pd.DataFrame:
    """One layer's attributes with translated headers and values (vector layers add X, Y
    in metres); ``standards`` names the codes (the shipped tables when None)."""
    if layer.kind == "conflicts" and is_vector(layer):
        from layers.pipelines.report import report_frame

        frame = report_frame(layer.gdf, lang)
        frame.insert(0, FID_LABEL(lang), list(layer.gdf.index))
        return frame
    data = layer.gdf
    columns = attribute_columns(layer)
    out = pd.DataFrame({FID_LABEL(lang): [int(v) for v in data.index]})
    for col in columns:
        out[field_label(layer, col, lang)] = pd.Series(layer_values(layer, col, lang, standards),
                                                       dtype=object)
    if is_vector(layer) and len(data):
        points = shapely.point_on_surface(data.geometry.to_numpy())
        out["X (m)"] = [None if v != v else round(float(v), 2) for v in shapely.get_x(points)]
        out["Y (m)"] = [None if v != v else round(float(v), 2) for v in shapely.get_y(points)]
    return out


def _sheet_name(title: str, taken) -> str:
    """A sheet name from a layer's display name: at most 31 characters, none of []:*?/\\,
    unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "layer"
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        name, n = f"{base[:28]}_{n}", n + 1
    return name


def tabular_layers(project, names: Sequence[str] | None = None) -> list:
    """The chosen layers that have attributes (vector and table layers; rasters have none)."""
    return [layer for layer in select_layers(project, names) if is_vector(layer) or is_table(layer)]


def write_xlsx(project, path: str | Path, names: Sequence[str] | None = None,
               lang: str = "zh") -> Path:
    """All chosen layers' attributes in one workbook, a sheet per layer (atomic write;
    text that a spreadsheet would run as a formula is quoted, see
    :mod:`layers.exports.table_writer`)."""
    check_language(lang)
    target = output_path(path, (".xlsx",), _WORKBOOK)
    frames = {}
    for layer in tabular_layers(project, names):
        frames[_sheet_name(display.layer_title(layer, lang), frames)] = table_frame(
            layer, lang, project.standards())
    return write_table(frames, target, what=_WORKBOOK)


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
        written.append(write_table(table_frame(layer, lang, project.standards()),
                                   folder / f"{stem}.csv"))
    return written
