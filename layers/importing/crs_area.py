"""Are projected coordinates where their coordinate system applies? Checked while importing.

Coordinates far outside the area of use of their (declared or given) projected CRS
that, scaled from feet to metres or back, fall inside it are a unit mix-up — US State
Plane feet under a ``.prj`` that says metres: every length would be 3.28× too long and
the data thousands of kilometres off. Gauss-Kruger eastings with a zone number (带号)
the CRS lacks, or without the one it has, are the same kind of mix-up. Both are refused,
naming the CRS the numbers fit. Data outside the area of use for no such reason gets a
warning (a zone used beyond its strip distorts lengths).
"""

from __future__ import annotations

import math
import re

import numpy as np
from pyproj import CRS, Transformer

from layers.errors import ProjectError, T

FOOT = 0.3048
US_FOOT = 1200 / 3937
UNITS = {"metre": 1.0, "foot": FOOT, "US survey foot": US_FOOT}
PLURAL = {"metre": T("metres", "米"), "foot": T("feet", "英尺"),
          "US survey foot": T("US survey feet", "美国测量英尺")}
KM_PER_DEGREE = 111.32


def _param(project, key: str) -> float:
    return float(project.standards().value("import_checks", key, "value"))


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


def _projection(crs: CRS) -> tuple[float, float] | None:
    """(central meridian, false easting) of a transverse Mercator CRS, else None."""
    op = crs.coordinate_operation
    if op is None or "Transverse Mercator" not in (op.method_name or ""):
        return None
    params = {p.name: p.value for p in op.params}
    if "Longitude of natural origin" not in params or "False easting" not in params:
        return None
    return float(params["Longitude of natural origin"]), float(params["False easting"])


def zone_twin(crs: CRS, false_easting: float, area: tuple[float, float, float, float]) -> str | None:
    """The EPSG code of the same datum and central meridian with ``false_easting`` (the
    zone-prefixed 3-degree Gauss-Kruger CRS of a plain one, or the other way round)."""
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_crs_info
    from pyproj.enums import PJType

    own = _projection(crs)
    datum = crs.name.split(" / ")[0]
    try:
        infos = query_crs_info(auth_name="EPSG", pj_types=[PJType.PROJECTED_CRS],
                               area_of_interest=AreaOfInterest(*area), contains=False)
    except Exception:  # pragma: no cover - a PROJ database without EPSG
        return None
    found = []
    for info in infos:
        if info.name.split(" / ")[0] != datum or info.name == crs.name:
            continue
        other = _projection(CRS.from_epsg(int(info.code)))
        if own and other and math.isclose(other[0], own[0]) and math.isclose(other[1], false_easting):
            found.append(info)
    # the same family first (a 3-degree zone for a 3-degree zone; the 6-degree CM 111E is the same maths)
    found.sort(key=lambda i: ("3-degree" in i.name) != ("3-degree" in crs.name))
    return f"EPSG:{found[0].code}" if found else None


def _zone_error(crs: CRS, prefixed: bool, zone: int, twin: str | None, where: str) -> ProjectError:
    label = ":".join(crs.to_authority() or ("", crs.name)).strip(":")
    what = (T(f"the eastings carry the zone number {zone} in front ({zone}xxxxxx m), but {label} ({crs.name}) "
              "expects them without it", f"东坐标前带有带号 {zone}（{zone}xxxxxx 米），而 {label}（{crs.name}）"
              "的东坐标不带带号") if prefixed else
            T(f"the eastings lack the zone number {zone} that {label} ({crs.name}) puts in front",
              f"东坐标缺少 {label}（{crs.name}）所要求的带号 {zone}"))
    fix = (T(f"import with --coords {twin}, or choose {twin} under Coordinates",
             f"请以 --coords {twin} 导入，或在“坐标”中选择 {twin}") if twin else
           T("declare the Gauss-Kruger CRS " + ("with" if prefixed else "without") + " the zone number "
             "(--coords EPSG:n)", "请声明" + ("带" if prefixed else "不带") + "带号的高斯-克吕格坐标系"
             "（--coords EPSG:n）"))
    return ProjectError(what, where, fix)


def _check_zone_number(b: np.ndarray, crs: CRS, area: tuple[float, float, float, float], margin: float,
                       where: str) -> None:
    """Refuse eastings with a zone number the CRS does not have, or without the one it has."""
    proj = _projection(crs)
    if proj is None:
        return
    false_easting = proj[1]
    centre = (b[0] + b[2]) / 2
    if false_easting < 1e6 <= centre and centre < 1e8:  # 37500000-style numbers, plain CRS
        zone, prefixed = int(centre // 1e6), True
        shift = -zone * 1e6
    elif false_easting >= 1e7 and abs(centre) < 1e6:     # plain numbers, zone-prefixed CRS
        zone, prefixed = int(false_easting // 1e6), False
        shift = zone * 1e6
    else:
        return
    moved = np.asarray(b, dtype=float) + np.array([shift, 0.0, shift, 0.0])
    box = _lonlat_box(moved, crs)
    if box is not None and _gap_km(box, area) <= margin:
        twin = zone_twin(crs, false_easting - shift, box)  # the FE the numbers were made with
        raise _zone_error(crs, prefixed, zone, twin, where)


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
    _check_zone_number(b, crs, area, margin, where)
    where_km = "far" if math.isinf(km) else f"{km:,.0f} km"
    origin = T("given", "所给") if explicit else T("declared", "声明的")
    return T(f"the data lies {where_km} outside the area of use of the {origin.en} coordinate system "
             f"{crs.name}: check that it is the right one (lengths are distorted outside it)",
             f"数据位于{origin.zh}坐标系 {crs.name} 适用范围之外"
             + ("（很远）" if math.isinf(km) else f" {km:,.0f} 公里") + "：请核对坐标系（范围外长度会变形）")


