"""Street networks for walking analysis, from OSM or from CAD/SHP centrelines.

Centrelines drawn in CAD rarely meet exactly: ends stop short of the street they
join or run a little past it, the same segment is drawn twice, and streets cross
without a vertex. :func:`build_network` cleans that up in metres (a projected CRS):
it drops duplicate lines, snaps ends lying within ``tolerance`` of another line
onto it, nodes all lines where they cross or touch, removes overshoots shorter
than ``tolerance``, and builds an undirected routing graph (a scipy CSR matrix
of edge lengths with the node coordinates). Disconnected islands are reported.

Lines that are already clean (the usual output of a GIS, and of the sample city:
no duplicates, every line end either shared exactly with another line or farther
than ``tolerance`` from every other line, and lines meeting only at shared ends)
would come out of that cleaning unchanged. :func:`build_network` proves this with
one vectorised check and then builds the graph straight from the line ends, which
is many times faster on a million lines; anything the check cannot prove takes the
full path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from layers.boxgrid import BoxGrid
from layers.commands import AddLayer
from layers.errors import ProjectError, T
from layers.importing.levels import LEVEL_FIELD, node_by_level, part_levels
from layers.importing.noding import (
    _already_noded,
    _dangling,
    _drop_duplicates,
    _drop_nodes,
    _ends,
    _graph,
    _node,
    _nodes,
    _snap_ends,
)

DEFAULT_TOLERANCE_M = 2.0


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
    already_noded: bool = False  # the lines needed no cleaning (see the module text)
    #: when known, a grid of the straight pieces of the edges (in order): the noding check
    #: made it, and the coverage runs find their nearest edges with it
    piece_grid: BoxGrid | None = None

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
    """The lines of ``frame`` a person may walk on (:func:`layers.importing.walkable.walkable_lines`
    with the shipped table): OSM highway ways open to walkers, or centrelines whose road
    class is walkable."""
    from layers.importing.walkable import walkable_lines

    return frame[walkable_lines(frame).keep]


def build_network(lines: gpd.GeoDataFrame, tolerance: float = DEFAULT_TOLERANCE_M, *,
                  fast: bool = True) -> StreetNetwork:
    """A noded, snapped street network and its routing graph from centrelines in metres.

    With ``fast`` (the default) lines proven to be clean already skip the cleaning (see
    the module text; ``already_noded`` tells which path was taken); ``fast=False``
    always cleans. Lines at different vertical levels (a ``z_level`` field: bridges, tunnels)
    are noded level by level and joined only where they meet (:mod:`layers.importing.levels`).

    Examples
    --------
    >>> import shapely
    >>> cross = [shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(50, -50), (50, 50)])]
    >>> apart = [shapely.LineString([(300, 0), (400, 0)])]  # an island of its own
    >>> streets = gpd.GeoDataFrame(geometry=cross + apart, crs="EPSG:4546")
    >>> net = build_network(streets, tolerance=2.0)
    >>> net.largest_component_nodes  # the crossing and its four ends
    5
    """
    if lines.crs is not None and not lines.crs.is_projected:
        raise ProjectError(T("street networks are built in metres; the lines are in degrees",
                             "路网须以米为单位构建，而线数据为经纬度"), "build_network",
                           T("reproject to the project CRS first", "请先投影到项目坐标系"))
    geoms = np.asarray(lines.geometry.values, dtype=object)
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    if len(geoms) and (shapely.get_type_id(geoms) == 1).all():
        parts, which = geoms, np.arange(len(geoms))  # single lines already: no parts to split
    else:
        parts, which = shapely.get_parts(geoms, return_index=True)
        single = shapely.get_type_id(parts) == 1
        parts, which = parts[single], which[single]
    positive = shapely.length(parts) > 0 if len(parts) else np.zeros(0, dtype=bool)
    parts, which = parts[positive], which[positive]
    if not len(parts):
        raise ProjectError(T("no lines to build a street network from", "没有可构建路网的线"),
                           "build_network", T("import street centrelines (lines)", "请导入道路中心线（线）"))
    grid = None
    if fast:
        coords, first, last = _ends(parts)
        points, vid = _nodes(coords)
        grid = _already_noded(coords, first, last, vid, tolerance)
    noded = grid is not None
    levels = None if noded else part_levels(lines, which)
    seg_level = None
    if noded:  # the graph straight from the line ends (the nodes those of _graph)
        segments, source, duplicates, snapped = parts, which, 0, 0
        node_xy, u, v = _drop_nodes(points, vid[first], vid[last])
        length = shapely.length(segments)
    elif levels is not None:  # bridges and tunnels: crossing lines join only on one level
        segments, seg_level, duplicates, snapped = node_by_level(parts, levels, tolerance)
        source = None
        node_xy, u, v, length = _graph(segments)
    else:
        parts, _first, duplicates = _drop_duplicates(parts)
        parts, snapped = _snap_ends(parts, tolerance)
        segments, source = _node(parts), None
        node_xy, u, v, length = _graph(segments)
    dangling = _dangling(u, v, length, tolerance)
    if dangling.any():
        keep = ~dangling
        segments, u, v, length = segments[keep], u[keep], v[keep], length[keep]
        seg_level = None if seg_level is None else seg_level[keep]
        node_xy, u, v = _drop_nodes(node_xy, u, v)
    if seg_level is not None:
        attrs = _attributes_by_level(segments, seg_level, lines, tolerance)
    elif source is None:
        attrs = _attributes_for(segments, lines, tolerance)
    else:  # each segment is one of the lines: its attributes are that line's
        cols = [c for c in lines.columns if c != lines.geometry.name]
        attrs = pd.DataFrame(lines[cols]).reset_index(drop=True).take(source[~dangling]).reset_index(drop=True)
    edges = gpd.GeoDataFrame(attrs, geometry=segments, crs=lines.crs)
    edges["u"], edges["v"], edges["length_m"] = u, v, length
    matrix = _matrix(len(node_xy), u, v, length)
    _n, labels = connected_components(matrix, directed=False)
    net = StreetNetwork(edges, node_xy, matrix, labels, snapped, int(dangling.sum()), duplicates)
    net.already_noded = noded
    net.piece_grid = grid if noded and not dangling.any() else None
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


def _attributes_by_level(segments: np.ndarray, seg_level: np.ndarray, lines: gpd.GeoDataFrame,
                         tolerance: float) -> pd.DataFrame:
    """Each segment's attributes from the nearest line of its own level."""
    line_level = pd.to_numeric(lines[LEVEL_FIELD], errors="coerce").fillna(0).to_numpy(dtype=float)
    parts = []
    for value in np.unique(seg_level):
        at = np.flatnonzero(seg_level == value)
        attrs = _attributes_for(segments[at], lines[line_level.astype(np.int64) == value], tolerance)
        parts.append(attrs.set_axis(at))
    return pd.concat(parts).sort_index().reset_index(drop=True)


def _matrix(n: int, u: np.ndarray, v: np.ndarray, length: np.ndarray) -> csr_matrix:
    keep = u != v
    a, b, w = np.minimum(u, v)[keep], np.maximum(u, v)[keep], length[keep]
    key = a.astype(np.int64) * max(n, 1) + b
    order = np.argsort(key)
    if (key[order][1:] == key[order][:-1]).any():  # parallel edges: keep the shortest
        order = np.lexsort((w, key))
        first = np.ones(len(order), dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        order = order[first]
    a, b, w = a[order], b[order], w[order]
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
    from layers.importing.street_import import facts_note, network_facts, walkable_notes
    from layers.importing.walkable import TABLE, nothing_walkable, walkable_lines
    from layers.layer import VectorLayer

    source = read_source(path, layer=source_layer, encoding=encoding, kind="streets")
    where = str(source.path)
    if not len(source.frame):
        raise ProjectError(T(f"{source.name} has no lines", f"{source.name} 中没有线"), where,
                           T("choose the file or layer holding the streets", "请选择含道路的文件或图层"))
    name = project.unique_name(layer_name or source.path.stem)
    report = ImportReport(source.name, "streets", name, source.format, source.layer, read_count=len(source.frame),
                          encoding=source.encoding, notes=list(source.notes))
    walk = walkable_lines(source.frame, project.standards().table(TABLE))
    if not walk.keep.any():
        raise nothing_walkable(walk, where)
    frame = source.frame[walk.keep].copy()
    frame[LEVEL_FIELD] = walk.level[walk.keep]
    frame["_class"] = walk.road_class[walk.keep] if walk.road_class is not None else None
    report.notes += walkable_notes(walk)
    report.walkable = walk.to_dict()
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
        "road_class": [lookup.get(_norm(h)) if isinstance(h, str) else c
                       for h, c in zip(highway, net.edges["_class"])],
        "walkable": True,
        LEVEL_FIELD: pd.array(net.edges[LEVEL_FIELD].fillna(0), dtype="Int64"),
        "oneway": oneway.str.contains('"oneway"=>"yes"').to_numpy(dtype=bool),
        "highway": highway.to_numpy(),
        "length_m": net.edges["length_m"].to_numpy(),
    }, geometry=net.edges.geometry.to_numpy(), crs=project.crs)
    layer = VectorLayer(name, "streets", rows)
    report.imported_count = len(rows)
    report.mapping = {"name": "name", "highway": "road_class"} if "highway" in frame.columns else {}
    facts = network_facts(net)
    report.notes += [*net.notes(), facts_note(facts)]
    report.walkable["network"] = facts
    report.command = AddLayer(layer)
    project.apply(report.command)
    _track(layer)
    _CACHE[layer.id] = (_VERSIONS[layer.id], tolerance, net)
    report.network = net  # type: ignore[attr-defined]
    return report
