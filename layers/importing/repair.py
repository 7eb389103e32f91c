"""Geometry repair on import, every change listed per feature.

What is done, in order: null/empty geometries and geometries with non-finite
coordinates are dropped; Z and M are dropped; geometry collections give up the
parts of the kind's family; features of another family are dropped (a polygon
layer takes no points); invalid polygons are repaired with ``make_valid`` and
keep only their polygonal part; multi-points are split for point kinds and
multi-lines for streets (a network needs single segments); lines with fewer
than two distinct points are dropped.

Polygons are repaired by their structure (GEOS ``make_valid(method="structure")``):
each outer ring encloses what it outlines, overlapping parts are merged and holes
cut out — the area a planner drew. It takes time near-linear in the vertices
(the "linework" method, which alternates inside and outside at every crossing,
took minutes for a 50,000-vertex ring). Before each repair
:class:`~layers.importing.complexity.RepairBudget` counts the crossings, and a
polygon too complex to repair in seconds is refused with a message.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from layers.errors import ProjectError, T
from layers.importing.complexity import RepairBudget

FAMILY_TYPES = {
    "polygon": ("Polygon", "MultiPolygon"),
    "line": ("LineString", "MultiLineString", "LinearRing"),
    "point": ("Point", "MultiPoint"),
}
TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
              5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
TYPE_IDS = {name: i for i, name in TYPE_NAMES.items()}
PARALLEL_MIN = 20_000
WORKERS = max(2, min(4, os.cpu_count() or 2))
SPLIT_KINDS = {"point": None, "line": ("streets",)}  # which kinds of a family get single parts
FAMILY_ZH = {"polygon": "面", "line": "线", "point": "点"}

ACTIONS = {
    "dropped_empty": T("dropped: empty or missing geometry", "已删除：几何为空或缺失"),
    "dropped_nonfinite": T("dropped: coordinates are not numbers (NaN/infinite)",
                           "已删除：坐标不是有效数值（NaN/无穷）"),
    "dropped_z": T("height (Z/M) dropped", "已去除高程（Z/M）"),
    "extracted": T("kept the {family} parts of a geometry collection", "已从几何集合中保留{family_zh}部分"),
    "dropped_type": T("dropped: a {gtype}, this layer holds {family}s",
                      "已删除：为 {gtype}，本图层只含{family_zh}"),
    "repaired": T("invalid geometry repaired ({reason})", "无效几何已修复（{reason}）"),
    "dropped_invalid": T("dropped: invalid geometry with no {family} part left ({reason})",
                         "已删除：无效几何修复后无{family_zh}部分（{reason}）"),
    "split": T("multi-part feature split into {n} features", "多部件要素已拆分为 {n} 个要素"),
    "dropped_degenerate": T("dropped: a line with fewer than two distinct points",
                            "已删除：线少于两个不同的点"),
}


@dataclass(frozen=True)
class Repair:
    """One change to one source feature (``row``: 1-based position in the source)."""

    row: int
    action: str
    detail: T

    def to_dict(self) -> dict:
        return {"row": self.row, "action": self.action, "en": self.detail.en, "zh": self.detail.zh}


def _text(action: str, **values) -> T:
    return ACTIONS[action].format(**values)


@dataclass(frozen=True)
class GeometryChecks:
    """What the import needs to know of every geometry, from one vectorised GEOS pass each:
    missing or empty, Z or M, type, validity and bounds. GEOS runs these without the GIL, so
    the reader computes them on a second thread while it parses the next geometries (see
    :func:`layers.importing.read.read_source`); ``geometries`` is the array they were computed
    for, and they are used only for that very array."""

    geometries: np.ndarray
    empty: np.ndarray
    has_zm: np.ndarray
    type_id: np.ndarray
    valid: np.ndarray
    bounds: np.ndarray  # (n, 4): xmin, ymin, xmax, ymax; NaN for empty geometries

    @classmethod
    def of(cls, geometries: np.ndarray, parts: list[tuple[np.ndarray, ...]]) -> GeometryChecks:
        """Checks of ``geometries`` from the :func:`geometry_facts` of its consecutive chunks."""
        if not parts:
            return check_geometries(geometries)
        return cls(geometries, *(np.concatenate(column) for column in zip(*parts)))

    def applies_to(self, geometries: np.ndarray) -> bool:
        return geometries is self.geometries


def geometry_facts(geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    """Empty, Z/M, type id, GEOS validity and bounds of each geometry (None counts as empty).

    Non-finite coordinates need no pass of their own: GEOS reports a geometry with a NaN or
    infinite x or y as invalid ("Invalid Coordinate"), so only invalid ones are searched."""
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    has_zm = shapely.get_coordinate_dimension(geoms) > 2  # XYZ, XYM or XYZM
    return empty, has_zm, shapely.get_type_id(geoms), _is_valid(geoms), shapely.bounds(geoms)


def check_geometries(geoms: np.ndarray) -> GeometryChecks:
    return GeometryChecks(geoms, *geometry_facts(geoms))


def total_bounds(frame: gpd.GeoDataFrame, checks: GeometryChecks,
                 repairs: list[Repair]) -> np.ndarray | None:
    """``frame.total_bounds`` of what :func:`repair_geometries` returned, from the bounds in
    ``checks`` (only the geometries the repair rebuilt are measured again); None when there
    is nothing finite to bound."""
    if not len(frame):
        return None
    rebuilt = {r.row for r in repairs if r.action in ("repaired", "extracted")}
    rows = frame["_row"].to_numpy()
    redo = np.isin(rows, list(rebuilt)) if rebuilt else np.zeros(len(rows), dtype=bool)
    boxes = checks.bounds[rows[~redo] - 1]  # splitting a feature leaves its bounds as they were
    if redo.any():
        boxes = np.vstack([boxes, shapely.bounds(np.asarray(frame.geometry.values, dtype=object)[redo])])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        b = np.array([np.nanmin(boxes[:, 0]), np.nanmin(boxes[:, 1]),
                      np.nanmax(boxes[:, 2]), np.nanmax(boxes[:, 3])], dtype=float)
    return b if np.all(np.isfinite(b)) else None


def repair_geometries(frame: gpd.GeoDataFrame, family: str | None, kind: str, where: str,
                      checks: GeometryChecks | None = None) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """Repaired copy of ``frame`` (rows kept in order; an index column ``_row`` is added).

    ``checks``: the :class:`GeometryChecks` of ``frame``'s geometries if the reader made them
    (they are recomputed when they belong to other geometries)."""
    source = np.asarray(frame.geometry.values, dtype=object)
    if checks is None or not checks.applies_to(source):
        checks = check_geometries(source)
    frame = frame.copy(deep=False)  # copy-on-write: the source frame is never changed
    frame["_row"] = np.arange(1, len(frame) + 1)
    repairs: list[Repair] = []
    geoms = source.copy()
    rows = frame["_row"].to_numpy()
    keep = np.ones(len(frame), dtype=bool)
    valid = checks.valid.copy()

    empty = checks.empty
    for r in rows[empty]:
        repairs.append(Repair(int(r), "dropped_empty", _text("dropped_empty")))
    keep &= ~empty
    nonfinite = np.zeros(len(geoms), dtype=bool)  # NaN/inf anywhere (bounds skip NaN)
    suspect = np.flatnonzero(keep & ~valid)  # a non-finite x or y makes a geometry invalid
    if len(suspect):
        coords, which = shapely.get_coordinates(geoms[suspect], return_index=True)
        bad_vertices = ~np.isfinite(coords).all(axis=1)
        nonfinite[suspect[np.unique(which[bad_vertices])]] = True
    for r in rows[nonfinite]:
        repairs.append(Repair(int(r), "dropped_nonfinite", _text("dropped_nonfinite")))
    keep &= ~nonfinite

    has_zm = keep & checks.has_zm
    if has_zm.any():  # validity and bounds are a 2D matter: unchanged
        geoms[has_zm] = shapely.force_2d(geoms[has_zm])
        for r in rows[has_zm]:
            repairs.append(Repair(int(r), "dropped_z", _text("dropped_z")))

    if family is not None:
        geoms, keep = _keep_family(geoms, keep, rows, family, repairs, where, checks.type_id, valid)
        geoms, keep = _make_valid(geoms, keep, valid, rows, family, repairs, RepairBudget(where))
    else:
        geoms, keep = _make_valid(geoms, keep, valid, rows, "polygon", repairs, RepairBudget(where),
                                  only_polygons=True)

    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    if not keep.all():
        frame = frame[keep]
    if family is not None and (SPLIT_KINDS.get(family) is None or kind in (SPLIT_KINDS[family] or ())) \
            and family != "polygon":
        frame = _split_multipart(frame, repairs)
    if not len(frame):
        raise ProjectError(
            T("no feature is left to import after checking the geometries",
              "检查几何后已没有可导入的要素"),
            where, T("check the file in QGIS; the import report lists why each feature was dropped",
                     "请在 QGIS 中检查文件；导入报告列出了每个要素被删除的原因"))
    repairs.sort(key=lambda rep: rep.row)
    return frame, repairs


def _keep_family(geoms: np.ndarray, keep: np.ndarray, rows: np.ndarray, family: str,
                 repairs: list[Repair], where: str, type_ids: np.ndarray,
                 valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop features of another family; a collection gives up its parts of the family
    (their validity is checked anew in ``valid``)."""
    allowed = FAMILY_TYPES[family]
    wrong = keep & ~np.isin(type_ids, [TYPE_IDS[t] for t in allowed])
    if not wrong.any():
        return geoms, keep
    types = np.array([TYPE_NAMES.get(int(t), "") for t in type_ids], dtype=object)
    wrong_count = int(wrong.sum())
    for i in np.flatnonzero(wrong):
        g = geoms[i]
        if types[i] == "GeometryCollection":
            parts = [p for p in shapely.get_parts(g) if p.geom_type in allowed]
            if parts:
                geoms[i] = _collect(parts, family)
                valid[i] = shapely.is_valid(geoms[i])
                repairs.append(Repair(int(rows[i]), "extracted",
                                      _text("extracted", family=family, family_zh=FAMILY_ZH[family])))
                wrong_count -= 1
                continue
        keep[i] = False
        repairs.append(Repair(int(rows[i]), "dropped_type",
                              _text("dropped_type", gtype=types[i], family=family,
                                    family_zh=FAMILY_ZH[family])))
    if wrong_count and not keep.any():
        found = sorted({t for t in types if t})
        raise ProjectError(
            T(f"the source holds {', '.join(found)}, a layer of this kind holds {family}s",
              f"源数据为 {'、'.join(found)}，该类图层只能是{FAMILY_ZH[family]}"),
            where, T("choose a kind for that geometry (e.g. facilities for points, pipelines or streets for "
                  "lines, communities for polygons) or another layer of the file",
                  "请选择与几何相符的图层类型（点：服务设施；线：管线或道路；面：小区），或文件中的其他图层"))
    return geoms, keep


def _collect(parts: list, family: str):
    if len(parts) == 1:
        return parts[0]
    if family == "polygon":
        return shapely.union_all(parts)
    if family == "line":
        return shapely.multilinestrings(parts)
    return shapely.multipoints(parts)


def _is_valid(geoms: np.ndarray) -> np.ndarray:
    """shapely.is_valid on two threads for big inputs (GEOS runs without the GIL)."""
    if len(geoms) < PARALLEL_MIN:
        return shapely.is_valid(geoms)
    from concurrent.futures import ThreadPoolExecutor

    chunks = np.array_split(geoms, WORKERS)
    with ThreadPoolExecutor(WORKERS) as pool:
        return np.concatenate(list(pool.map(shapely.is_valid, chunks)))


def _make_valid(geoms: np.ndarray, keep: np.ndarray, valid: np.ndarray, rows: np.ndarray,
                family: str, repairs: list[Repair], budget: RepairBudget,
                only_polygons: bool = False) -> tuple[np.ndarray, np.ndarray]:
    todo = np.flatnonzero(keep & ~valid)
    for done, i in enumerate(todo):
        g = geoms[i]
        gtype = g.geom_type
        if only_polygons and gtype not in FAMILY_TYPES["polygon"]:
            continue
        reason = shapely.is_valid_reason(g)  # on the invalid ones only: it is slower
        if family == "line" or gtype in FAMILY_TYPES["line"]:
            keep[i] = False
            repairs.append(Repair(int(rows[i]), "dropped_degenerate", _text("dropped_degenerate")))
            continue
        budget.admit(g, int(rows[i]), done, len(todo))
        fixed = _repaired(g, family)
        if fixed is None:
            keep[i] = False
            repairs.append(Repair(int(rows[i]), "dropped_invalid",
                                  _text("dropped_invalid", family=family, family_zh=FAMILY_ZH[family],
                                        reason=reason)))
            continue
        geoms[i] = fixed
        repairs.append(Repair(int(rows[i]), "repaired", _text("repaired", reason=reason)))
    return geoms, keep


def _repaired(g, family: str):
    """A valid geometry of ``family`` from the invalid ``g``, or None when nothing is left.

    A polygon's repair is polygonal already (collapsed parts are left out): it is kept as
    it is, without rebuilding (a union of thousands of parts costs more than the repair)."""
    if family == "polygon":
        fixed = shapely.make_valid(g, method="structure", keep_collapsed=False)
        if fixed.geom_type in FAMILY_TYPES["polygon"] and not fixed.is_empty and fixed.area > 0:
            return fixed
    else:
        fixed = shapely.make_valid(g)
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in FAMILY_TYPES[family] and not p.is_empty]
    if family == "polygon":
        parts = [p for p in parts if p.area > 0]
    return _collect(parts, family) if parts else None


def _split_multipart(frame: gpd.GeoDataFrame, repairs: list[Repair]) -> gpd.GeoDataFrame:
    counts = shapely.get_num_geometries(np.asarray(frame.geometry.values, dtype=object))
    multi = counts > 1
    if not multi.any():
        return frame
    for r, n in zip(frame["_row"].to_numpy()[multi], counts[multi]):
        repairs.append(Repair(int(r), "split", _text("split", n=int(n))))
    return frame.explode(index_parts=False, ignore_index=True)
