"""Vector layers packed compactly for the offline HTML map.

Coordinates become integer micro-degrees (6 decimals, about 0.1 m), delta-coded
within each ring, in one flat array per layer with offset arrays (the layout of
``shapely.to_ragged_array``). Attributes are column arrays, strings with few
distinct values dictionary-coded. Geometry is simplified first with a tolerance of
half a screen pixel at the map's deepest zoom, so nothing visible is lost.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer

from layers import display
from layers.exports.common import (
    FID_LABEL,
    alpha,
    attribute_columns,
    field_label,
    hex_rgb,
    layer_values,
)

MAX_ZOOM = 19
_FAMILY_IDS = {"polygon": (3, 6), "line": (1, 5), "point": (0, 4)}
_DASH_ARRAYS = {"solid": None, "dash": "8 5", "dot": "1 5"}


def display_tolerance(lat: float, max_zoom: int = MAX_ZOOM) -> float:
    """Half a Web Mercator pixel at ``max_zoom`` on the ground at ``lat``, in metres."""
    metres_per_pixel = 156543.03392 * math.cos(math.radians(lat)) / 2 ** max_zoom
    return metres_per_pixel / 2


def to_lonlat(crs) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _micro_degrees(coords: np.ndarray, transformer: Transformer) -> np.ndarray:
    lon, lat = transformer.transform(coords[:, 0], coords[:, 1])
    return np.round(np.column_stack([lon, lat]) * 1e6).astype(np.int64)


def _delta(q: np.ndarray, ring_starts: np.ndarray) -> np.ndarray:
    """First vertex of each ring absolute, the others as differences to their predecessor."""
    out = q.copy()
    out[1:] -= q[:-1]
    out[ring_starts] = q[ring_starts]
    return out


def _offsets(family: str, geoms: np.ndarray) -> tuple[np.ndarray, dict[str, list[int]]]:
    """Coordinates and offsets: ``r`` vertices per ring/line, ``p`` rings per polygon,
    ``g`` polygons (or lines, or points) per feature."""
    if family == "point":
        coords, index = shapely.get_coordinates(geoms, return_index=True)
        g = np.r_[0, np.cumsum(np.bincount(index, minlength=len(geoms)))]
        return coords, {"g": g.tolist()}
    if family == "polygon":
        geoms = shapely.orient_polygons(geoms)
        multi = shapely.multipolygons(shapely.get_parts(geoms),
                                      indices=shapely.get_parts(geoms, return_index=True)[1])
        _, coords, (r, p, g) = shapely.to_ragged_array(multi, include_z=False)
        return coords, {"r": r.tolist(), "p": p.tolist(), "g": g.tolist()}
    multi = shapely.multilinestrings(shapely.get_parts(geoms),
                                     indices=shapely.get_parts(geoms, return_index=True)[1])
    _, coords, (r, g) = shapely.to_ragged_array(multi, include_z=False)
    return coords, {"r": r.tolist(), "g": g.tolist()}


def _styles(resolved, rows: np.ndarray, family: str) -> tuple[list[dict], list[int]]:
    """Distinct Leaflet path options and, per feature, the index of its options."""
    fill = resolved.fill[rows].view(np.uint32).ravel().astype(np.int64)
    stroke = resolved.stroke[rows].view(np.uint32).ravel().astype(np.int64)
    width = np.round(resolved.stroke_width[rows] * 100).astype(np.int64)
    keys = np.column_stack([fill, stroke, width])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    options = []
    for row in rows[first]:
        f, s, w = resolved.fill[row], resolved.stroke[row], float(resolved.stroke_width[row])
        opt: dict[str, Any] = {"color": hex_rgb(s), "opacity": alpha(s), "weight": w}
        if family == "polygon":
            opt.update(fillColor=hex_rgb(f), fillOpacity=alpha(f), stroke=w > 0)
        elif family == "line":
            opt["fill"] = False
        else:
            opt.update(fillColor=hex_rgb(f), fillOpacity=alpha(f), weight=1.0,
                       radius=resolved.marker_size / 2)
        if family != "point" and _DASH_ARRAYS[resolved.dash]:
            opt["dashArray"] = _DASH_ARRAYS[resolved.dash]
        options.append(opt)
    return options, inverse.ravel().tolist()


def _column(values: list[Any]) -> Any:
    """A column as a list, or dictionary-coded ``{"d": distinct, "c": codes}``."""
    texts = [v for v in values if isinstance(v, str)]
    if len(texts) == len([v for v in values if v is not None]) and texts:
        distinct = list(dict.fromkeys(texts))
        if len(distinct) <= max(1, len(values) // 4):
            code = {v: i for i, v in enumerate(distinct)}
            return {"d": distinct, "c": [-1 if v is None else code[v] for v in values]}
    return values


def pack_layer(layer, resolved, lang: str, transformer: Transformer,
               tolerance: float, standards=None) -> list[dict]:
    """One payload per geometry family present in the layer (most layers have one); values
    read as :mod:`layers.display` says (``standards`` names the codes)."""
    gdf = layer.gdf
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    present = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    type_id = shapely.get_type_id(geoms)
    labels = [FID_LABEL(lang)] + [field_label(layer, c, lang) for c in attribute_columns(layer)]
    payloads = []
    for family, ids in _FAMILY_IDS.items():
        rows = np.flatnonzero(present & np.isin(type_id, ids))
        if len(rows) == 0:
            continue
        part = geoms[rows]
        if family != "point" and tolerance > 0:
            simplified = shapely.simplify(part, tolerance, preserve_topology=True)
            part = np.where(shapely.is_empty(simplified), part, simplified)
        coords, offsets = _offsets(family, part)
        q = _micro_degrees(coords, transformer)
        starts = np.asarray(offsets.get("r", np.arange(len(q) + 1)))[:-1]
        xy = _delta(q, starts[starts < len(q)]).ravel()
        options, style_index = _styles(resolved, rows, family)
        sub = gdf.iloc[rows]
        cols = [sub.index.to_numpy().tolist()]
        cols += [_column(layer_values(layer, c, lang, standards, sub[c]))
                 for c in attribute_columns(layer)]
        payloads.append({"family": family, "xy": xy.tolist(), **offsets, "styles": options,
                         "style": style_index, "labels": labels, "cols": cols,
                         "title": display.layer_title(layer, lang)})
    return payloads


def feature_count(payloads: list[dict]) -> int:
    return sum(len(p["g"]) - 1 for p in payloads)
