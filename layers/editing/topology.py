"""Topology of a polygon layer (communities): overlaps between features and sliver
gaps between neighbours, and commands that fix them.

A *gap* is open ground between features that is narrower than the gap tolerance:
found by closing the union of the features (buffer out by half the tolerance,
then back in, with mitred corners so straight edges come back where they were)
and taking what the closing added. A street wider than the tolerance is never
closed, so it is not a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from layers.commands import ChangeGeometry, Command
from layers.editing.common import (
    GeometryEdit,
    check_valid,
    editable_layer,
    layer_family,
    require_fids,
    where,
)
from layers.errors import EditError, T
from layers.layer import VectorLayer

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project


#: numerical floor (m²): overlay results below it are rounding noise along shared edges
AREA_EPSILON_M2 = 1e-6


@dataclass(frozen=True)
class TopologyIssue:
    """One overlap (the area two features both cover) or gap (between ``fids``)."""

    kind: str  # "overlap" | "gap"
    fids: tuple[int, ...]
    geometry: Any
    area: float
    centroid: tuple[float, float]
    bounds: tuple[float, float, float, float]

    def describe(self) -> T:
        ids = ", ".join(str(f) for f in self.fids)
        if self.kind == "overlap":
            return T(f"features {ids} overlap by {self.area:.2f} m²", f"要素 {ids} 重叠 {self.area:.2f} m²")
        return T(f"a gap of {self.area:.2f} m² between features {ids}",
                 f"要素 {ids} 之间有 {self.area:.2f} m² 的缝隙")


def default_gap_tolerance(project: Project) -> float:
    """Gaps narrower than this (m) are reported: ``parameters.topology_gap_tolerance_m``."""
    return float(project.standards().value("parameters", "topology_gap_tolerance_m", "value"))


def default_min_area(project: Project) -> float:
    """Overlaps and gaps smaller than this (m²) are not reported:
    ``parameters.topology_min_area_m2``."""
    return float(project.standards().value("parameters", "topology_min_area_m2", "value"))


def _polygonal(geom: Any) -> Any:
    """The polygon part of an overlay result (lines and points where features only touch
    are dropped)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _issue(kind: str, fids: tuple[int, ...], geom: Any) -> TopologyIssue:
    c = geom.centroid
    return TopologyIssue(kind, fids, geom, float(geom.area), (float(c.x), float(c.y)),
                         tuple(float(v) for v in geom.bounds))


def _polygons(layer: VectorLayer) -> tuple[np.ndarray, np.ndarray]:
    gdf = layer.gdf
    geoms = gdf.geometry.to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    ok &= np.isin(shapely.get_type_id(geoms), (3, 6))
    return gdf.index.to_numpy()[ok].astype(np.int64), geoms[ok]


def find_overlaps(fids: np.ndarray, geoms: np.ndarray, tree: shapely.STRtree,
                  min_area: float) -> list[TopologyIssue]:
    i, j = tree.query(geoms, predicate="intersects")
    pair = i < j
    i, j = i[pair], j[pair]
    inner = ~shapely.touches(geoms[i], geoms[j])  # touching along an edge is no overlap
    i, j = i[inner], j[inner]
    inter = shapely.intersection(geoms[i], geoms[j])
    area = shapely.area(inter)
    keep = np.flatnonzero(area > min_area)
    out = []
    for k in keep:
        geom = _polygonal(inter[k])
        if geom.area > min_area:
            out.append(_issue("overlap", (int(fids[i[k]]), int(fids[j[k]])), geom))
    return out


def find_gaps(fids: np.ndarray, geoms: np.ndarray, tree: shapely.STRtree, gap_tolerance: float,
              min_area: float) -> list[TopologyIssue]:
    if gap_tolerance <= 0 or not len(geoms):
        return []
    union = shapely.get_parts(shapely.union_all(geoms))
    half = gap_tolerance / 2
    closed = shapely.get_parts(shapely.buffer(shapely.buffer(
        shapely.union_all(union), half, join_style="mitre"), -half, join_style="mitre"))
    # closed − union, part by part (one difference of two large multipolygons is slow)
    c, u = shapely.STRtree(union).query(closed, predicate="intersects")
    groups = np.split(u[np.argsort(c, kind="stable")], np.cumsum(np.bincount(c, minlength=len(closed)))[:-1])
    covered = np.array([union[g[0]] if len(g) == 1 else shapely.union_all(union[g]) for g in groups],
                       dtype=object)
    diff = shapely.difference(closed, covered)
    pieces = shapely.get_parts(np.array([_polygonal(d) for d in diff], dtype=object))
    pieces = pieces[shapely.area(pieces) > min_area]
    if not len(pieces):
        return []
    touch = max(gap_tolerance * 1e-3, 1e-6)  # numerical: the gap's edges are the features' edges
    g, f = tree.query(pieces, predicate="dwithin", distance=touch)
    out = []
    for k, piece in enumerate(pieces):
        near = tuple(sorted(int(fids[x]) for x in f[g == k]))
        out.append(_issue("gap", near, piece))
    return out


def check_topology(layer: VectorLayer, gap_tolerance: float,
                   min_area: float = AREA_EPSILON_M2) -> list[TopologyIssue]:
    """Overlaps (pairwise, area > ``min_area``) and gaps narrower than ``gap_tolerance``
    between the polygons of ``layer``; overlaps first, each kind largest first.
    ``default_gap_tolerance(project)`` and ``default_min_area(project)`` give the
    project's defaults (``check_project_topology`` uses them)."""
    if layer_family(layer) not in ("polygon", None):
        raise EditError(T("the topology check works on polygon layers", "拓扑检查只适用于面图层"),
                        where(layer), T("choose a polygon layer such as the communities",
                                        "请选择面图层，如小区"))
    fids, geoms = _polygons(layer)
    if not len(geoms):
        return []
    tree = shapely.STRtree(geoms)
    floor = max(float(min_area), AREA_EPSILON_M2)
    overlaps = sorted(find_overlaps(fids, geoms, tree, floor), key=lambda s: -s.area)
    gaps = sorted(find_gaps(fids, geoms, tree, float(gap_tolerance), floor), key=lambda s: -s.area)
    return overlaps + gaps


def check_project_topology(project: Project, layer_id: str) -> list[TopologyIssue]:
    """``check_topology`` of one layer with the project's default tolerances."""
    return check_topology(editable_layer(project, layer_id), default_gap_tolerance(project),
                          default_min_area(project))


_KIND_ZH = {"overlap": "重叠", "gap": "缝隙"}


def _target(project: Project, layer_id: str, issue: TopologyIssue, kind: str,
            give_to_fid: int) -> VectorLayer:
    layer = editable_layer(project, layer_id)
    if issue.kind != kind:
        raise EditError(T(f"this is a {issue.kind}, not a {kind}",
                          f"该问题是{_KIND_ZH.get(issue.kind, issue.kind)}，不是{_KIND_ZH[kind]}"),
                        where(layer), T(f"use the {issue.kind} fix", "请使用对应的修复方法"))
    if int(give_to_fid) not in issue.fids:
        raise EditError(T(f"feature {give_to_fid} does not border this {kind}",
                          f"要素 {give_to_fid} 与该{_KIND_ZH[kind]}不相邻"), where(layer),
                        T(f"choose one of features {list(issue.fids)}", f"请从要素 {list(issue.fids)} 中选择"))
    require_fids(layer, issue.fids)
    return layer


def fix_overlap_command(project: Project, layer_id: str, issue: TopologyIssue,
                        give_to_fid: int) -> Command:
    """The overlap stays in ``give_to_fid`` and is cut out of the other feature(s)."""
    layer = _target(project, layer_id, issue, "overlap", give_to_fid)
    keeper = layer.gdf.geometry.loc[int(give_to_fid)]
    changes = {}
    for fid in issue.fids:
        if fid == int(give_to_fid):
            continue
        old = layer.gdf.geometry.loc[fid]
        new = _polygonal(shapely.difference(old, keeper))
        if new.is_empty:
            raise EditError(T(f"feature {fid} lies wholly inside feature {give_to_fid}",
                              f"要素 {fid} 完全位于要素 {give_to_fid} 之内"), where(layer, fid),
                            T("delete one of the two, or give the overlap to the other",
                              "请删除其中之一，或把重叠部分划给另一个要素"))
        changes[fid] = check_valid(new, old, where(layer, fid))
    return GeometryEdit(T(f"give overlap to feature {give_to_fid}", f"重叠部分划归要素 {give_to_fid}"),
                        [ChangeGeometry(layer_id, changes)])


def fix_gap_command(project: Project, layer_id: str, issue: TopologyIssue,
                    give_to_fid: int) -> Command:
    """The gap becomes part of ``give_to_fid``."""
    layer = _target(project, layer_id, issue, "gap", give_to_fid)
    old = layer.gdf.geometry.loc[int(give_to_fid)]
    new = _polygonal(shapely.union(old, issue.geometry))
    if len(shapely.get_parts(new)) > len(shapely.get_parts(old)):
        raise EditError(T(f"the gap does not join feature {give_to_fid} into one piece",
                          f"该缝隙无法与要素 {give_to_fid} 合成一块"), where(layer, int(give_to_fid)),
                        T("give the gap to another neighbour", "请把缝隙划给其他相邻要素"))
    new = check_valid(new, old, where(layer, int(give_to_fid)))
    return GeometryEdit(T(f"give gap to feature {give_to_fid}", f"缝隙划归要素 {give_to_fid}"),
                        [ChangeGeometry(layer_id, {int(give_to_fid): new})])
