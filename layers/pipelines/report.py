"""Conflict reports as CSV (UTF-8 with BOM, so Excel reads the Chinese) or XLSX: one row
per finding, its category (净距违规 / 净距未确认 / 协调提示) first."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from layers import display
from layers.errors import T
from layers.i18n import current_language
from layers.kinds import CONFLICTS
from layers.pipelines.conflicts import STATUS_LABELS, TYPE_LABELS
from layers.pipelines.summary import categories_of

REPORT_SUFFIXES = (".csv", ".xlsx")
_YES_NO = {True: T("yes", "是"), False: T("no", "否")}


def header(field_name: str, lang: str) -> str:
    """A column heading: the schema label with its unit."""
    return display.field_label(CONFLICTS.field(field_name), lang)


def report_frame(conflicts: gpd.GeoDataFrame, lang: str | None = None) -> pd.DataFrame:
    """The report's table: schema columns with translated headings and values, plus x, y."""
    lang = lang or current_language()
    cols = [c for c in CONFLICTS.field_names if c in conflicts.columns]
    out = pd.DataFrame(conflicts[cols]).astype(object).copy()
    out = out.where(pd.notna(out), None)
    if "conflict_type" in out:  # a layer found before categories existed gets them here
        out["category"] = categories_of(conflicts).to_numpy()
        cols = list(dict.fromkeys(["category", *cols]))
        out = out[cols]
    for col in ("category", "confidence"):
        if col in out:
            out[col] = [None if v is None else display.choice("conflicts", col, v, lang)
                        for v in out[col]]
    if "conflict_type" in out:
        out["conflict_type"] = [TYPE_LABELS[v](lang) if v in TYPE_LABELS else v
                                for v in out["conflict_type"]]
    if "status" in out:
        out["status"] = [STATUS_LABELS[v](lang) if v in STATUS_LABELS else v for v in out["status"]]
    for col in ("utility_a", "utility_b"):
        if col in out:
            out[col] = [None if v is None else display.utility(v, lang) for v in out[col]]
    for col in ("layer_a", "layer_b"):
        if col in out:
            out[col] = [None if v is None else display.layer_name(str(v), lang=lang) for v in out[col]]
    if "checked" in out:
        out["checked"] = [_YES_NO[bool(v)](lang) if v is not None else None for v in out["checked"]]
    for col in ("length_m", "distance_m", "required_m", "saving_yuan"):
        if col in out:
            out[col] = [round(float(v), 2) if v is not None else None for v in out[col]]
    out.columns = [header(c, lang) for c in cols]
    if isinstance(conflicts, gpd.GeoDataFrame) and len(conflicts):
        geoms = conflicts.geometry.to_numpy()
        points = shapely.point_on_surface(geoms)
        out["X (m)"] = [round(float(v), 2) if v == v else None for v in shapely.get_x(points)]
        out["Y (m)"] = [round(float(v), 2) if v == v else None for v in shapely.get_y(points)]
    return out.reset_index(drop=True)
