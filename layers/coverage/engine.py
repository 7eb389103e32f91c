"""Shortest walking distances from every community to the nearest facility of each service.

One multi-source Dijkstra per service (``scipy.sparse.csgraph.dijkstra`` with
``min_only=True`` and a distance limit) on the street graph with the communities'
virtual nodes and the facilities' leaves (:mod:`layers.coverage.snap`); or straight
lines in the Euclidean mode, for quick checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from layers.coverage.inputs import CoverageInputs, _need_crs
from layers.coverage.options import CoverageOptions
from layers.coverage.snap import EdgeIndex, RoutingGraph, Snapped, build_graph, edge_index, snap_points
from layers.errors import ProjectError, T

Progress = Callable[[float, T], None]
Cancel = Callable[[], bool]


class CoverageCancelled(ProjectError):
    """The run was cancelled by the person who started it."""

    def __init__(self) -> None:
        super().__init__(T("coverage run cancelled", "覆盖分析已取消"), "coverage")


@dataclass
class ServiceField:
    """Per graph node: distance to the nearest facility of one service and that facility's fid
    (-1 where none is reached within the search limit)."""

    dist: np.ndarray
    src: np.ndarray


@dataclass
class Distances:
    """Per community (aligned with ``inputs.communities``) and service: nearest distance,
    nearest facility, snap leg, flag; plus what the network mode keeps for areas and
    what-ifs."""

    nearest_m: dict[str, np.ndarray]
    nearest_fid: dict[str, np.ndarray]
    snap_m: dict[str, np.ndarray]
    far: np.ndarray  # communities with no origin within the maximum snap distance
    flags: dict[str, np.ndarray]
    notes: list[T] = field(default_factory=list)
    partial: bool = False
    graph: RoutingGraph | None = None
    fields: dict[str, ServiceField] = field(default_factory=dict)
    origins: Snapped | None = None
    facilities: Snapped | None = None
    fac_fid: np.ndarray | None = None
    fac_service: np.ndarray | None = None
    fac_points: np.ndarray | None = None
    origin_pos: np.ndarray | None = None  # per origin, its community's position


def street_network(streets, crs):
    """The routing network of a streets layer (cached), a GeoDataFrame or a StreetNetwork."""
    from layers.importing.network import StreetNetwork, build_network, network_for

    if isinstance(streets, StreetNetwork):
        net = streets
    elif isinstance(streets, gpd.GeoDataFrame):
        _need_crs(streets, "streets")
        frame = streets if streets.crs.equals(crs) else streets.to_crs(crs)
        if "walkable" in frame.columns:
            frame = frame[frame["walkable"].fillna(True).astype(bool)]
        net = build_network(frame) if len(frame) else None
    elif streets is not None and len(streets):
        net = network_for(streets)
    else:
        net = None
    if net is None or not len(net.edges):
        raise ProjectError(T("there are no streets to walk along", "没有可步行的道路"),
                           "coverage input 'streets'",
                           T("import a street network (File → Import), or use the Euclidean mode "
                             "(--mode euclidean) for a quick straight-line check",
                             "请导入路网（文件 → 导入），或使用直线距离模式（--mode euclidean）快速检查"))
    return net


def origin_positions(inputs: CoverageInputs) -> np.ndarray:
    """The position (in ``inputs.communities``) of each origin's community."""
    return inputs.communities.index.get_indexer(inputs.origin_community)


def _per_community(inputs: CoverageInputs, per_origin: np.ndarray, payload: np.ndarray,
                   pos: np.ndarray | None = None):
    """The smallest value per community over its origins, and the payload of that origin
    (``pos``: :func:`origin_positions`, when known)."""
    pos = origin_positions(inputs) if pos is None else pos
    best = np.full(len(inputs.communities), np.inf)
    chosen = np.full(len(inputs.communities), -1, dtype=np.int64)
    if len(pos) and pos.min() >= 0 and np.bincount(pos).max() == 1:  # one origin each: no search
        best[pos] = per_origin
        chosen[pos] = np.arange(len(pos))
        picked = np.where(chosen >= 0, payload[np.maximum(chosen, 0)], -1)
        return best, chosen, picked
    order = np.lexsort((per_origin, pos))
    pos_s = pos[order]
    first = np.ones(len(pos_s), dtype=bool)
    first[1:] = pos_s[1:] != pos_s[:-1]
    best[pos_s[first]] = per_origin[order][first]
    chosen[pos_s[first]] = order[first]
    picked = np.where(chosen >= 0, payload[np.maximum(chosen, 0)], -1)
    return best, chosen, picked


def network_distances(inputs: CoverageInputs, options: CoverageOptions, net=None,
                      progress: Progress | None = None, cancel: Cancel | None = None) -> Distances:
    """Walking distances on the street network (see the module text)."""
    progress = progress or (lambda _f, _t: None)
    net = net if net is not None else street_network(inputs.streets, inputs.crs)
    index: EdgeIndex = edge_index(net)
    progress(0.1, T("snapping communities and facilities to the streets", "将小区和设施吸附到道路"))
    origins = snap_points(index, inputs.origin_points, options.max_snap_m)
    tested = inputs.facilities["service"].isin(options.services).to_numpy(bool)
    fac_points = np.asarray(inputs.facilities.geometry.values, dtype=object)[tested]
    fac_snap = snap_points(index, fac_points, options.max_snap_m)
    graph = build_graph(index, origins, fac_snap)
    fac_fid = inputs.facilities.index.to_numpy(np.int64)[tested]
    fac_service = inputs.facilities["service"].astype(str).to_numpy()[tested]
    node_fid = np.full(graph.n_nodes, -1, dtype=np.int64)
    node_fid[graph.leaf_node[graph.leaf_node >= 0]] = fac_fid[graph.leaf_node >= 0]
    out = _empty_distances(inputs, options)
    out.origin_pos = origin_positions(inputs)
    out.graph, out.origins, out.facilities = graph, origins, fac_snap
    out.fac_fid, out.fac_service = fac_fid, fac_service
    out.fac_points = fac_points
    for k, service in enumerate(options.services):
        if cancel is not None and cancel():
            raise CoverageCancelled()
        progress(0.2 + 0.6 * k / len(options.services),
                 T(f"walking distances: {service}", f"步行距离：{service}"))
        leaves = graph.leaf_node[(fac_service == service) & (graph.leaf_node >= 0)]
        if len(leaves):
            dist, _pred, src = dijkstra(graph.matrix, directed=True, indices=leaves,
                                        min_only=True, limit=options.search_limit_m,
                                        return_predecessors=True)
            src_fid = np.where(src >= 0, node_fid[np.maximum(src, 0)], -1)
        else:
            dist = np.full(graph.n_nodes, np.inf)
            src_fid = np.full(graph.n_nodes, -1, dtype=np.int64)
        out.fields[service] = ServiceField(dist, src_fid)
        _fill_service(out, inputs, options, service, len(leaves) > 0)
    _notes(out, inputs, fac_fid, fac_snap, options)
    return out


def _empty_distances(inputs: CoverageInputs, options: CoverageOptions) -> Distances:
    n = len(inputs.communities)
    return Distances({s: np.full(n, np.nan) for s in options.services},
                     {s: np.full(n, -1, dtype=np.int64) for s in options.services},
                     {s: np.full(n, np.nan) for s in options.services}, np.zeros(n, dtype=bool),
                     {s: np.full(n, "ok", dtype=object) for s in options.services})


def _fill_service(out: Distances, inputs: CoverageInputs, options: CoverageOptions, service: str,
                  has_facility: bool) -> None:
    """Per community from the node field of ``service`` (also used by the what-if session)."""
    origins, graph, fld = out.origins, out.graph, out.fields[service]
    node = graph.origin_node
    snapped = node >= 0
    per_origin = np.full(len(node), np.inf)
    per_origin[snapped] = fld.dist[node[snapped]] + origins.snap_m[snapped]
    src = np.full(len(node), -1, dtype=np.int64)
    src[snapped] = fld.src[node[snapped]]
    if out.origin_pos is None:
        out.origin_pos = origin_positions(inputs)
    best, chosen, fid = _per_community(inputs, per_origin, src, out.origin_pos)
    best[best > options.search_limit_m] = np.inf  # the limit holds for the whole walk
    # the snap leg of the origin used; the closest origin's leg where none reaches a facility
    legs = np.where(snapped, origins.snap_m, np.inf)
    leg_best, _c, _p = _per_community(inputs, legs, np.zeros(len(legs), dtype=np.int64), out.origin_pos)
    snap = np.where(np.isfinite(leg_best), leg_best, np.nan)
    reached = np.isfinite(best)
    use = reached & (chosen >= 0)
    snap[use] = origins.snap_m[chosen[use]]
    out.snap_m[service] = snap
    out.far = ~np.isfinite(leg_best)
    flags = np.full(len(best), "ok", dtype=object)
    flags[~reached] = "unreachable"
    if not has_facility:
        flags[:] = "no_facility"
    flags[~np.isfinite(leg_best)] = "far_from_network"
    out.nearest_m[service] = np.where(reached, best, np.nan)
    out.nearest_fid[service] = np.where(reached, fid, -1)
    out.flags[service] = flags


def _notes(out: Distances, inputs: CoverageInputs, fac_fid: np.ndarray, fac_snap: Snapped,
           options: CoverageOptions) -> None:
    far = out.far
    if far.any():
        fids = inputs.communities.index.to_numpy()[far]
        out.partial = True
        out.notes.append(T(
            f"{far.sum()} communit(ies) lie more than {options.max_snap_m:g} m from every street and "
            f"were not tested (flag far_from_network): fid {', '.join(map(str, fids[:10]))}",
            f"{far.sum()} 个小区距最近道路超过 {options.max_snap_m:g} 米，未计算（标记 far_from_network）："
            f"要素 {', '.join(map(str, fids[:10]))}"))
    lost = ~fac_snap.ok
    if lost.any():
        fids = fac_fid[lost]
        out.partial = True
        out.notes.append(T(
            f"{lost.sum()} facilit(ies) lie more than {options.max_snap_m:g} m from every street and "
            f"were left out of the search: fid {', '.join(map(str, fids[:10]))}",
            f"{lost.sum()} 处设施距最近道路超过 {options.max_snap_m:g} 米，未参与计算："
            f"要素 {', '.join(map(str, fids[:10]))}"))
    _service_notes(out, options)


def _service_notes(out: Distances, options: CoverageOptions) -> None:
    for service in options.services:
        flags = out.flags[service]
        if (flags == "no_facility").all():
            out.notes.append(T(f"no {service} facility to test against: every community is a gap",
                               f"没有可用的“{service}”设施：所有小区均为缺口"))
        unreachable = int((flags == "unreachable").sum())
        if unreachable:
            out.notes.append(T(
                f"{service}: {unreachable} communit(ies) reach no facility within the search limit "
                f"of {options.search_limit_m:g} m (or are cut off from it)",
                f"{service}：{unreachable} 个小区在 {options.search_limit_m:g} 米搜索范围内到达不了任何设施"
                "（或与其不连通）"))


def euclidean_distances(inputs: CoverageInputs, options: CoverageOptions) -> Distances:
    """Straight-line distances from each community's origins to the nearest facility."""
    out = _empty_distances(inputs, options)
    fac = inputs.facilities
    for service in options.services:
        pts = fac[(fac["service"] == service).to_numpy(bool)]
        if not len(pts):
            out.flags[service][:] = "no_facility"
            continue
        tree = shapely.STRtree(np.asarray(pts.geometry.values, dtype=object))
        (oi, fi), dist = tree.query_nearest(inputs.origin_points, return_distance=True,
                                            all_matches=False)
        per_origin = np.full(len(inputs.origin_points), np.inf)
        per_origin[oi] = dist
        fid = np.full(len(inputs.origin_points), -1, dtype=np.int64)
        fid[oi] = pts.index.to_numpy(np.int64)[fi]
        best, _chosen, picked = _per_community(inputs, per_origin, fid)
        out.nearest_m[service] = np.where(np.isfinite(best), best, np.nan)
        out.nearest_fid[service] = picked
    _service_notes(out, options)
    return out
