"""Does a new layer land where the same features already lie? Checked while importing.

A layer that lands a few hundred metres or more off a layer of the same kind already in
the project (an admin file shifted 19 km, a web-map layer whose offset was not removed)
is warned about, with the shift: shifted back, most of its outline lies on that layer's
(:mod:`.alignment`), as placed it does not. When the new layer agrees with other layers
of its kind, the odd one out is named instead.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

from layers.errors import T
from layers.importing.alignment import Fit, Reference, best_fit, outline_points, residuals

SKIPPED_KINDS = ("other", "conflicts", "service_areas")
MAX_NEW, MAX_OLD = 300, 5000  # feature centroids paired to propose shifts


def _param(project, key: str) -> float:
    return float(project.standards().value("import_checks", key, "value"))


# --- a layer landing off its kind ------------------------------------------------------
def _centroids(geoms: np.ndarray, limit: int) -> np.ndarray:
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) > limit:
        geoms = geoms[np.linspace(0, len(geoms) - 1, limit).astype(int)]
    return shapely.get_coordinates(shapely.centroid(geoms))


def _proposed_shifts(new: np.ndarray, old: np.ndarray, cell: float, reach: float) -> list[np.ndarray]:
    """Shifts that would lay ``new`` on ``old``: none, and the three most voted for by the
    centroid-to-centroid shifts of all feature pairs within ``reach`` (binned by ``cell``): a
    layer moved as a whole votes for its shift with every feature."""
    starts = [np.zeros(2)]
    a, b = _centroids(new, MAX_NEW), _centroids(old, MAX_OLD)
    if not len(a) or not len(b):
        return starts
    diffs = (b[None, :, :] - a[:, None, :]).reshape(-1, 2)
    diffs = diffs[np.hypot(diffs[:, 0], diffs[:, 1]) <= reach]
    if not len(diffs):
        return starts
    ij = np.round(diffs / cell).astype(np.int64)
    keys = ij[:, 0] * 4_000_003 + ij[:, 1]  # one number per cell (cells stay within ±2·10^6)
    _cells, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    for best in np.argsort(-counts, kind="stable")[:3]:
        starts.append(np.median(diffs[inverse == best], axis=0))
    return starts


def _direction(dx: float, dy: float) -> T:
    """'528 m east and 250 m south' of a move (metres, east and north positive)."""
    east, north = ("east", "东") if dx >= 0 else ("west", "西"), ("north", "北") if dy >= 0 else ("south", "南")
    return T(f"{abs(dx):,.0f} m {east[0]} and {abs(dy):,.0f} m {north[0]}",
             f"向{east[1]} {abs(dx):,.0f} 米、向{north[1]} {abs(dy):,.0f} 米")


def _names(names: list[str]) -> T:
    more = len(names) - 3
    return T(", ".join(f"'{n}'" for n in names[:3]) + (f" and {more} more" if more > 0 else ""),
             "、".join(f"“{n}”" for n in names[:3]) + (f"等 {len(names)} 个图层" if more > 0 else ""))


_WEB = T("A shift of this size is what a GCJ-02/BD-09 (web map) offset gives: data from Amap, Tencent, "
         "DataV or Baidu is imported with coords gcj02 or bd09.",
         "此量级正是 GCJ-02/BD-09（网络地图）偏移：高德、腾讯、DataV、百度的数据应以 gcj02 或 bd09 坐标导入。")


def _offset_warning(names: list[str], fit: Fit, agree: list[str], web: bool) -> T:
    dx, dy = -float(fit.shift[0]), -float(fit.shift[1])  # where the new layer lies from the old
    dist = math.hypot(dx, dy)
    size = T(f"{dist / 1000:,.1f} km", f"{dist / 1000:,.1f} 公里") if dist >= 2000 else \
        T(f"{dist:,.0f} m", f"{dist:,.0f} 米")
    why = _WEB if web and 250 <= dist <= 1500 else T("", "")
    layers, move = _names(names), _direction(dx, dy)
    if agree:  # the new layer agrees with others: the odd one out is the old layer
        back = _direction(-dx, -dy)
        return T(f"the same-kind layer {layers.en} lies {size.en} off this layer ({back.en}), while this "
                 f"layer coincides with {_names(agree).en}: check the coordinate system of {layers.en}. "
                 f"{why.en}".strip(),
                 f"同类图层{layers.zh}与本图层错位 {size.zh}（{back.zh}），而本图层与{_names(agree).zh}吻合："
                 f"请核对{layers.zh}的坐标系。{why.zh}")
    return T(f"the layer lands {size.en} off the same-kind layer {layers.en}: moved back, its outlines "
             f"lie on that layer's; as imported they lie {move.en} of them. Check the coordinate system "
             f"of this file (or of that layer). {why.en}".strip(),
             f"本图层与同类图层{layers.zh}错位 {size.zh}：移回后轮廓与之吻合，导入位置在其{move.zh}处。"
             f"请核对本文件（或该图层）的坐标系。{why.zh}")


def feature_size(geoms: np.ndarray) -> float:
    """A typical size of the features (m): polygons' √area, lines' length, points' spacing."""
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return math.inf
    dims = shapely.get_dimensions(geoms)
    if (dims == 2).any():
        return float(np.median(np.sqrt(shapely.area(geoms[dims == 2]))))
    if (dims == 1).any():
        return float(np.median(shapely.length(geoms[dims == 1])))
    pts = shapely.get_coordinates(geoms)
    if len(pts) < 2:
        return math.inf
    tree = shapely.STRtree(shapely.points(pts))
    _idx, dist = tree.query_nearest(shapely.points(pts), exclusive=True, return_distance=True,
                                    all_matches=False)
    return float(np.median(dist)) if len(dist) else math.inf


def _compare(ref: Reference, pts: np.ndarray, starts: list[np.ndarray], cap: float,
             share: float, tolerance: float) -> Fit | None:
    """The fit of the new outlines on a layer, if at least ``share`` of them then lie on its outlines
    (within ``tolerance``), shifted or not."""
    fit = best_fit(ref, pts, starts, cap)
    return fit if fit.share_within(tolerance) >= share else None


def same_kind_offset(frame: gpd.GeoDataFrame, project, kind: str | None,
                     hint: str | None = None) -> list[T]:
    """Warnings for each same-kind layer the data (project CRS) lies shifted from.

    ``hint``: an offset already removed or suggested (then the message does not suggest one)."""
    if kind is None or kind in SKIPPED_KINDS or not len(frame):
        return []
    layers = [layer for layer in project.layers_of_kind(kind)
              if getattr(layer, "layer_type", "") == "vector" and len(layer)]
    if not layers:
        return []
    geoms = np.asarray(frame.geometry.values, dtype=object)
    size = feature_size(geoms)
    pts = outline_points(geoms, min(_param(project, "offset_sample_spacing_m"), size / 10),
                         int(_param(project, "offset_sample_points")))
    if len(pts) < _param(project, "offset_min_points"):
        return []
    warn_m = _param(project, "same_kind_offset_warning_m")
    share = _param(project, "same_kind_match_share")
    cap = _param(project, "offset_search_m")
    tolerance = min(size / 20, warn_m / 2)  # "on an outline": a twentieth of a feature's size
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    reach = max(float(np.hypot(x1 - x0, y1 - y0)), 10 * cap)  # how far a misplaced copy may lie
    found: list[tuple[Fit, list[str]]] = []
    agree: list[str] = []
    for layer in layers[:5]:
        rows = layer.gdf.sindex.query(shapely.box(x0 - reach, y0 - reach, x1 + reach, y1 + reach))
        old = np.asarray(layer.gdf.geometry.values, dtype=object)[rows]
        ref = Reference.of(old)
        if ref is None:
            continue
        fit = _compare(ref, pts, [np.zeros(2)], cap, share, tolerance)  # the usual case: it lies there
        if fit is None or float(np.hypot(*fit.shift)) >= warn_m:
            starts = _proposed_shifts(geoms, old, max(min(size / 2, warn_m / 2), 1.0), reach)
            fit = _compare(ref, pts, starts, cap, share, tolerance)
        if fit is None:
            continue
        if float(np.hypot(*fit.shift)) < warn_m:
            agree.append(layer.name)
            continue
        if np.mean(residuals(ref, pts, np.zeros(2), cap) <= tolerance) >= share / 2:
            continue  # much of it lies on that layer as placed: no clear offset
        same = next((names for f, names in found if np.hypot(*(f.shift - fit.shift)) < warn_m / 2), None)
        if same is not None:
            same.append(layer.name)
        else:
            found.append((fit, [layer.name]))
    return [_offset_warning(names, fit, agree, hint is None) for fit, names in found]
