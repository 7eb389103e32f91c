"""Where the source's coordinates are: declared CRS, Chinese web-map offsets, sanity checks.

``coords`` is what the person says about the numbers: ``auto`` (believe the file,
suggest an offset when it looks like Amap/DataV/Baidu output), ``wgs84``,
``gcj02``, ``bd09`` (lon/lat with that offset, removed with
:mod:`layers.chinese_offsets`) or a CRS such as ``EPSG:4546``. Numbers that
cannot be right stop the import with a message saying what to declare instead.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

from layers import chinese_offsets
from layers.errors import ProjectError, T
from layers.importing.crs_area import check_units
from layers.importing.crs_check import check_crs, proj_failed
from layers.importing.offset_evidence import decide, weigh_offset
from layers.importing.sanity import same_kind_offset

OFFSET_SYSTEMS = ("wgs84", "gcj02", "bd09")
MAX_DISTANCE_KM = 200.0
KM_PER_DEGREE = 111.32


@dataclass
class Georef:
    """What was decided about the coordinates (for the import report)."""

    declared: str | None
    used: str
    offset: str | None = None                  # "gcj02"/"bd09" when one was removed
    assumed: bool = False                      # no CRS in the file: we chose one
    suggestion: str | None = None              # an offset suggested, NOT applied
    notes: list[T] = field(default_factory=list)
    warnings: list[T] = field(default_factory=list)  # the data may be misplaced: say so loudly
    evidence: dict[str, Any] | None = None     # what the existing layers say about an offset


def crs_label(crs: CRS | None) -> str | None:
    if crs is None:
        return None
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def parse_coords(coords: str) -> tuple[str | None, CRS | None]:
    """'auto' → (None, None); 'gcj02' → ('gcj02', None); 'EPSG:4546' → (None, CRS)."""
    value = (coords or "auto").strip()
    low = value.lower()
    if low == "auto":
        return None, None
    if low in OFFSET_SYSTEMS:
        return low, None
    try:
        return None, CRS.from_user_input(value)
    except Exception:
        raise ProjectError(
            T(f"{value!r} is not a coordinate system", f"{value!r} 不是有效的坐标系"), "--coords",
            T("use auto, wgs84, gcj02, bd09 or an EPSG code such as EPSG:4546",
              "请使用 auto、wgs84、gcj02、bd09 或 EPSG 代码（如 EPSG:4546）")) from None


def _bounds(frame: gpd.GeoDataFrame) -> np.ndarray | None:
    if len(frame) == 0:
        return None
    b = np.asarray(frame.total_bounds, dtype=float)
    return b if np.all(np.isfinite(b)) else None


def _in_degree_range(b: np.ndarray) -> bool:
    return bool(b[0] >= -180 and b[2] <= 180 and b[1] >= -90 and b[3] <= 90)


def project_area_lonlat(project) -> tuple[float, float, float, float] | None:
    """The area the project is about, in lon/lat: its layers' extent, else its CRS's area of use."""
    boxes = [layer.bounds() for layer in project.layers]
    boxes = [b for b in boxes if b is not None and all(math.isfinite(v) for v in b)]
    if boxes:
        arr = np.array(boxes)
        xs, ys = _to_lonlat(project.crs.to_wkt()).transform(
            np.array([arr[:, 0].min(), arr[:, 2].max(), arr[:, 0].min(), arr[:, 2].max()]),
            np.array([arr[:, 1].min(), arr[:, 3].max(), arr[:, 3].max(), arr[:, 1].min()]))
        return (float(np.min(xs)), float(np.min(ys)), float(np.max(xs)), float(np.max(ys)))
    aou = project.crs.area_of_use
    return None if aou is None else (aou.west, aou.south, aou.east, aou.north)


def gap_km(box: tuple[float, float, float, float], area: tuple[float, float, float, float]) -> float:
    """Approximate distance between two lon/lat boxes (0 when they overlap)."""
    dx = max(area[0] - box[2], box[0] - area[2], 0.0)
    dy = max(area[1] - box[3], box[1] - area[3], 0.0)
    lat = math.radians(max(min((box[1] + box[3]) / 2, 89.0), -89.0))
    return math.hypot(dx * KM_PER_DEGREE * math.cos(lat), dy * KM_PER_DEGREE)


@functools.lru_cache(maxsize=16)
def _to_lonlat(wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(wkt), CRS.from_epsg(4326), always_xy=True)


def _lonlat_box(frame: gpd.GeoDataFrame, crs: CRS,
                b: np.ndarray | None = None) -> tuple[float, float, float, float] | None:
    b = _bounds(frame) if b is None else b
    if b is None:
        return None
    with np.errstate(all="ignore"):
        xs, ys = _to_lonlat(CRS.from_user_input(crs).to_wkt()).transform(
            np.array([b[0], b[2], b[0], b[2]]), np.array([b[1], b[1], b[3], b[3]]))
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        return None
    return (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))


def _far_error(where: str, km: float | None, crs_text: str) -> ProjectError:
    dist = "far" if km is None else f"{km:,.0f} km"
    return ProjectError(
        T(f"the data lies {dist} away from the project area when read as {crs_text}",
          f"按 {crs_text} 解读时，数据距项目范围 {dist if km is None else f'{km:,.0f} 公里'}"
          + ("（远超范围）" if km is None else "")),
        where,
        T("declare the coordinate system the file really uses (e.g. --coords EPSG:4546 for "
          "Gauss-Kruger metres, wgs84/gcj02 for lon/lat), or import into a project of that area",
          "请声明文件实际使用的坐标系（高斯-克吕格米制坐标如 --coords EPSG:4546，经纬度用 wgs84/gcj02），"
          "或导入到该地区的项目中"))


def _check_degrees(b: np.ndarray, crs: CRS, where: str) -> None:
    if _in_degree_range(b):
        return
    if max(abs(b).max(), 0) > 1000:
        raise ProjectError(
            T(f"the coordinates (up to {abs(b).max():,.0f}) are metres or feet, but "
              f"{crs_label(crs)} says degrees", f"坐标值（最大 {abs(b).max():,.0f}）是米或英尺，"
              f"但坐标系 {crs_label(crs)} 以度为单位"),
            where,
            T("declare the projected CRS the numbers belong to, e.g. --coords EPSG:4546 "
              "(CGCS2000 GK zone CM 111E) or EPSG:4526 (zone-prefixed eastings)",
              "请声明这些数值所属的投影坐标系，如 --coords EPSG:4546（CGCS2000 中央经线111°）"))
    raise ProjectError(
        T(f"latitude or longitude out of range (bounds {np.round(b, 3).tolist()})",
          f"经纬度超出范围（范围 {np.round(b, 3).tolist()}）"),
        where,
        T("latitude must lie within ±90 and longitude within ±180: check whether x and y are "
          "swapped or the values damaged",
          "纬度须在 ±90 之内、经度在 ±180 之内：请检查 x、y 是否颠倒或数值是否损坏"))


_MEASURE = object()


def resolve(frame: gpd.GeoDataFrame, declared: CRS | None, coords: str, project,
            source_columns: list[str], source_name: str, where: str,
            bounds: Any = _MEASURE, kind: str | None = None) -> tuple[gpd.GeoDataFrame, Georef]:
    """The frame in the project CRS, and what was decided; ProjectError if the numbers cannot be right
    (or a coordinate system cannot be the Earth's, or PROJ cannot convert between them).

    ``bounds``: the frame's total bounds when already known (None: nothing finite to bound).
    ``kind``: the layer kind the data becomes (the existing layers of that kind are the first
    evidence of a web-map offset or a misplaced layer)."""
    from pyproj.exceptions import CRSError, ProjError

    try:
        geo = Georef(None, "")
        out = _resolve(frame, declared, coords, project, source_columns, where, bounds, kind, geo)
        geo.warnings += same_kind_offset(out, project, kind, geo.offset or geo.suggestion)
        return out, geo
    except (ProjError, CRSError) as exc:
        source = declared.name if declared is not None else coords
        raise proj_failed(exc, where, source, CRS.from_user_input(project.crs).name) from exc


def _resolve(frame: gpd.GeoDataFrame, declared: CRS | None, coords: str, project,
             source_columns: list[str], where: str, bounds: Any, kind: str | None,
             geo: Georef) -> gpd.GeoDataFrame:
    """The frame in the project CRS; what was decided is written into ``geo``."""
    offset, explicit = parse_coords(coords)
    check_crs(explicit, where, "--coords")
    if explicit is None:  # a CRS given overrides the file's, however broken
        check_crs(declared, where)
    b = _bounds(frame) if bounds is _MEASURE else bounds
    notes: list[T] = []
    assumed = False
    if explicit is not None:
        crs = explicit
        if declared is not None and not declared.equals(explicit):
            notes.append(T(f"the file declares {crs_label(declared)}; {crs_label(explicit)} used as told",
                           f"文件声明为 {crs_label(declared)}，已按指定的 {crs_label(explicit)} 读取"))
    elif offset is not None:
        if declared is not None and declared.is_projected:
            raise ProjectError(
                T(f"the file is in {crs_label(declared)} (projected), so it cannot be {offset} lon/lat",
                  f"文件坐标系为投影坐标系 {crs_label(declared)}，不可能是 {offset} 经纬度"),
                where, T("import with --coords auto, or check which file you chose",
                         "请使用 --coords auto 导入，或检查所选文件"))
        crs = declared if declared is not None and declared.is_geographic else CRS.from_epsg(4326)
    elif declared is not None:
        crs = declared
    else:
        crs, assumed = _assume_crs(frame, b, project, where), True
        notes.append(T(f"the file declares no coordinate system; {crs_label(crs)} assumed from the numbers",
                       f"文件未声明坐标系，已根据数值推定为 {crs_label(crs)}"))
    if b is not None and crs.is_geographic:
        _check_degrees(b, crs, where)
    if b is not None and crs.is_projected:
        outside = check_units(b, crs, where, project, explicit is not None)
        geo.warnings += [outside] if outside is not None else []
    if b is not None and crs.is_projected and _in_degree_range(b) and (b[2] - b[0]) < 5 \
            and (b[3] - b[1]) < 5 and max(abs(b[0]), abs(b[1])) > 1:
        ll = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        area = project_area_lonlat(project)
        if area is not None and gap_km(ll, area) <= MAX_DISTANCE_KM:
            raise ProjectError(
                T(f"the numbers look like degrees (bounds {np.round(b, 4).tolist()}) but "
                  f"{crs_label(crs)} is in metres", f"数值看起来是经纬度（范围 {np.round(b, 4).tolist()}），"
                  f"但 {crs_label(crs)} 以米为单位"),
                where, T("declare --coords wgs84 (or gcj02/bd09 for Chinese web-map data, EPSG:4490 "
                         "for CGCS2000 lon/lat)", "请声明 --coords wgs84（国内网络地图数据用 gcj02/bd09，"
                         "CGCS2000 经纬度用 EPSG:4490）"))
    out = frame.set_crs(crs, allow_override=True)
    if offset is None and explicit is None and crs.is_geographic:  # by evidence, never by name
        evidence = weigh_offset(out, project, kind)
        offset, suggestion, found = decide(evidence, chinese_offsets.suggest_offset(source_columns),
                                           project)
        notes += found
        geo.evidence = evidence.to_dict() if evidence is not None else None
        geo.suggestion = suggestion
    if offset in ("gcj02", "bd09"):
        out = chinese_offsets.to_wgs84(out, offset)
        if geo.evidence is None or geo.evidence.get("system") != offset:  # else the evidence said it
                notes.append(T(f"{offset.upper()} offset removed (converted to WGS-84)",
                           f"已去除 {offset.upper()} 偏移（转换为 WGS-84）"))
    b_out = b if offset not in ("gcj02", "bd09") else None
    if not CRS.from_user_input(out.crs).equals(project.crs):
        with np.errstate(all="ignore"):
            out = out.to_crs(project.crs)
        b_out = None
    _check_near_project(out, project, where, crs_label(crs) or "?", b_out)
    geo.declared, geo.used, geo.assumed = crs_label(declared), crs_label(crs) or "?", assumed
    geo.offset = offset if offset != "wgs84" else None
    geo.notes += notes
    return out


def _assume_crs(frame: gpd.GeoDataFrame, b: np.ndarray | None, project, where: str) -> CRS:
    if b is None or _in_degree_range(b):
        return CRS.from_epsg(4326)
    box = _lonlat_box(frame, project.crs)
    area = project_area_lonlat(project)
    if box is not None and area is not None and gap_km(box, area) <= MAX_DISTANCE_KM:
        return project.crs
    raise ProjectError(
        T("the file declares no coordinate system and its numbers fit neither lon/lat nor the "
          f"project's {crs_label(project.crs)}", "文件未声明坐标系，且其数值既不像经纬度，"
          f"也不符合项目坐标系 {crs_label(project.crs)}"),
        where,
        T("declare it: --coords EPSG:n (e.g. EPSG:4546, EPSG:4526 for zone-prefixed eastings), or "
          "add the .prj file next to the shapefile", "请声明坐标系：--coords EPSG:n（如 EPSG:4546；"
          "带带号的东坐标用 EPSG:4526），或在 Shapefile 旁放入 .prj 文件"))


def _check_near_project(frame: gpd.GeoDataFrame, project, where: str, crs_text: str,
                        b: np.ndarray | None = None) -> None:
    b = _bounds(frame) if b is None else b
    if b is None:
        if len(frame) and frame.geometry.notna().any() and not frame.geometry.is_empty.all():
            raise _far_error(where, None, crs_text)
        return
    box = _lonlat_box(frame, project.crs, b)
    area = project_area_lonlat(project)
    if area is None:
        return
    if box is None:
        raise _far_error(where, None, crs_text)
    km = gap_km(box, area)
    if km > MAX_DISTANCE_KM:
        raise _far_error(where, km, crs_text)
