"""Is the data where its coordinate system says? Two checks made while importing.

* :func:`check_units` — coordinates far outside the area of use of their (declared
  or given) projected CRS, which scaled from feet to metres or back fall inside it:
  a unit mix-up, e.g. US State Plane feet under a ``.prj`` that says metres; every
  length would be 3.28× too long and the data thousands of kilometres off. Refused,
  naming the CRS the numbers fit. Data outside the area of use for no such reason
  gets a warning (a zone used beyond its strip distorts lengths).
* :func:`same_kind_offset` — a layer that lands a few hundred metres or more off a
  layer of the same kind already in the project (an admin file shifted 19 km, a
  web-map layer whose offset was not removed): warned about, with the shift.
"""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from layers.errors import ProjectError, T
from layers.importing.alignment import Fit, Reference, best_fit, outline_points, residuals

FOOT = 0.3048
US_FOOT = 1200 / 3937
UNITS = {"metre": 1.0, "foot": FOOT, "US survey foot": US_FOOT}
PLURAL = {"metre": T("metres", "米"), "foot": T("feet", "英尺"),
          "US survey foot": T("US survey feet", "美国测量英尺")}
KM_PER_DEGREE = 111.32
SKIPPED_KINDS = ("other", "conflicts", "service_areas")
MAX_NEW, MAX_OLD = 300, 5000  # feature centroids paired to propose shifts


def _param(project, key: str) -> float:
    return float(project.standards().value("import_checks", key, "value"))


# --- units against the CRS's area of use ------------------------------------------------
def _lonlat_box(b: np.ndarray, crs: CRS) -> tuple[float, float, float, float] | None:
    try:
        to_ll = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
        with np.errstate(all="ignore"):
            xs, ys = to_ll.transform(np.array([b[0], b[2], b[0], b[2]]), np.array([b[1], b[1], b[3], b[3]]))
    except Exception:  # PROJ cannot place the numbers at all
        return None
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        return None
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _gap_km(box: tuple[float, float, float, float] | None, area: tuple[float, float, float, float]) -> float:
    if box is None:
        return math.inf
    dx = max(area[0] - box[2], box[0] - area[2], 0.0)
    dy = max(area[1] - box[3], box[1] - area[3], 0.0)
    lat = math.radians(max(min((box[1] + box[3]) / 2, 89.0), -89.0))
    return math.hypot(dx * KM_PER_DEGREE * math.cos(lat), dy * KM_PER_DEGREE)


def _unit(crs: CRS) -> tuple[str, float] | None:
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else None
    if factor is None:
        return None
    for name, value in UNITS.items():
        if math.isclose(factor, value, rel_tol=1e-6):
            return name, value
    return None


def _base_name(name: str) -> str:
    return re.sub(r"\s*\((?:ftUS|ft|ftIn|m|metre|US survey foot)\)\s*$", "", name).strip()


def twin_crs(crs: CRS, unit: float, area: tuple[float, float, float, float]) -> str | None:
    """The EPSG code of the same projection with axes in ``unit`` (metres per unit), if the
    PROJ database has one (Kentucky Single Zone → its ftUS twin)."""
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_crs_info
    from pyproj.enums import PJType

    base = _base_name(crs.name)
    try:
        infos = query_crs_info(auth_name="EPSG", pj_types=[PJType.PROJECTED_CRS],
                               area_of_interest=AreaOfInterest(*area), contains=False)
    except Exception:  # pragma: no cover - a PROJ database without EPSG
        return None
    for info in infos:
        if _base_name(info.name) != base or info.name == crs.name:
            continue
        other = CRS.from_epsg(int(info.code))
        found = _unit(other)
        if found is not None and math.isclose(found[1], unit, rel_tol=1e-7):
            return f"EPSG:{info.code}"
    return None


def _unit_error(crs: CRS, said: str, real: T, factor: float, twin: str | None, where: str,
                km: float) -> ProjectError:
    ratio = 1 / factor if factor < 1 else factor
    name = crs.name
    code = crs.to_authority()
    label = f"{code[0]}:{code[1]}" if code else name
    longer = T("longer", "长") if factor < 1 else T("shorter", "短")
    far = T("far", "很远") if math.isinf(km) else T(f"{km:,.0f} km", f" {km:,.0f} 公里")
    fix = (T(f"import with --coords {twin} (the same zone in {real.en}), or choose {twin} under Coordinates",
             f"请以 --coords {twin}（同一投影带，单位为{real.zh}）导入，或在“坐标”中选择 {twin}")
           if twin else
           T(f"import with the version of {name} in {real.en} (--coords EPSG:n), or re-export the file with "
             "a correct .prj", f"请以 {name} 的{real.zh}版本（--coords EPSG:n）导入，或以正确的 .prj 重新导出"))
    return ProjectError(
        T(f"the coordinates lie {far.en} outside the area where {label} ({name}) applies; read as "
          f"{real.en} they fall inside it: the numbers are in {real.en} although the coordinate system "
          f"says {PLURAL[said].en} (every length would come out {ratio:.2f}× {longer.en})",
          f"坐标位于 {label}（{name}）适用范围之外{far.zh}；按{real.zh}解读则落在范围内："
          f"数值单位应为{real.zh}，而坐标系声明为{PLURAL[said].zh}（长度将偏{longer.zh} {ratio:.2f} 倍）"),
        where, fix)


def _identified(crs: CRS) -> CRS:
    """The EPSG definition a CRS matches (a .prj under a home-made name has no area of use)."""
    if crs.area_of_use is not None:
        return crs
    try:
        found = crs.to_authority(min_confidence=70)
        return CRS.from_authority(*found) if found else crs
    except Exception:  # PROJ cannot match it: the CRS as it is
        return crs


def check_units(b: np.ndarray, crs: CRS, where: str, project, explicit: bool = False) -> T | None:
    """Refuse a feet/metres mix-up of projected coordinates (ProjectError); return a warning when
    the data lies outside the CRS's area of use for no such reason, else None.

    ``b``: the data's bounds in ``crs`` units; ``explicit``: the CRS was given, not declared."""
    crs = _identified(crs)
    aou = crs.area_of_use
    unit = _unit(crs)
    if aou is None or unit is None:
        return None
    area = (aou.west, aou.south, aou.east, aou.north)
    margin = _param(project, "crs_area_margin_km")
    km = _gap_km(_lonlat_box(b, crs), area)
    if km <= margin:
        return None
    said, said_factor = unit
    fits = []  # (unit, factor, lon/lat box) of the units the numbers fit the area in
    for real, real_factor in UNITS.items():
        if math.isclose(real_factor, said_factor, rel_tol=1e-4):
            continue
        scaled = _lonlat_box(np.asarray(b, dtype=float) * (real_factor / said_factor), crs)
        if scaled is not None and _gap_km(scaled, area) <= margin:
            fits.append((real, real_factor / said_factor, scaled))
    if fits:
        for real, factor, scaled in fits:
            twin = twin_crs(crs, UNITS[real], scaled)
            if twin is not None:
                raise _unit_error(crs, said, PLURAL[real], factor, twin, where, km)
        feet = {name for name, _f, _b in fits} >= {"foot", "US survey foot"}
        real_text = T("feet (international or US survey)", "英尺（国际英尺或美国测量英尺）") if feet \
            else PLURAL[fits[0][0]]
        raise _unit_error(crs, said, real_text, fits[0][1], None, where, km)
    where_km = "far" if math.isinf(km) else f"{km:,.0f} km"
    origin = T("given", "所给") if explicit else T("declared", "声明的")
    return T(f"the data lies {where_km} outside the area of use of the {origin.en} coordinate system "
             f"{crs.name}: check that it is the right one (lengths are distorted outside it)",
             f"数据位于{origin.zh}坐标系 {crs.name} 适用范围之外"
             + ("（很远）" if math.isinf(km) else f" {km:,.0f} 公里") + "：请核对坐标系（范围外长度会变形）")


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
