"""Coordinate systems that cannot be the Earth's: refused before anything is transformed.

A damaged or hand-edited ``.prj`` can declare an ellipsoid a nanometre or 10^30 m
across, a negative flattening, or a unit of 10^-30 m. PROJ takes some of these and
fails only when a transformation is built; others it turns into infinities. Every
declared CRS (and a ``--coords`` CRS) is checked here first; a PROJ error that still
gets through becomes a :class:`~layers.errors.ProjectError` via :func:`proj_failed`.
"""

from __future__ import annotations

import math
from pathlib import Path

from pyproj import CRS

from layers.errors import ProjectError, T

EARTH_AXIS_M = (6_000_000.0, 7_000_000.0)  # every Earth ellipsoid and sphere lies in here
MIN_INVERSE_FLATTENING = 150.0             # the Earth's is about 298 (0 = a sphere)
UNIT_FACTOR = (1e-6, 1e7)                  # metres (or radians) per unit


def _ellipsoid_problem(crs: CRS) -> T | None:
    ellipsoid = crs.ellipsoid
    if ellipsoid is None:
        return None
    axis = ellipsoid.semi_major_metre
    inverse = ellipsoid.inverse_flattening
    if not (math.isfinite(axis) and EARTH_AXIS_M[0] <= axis <= EARTH_AXIS_M[1]):
        return T(f"its ellipsoid has a semi-major axis of {axis:g} m; the Earth's is about 6,378,137 m",
                 f"其椭球长半轴为 {axis:g} 米，而地球约为 6,378,137 米")
    if not math.isfinite(inverse) or inverse < 0 or 0 < inverse < MIN_INVERSE_FLATTENING:
        return T(f"its ellipsoid has an inverse flattening of {inverse:g}; the Earth's is about 298",
                 f"其椭球扁率倒数为 {inverse:g}，而地球约为 298")
    return None


def _unit_problem(crs: CRS) -> T | None:
    for axis in crs.axis_info:
        factor = axis.unit_conversion_factor
        if factor is None:
            continue
        if not (math.isfinite(factor) and UNIT_FACTOR[0] <= abs(factor) <= UNIT_FACTOR[1]):
            return T(f"its unit '{axis.unit_name}' is {factor:g} metres or radians",
                     f"其单位“{axis.unit_name}”折合 {factor:g} 米或弧度")
    return None


def crs_problem(crs: CRS) -> T | None:
    """Why ``crs`` cannot describe places on the Earth, or None."""
    try:
        return _ellipsoid_problem(crs) or _unit_problem(crs)
    except Exception as exc:  # PROJ failing to describe it is the same answer
        return T(f"PROJ cannot describe it ({exc})", f"PROJ 无法解析（{exc}）")


def _fix(origin: str) -> T:
    if origin == "--coords":
        return T("give a coordinate system such as EPSG:4546 or wgs84", "请给出 EPSG:4546、wgs84 等坐标系")
    return T("export the file again with a standard coordinate system, or (for a shapefile) delete its "
             ".prj and import with --coords EPSG:n", "请以标准坐标系重新导出文件，或（Shapefile）删除其 "
             ".prj 后以 --coords EPSG:n 导入")


def check_crs(crs: CRS | None, where: str, origin: str = "file") -> None:
    """Refuse (ProjectError) a CRS no data on the Earth can be in.

    ``origin``: "file" (the CRS the file declares) or "--coords" (the one given)."""
    if crs is None:
        return
    problem = crs_problem(crs)
    if problem is None:
        return
    name = crs.name or "?"
    what = (T(f"the coordinate system given ({name}) is not usable: {problem.en}",
              f"所给坐标系（{name}）不可用：{problem.zh}") if origin == "--coords" else
            T(f"the coordinate system the file declares ({name}) is not usable: {problem.en}",
              f"文件声明的坐标系（{name}）不可用：{problem.zh}"))
    raise ProjectError(what, where, _fix(origin))


def proj_failed(exc: Exception, where: str, source: str, target: str) -> ProjectError:
    """A PROJ error while converting ``source`` to ``target``, as a ProjectError."""
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return ProjectError(
        T(f"the coordinates cannot be converted from {source} to {target} ({detail})",
          f"无法将坐标从 {source} 转换到 {target}（{detail}）"),
        where, _fix("file"))


def unreadable_crs(path: Path, layer: str | None, exc: Exception) -> ProjectError:
    """GDAL could not read the coordinate system of the file (e.g. a broken .prj)."""
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    prj = path.with_suffix(".prj")
    where = str(prj) if path.suffix.lower() == ".shp" and prj.exists() else str(path)
    return ProjectError(
        T(f"the coordinate system of {path.name} cannot be read ({detail})",
          f"无法读取 {path.name} 的坐标系（{detail}）"),
        where + (f" (layer {layer})" if layer else ""), _fix("file"))
