"""What every export shares: choosing layers, resolving their styles, labelling fields,
and turning cell values into what a reader sees."""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from layers import display
from layers.errors import ProjectError, T
from layers.layer import Layer, RasterLayer, TableLayer, VectorLayer
from styles import ResolvedStyle, effective_style, resolve

YES_NO = {True: T("yes", "是"), False: T("no", "否")}
FID_LABEL = T("Feature id", "要素编号")


def output_path(path, suffixes: Sequence[str], what: T) -> Path:
    """The output path, refused with a clear message unless it ends in one of ``suffixes``."""
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        first = suffixes[0]
        raise ProjectError(
            T(f"the {what.en} must be a {first} file", f"{what.zh}文件必须为 {first}"),
            str(target), T(f"name the file {first}", f"请将文件命名为 {first}"))
    return target


def select_layers(project, names: Sequence[str] | None = None) -> list[Layer]:
    """The layers to export, bottom first: the named ones (in project order), else all."""
    if not names:
        return project.layers
    wanted = {project.layer(name).id for name in names}  # raises a clear ProjectError
    return [layer for layer in project.layers if layer.id in wanted]


def check_language(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise ProjectError(T(f"unknown language {lang!r}", f"未知语言 {lang!r}"), "--lang",
                           T("use zh or en", "请使用 zh 或 en"))
    return lang


def layer_style(project, layer: VectorLayer) -> tuple[dict, ResolvedStyle]:
    """The layer's effective style and its per-feature resolution (as the canvas does it,
    with the map theme's field where a theme is chosen: :func:`layers.themes.themed_frame`)."""
    from layers.themes import themed_frame

    style = effective_style(layer.kind, layer.style)
    standards = project.standards() if style.get("colors_from") else None
    frame = themed_frame(project, layer)
    try:
        return style, resolve(style, frame, standards)
    except ProjectError:  # the canvas shows the layer in the neutral style; so do we
        style = effective_style("other", {})
        return style, resolve(style, frame)


def is_vector(layer: Layer) -> bool:
    return isinstance(layer, VectorLayer) and not isinstance(layer, TableLayer)


def is_table(layer: Layer) -> bool:
    return isinstance(layer, TableLayer)


def is_raster(layer: Layer) -> bool:
    return isinstance(layer, RasterLayer)


def attribute_columns(layer: VectorLayer) -> list[str]:
    return [c for c in layer.gdf.columns if c != "geometry"]


def field_label(layer: Layer, column: str, lang: str) -> str:
    """The schema label of a column (with its unit in the language), or the column name
    itself (a field the user imported): :func:`layers.display.column_label`."""
    return display.column_label(layer.schema, column, lang)


def layer_values(layer: Layer, column: str, lang: str, standards=None,
                 series: pd.Series | None = None) -> list[Any]:
    """A layer's column (or ``series``, some of its rows) as a reader sees it: named values
    (choices, standards codes) by their labels, shares in per cent, the rest as
    :func:`column_values`."""
    series = layer.gdf[column] if series is None else series
    field = layer.schema.field(column) if layer.schema.has_field(column) else None
    if field is None:
        return column_values(series, lang)
    if display.names_layer(layer.kind, field):
        return [None if v is None else display.layer_name(str(v), lang=lang)
                for v in column_values(series.astype(object), lang)]
    labels = display.labels_for(field, layer.kind, lang, standards)
    if labels:
        return [None if v is None else labels.get(str(v), str(v))
                for v in column_values(series.astype(object), lang)]
    if display.is_share(field):
        return [None if v is None else round(float(v) * 100, 1) for v in column_values(series, lang)]
    if field.type == "date":  # each distinct date written once (a city has few)
        codes, uniques = pd.factorize(series)
        texts = [None if display.is_missing(v) else display.date(v, lang) for v in uniques]
        return [None if c < 0 else texts[c] for c in codes.tolist()]
    return column_values(series, lang)


def display_value(value: Any, lang: str) -> Any:
    """A cell as a reader sees it: None for missing, 是/否 for booleans, dates as text,
    floats rounded to 2 decimals; ints and strings as they are."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return YES_NO[bool(value)](lang)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) else round(v, 2)
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return display.date(value, lang) if value == value else None
    return str(value)


def column_values(series: pd.Series, lang: str) -> list[Any]:
    """Display values of a whole column (vectorised for the common dtypes)."""
    if pd.api.types.is_float_dtype(series):
        arr = series.to_numpy(dtype="float64", na_value=np.nan).round(2)
        return [None if v != v else float(v) for v in arr]
    if pd.api.types.is_integer_dtype(series):
        mask = series.isna().to_numpy()
        arr = series.to_numpy(dtype="float64", na_value=0).astype(np.int64)
        return [None if m else int(v) for v, m in zip(arr, mask, strict=True)]
    if pd.api.types.is_string_dtype(series) and not pd.api.types.is_bool_dtype(series):
        mask = series.isna().to_numpy()
        return [None if m else str(v) for v, m in zip(series.to_numpy(dtype=object), mask,
                                                          strict=True)]
    return [display_value(v, lang) for v in series.to_numpy(dtype=object)]


def hex_rgb(rgba: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgba[:3]))


def alpha(rgba: Sequence[int]) -> float:
    return round(int(rgba[3]) / 255.0, 3)


def safe_file_stem(name: str) -> str:
    """A file-name stem from a layer name (Chinese kept; separators and oddities replaced)."""
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" ._")
    return stem or "layer"
