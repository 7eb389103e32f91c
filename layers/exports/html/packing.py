"""Vector layers packed for the offline HTML map, fast and small.

Per geometry family one payload: every vertex as integer micro-degrees (1e-6°, about
0.1 m), delta-coded along the whole layer; ``r`` vertices per ring (or line), ``f`` rings
(lines, points) per feature, as counts. Polygon rings are oriented (exteriors one way,
holes the other) so the page fills a whole style group in one non-zero path.

Geometry is simplified ring by ring (Douglas–Peucker on each ring as a line, no
topology repair: that repair on the nine city-wide service areas took 20 s) with half a
screen pixel at the deepest zoom as tolerance, so nothing visible moves; a ring that would
collapse keeps its vertices. Attributes reach the page as the reader sees them
(:func:`layers.exports.common.layer_values`); columns empty in every row are left out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from layers import display
from layers.exports.common import FID_LABEL, attribute_columns, field_label, layer_values
from layers.exports.html.rings import is_ringed, ring_styles
from styles.themes import CLASS_LABELS, THEME_FIELD

MAX_ZOOM = 19
FAMILIES = {"polygon": (3, 6), "line": (1, 5), "point": (0, 4)}
DASHES = {"solid": None, "dash": [8, 5], "dot": [1, 5]}
_SIMPLIFY_FROM = 5  # rings and lines with fewer vertices are left as they are


def display_tolerance(lat: float, max_zoom: int = MAX_ZOOM) -> float:
    """Half a Web Mercator pixel at ``max_zoom`` on the ground at ``lat``, in metres.

    >>> round(display_tolerance(0.0), 3)
    0.149
    """
    return 156543.03392 * math.cos(math.radians(lat)) / 2 ** max_zoom / 2


def to_lonlat(crs) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _simplified(lines: np.ndarray, tolerance: float) -> np.ndarray:
    """Lines (or rings as lines) simplified where they have enough vertices; one that would
    fall below ``keep`` vertices stays as it was."""
    out = lines.copy()
    if tolerance <= 0 or len(lines) == 0:
        return out
    counts = shapely.get_num_coordinates(lines)
    big = np.flatnonzero(counts >= _SIMPLIFY_FROM)
    if len(big):
        done = shapely.simplify(lines[big], tolerance, preserve_topology=False)
        closed = shapely.is_closed(lines[big])
        ok = shapely.get_num_coordinates(done) >= np.where(closed, 4, 2)
        out[big[ok]] = done[ok]
    return out


def _polygon_rings(geoms: np.ndarray, tolerance: float, outer_only: bool = False):
    """Vertices, their ring, each ring's feature and whether it is an exterior (only the
    exteriors with ``outer_only``)."""
    parts, part_feature = shapely.get_parts(geoms, return_index=True)
    if outer_only:
        rings, ring_part = shapely.get_exterior_ring(parts), np.arange(len(parts))
    else:
        rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_part[1:] != ring_part[:-1]
    coords, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    lines = shapely.linestrings(coords, indices=vertex_ring) if len(coords) else rings
    lines = _simplified(np.asarray(lines, dtype=object), tolerance)
    coords, vertex_ring = shapely.get_coordinates(lines, return_index=True)
    return coords, vertex_ring, part_feature[ring_part], exterior


def _line_parts(geoms: np.ndarray, tolerance: float):
    parts, part_feature = shapely.get_parts(geoms, return_index=True)
    parts = _simplified(np.asarray(parts, dtype=object), tolerance)
    coords, vertex_ring = shapely.get_coordinates(parts, return_index=True)
    return coords, vertex_ring, part_feature, None


def _points(geoms: np.ndarray):
    coords, feature = shapely.get_coordinates(geoms, return_index=True)
    return coords, np.arange(len(coords)), feature, None


def _quantised(coords: np.ndarray, transformer: Transformer) -> np.ndarray:
    lon, lat = transformer.transform(coords[:, 0], coords[:, 1])
    return np.round(np.column_stack([lon, lat]) * 1e6).astype(np.int64)


def _drop_repeats(q: np.ndarray, vertex_ring: np.ndarray, polygon: bool):
    """Vertices equal to their predecessor after rounding go; so do polygon rings left
    with fewer than four (narrower than the rounding: nothing to see)."""
    keep = np.ones(len(q), dtype=bool)
    keep[1:] = (q[1:] != q[:-1]).any(axis=1) | (vertex_ring[1:] != vertex_ring[:-1])
    if polygon and len(q):
        per_ring = np.bincount(vertex_ring[keep], minlength=vertex_ring.max() + 1)
        keep &= per_ring[vertex_ring] >= 4
    return keep


def _oriented(q: np.ndarray, vertex_ring: np.ndarray, exterior: np.ndarray) -> np.ndarray:
    """Vertex order with every exterior counter-clockwise and every hole clockwise."""
    n = len(q)
    if n == 0:
        return np.arange(0)
    x, y = q[:, 0].astype(np.float64), q[:, 1].astype(np.float64)
    x -= x.mean()
    y -= y.mean()
    same = np.r_[vertex_ring[1:] == vertex_ring[:-1], False]
    term = np.zeros(n)
    term[:-1] = np.where(same[:-1], x[:-1] * y[1:] - x[1:] * y[:-1], 0.0)
    area = np.bincount(vertex_ring, weights=term, minlength=len(exterior))
    flip = np.where(exterior, area < 0, area > 0)
    starts = np.r_[0, np.flatnonzero(~same[:-1]) + 1]  # rings are consecutive
    ends = np.r_[starts[1:], n] - 1
    index = np.arange(n)
    return np.where(flip[vertex_ring], starts[vertex_ring] + ends[vertex_ring] - index, index)


def geometry_payload(family: str, geoms: np.ndarray, transformer: Transformer,
                     tolerance: float, outer_only: bool = False) -> dict[str, list[int]]:
    """``xy`` (delta-coded micro-degrees), ``r`` vertices per ring and ``f`` rings per feature
    of ``geoms`` (all of one family); ``outer_only`` leaves out the holes of polygons."""
    if family == "polygon":
        coords, vertex_ring, ring_feature, exterior = _polygon_rings(geoms, tolerance,
                                                                     outer_only)
    elif family == "line":
        coords, vertex_ring, ring_feature, exterior = _line_parts(geoms, tolerance)
    else:
        coords, vertex_ring, ring_feature, exterior = _points(geoms)
    q = _quantised(coords, transformer) if len(coords) else np.zeros((0, 2), np.int64)
    if family != "point":
        keep = _drop_repeats(q, vertex_ring, family == "polygon")
        q, vertex_ring = q[keep], vertex_ring[keep]
        rings = np.unique(vertex_ring)
        ring_feature = ring_feature[rings]
        exterior = exterior[rings] if exterior is not None else None
        vertex_ring = np.searchsorted(rings, vertex_ring)
        if family == "polygon":
            q = q[_oriented(q, vertex_ring, exterior)]
    delta = q.copy()
    delta[1:] -= q[:-1]
    out = {"xy": delta.ravel().tolist(),
           "f": _counts(np.bincount(ring_feature, minlength=len(geoms)))}
    if family != "point":
        out["r"] = _counts(np.bincount(vertex_ring, minlength=len(ring_feature)))
    return out


def _hex(rgba) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgba[:3]))


def _alpha(rgba) -> float:
    return round(int(rgba[3]) / 255.0, 3)


def drawn_rows(resolved, rows: np.ndarray, family: str) -> np.ndarray:
    """The rows whose style draws something (a theme hides features with no fill and no
    outline: they are left out, and so answer no click)."""
    fill = resolved.fill[rows, 3] > 0
    line = (resolved.stroke[rows, 3] > 0) & (resolved.stroke_width[rows] > 0)
    if family == "line":
        return rows[line]
    if family == "point":
        return rows[fill | (resolved.stroke[rows, 3] > 0)]
    return rows[fill | line]


def _max_mpp(resolved, rows: np.ndarray) -> np.ndarray:
    """Metres per screen pixel above which each row is not drawn (inf: always)."""
    if resolved.max_mpp is None:
        return np.full(len(rows), np.inf)
    return np.asarray(resolved.max_mpp, dtype=np.float64)[rows]


def plain_styles(resolved, rows: np.ndarray, family: str) -> tuple[list[dict], np.ndarray]:
    """Distinct drawing options (stroke, fill, width, dash, radius, the scale beyond which
    it is not drawn) and each row's option."""
    limit = _max_mpp(resolved, rows)
    keys = np.column_stack([resolved.fill[rows].view(np.uint32).ravel().astype(np.int64),
                            resolved.stroke[rows].view(np.uint32).ravel().astype(np.int64),
                            np.round(resolved.stroke_width[rows] * 100).astype(np.int64),
                            np.round(np.nan_to_num(limit, posinf=-1.0) * 1000).astype(np.int64)])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    options = []
    for i in first:
        row = rows[i]
        f, s, w = resolved.fill[row], resolved.stroke[row], float(resolved.stroke_width[row])
        opt: dict[str, Any] = {"color": _hex(s), "opacity": _alpha(s), "weight": w}
        if family == "polygon":
            opt.update(fillColor=_hex(f), fillOpacity=_alpha(f))
        elif family == "point":
            opt.update(fillColor=_hex(f), fillOpacity=_alpha(f), weight=1.0,
                       radius=float(resolved.marker_size) / 2)
        if family != "point" and DASHES.get(resolved.dash):
            opt["dash"] = DASHES[resolved.dash]
        if np.isfinite(limit[i]):
            opt["maxMpp"] = float(limit[i])
        options.append(opt)
    return options, inverse.ravel()


def _column(values: list[Any]) -> Any:
    """A column as a list, or dictionary-coded ``{"d": distinct, "c": codes}``."""
    texts = [v for v in values if isinstance(v, str)]
    if texts and len(texts) == sum(v is not None for v in values):
        distinct = list(dict.fromkeys(texts))
        if len(distinct) <= max(1, len(values) // 4):
            code = {v: i for i, v in enumerate(distinct)}
            return {"d": distinct, "c": [-1 if v is None else code[v] for v in values]}
    return values


def packed_column(layer, column: str, lang: str, standards, series: pd.Series) -> Any:
    """A column as the reader sees it; one with few distinct values is formatted once per
    value and sent dictionary-coded (``{"d": values, "c": codes}``, -1 for empty)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) > max(1, len(series) // 4):
        return _column(layer_values(layer, column, lang, standards, series))
    shown = layer_values(layer, column, lang, standards,
                         pd.Series(uniques, dtype=series.dtype, index=range(len(uniques))))
    empty = np.array([v is None for v in shown] + [True])  # the last: pandas' -1 (missing)
    codes = np.where(empty[codes], -1, codes)
    return {"d": shown, "c": codes.tolist()}


def _counts(values: np.ndarray) -> Any:
    """Counts as a list, or one number when they are all the same."""
    if len(values) and (values == values[0]).all():
        return int(values[0])
    return values.tolist()


def summary_columns(layer, style: dict, resolved, shown: list[str]) -> list[str]:
    """Columns that name a feature in a popup's list: its label field or name, else what its
    style is categorised by (a service area adds its level)."""
    for candidate in (resolved.label_field, "name", style.get("field")):
        if candidate in shown:
            break
    else:
        return []
    if layer.kind == "service_areas" and "level" in shown and candidate != "level":
        return [candidate, "level"]
    return [candidate]


def _theme_column(frame, rows: np.ndarray, lang: str) -> dict:
    """The map theme's class of each row, by its legend words, dictionary-coded."""
    keys = frame[THEME_FIELD].iloc[rows]
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    words = [CLASS_LABELS[k](lang) if k in CLASS_LABELS else str(k) for k in uniques]
    return {"d": words, "c": codes.tolist()}


def pack_layer(layer, style: dict, resolved, lang: str, transformer: Transformer,
               tolerance: float, standards=None, frame=None) -> list[dict]:
    """One payload per geometry family in the layer: geometry, drawing options, and the
    popup's labels and values (in ``lang``). ``frame``: the layer's features as styled
    (with the map theme's field, :func:`layers.themes.themed_frame`)."""
    gdf = layer.gdf
    frame = gdf if frame is None else frame
    themed = THEME_FIELD in frame.columns and THEME_FIELD not in gdf.columns
    rings = is_ringed(layer) and style.get("field") != THEME_FIELD  # a theme has its own rings
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    present = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    type_id = shapely.get_type_id(geoms)
    shown = [c for c in attribute_columns(layer) if not gdf[c].isna().all()]
    labels = [FID_LABEL(lang)] + [field_label(layer, c, lang) for c in shown]
    first = 2 if themed else 1  # where the attributes start among the columns
    named_by = [shown.index(c) + first for c in summary_columns(layer, style, resolved, shown)]
    if themed:
        labels.insert(1, display.column_label(layer.schema, THEME_FIELD, lang))
    payloads = []
    for family, ids in FAMILIES.items():
        rows = np.flatnonzero(present & np.isin(type_id, ids))
        if not rings:
            rows = drawn_rows(resolved, rows, family)
        if len(rows) == 0:
            continue
        payload: dict[str, Any] = {"family": family, "n": len(rows)}
        payload.update(geometry_payload(family, geoms[rows], transformer, tolerance,
                                        outer_only=is_ringed(layer)))
        ringed = ring_styles(layer, resolved, rows) if rings and family == "polygon" else None
        options, index = ringed if ringed is not None else plain_styles(resolved, rows, family)
        payload["styles"] = options
        payload["style"] = int(index[0]) if len(options) == 1 else index.tolist()
        sub = gdf.iloc[rows]
        payload["cols"] = [sub.index.to_numpy().tolist()] + (
            [_theme_column(frame, rows, lang)] if themed else []) + [
            packed_column(layer, c, lang, standards, sub[c]) for c in shown]
        payload["labels"] = labels
        payload["name"] = named_by
        payload["title"] = display.layer_title(layer, lang)
        payloads.append(payload)
    return payloads


def feature_count(payloads: list[dict]) -> int:
    return sum(p["n"] for p in payloads)
