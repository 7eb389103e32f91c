"""Resolve a declarative style against a layer's features, vectorised.

A style is a plain dict (normally read from TOML) and says *how* a layer looks;
:func:`resolve` turns it into per-feature RGBA arrays that any painter (the Qt
canvas, a PNG or HTML export) can use, plus the legend. No Qt here.

Example
-------
>>> import pandas as pd
>>> frame = pd.DataFrame({"service": ["elder_care", "bank"]})
>>> style = {"type": "categorised", "field": "service", "fill": "#999999",
...          "categories": [{"value": "elder_care", "fill": "#d7301f"}]}
>>> resolve(style, frame).fill[:, :3].tolist()
[[215, 48, 31], [153, 153, 153]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from layers.errors import ProjectError, T

STYLE_TYPES = ("single", "categorised", "graduated")
DASHES = ("solid", "dash", "dot")
MARKERS = ("circle", "square", "triangle")

# Values used when a style leaves a key out.
BASE = {
    "fill": "#a6a6a6",
    "fill_alpha": 1.0,
    "stroke": "#4d4d4d",
    "stroke_alpha": 1.0,
    "stroke_width": 1.0,
    "dash": "solid",
    "marker": "circle",
    "marker_size": 7.0,
    "label_field": None,
}

RGBA = tuple[int, int, int, int]


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: its text in both languages and its colours."""

    label_en: str
    label_zh: str
    fill: RGBA
    stroke: RGBA
    stroke_width: float = 1.0
    value: Any = None  # the category's value (None: a single style, a class, "other")

    def label(self, lang: str | None = None) -> str:
        return T(self.label_en, self.label_zh)(lang)


@dataclass
class ResolvedStyle:
    """Per-feature colours and widths aligned to the frame's rows, plus scalars."""

    fill: np.ndarray  # (N, 4) uint8 RGBA
    stroke: np.ndarray  # (N, 4) uint8 RGBA
    stroke_width: np.ndarray  # (N,) float64, screen pixels
    dash: str = "solid"
    marker: str = "circle"
    marker_size: float = 7.0
    label_field: str | None = None
    legend: list[LegendEntry] = field(default_factory=list)
    #: (N,) metres per screen pixel above which a feature is not drawn (scale-dependent
    #: visibility: minor streets and pipes thin out when zoomed out); inf: always drawn
    max_mpp: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.stroke_width)


# --- public functions --------------------------------------------------------------
def resolve(style: Mapping[str, Any], gdf: Any, standards: Any = None) -> ResolvedStyle:
    """Resolve ``style`` for every row of ``gdf`` (a GeoDataFrame or DataFrame).

    ``standards`` supplies colours for ``colors_from = "pipeline_classes"``; when
    it is None the bundled standards tables are loaded.

    Raises
    ------
    layers.errors.ProjectError
        if the style names a field the frame does not have, or holds a bad value.
    """
    name = _style_name(style)
    kind = style.get("type", "single")
    if kind not in STYLE_TYPES:
        raise _bad_value(name, "type", kind, STYLE_TYPES)
    columns = set(getattr(gdf, "columns", []))
    label_field = style.get("label_field") or None
    if label_field is not None and label_field not in columns:
        raise _unknown_field(name, label_field, columns)
    n = len(gdf)
    base_fill = colour(style.get("fill", BASE["fill"]),
                       style.get("fill_alpha", BASE["fill_alpha"]), name, "fill")
    base_stroke = colour(style.get("stroke", BASE["stroke"]),
                         style.get("stroke_alpha", BASE["stroke_alpha"]), name, "stroke")
    base_width = _number(style.get("stroke_width", BASE["stroke_width"]), name, "stroke_width")
    if kind == "single":
        idx = np.full(n, -1, dtype=np.int64)
        entries: list[dict] = []
    else:
        fld = style.get("field")
        if not fld:
            raise ProjectError(
                T(f"style {name!r} is {kind} but names no field",
                  f"样式 {name!r} 为分类/分级样式，但未指定字段"),
                f"style '{name}'",
                T("add field = \"<column>\" to the style", "请在样式中添加 field = \"<字段名>\""))
        if fld not in columns:
            raise _unknown_field(name, fld, columns)
        if kind == "categorised":
            entries = _categories(style, name, standards)
            idx = _category_index(gdf[fld], entries)
        else:
            entries = _classes(style, name)
            idx = _class_index(gdf[fld], entries, name, fld)
    fills = np.array([base_fill] + [
        colour(e.get("fill", style.get("fill", BASE["fill"])),
               e.get("fill_alpha", style.get("fill_alpha", BASE["fill_alpha"])), name, "fill")
        for e in entries], dtype=np.uint8).reshape(-1, 4)
    strokes = np.array([base_stroke] + [
        colour(e.get("stroke", style.get("stroke", BASE["stroke"])),
               e.get("stroke_alpha", style.get("stroke_alpha", BASE["stroke_alpha"])),
               name, "stroke")
        for e in entries], dtype=np.uint8).reshape(-1, 4)
    widths = np.array([base_width] + [
        _number(e.get("stroke_width", base_width), name, "stroke_width") for e in entries],
        dtype=np.float64)
    base_max = _number(style.get("max_mpp", np.inf), name, "max_mpp")
    maxes = np.array([base_max] + [_number(e.get("max_mpp", base_max), name, "max_mpp") for e in entries],
                     dtype=np.float64)
    rows = idx + 1  # row 0 of each table holds the style's own (fallback) values
    return ResolvedStyle(
        fill=fills[rows],
        stroke=strokes[rows],
        stroke_width=widths[rows],
        dash=_choice(style.get("dash", BASE["dash"]), DASHES, name, "dash"),
        marker=_choice(style.get("marker", BASE["marker"]), MARKERS, name, "marker"),
        marker_size=_number(style.get("marker_size", BASE["marker_size"]), name, "marker_size"),
        label_field=label_field,
        max_mpp=maxes[rows],
        legend=_legend(style, entries, fills, strokes, widths, bool((idx < 0).any()),
                       set(np.unique(idx).tolist()) if style.get("legend_present_only") else None),
    )


def colour(value: Any, alpha: Any = 1.0, style_name: str = "", key: str = "colour") -> RGBA:
    """``"#rrggbb"``, ``"#rrggbbaa"`` or ``[r, g, b(, a)]`` → RGBA ints (alpha multiplied)."""
    try:
        if isinstance(value, str):
            text = value.strip().lstrip("#")
            if len(text) not in (6, 8):
                raise ValueError(value)
            parts = [int(text[i:i + 2], 16) for i in range(0, len(text), 2)]
        else:
            parts = [int(v) for v in value]
            if len(parts) not in (3, 4):
                raise ValueError(value)
        if len(parts) == 3:
            parts.append(255)
        a = float(alpha)
        if not 0.0 <= a <= 1.0 or not all(0 <= p <= 255 for p in parts):
            raise ValueError(value)
    except (TypeError, ValueError):
        raise ProjectError(
            T(f"{value!r} (alpha {alpha!r}) is not a colour",
              f"{value!r}（透明度 {alpha!r}）不是有效颜色"),
            f"style '{style_name}', key '{key}'",
            T("write colours as \"#rrggbb\" and alpha from 0 to 1",
              "颜色请写成 \"#rrggbb\"，透明度取 0 到 1")) from None
    return (parts[0], parts[1], parts[2], int(round(parts[3] * a)))


# --- categories and classes ----------------------------------------------------------
def _categories(style: Mapping[str, Any], name: str, standards: Any) -> list[dict]:
    explicit = [dict(c) for c in style.get("categories", [])]
    for c in explicit:
        if "value" not in c:
            raise ProjectError(T(f"a category of style {name!r} has no value",
                                 f"样式 {name!r} 的某个分类缺少 value"),
                               f"style '{name}'", T("add value = ... to every category",
                                                    "请为每个分类填写 value"))
    source = style.get("colors_from")
    if not source:
        return explicit
    if source != "pipeline_classes":
        raise _bad_value(name, "colors_from", source, ("pipeline_classes",))
    generated = _pipeline_categories(standards)
    overrides = {c["value"]: c for c in explicit}
    merged = [{**c, **overrides.pop(c["value"], {})} for c in generated]
    return merged + list(overrides.values())


def _pipeline_categories(standards: Any) -> list[dict]:
    """One category per CJJ 61 pipeline class, coloured from the standards table."""
    from layers.standards import load_standards, pipeline_colors

    std = standards if standards is not None else load_standards()
    labels: dict[str, tuple[str, str]] = {}
    try:
        table = std.table("pipeline_classes")
        labels = {str(k): (str(en), str(zh)) for k, en, zh in
                  zip(table["key"], table["label_en"], table["label_zh"], strict=True)}
    except Exception:  # labels are a nicety; colours are what must come from the table
        labels = {}
    cats = []
    for key, rgb in pipeline_colors(std).items():
        hex_ = "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb[:3]))
        en, zh = labels.get(str(key), (str(key), str(key)))
        cats.append({"value": str(key), "fill": hex_, "stroke": hex_,
                     "label_en": en, "label_zh": zh})
    return cats


def _category_index(values: pd.Series, entries: Sequence[dict]) -> np.ndarray:
    """Position of each row's category in ``entries`` (-1 when it has none)."""
    lookup: dict[Any, int] = {}
    for i, entry in enumerate(entries):
        lookup.setdefault(entry["value"], i)
        lookup.setdefault(str(entry["value"]), i)
    # each distinct value looked up once (mapping 100,000 rows one by one took ~10 ms a layer)
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    found = np.array([lookup.get(u, -1) for u in uniques], dtype=np.int64)
    return np.where(codes >= 0, np.append(found, -1)[codes], -1)


def _classes(style: Mapping[str, Any], name: str) -> list[dict]:
    classes = [dict(c) for c in style.get("classes", [])]
    for c in classes:
        c["min"] = _number(c.get("min", -np.inf), name, "min")
        c["max"] = _number(c.get("max", np.inf), name, "max")
        if c["min"] > c["max"]:
            raise _bad_value(name, "classes", f"{c['min']}–{c['max']}", ["min ≤ max"])
    return classes


def _class_index(values: pd.Series, entries: Sequence[dict], name: str,
                 fld: str) -> np.ndarray:
    series = pd.Series(values)
    if not (pd.api.types.is_numeric_dtype(series) or series.isna().all()):
        raise ProjectError(
            T(f"style {name!r} grades the field {fld!r}, which is not numeric",
              f"样式 {name!r} 按字段 {fld!r} 分级，但该字段不是数值"),
            f"style '{name}', field '{fld}'",
            T("grade a numeric field or use a categorised style",
              "请选择数值字段分级，或改用分类样式"))
    v = series.to_numpy(dtype="float64", na_value=np.nan)
    idx = np.full(len(v), -1, dtype=np.int64)
    last = len(entries) - 1
    for i, c in enumerate(entries):
        upper = v <= c["max"] if i == last else v < c["max"]
        hit = (idx < 0) & (v >= c["min"]) & upper
        idx[hit] = i
    return idx


def _legend(style: Mapping[str, Any], entries: Sequence[dict], fills: np.ndarray,
            strokes: np.ndarray, widths: np.ndarray, has_rest: bool,
            present: set[int] | None = None) -> list[LegendEntry]:
    """Legend rows. Optional style keys: ``legend_single`` (one row for the whole layer, e.g.
    precincts in several colours), ``legend_other = false`` (no "other" row) and
    ``legend_present_only`` (only the categories some feature has: the legend says exactly
    what is drawn)."""
    def rgba(a: np.ndarray) -> RGBA:
        return tuple(int(v) for v in a)  # type: ignore[return-value]

    if style.get("legend_single") and entries:
        en = style.get("label_en") or style.get("name") or ""
        return [LegendEntry(en, style.get("label_zh") or en, rgba(fills[1]), rgba(strokes[1]),
                            float(widths[1]))]
    if style.get("type", "single") == "single":
        en = style.get("label_en") or style.get("name") or ""
        zh = style.get("label_zh") or en
        return [LegendEntry(en, zh, rgba(fills[0]), rgba(strokes[0]), float(widths[0]))]
    out = []
    for i, e in enumerate(entries, start=1):
        if present is not None and (i - 1) not in present:
            continue
        if "value" in e:
            default = str(e["value"])
        else:
            default = f"{e['min']:g} – {e['max']:g}"
        en = str(e.get("label_en", default))
        out.append(LegendEntry(en, str(e.get("label_zh", en)), rgba(fills[i]),
                               rgba(strokes[i]), float(widths[i]), e.get("value")))
    if has_rest and style.get("legend_other", True):
        out.append(LegendEntry(style.get("other_label_en", "other"),
                               style.get("other_label_zh", "其他"),
                               rgba(fills[0]), rgba(strokes[0]), float(widths[0])))
    return out


# --- small helpers ------------------------------------------------------------------
def _style_name(style: Mapping[str, Any]) -> str:
    return str(style.get("name") or f"{style.get('type', 'single')} style")


def _number(value: Any, name: str, key: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _bad_value(name, key, value, ["a number"]) from None
    if np.isnan(number):
        raise _bad_value(name, key, value, ["a number"])
    return number


def _choice(value: Any, allowed: Sequence[str], name: str, key: str) -> str:
    if value not in allowed:
        raise _bad_value(name, key, value, allowed)
    return str(value)


def _bad_value(name: str, key: str, value: Any, allowed: Sequence[Any]) -> ProjectError:
    options = ", ".join(str(a) for a in allowed)
    return ProjectError(
        T(f"style {name!r} has {key} = {value!r}, which is not allowed",
          f"样式 {name!r} 中 {key} = {value!r} 无效"),
        f"style '{name}', key '{key}'",
        T(f"use one of: {options}", f"请使用：{options}"))


def _unknown_field(name: str, fld: str, columns: set) -> ProjectError:
    known = sorted(str(c) for c in columns if c != "geometry")
    return ProjectError(
        T(f"style {name!r} uses the field {fld!r}, which the layer does not have",
          f"样式 {name!r} 使用的字段 {fld!r} 在图层中不存在"),
        f"style '{name}', field '{fld}'",
        T(f"pick one of the layer's fields: {', '.join(known) or '(none)'}",
          f"请选择图层已有的字段：{'、'.join(known) or '（无）'}"))
