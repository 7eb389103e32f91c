"""Attribute tables as XLSX (one sheet per layer) and CSV (UTF-8 with BOM, one file per layer).

Headers are the schema labels in Chinese or English; values are shown as a reader
expects them (是/否, dates, rounded numbers). Conflicts layers use the conflict
report's table (:func:`layers.pipelines.report.report_frame`) so the two agree.
Every table layer of the project (coverage results, programme items, …) is exported
the same generic way. Files are written by :func:`layers.exports.table_writer.write_table`
(atomic; text that a spreadsheet would run as a formula is quoted). The workbook's
number formats follow the schema (yuan, %, metres, counts, years, coordinates:
:func:`column_formats`), and its first sheet, 说明 / Notes, says what the coordinates are
(the project's CRS), where the data come from and, for a synthetic project, that it
describes no real place.
"""

from __future__ import annotations

import datetime as _dt
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
XY_LABELS = ("X (m)", "Y (m)")
NOTES = T("Notes", "说明")
_COUNT_UNITS = ("人", "户", "栋", "层", "台", "个")


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
        out[XY_LABELS[0]] = [None if v != v else round(float(v), 2) for v in shapely.get_x(points)]
        out[XY_LABELS[1]] = [None if v != v else round(float(v), 2) for v in shapely.get_y(points)]
    return out


def field_format(field, kind: str | None = None) -> str:
    """The spreadsheet number format of a schema field (a kind of
    :data:`layers.exports.xlsx_writer.FORMATS`): yuan, percent (shares), metres, area,
    counts (people, households …), integer (years, ids), else general."""
    if display.labels_for(field, kind) or field.type in ("str", "bool", "date"):
        return "general"
    if display.is_share(field):
        return "percent"
    if field.type == "int":
        return "count" if field.unit in _COUNT_UNITS else "integer"
    return {"元": "yuan", "m": "metres", "mm": "metres", "m²": "area"}.get(field.unit, "general")


def column_formats(layer, frame: pd.DataFrame, lang: str) -> dict[str, str]:
    """Number formats of :func:`table_frame`'s columns, found by their headers."""
    by_label = {field_label(layer, f.name, lang): field_format(f, layer.kind)
                for f in layer.schema.fields}
    by_label[FID_LABEL(lang)] = "integer"
    by_label.update(dict.fromkeys(XY_LABELS, "coordinate"))
    return {c: by_label[c] for c in frame.columns if by_label.get(c, "general") != "general"}


def notes_frame(project, layers: Sequence, sheets: dict[str, str], lang: str) -> pd.DataFrame:
    """The workbook's notes: title, date, the coordinates' CRS (when a sheet has X, Y),
    the sources, the synthetic-data notice, what a leading ' means, and the sheets."""
    meta = project.metadata
    rows = []
    title = meta.get(f"title_{lang}") or meta.get("title")
    if title:
        rows.append((T("Title", "标题")(lang), str(title)))
    rows.append((T("Exported", "导出日期")(lang), display.date(_dt.date.today(), lang)))
    if any(is_vector(layer) for layer in layers):
        crs = project.crs
        auth = crs.to_authority()
        code = f" ({auth[0]}:{auth[1]})" if auth else ""
        rows.append((T("Coordinates", "坐标")(lang), T(
            f"X (m), Y (m): a point on each feature (inside it for an area), in {crs.name}{code}",
            f"X (m)、Y (m)：每个要素上的一点（面要素取其内部一点），坐标系 {crs.name}{code}")(lang)))
    sources = meta.get(f"sources_{lang}") or meta.get("sources")
    if not sources:
        sources = T("project layers: ", "项目图层：")(lang) + ("、" if lang == "zh" else ", ").join(
            display.layer_title(layer, lang) for layer in layers)
    rows.append((T("Sources", "数据来源")(lang), str(sources)))
    if project.is_synthetic:
        rows.append((T("Synthetic data", "虚构数据")(lang), T(
            "synthetic sample data: describes no real place",
            "虚构示例数据，不对应任何真实地点")(lang)))
    rows.append((T("Leading '", "开头的 '")(lang), T(
        "text that starts with = + - or @ is written with a ' in front, so that no "
        "spreadsheet runs it as a formula",
        "以 = + - @ 开头的文字前加 '，以免电子表格将其作为公式执行")(lang)))
    for sheet, layer_title in sheets.items():
        rows.append((T("Sheet ", "工作表 ")(lang) + sheet, layer_title))
    return pd.DataFrame(rows, columns=[T("Item", "项目")(lang), T("Details", "内容")(lang)])


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
    frames, formats, titles = {}, {}, {}
    layers = tabular_layers(project, names)
    standards = project.standards()
    for layer in layers:
        title = display.layer_title(layer, lang)
        name = _sheet_name(title, [*frames, NOTES(lang)])
        frames[name] = table_frame(layer, lang, standards)
        formats[name] = column_formats(layer, frames[name], lang)
        titles[name] = T(f"{title}: {len(frames[name]):,} rows",
                         f"{title}：{len(frames[name]):,} 行")(lang)
    notes = (NOTES(lang), notes_frame(project, layers, titles, lang))
    return write_table(frames, target, what=_WORKBOOK, formats=formats, notes=notes)


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
