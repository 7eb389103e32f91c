"""The styles a person can pick for a layer, built from its data (no Qt).

:mod:`styles.resolve` knows three style types — ``single``, ``categorised`` (explicit
``categories`` of values) and ``graduated`` (explicit ``classes`` with ``min``/``max``) —
and rasters drawn as ``greyscale``, ``ramp`` or ``rgb``. The functions here write such
dicts for a layer: one colour, one category per distinct value of a field, or N classes
of a numeric field (quantile breaks). Each result is a *layer* style, laid over the
kind's default by :func:`styles.effective_style`, so labels, dashes and markers stay.

Example
-------
>>> import pandas as pd
>>> frame = pd.DataFrame({"population": [100, 200, 300, 400]})
>>> style = graduated_style("communities", frame, "population", 2)
>>> [(c["min"], c["max"]) for c in style["classes"]]
[(100.0, 250.0), (250.0, 400.0)]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from layers.errors import ProjectError, T
from layers.kinds import schema_for

MAX_CATEGORIES = 12  # more distinct values than this: the rest are drawn as "other"
MAX_CATEGORY_FIELD_VALUES = 40  # fields with more distinct values are not offered
CLASS_COUNTS = (3, 4, 5, 6, 7)
# ColorBrewer "Set2"+"Dark2"-like qualitative colours and a "YlOrRd" sequential ramp.
QUALITATIVE = ("#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f",
               "#e5c494", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")
SEQUENTIAL = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
THEMATIC_FILL_ALPHA = 0.8
SINGLE_COLOURS = ("#f4a582", "#92c5de", "#a6d96a", "#fdae61", "#bababa", "#c2a5cf")


def geometry_family(kind: str, gdf: Any = None) -> str | None:
    """``polygon``, ``line`` or ``point`` for a kind (from its first feature for ``other``)."""
    family = schema_for(kind).geometry
    if family is None and gdf is not None and len(gdf) and hasattr(gdf, "geometry"):
        present = gdf.geometry.dropna()
        if len(present):
            first = str(present.iloc[0].geom_type)
            family = {"Point": "point", "MultiPoint": "point", "LineString": "line",
                      "MultiLineString": "line"}.get(first, "polygon")
    return family


def _paint(kind: str, gdf: Any, hex_colour: str) -> dict:
    """Keys that colour a feature: the stroke for lines, the fill for areas and points."""
    return {"stroke": hex_colour} if geometry_family(kind, gdf) == "line" else {"fill": hex_colour}


def _thematic(kind: str, gdf: Any) -> dict:
    """Classes must read apart: areas get a firmer fill than a kind's translucent default."""
    return {"fill_alpha": THEMATIC_FILL_ALPHA} if geometry_family(kind, gdf) == "polygon" else {}


def _field_label(kind: str, name: str) -> tuple[str, str]:
    try:
        f = schema_for(kind).field(name)
        return f.label_en, f.label_zh
    except KeyError:
        return name, name


def field_label(kind: str, name: str) -> str:
    """A field's label in the current language (its name when the schema does not know it)."""
    return T(*_field_label(kind, name))()


def _columns(gdf: Any) -> list[str]:
    geometry = getattr(gdf, "geometry", None)
    geometry_name = getattr(geometry, "name", None)
    return [str(c) for c in gdf.columns if c != geometry_name and c != "geometry"]


def categorisable_fields(gdf: Any) -> list[str]:
    """Fields with 1 to ``MAX_CATEGORY_FIELD_VALUES`` distinct values (not continuous floats)."""
    out = []
    for name in _columns(gdf):
        series = gdf[name]
        if pd.api.types.is_float_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        count = series.nunique(dropna=True)
        if 1 <= count <= MAX_CATEGORY_FIELD_VALUES:
            out.append(name)
    return out


def numeric_fields(gdf: Any) -> list[str]:
    """Numeric (not boolean) fields with at least one value: the ones that can be graduated."""
    return [name for name in _columns(gdf)
            if pd.api.types.is_numeric_dtype(gdf[name]) and not pd.api.types.is_bool_dtype(gdf[name])
            and gdf[name].notna().any()]


def single_style(kind: str, gdf: Any, hex_colour: str) -> dict:
    """Every feature in one colour (outline and labels from the kind's default)."""
    label_en, label_zh = schema_for(kind).label_en, schema_for(kind).label_zh
    return {"type": "single", "colors_from": None, "label_en": label_en, "label_zh": label_zh,
            **_paint(kind, gdf, hex_colour)}


def categorised_style(kind: str, gdf: Any, field: str) -> dict:
    """One colour per distinct value of ``field`` (the most frequent ``MAX_CATEGORIES``)."""
    _require_field(kind, gdf, field)
    counts = gdf[field].dropna().value_counts(sort=True)
    values = sorted(counts.index[:MAX_CATEGORIES], key=_sort_key)
    categories = [{"value": _plain(v), **_paint(kind, gdf, QUALITATIVE[i % len(QUALITATIVE)])}
                  for i, v in enumerate(values)]
    return {"type": "categorised", "field": field, "colors_from": None,
            "categories": categories, **_thematic(kind, gdf)}


def graduated_style(kind: str, gdf: Any, field: str, classes: int = 5) -> dict:
    """``classes`` classes of numeric ``field`` with quantile breaks, light to dark.

    Ties can merge quantile breaks; then equal intervals are used, so the style has
    ``classes`` classes whenever the field has that many distinct values.
    """
    _require_field(kind, gdf, field)
    if field not in numeric_fields(gdf):
        raise ProjectError(
            T(f"the field {field!r} is not numeric, so it cannot be graduated",
              f"字段 {field!r} 不是数值，无法分级"),
            f"field '{field}'", T("pick a numeric field or categorise by it",
                                  "请选择数值字段，或按该字段分类"))
    values = pd.to_numeric(gdf[field], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    values = values[np.isfinite(values)]
    n = max(1, min(int(classes), len(np.unique(values))))
    breaks = np.unique(np.quantile(values, np.linspace(0.0, 1.0, n + 1)))
    if len(breaks) < n + 1:
        breaks = np.linspace(values.min(), values.max(), n + 1)
    if len(breaks) < 2:
        breaks = np.array([values.min(), values.max()])
    ramp = _ramp(len(breaks) - 1)
    classes_out = []
    for i, (low, high) in enumerate(zip(breaks[:-1], breaks[1:])):
        text = f"{_round(low):,g} – {_round(high):,g}"
        classes_out.append({"min": float(low), "max": float(high), "label_en": text,
                            "label_zh": text, **_paint(kind, gdf, ramp[i])})
    return {"type": "graduated", "field": field, "colors_from": None, "classes": classes_out,
            **_thematic(kind, gdf)}


def raster_styles(bands: int) -> dict[str, dict]:
    """The ways a raster can be drawn: greyscale, a colour ramp, and RGB with three bands."""
    out = {"greyscale": {"raster": "greyscale"},
           "ramp": {"raster": "ramp", "ramp": list(SEQUENTIAL[:1] + SEQUENTIAL[2::2])}}
    if bands >= 3:
        out["rgb"] = {"raster": "rgb"}
    return out


# --- helpers ---------------------------------------------------------------------------
def _require_field(kind: str, gdf: Any, field: str) -> None:
    if field not in _columns(gdf):
        raise ProjectError(
            T(f"the layer has no field {field!r}", f"图层没有字段 {field!r}"),
            f"layer kind '{kind}'", T("pick one of the layer's fields", "请选择图层已有的字段"))


def _ramp(n: int) -> list[str]:
    """``n`` colours spread evenly along the sequential ramp (hex)."""
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in SEQUENTIAL], float)
    at = np.linspace(0.0, 1.0, len(stops))
    where = np.linspace(0.0, 1.0, n) if n > 1 else np.array([1.0])
    rgb = np.stack([np.interp(where, at, stops[:, i]) for i in range(3)], axis=1).round()
    return ["#{:02x}{:02x}{:02x}".format(*(int(v) for v in row)) for row in rgb]


def _round(value: float) -> float:
    """A break to 4 significant digits, for its legend text (the class keeps the exact value)."""
    return float(f"{float(value):.4g}") if value else 0.0


def _plain(value: Any) -> Any:
    """A JSON-friendly category value (numpy scalars → Python)."""
    return value.item() if isinstance(value, np.generic) else value


def _sort_key(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, (int, float, np.number)) else (1, 0, str(value))
