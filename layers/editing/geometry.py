"""Whole-feature edits: add, delete, move, split and merge.

Each function checks the edit, builds the command and returns it without
applying it: pass it to ``project.apply`` (one undo step). Geometries are in the
project CRS (metres).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import split as _split

from layers.commands import AddFeatures, ChangeGeometry, Command, DeleteFeatures, _coerce_value
from layers.editing.common import (
    FAMILY,
    GeometryEdit,
    editable_layer,
    invalid_error,
    layer_family,
    require_fids,
    where,
)
from layers.errors import EditError, T
from layers.schema import _GEOM_FAMILY

if TYPE_CHECKING:  # pragma: no cover
    from layers.layer import VectorLayer
    from layers.project import Project

_FAMILY_ZH = {"polygon": "面", "line": "线", "point": "点"}


def _measure(geom: Any) -> float:
    """Area of a polygon, length of a line (what 'largest' means for the family)."""
    return float(geom.area if FAMILY.get(geom.geom_type) == "polygon" else geom.length)


def _largest(layer: VectorLayer, fids: list[int]) -> int:
    sizes = {f: _measure(layer.gdf.geometry.loc[f]) for f in fids}
    return min(fids, key=lambda f: (-sizes[f], f))


def add_feature_command(project: Project, layer_id: str, geometry: Any,
                        values: dict | None = None) -> Command:
    """Add one drawn feature. Its geometry must suit the layer (polygon, line, point) and be
    valid: a self-intersecting outline is refused with the place where it crosses itself.
    ``values`` are field values, checked against the schema."""
    layer = editable_layer(project, layer_id)
    place = where(layer)
    if geometry is None or geometry.is_empty:
        raise EditError(T("the drawn shape is empty", "绘制的图形为空"), place,
                        T("draw the feature again", "请重新绘制"))
    family = layer_family(layer, geometry)
    gtype = geometry.geom_type
    if family is not None and gtype not in _GEOM_FAMILY.get(family, {gtype}):
        raise EditError(T(f"a {gtype} cannot be added to this layer, which holds {family}s",
                          f"不能向该图层添加 {gtype}，该图层应为{_FAMILY_ZH.get(family, family)}"), place,
                        T(f"draw a {family}", f"请绘制{_FAMILY_ZH.get(family, family)}"))
    if not geometry.is_valid:
        raise invalid_error(geometry, place, T("the drawn shape is invalid", "绘制的图形无效"))
    values = dict(values or {})
    unknown = [k for k in values if k not in layer.gdf.columns or k == "geometry"]
    if unknown:
        raise EditError(T(f"unknown field(s) {unknown}", f"未知字段 {unknown}"), place,
                        T("pick fields of the layer", "请选择图层已有字段"))
    row = {k: [_coerce_value(layer, layer.next_fid(), k, v)] for k, v in values.items()}
    rows = gpd.GeoDataFrame(row, geometry=[geometry], crs=layer.crs)
    cmd = AddFeatures(layer_id, rows)
    cmd.text = T("add feature", "添加要素")
    return cmd


def delete_command(project: Project, layer_id: str, fids: Iterable[int]) -> Command:
    """Delete features (one undo step)."""
    layer = editable_layer(project, layer_id)
    fids = require_fids(layer, fids)
    if not fids:
        raise EditError(T("no features selected", "未选择要素"), where(layer),
                        T("select the features to delete", "请选择要删除的要素"))
    return DeleteFeatures(layer_id, fids)


def move_command(project: Project, layer_id: str, fids: Iterable[int], dx: float, dy: float,
                 merge_key: Hashable | None = None) -> Command:
    """Move features by (dx, dy) metres. Moves with the same ``merge_key`` (one drag) merge
    into one undo step."""
    layer = editable_layer(project, layer_id)
    fids = require_fids(layer, fids)
    geoms = layer.gdf.geometry.loc[fids].to_numpy()
    shift = np.array([dx, dy, 0.0])
    moved = shapely.transform(geoms, lambda c: c + shift[: c.shape[1]], include_z=None)
    return GeometryEdit(T(f"move {len(fids)} feature(s)", f"移动 {len(fids)} 个要素"),
                        [ChangeGeometry(layer_id, dict(zip(fids, moved)), merge_key=merge_key)],
                        merge_key)


def _split_one(geom: Any, line: Any) -> list[Any]:
    """The pieces of ``geom`` cut by ``line``, largest first; the parts of a multi-geometry
    the line misses stay with the largest piece. One element when nothing is cut."""
    cut, kept = [], []
    for part in shapely.get_parts(geom):
        try:
            pieces = [g for g in _split(part, line).geoms if _measure(g) > 0]
        except ValueError:  # a line splitter running along the line itself
            pieces = [part]
        (cut if len(pieces) > 1 else kept).extend(pieces)
    if not cut:
        return [geom]
    cut.sort(key=_measure, reverse=True)
    first = cut[0]
    if kept:
        multi = shapely.MultiPolygon if FAMILY.get(geom.geom_type) == "polygon" \
            else shapely.MultiLineString
        first = multi([first, *kept])
    return [first, *cut[1:]]


def split_command(project: Project, layer_id: str, fids: Iterable[int] | None,
                  line: Any) -> Command:
    """Split the polygons or lines ``fids`` (None: every feature the line crosses) along a drawn
    line. The largest piece keeps the fid (and any parts the line misses); each other piece
    becomes a new feature with a copy of the attributes."""
    layer = editable_layer(project, layer_id)
    place = where(layer)
    if line is None or line.is_empty or line.geom_type not in ("LineString", "MultiLineString") \
            or line.length == 0:
        raise EditError(T("splitting needs a drawn line", "分割需要绘制一条线"), place,
                        T("draw a line across the features", "请绘制一条穿过要素的线"))
    family = layer_family(layer)
    if family not in ("polygon", "line"):
        raise EditError(T("only polygons and lines can be split", "只有面和线可以分割"), place)
    if fids is None:
        geoms = layer.gdf.geometry
        fids = layer.gdf.index[geoms.intersects(line).to_numpy()].tolist()
    fids = require_fids(layer, fids)
    changes: dict[int, Any] = {}
    new_geoms: list[Any] = []
    sources: list[int] = []
    for fid in fids:
        pieces = _split_one(layer.gdf.geometry.loc[fid], line)
        if len(pieces) < 2:
            continue
        changes[fid] = pieces[0]
        new_geoms += pieces[1:]
        sources += [fid] * (len(pieces) - 1)
    if not changes:
        raise EditError(T("the line does not cut any of the features into two or more pieces",
                          "所画的线没有把任何要素分成两块或以上"), place,
                        T("draw the line right across the feature, from outside to outside",
                          "请让线完整穿过要素（从要素外画到要素外）"))
    rows = layer.gdf.loc[sources].drop(columns="geometry")
    rows = gpd.GeoDataFrame(pd.DataFrame(rows).reset_index(drop=True),
                            geometry=new_geoms, crs=layer.crs)
    return GeometryEdit(T(f"split {len(changes)} feature(s)", f"分割 {len(changes)} 个要素"),
                        [ChangeGeometry(layer_id, changes), AddFeatures(layer_id, rows)])


def merge_command(project: Project, layer_id: str, fids: Iterable[int], keep_fid: int | None = None,
                  allow_multipart: bool | None = None) -> Command:
    """Merge two or more features into ``keep_fid`` (default: the largest; it keeps its
    attributes) and delete the others. Polygons that do not touch would make a multi-part
    feature: allowed when ``allow_multipart`` (default: when the layer's schema allows
    MultiPolygon / MultiLineString), refused otherwise."""
    layer = editable_layer(project, layer_id)
    place = where(layer)
    fids = require_fids(layer, fids)
    if len(fids) < 2:
        raise EditError(T("merging needs at least two features", "合并至少需要两个要素"), place,
                        T("select two or more features", "请选择两个或更多要素"))
    family = layer_family(layer)
    if family not in ("polygon", "line"):
        raise EditError(T("only polygons and lines can be merged", "只有面和线可以合并"), place)
    keep = _largest(layer, fids) if keep_fid is None else int(keep_fid)
    if keep not in fids:
        raise EditError(T(f"feature {keep} is not among the features to merge",
                          f"要素 {keep} 不在待合并的要素中"), place,
                        T("keep one of the selected features", "请保留所选要素之一"))
    geoms = layer.gdf.geometry.loc[fids].to_numpy()
    merged = shapely.union_all(geoms)
    if family == "line":
        merged = shapely.line_merge(merged)
        single, multi = "LineString", "MultiLineString"
    else:
        single, multi = "Polygon", "MultiPolygon"
    if allow_multipart is None:
        allow_multipart = multi in _GEOM_FAMILY.get(layer.schema.geometry or family, {multi})
    if merged.geom_type != single:
        parts = len(shapely.get_parts(merged))
        if merged.geom_type != multi or not allow_multipart:
            raise EditError(
                T(f"the features do not touch: merged they would form {parts} separate parts",
                  f"所选要素互不相连，合并后将成为 {parts} 个分离的部分"),
                f"{place}, features {fids}",
                T("merge features that share a boundary, or close the gap first",
                  "请合并有公共边界的要素，或先消除间隙"))
    return GeometryEdit(T(f"merge {len(fids)} features", f"合并 {len(fids)} 个要素"),
                        [ChangeGeometry(layer_id, {keep: merged}),
                         DeleteFeatures(layer_id, [f for f in fids if f != keep])])
