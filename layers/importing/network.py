"""Street networks for walking analysis, from OSM or from CAD/SHP centrelines.

Centrelines drawn in CAD rarely meet exactly: ends stop short of the street they
join or run a little past it, the same segment is drawn twice, and streets cross
without a vertex. :func:`build_network` cleans that up in metres (a projected CRS):
it drops duplicate lines, snaps ends lying within ``tolerance`` of another line
onto it, nodes all lines where they cross or touch, removes overshoots shorter
than ``tolerance``, and builds an undirected routing graph (a scipy CSR matrix
of edge lengths with the node coordinates). Disconnected islands are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from layers.commands import AddLayer
from layers.errors import ProjectError, T

WALKABLE_HIGHWAYS = ("footway", "path", "pedestrian", "residential", "living_street", "service",
                     "unclassified", "tertiary", "secondary", "primary", "steps", "track",
                     "tertiary_link", "secondary_link", "primary_link", "cycleway", "road")
DEFAULT_TOLERANCE_M = 2.0
_FOOT_NO = re.compile(r'"(?:foot|access)"=>"(?:no|private)"')
_FOOT_YES = re.compile(r'"foot"=>"(?:yes|designated|permissive)"')


@dataclass
class StreetNetwork:
    """Edges (a GeoDataFrame, ``u``/``v`` node ids, ``length_m``), nodes and the routing graph."""

    edges: gpd.GeoDataFrame
    node_xy: np.ndarray
    matrix: csr_matrix
    labels: np.ndarray
    snapped: int = 0
    dangles_removed: int = 0
    duplicates_dropped: int = 0
    islands: list[dict[str, Any]] = field(default_factory=list)

    @property
    def node_count(self) -> int:
        return len(self.node_xy)

    def component_sizes(self) -> np.ndarray:
        return np.bincount(self.labels) if len(self.labels) else np.array([], dtype=int)

    @property
    def largest_component_nodes(self) -> int:
        sizes = self.component_sizes()
        return int(sizes.max()) if len(sizes) else 0

    def notes(self) -> list[T]:
        out = [T(f"network: {self.node_count} nodes, {len(self.edges)} edges; largest connected part "
                 f"{self.largest_component_nodes} nodes",
                 f"路网：{self.node_count} 个节点、{len(self.edges)} 条边；最大连通部分 "
                 f"{self.largest_component_nodes} 个节点")]
        if self.snapped:
            out.append(T(f"{self.snapped} line end(s) snapped onto a nearby line",
                         f"{self.snapped} 个线端点已吸附到邻近道路"))
        if self.dangles_removed:
            out.append(T(f"{self.dangles_removed} overshoot(s) removed",
                         f"已删除 {self.dangles_removed} 处出头线"))
        if self.duplicates_dropped:
            out.append(T(f"{self.duplicates_dropped} duplicate line(s) dropped",
                         f"已删除 {self.duplicates_dropped} 条重复线"))
        if self.islands:
            out.append(T(f"{len(self.islands)} island(s) not connected to the main network (largest "
                         f"{self.islands[0]['nodes']} nodes near {self.islands[0]['centre']})",
                         f"{len(self.islands)} 处孤立路段未与主路网连通（最大 {self.islands[0]['nodes']} "
                         f"个节点，位于 {self.islands[0]['centre']} 附近）"))
        return out


def walkable_osm(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """OSM lines a person may walk on: the walkable highway types, no motorways or trunk
    roads, and nothing tagged foot=no or access=no/private (unless foot=yes)."""
    if "highway" not in frame.columns:
        return frame
    keep = frame["highway"].isin(WALKABLE_HIGHWAYS).to_numpy(dtype=bool).copy()
    if "other_tags" in frame.columns:
        tags = frame["other_tags"].astype("string").fillna("")
        refused = tags.str.contains(_FOOT_NO) & ~tags.str.contains(_FOOT_YES)
        keep &= ~refused.to_numpy(dtype=bool)
    return frame[keep]


def _endpoints(lines: np.ndarray) -> np.ndarray:
    starts = shapely.get_point(lines, 0)
    ends = shapely.get_point(lines, -1)
    return np.concatenate([starts, ends])


def _snap_ends(lines: np.ndarray, tolerance: float) -> tuple[np.ndarray, int]:
    """Move line ends that stop within ``tolerance`` of another line onto it (an end of it
    when one is that close, else the nearest point)."""
    n = len(lines)
    points = _endpoints(lines)
    owner = np.concatenate([np.arange(n), np.arange(n)])
    tree = shapely.STRtree(lines)
    pi, li = tree.query(points, predicate="dwithin", distance=tolerance)
    other = owner[pi] != li
    pi, li = pi[other], li[other]
    if not len(pi):
        return lines, 0
    dist = shapely.distance(points[pi], lines[li])
    order = np.lexsort((dist, pi))
    pi, li, dist = pi[order], li[order], dist[order]
    first = np.unique(pi, return_index=True)[1]
    pi, li, dist = pi[first], li[first], dist[first]
    gap = dist > 0
    pi, li = pi[gap], li[gap]
    coords = [shapely.get_coordinates(g) for g in lines]
    snapped = 0
    for p, target in zip(pi, li):
        point = points[p]
        ends = [shapely.get_point(lines[target], 0), shapely.get_point(lines[target], -1)]
        near_end = min(ends, key=lambda e: e.distance(point))
        dest = near_end if near_end.distance(point) <= tolerance else \
            shapely.shortest_line(point, lines[target]).boundary.geoms[-1]
        k = owner[p]
        coords[k][0 if p < n else -1] = (dest.x, dest.y)
        snapped += 1
    return np.array([shapely.linestrings(c) for c in coords], dtype=object), snapped


def _drop_duplicates(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    keys = shapely.to_wkb(shapely.normalize(lines))
    _, first = np.unique(keys, return_index=True)
    first = np.sort(first)
    return lines[first], first, len(lines) - len(first)


def _node(lines: np.ndarray) -> np.ndarray:
    merged = shapely.union_all(lines)
    parts = shapely.get_parts(merged)
    return parts[shapely.get_type_id(parts) == 1]


def _graph(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    starts = shapely.get_coordinates(shapely.get_point(segments, 0))
    ends = shapely.get_coordinates(shapely.get_point(segments, -1))
    allxy = np.round(np.concatenate([starts, ends]), 3)
    node_xy, inverse = np.unique(allxy, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    m = len(segments)
    return node_xy, inverse[:m], inverse[m:], shapely.length(segments)


def _remove_dangles(segments: np.ndarray, tolerance: float) -> tuple[np.ndarray, int]:
    _, u, v, length = _graph(segments)
    degree = np.bincount(np.concatenate([u, v]))
    dangling = ((degree[u] == 1) | (degree[v] == 1)) & (length < tolerance) & (degree[u] + degree[v] > 2)
    return segments[~dangling], int(dangling.sum())


def build_network(lines: gpd.GeoDataFrame, tolerance: float = DEFAULT_TOLERANCE_M) -> StreetNetwork:
    """A noded, snapped street network and its routing graph from centrelines in metres.

    Examples
    --------
    >>> net = build_network(streets_gdf, tolerance=2.0)  # doctest: +SKIP
    >>> net.largest_component_nodes  # doctest: +SKIP
    341
    """
    if lines.crs is not None and not lines.crs.is_projected:
        raise ProjectError(T("street networks are built in metres; the lines are in degrees",
                             "路网须以米为单位构建，而线数据为经纬度"), "build_network",
                           T("reproject to the project CRS first", "请先投影到项目坐标系"))
    geoms = shapely.force_2d(np.asarray(lines.geometry.values, dtype=object))
    src_index = np.arange(len(geoms))
    parts, which = shapely.get_parts(geoms, return_index=True)
    single = shapely.get_type_id(parts) == 1
    parts, which = parts[single], src_index[which[single]]
    parts = parts[shapely.length(parts) > 0] if len(parts) else parts
    if not len(parts):
        raise ProjectError(T("no lines to build a street network from", "没有可构建路网的线"),
                           "build_network", T("import street centrelines (lines)", "请导入道路中心线（线）"))
    parts, _first, duplicates = _drop_duplicates(parts)
    parts, snapped = _snap_ends(parts, tolerance)
    segments = _node(parts)
    segments, dangles = _remove_dangles(segments, tolerance)
    node_xy, u, v, length = _graph(segments)
    attrs = _attributes_for(segments, lines, tolerance)
    edges = gpd.GeoDataFrame(attrs, geometry=segments, crs=lines.crs)
    edges["u"], edges["v"], edges["length_m"] = u, v, length
    matrix = _matrix(len(node_xy), u, v, length)
    _n, labels = connected_components(matrix, directed=False)
    net = StreetNetwork(edges, node_xy, matrix, labels, snapped, dangles, duplicates)
    net.islands = _islands(net)
    return net


def _attributes_for(segments: np.ndarray, lines: gpd.GeoDataFrame, tolerance: float) -> pd.DataFrame:
    mids = shapely.line_interpolate_point(segments, 0.5, normalized=True)
    tree = shapely.STRtree(np.asarray(lines.geometry.values, dtype=object))
    seg_i, line_i = tree.query_nearest(mids, max_distance=max(tolerance, 1e-6) * 2, all_matches=False)
    source = np.full(len(segments), -1)
    source[seg_i] = line_i
    cols = [c for c in lines.columns if c != lines.geometry.name]
    base = pd.DataFrame(lines[cols]).reset_index(drop=True)
    out = base.reindex(np.where(source >= 0, source, len(base))).reset_index(drop=True)
    return out


def _matrix(n: int, u: np.ndarray, v: np.ndarray, length: np.ndarray) -> csr_matrix:
    keep = u != v
    a, b, w = np.minimum(u, v)[keep], np.maximum(u, v)[keep], length[keep]
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])  # parallel edges: keep the shortest
    a, b, w = a[first], b[first], w[first]
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    return csr_matrix((np.concatenate([w, w]), (rows, cols)), shape=(n, n))


def _islands(net: StreetNetwork) -> list[dict[str, Any]]:
    sizes = net.component_sizes()
    if len(sizes) <= 1:
        return []
    main = int(np.argmax(sizes))
    out = []
    for label in np.argsort(-sizes):
        if label == main:
            continue
        xy = net.node_xy[net.labels == label]
        centre = xy.mean(axis=0)
        out.append({"nodes": int(sizes[label]), "centre": [round(float(centre[0]), 1),
                                                          round(float(centre[1]), 1)]})
    return out


# --- the streets layer and its cached graph ---------------------------------------------
_CACHE: dict[str, tuple[int, float, StreetNetwork]] = {}
_VERSIONS: dict[str, int] = {}


def _track(layer) -> None:
    if layer.id in _VERSIONS:
        return
    _VERSIONS[layer.id] = 0

    def bump(event) -> None:
        if event.type == "data":
            _VERSIONS[layer.id] = _VERSIONS.get(layer.id, 0) + 1

    layer.events.connect(bump)


def network_for(layer, tolerance: float = DEFAULT_TOLERANCE_M) -> StreetNetwork:
    """The routing graph of a streets layer, rebuilt only when the layer's data changed."""
    _track(layer)
    version = _VERSIONS[layer.id]
    hit = _CACHE.get(layer.id)
    if hit is not None and hit[0] == version and hit[1] == tolerance:
        return hit[2]
    gdf = layer.gdf
    if "walkable" in gdf.columns:
        gdf = gdf[gdf["walkable"].fillna(True).astype(bool)]
    net = build_network(gdf, tolerance)
    _CACHE[layer.id] = (version, tolerance, net)
    return net


def import_street_network(project, path: str | Path, layer_name: str | None = None,
                          coords: str = "auto", tolerance: float = DEFAULT_TOLERANCE_M,
                          source_layer: str | None = None, encoding: str = "auto"):
    """Import OSM or CAD/SHP centrelines as a cleaned ``streets`` layer (one undo step);
    the routing graph is cached for :func:`network_for`. Returns the ImportReport."""
    from layers.importing.core import ImportReport
    from layers.importing.georef import crs_label, resolve
    from layers.importing.mapping import VALUE_SYNONYMS, _norm
    from layers.importing.read import read_source
    from layers.importing.repair import repair_geometries
    from layers.layer import VectorLayer

    source = read_source(path, layer=source_layer, encoding=encoding, kind="streets")
    where = str(source.path)
    if not len(source.frame):
        raise ProjectError(T(f"{source.name} has no lines", f"{source.name} 中没有线"), where,
                           T("choose the file or layer holding the streets", "请选择含道路的文件或图层"))
    name = project.unique_name(layer_name or source.path.stem)
    report = ImportReport(source.name, "streets", name, source.format, source.layer, read_count=len(source.frame),
                          encoding=source.encoding, notes=list(source.notes))
    frame = walkable_osm(source.frame)
    left_out = len(source.frame) - len(frame)
    if left_out:
        report.notes.append(T(f"{left_out} line(s) not walkable (motorways, railways, rivers, foot=no …) "
                              "left out", f"{left_out} 条不可步行的线（高速路、铁路、河流、禁止步行等）未导入"))
    frame, report.repairs = repair_geometries(frame, "line", "streets", where)
    frame, geo = resolve(frame, source.declared_crs, coords, project, source.columns, source.name, where)
    report.crs_declared, report.crs_used, report.offset_removed = geo.declared, geo.used, geo.offset
    report.crs_assumed, report.crs_project = geo.assumed, crs_label(project.crs) or ""
    report.notes += geo.notes
    net = build_network(frame, tolerance)
    lookup = {_norm(w): k for k, words in VALUE_SYNONYMS["road_class"].items() for w in words}
    highway = net.edges["highway"] if "highway" in net.edges.columns else pd.Series(
        [None] * len(net.edges), index=net.edges.index)
    names = net.edges["name"] if "name" in net.edges.columns else highway.map(lambda _v: None)
    oneway = net.edges.get("other_tags", pd.Series([""] * len(net.edges))).astype("string").fillna("")
    rows = gpd.GeoDataFrame({
        "name": names.to_numpy(),
        "road_class": [lookup.get(_norm(h)) if isinstance(h, str) else None for h in highway],
        "walkable": True,
        "oneway": oneway.str.contains('"oneway"=>"yes"').to_numpy(dtype=bool),
        "highway": highway.to_numpy(),
        "length_m": net.edges["length_m"].to_numpy(),
    }, geometry=net.edges.geometry.to_numpy(), crs=project.crs)
    layer = VectorLayer(name, "streets", rows)
    report.imported_count = len(rows)
    report.mapping = {"name": "name", "highway": "road_class"} if "highway" in frame.columns else {}
    report.notes += net.notes()
    report.command = AddLayer(layer)
    project.apply(report.command)
    _track(layer)
    _CACHE[layer.id] = (_VERSIONS[layer.id], tolerance, net)
    report.network = net  # type: ignore[attr-defined]
    return report
