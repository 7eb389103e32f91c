"""Geometry repair on import, every change listed per feature.

What is done, in order: null/empty geometries and geometries with non-finite
coordinates are dropped; Z and M are dropped; geometry collections give up the
parts of the kind's family; features of another family are dropped (a polygon
layer takes no points); invalid polygons are repaired with ``make_valid`` and
keep only their polygonal part; multi-points are split for point kinds and
multi-lines for streets (a network needs single segments); lines with fewer
than two distinct points are dropped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from layers.errors import ProjectError, T

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


def repair_geometries(frame: gpd.GeoDataFrame, family: str | None, kind: str,
                      where: str) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """Repaired copy of ``frame`` (rows kept in order; an index column ``_row`` is added)."""
    frame = frame.copy()
    frame["_row"] = np.arange(1, len(frame) + 1)
    repairs: list[Repair] = []
    geoms = np.asarray(frame.geometry.values, dtype=object)
    rows = frame["_row"].to_numpy()
    keep = np.ones(len(frame), dtype=bool)

    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for r in rows[empty]:
        repairs.append(Repair(int(r), "dropped_empty", _text("dropped_empty")))
    keep &= ~empty
    nonfinite = np.zeros(len(geoms), dtype=bool)  # NaN/inf anywhere (bounds skip NaN)
    if keep.any():
        idx = np.flatnonzero(keep)
        coords, which = shapely.get_coordinates(geoms[idx], return_index=True)
        bad_vertices = ~np.isfinite(coords).all(axis=1)
        nonfinite[idx[np.unique(which[bad_vertices])]] = True
    for r in rows[nonfinite]:
        repairs.append(Repair(int(r), "dropped_nonfinite", _text("dropped_nonfinite")))
    keep &= ~nonfinite

    has_zm = keep & shapely.has_z(geoms)
    if hasattr(shapely, "has_m"):
        has_zm |= keep & shapely.has_m(geoms)
    if has_zm.any():
        geoms[has_zm] = shapely.force_2d(geoms[has_zm])
        for r in rows[has_zm]:
            repairs.append(Repair(int(r), "dropped_z", _text("dropped_z")))

    if family is not None:
        geoms, keep = _keep_family(geoms, keep, rows, family, repairs, where)
        geoms, keep = _make_valid(geoms, keep, rows, family, repairs)
    else:
        geoms, keep = _make_valid(geoms, keep, rows, "polygon", repairs, only_polygons=True)

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
                 repairs: list[Repair], where: str) -> tuple[np.ndarray, np.ndarray]:
    allowed = FAMILY_TYPES[family]
    type_ids = shapely.get_type_id(geoms)
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


def _make_valid(geoms: np.ndarray, keep: np.ndarray, rows: np.ndarray, family: str,
                repairs: list[Repair], only_polygons: bool = False) -> tuple[np.ndarray, np.ndarray]:
    idx = np.flatnonzero(keep)
    if not len(idx):
        return geoms, keep
    invalid_local = ~_is_valid(geoms[idx])
    for i in idx[invalid_local]:
        g = geoms[i]
        gtype = g.geom_type
        if only_polygons and gtype not in FAMILY_TYPES["polygon"]:
            continue
        reason = shapely.is_valid_reason(g)
        if family == "line" or gtype in FAMILY_TYPES["line"]:
            keep[i] = False
            repairs.append(Repair(int(rows[i]), "dropped_degenerate", _text("dropped_degenerate")))
            continue
        fixed = shapely.make_valid(g)
        parts = [p for p in shapely.get_parts(fixed) if p.geom_type in FAMILY_TYPES[family]
                 and not p.is_empty]
        if family == "polygon":
            parts = [p for p in parts if p.area > 0]
        if not parts:
            keep[i] = False
            repairs.append(Repair(int(rows[i]), "dropped_invalid",
                                  _text("dropped_invalid", family=family, family_zh=FAMILY_ZH[family],
                                        reason=reason)))
            continue
        geoms[i] = _collect(parts, family)
        repairs.append(Repair(int(rows[i]), "repaired", _text("repaired", reason=reason)))
    return geoms, keep


def _split_multipart(frame: gpd.GeoDataFrame, repairs: list[Repair]) -> gpd.GeoDataFrame:
    counts = shapely.get_num_geometries(np.asarray(frame.geometry.values, dtype=object))
    multi = counts > 1
    if not multi.any():
        return frame
    for r, n in zip(frame["_row"].to_numpy()[multi], counts[multi]):
        repairs.append(Repair(int(r), "split", _text("split", n=int(n))))
    return frame.explode(index_parts=False, ignore_index=True)
