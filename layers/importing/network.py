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

from layers.boxgrid import BoxGrid, build_grid, candidates, cell_pairs
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


def _ends(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All coordinates of ``lines`` (2D) and the index of each line's first and last one."""
    coords = shapely.get_coordinates(lines)
    count = shapely.get_num_coordinates(lines)
    last = np.cumsum(count) - 1
    return coords, last - count + 1, last


def _spread(v: np.ndarray) -> np.ndarray:
    """The bits of ``v`` (< 2**31) moved to the even positions of a uint64."""
    v = v.astype(np.uint64)
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
                        (2, 0x3333333333333333), (1, 0x5555555555555555)):
        v |= v << np.uint64(shift)
        v &= np.uint64(mask)
    return v


def _nodes(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points ``xy`` rounded to the millimetre without repeats, and the index of each point
    among them. They are ordered along a Z-order (Morton) curve, so that nodes near each
    other get ids near each other: on a large network the shortest-path searches then
    find what they need in the CPU cache far more often (a third faster on a million
    edges). Networks wider than 2,000 km order them by x, then y."""
    if not len(xy):
        return xy[:0], np.zeros(0, dtype=np.int64)
    k = np.multiply(xy, 1000.0)
    np.rint(k, out=k)  # np.round(xy, 3) is this divided by 1000
    lo, hi = k.min(axis=0), k.max(axis=0)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()) or \
            (int(hi[0] - lo[0]) + 1) * (int(hi[1] - lo[1]) + 1) >= 2 ** 62:
        unique, inverse = np.unique(np.round(xy, 3), axis=0, return_inverse=True)
        return unique, inverse.ravel()
    kx, ky = (k[:, 0] - lo[0]).astype(np.int64), (k[:, 1] - lo[1]).astype(np.int64)
    if max(hi - lo) < 2 ** 31:
        key = (_spread(kx) | (_spread(ky) << np.uint64(1))).view(np.int64)
    else:
        key = kx * (int(hi[1] - lo[1]) + 1) + ky
    order = np.argsort(key)  # ties are the same point: any order will do
    sorted_key = key[order]
    new = np.ones(len(key), dtype=bool)
    new[1:] = sorted_key[1:] != sorted_key[:-1]
    inverse = np.empty(len(key), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return k[order[new]] / 1000.0, inverse


#: in the already-noded check, pieces of lines closer than this count as touching
#: (then the full path decides): far above floating-point noise, far below any street
_TOUCH_M = 1e-6


def _point_piece(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances from points ``p`` (n, 2) to pieces ``a``–``b``."""
    d = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, d) / np.einsum("ij,ij->i", d, d), 0.0, 1.0)
    gap = p - a - t[:, None] * d
    return np.hypot(gap[:, 0], gap[:, 1])


def _already_noded(coords: np.ndarray, first: np.ndarray, last: np.ndarray, vid: np.ndarray,
                   tolerance: float) -> BoxGrid | None:
    """The grid of the lines' straight pieces when cleaning would leave the lines as they
    are, else None. The lines (LineStrings of non-zero length) are given by their
    coordinates, each line's first and last index and ``vid``, the id of each coordinate
    rounded to the millimetre.

    They are clean when no two different points share an id, no line is closed or has a
    piece shorter than ``_TOUCH_M``, every line end is either shared exactly with another
    line end or farther than ``tolerance`` from every other line (nothing is snapped),
    and two straight pieces touch only where they share a point that ends both lines
    (or joins consecutive pieces of one line) and never overlap there (nothing is
    noded, no duplicate dropped). Conservative: pieces closer than ``_TOUCH_M`` count
    as touching. Pure numpy: pieces are paired through a grid of their boxes."""
    n = len(first)
    count = last - first + 1
    if not n or (count < 2).any() or (vid[first] == vid[last]).any():  # a closed line
        return None
    xy = np.asarray(coords, dtype=np.float64)
    one_of = np.empty((int(vid.max()) + 1, 2))
    one_of[vid] = xy  # one of the points of each id
    if not (one_of[vid] == xy).all():  # distinct points within a millimetre: let cleaning decide
        return None
    simple = bool((count == 2).all())  # every line one straight piece (then pieces are lines)
    if simple:
        start = first
    else:
        not_last = np.ones(len(xy), dtype=bool)
        not_last[last] = False
        start = np.flatnonzero(not_last)  # piece k runs from vertex start[k] to start[k] + 1
    va, vb = vid[start], vid[start + 1]
    ax, ay, bx, by = xy[start, 0], xy[start, 1], xy[start + 1, 0], xy[start + 1, 1]
    dx, dy = bx - ax, by - ay
    size = np.hypot(dx, dy)
    if (va == vb).any() or (size <= _TOUCH_M).any():
        return None
    line = np.arange(n) if simple else np.repeat(np.arange(n), count - 1)
    box = np.minimum(ax, bx), np.minimum(ay, by), np.maximum(ax, bx), np.maximum(ay, by)
    grid = build_grid(*box, cell=float(np.median(np.maximum(box[2] - box[0], box[3] - box[1]))))
    # a line end no other line end shares: no other line may come within the tolerance
    end_v = np.concatenate([vid[first], vid[last]])
    alone = np.flatnonzero(np.bincount(end_v)[end_v] == 1)
    if len(alone):
        at = xy[np.concatenate([first, last])[alone]]
        pi, qi = candidates(grid, at[:, 0] - tolerance, at[:, 1] - tolerance, at[:, 0] + tolerance,
                            at[:, 1] + tolerance)
        other = line[qi] != alone[pi] % n
        pi, qi = pi[other], qi[other]
        if (_point_piece(at[pi], xy[start[qi]], xy[start[qi] + 1]) <= tolerance + _TOUCH_M).any():
            return None
    # pairs of pieces listed in a common cell (among them, all whose boxes meet); what the
    # tests need of a piece is gathered in one row (far fewer cache misses than column by column)
    i, j = cell_pairs(grid)
    rows = np.stack([va, vb, dx, dy, size], axis=1).astype(np.float64)  # point ids are exact as floats
    ends_at = None if simple else (start == first[line], start + 1 == last[line])
    for lo in range(0, len(i), _CHUNK):  # a chunk at a time: small buffers, reused
        if not _pairs_clean(i[lo:lo + _CHUNK], j[lo:lo + _CHUNK], rows, xy, start, line, ends_at):
            return None
    return grid


#: pairs of pieces tested at a time in the already-noded check
_CHUNK = 1 << 18


def _pairs_clean(i: np.ndarray, j: np.ndarray, rows: np.ndarray, xy: np.ndarray, start: np.ndarray,
                 line: np.ndarray, ends_at: tuple[np.ndarray, np.ndarray] | None) -> bool:
    """Whether pieces ``i`` and ``j`` (pairs) touch only as :func:`_already_noded` allows.
    ``rows``: per piece its point ids, vector and length; ``ends_at``: per piece whether it
    begins and ends its line (None when every line is one piece)."""
    pi, pj = np.take(rows, i, axis=0), np.take(rows, j, axis=0)
    vai, vbi, dxi, dyi, sizei = pi.T
    vaj, vbj, dxj, dyj, sizej = pj.T
    aa, ab, ba, bb = vai == vaj, vai == vbj, vbi == vaj, vbi == vbj
    shared = aa.view(np.uint8) + ab.view(np.uint8) + ba.view(np.uint8) + bb.view(np.uint8)
    if (shared > 1).any():  # the same piece twice, or a piece turning back on its neighbour
        return False
    one = shared.view(bool)
    if ends_at is not None:  # where pieces touch, both lines must end (or one line go on)
        begins, ends = ends_at
        same_line = line[i] == line[j]
        next_piece = same_line & (j == i + 1)
        at_ends = (((aa | ab) & begins[i]) | ((ba | bb) & ends[i])) & \
            (((aa | ba) & begins[j]) | ((ab | bb) & ends[j]))
        if (one & ~np.where(same_line, next_piece & ba, at_ends)).any():
            return False  # touching inside a line (noding would split it there)
        if (next_piece & ~one).any():
            return False
    # sharing one point: they overlap only when (nearly) collinear and leaving it the same way
    # (sharing none, this is garbage, but it is not looked at)
    sine = np.abs(dxi * dyj - dyi * dxj)  # |u| |w| sin: |u| sin is the far end of u off the line of w
    away = (dxi * dxj + dyi * dyj) * np.where(aa | bb, 1.0, -1.0)  # > 0: both leave the point alike
    if (one & (away > 0) & (sine <= _TOUCH_M * np.maximum(sizei, sizej))).any():
        return False
    # sharing no point: apart (a crossing, or pieces closer than _TOUCH_M, and it is not)
    f = np.flatnonzero(~one)
    fi, fj = i[f], j[f]
    pa, pb, qa, qb = xy[start[fi]], xy[start[fi] + 1], xy[start[fj]], xy[start[fj] + 1]
    dp, dq = pb - pa, qb - qa

    def side(d, a, p):  # which side of the line through a along d point p is on (scaled)
        return d[:, 0] * (p[:, 1] - a[:, 1]) - d[:, 1] * (p[:, 0] - a[:, 0])

    o1, o2, o3, o4 = side(dp, pa, qa), side(dp, pa, qb), side(dq, qa, pa), side(dq, qa, pb)
    if ((o1 * o2 < 0) & (o3 * o4 < 0)).any():
        return False
    side_i = (o1 * o2 > 0) & (np.minimum(np.abs(o1), np.abs(o2)) > _TOUCH_M * rows[fi, 4])
    side_j = (o3 * o4 > 0) & (np.minimum(np.abs(o3), np.abs(o4)) > _TOUCH_M * rows[fj, 4])
    near = ~(side_i | side_j)  # the rest: measure
    pa, pb, qa, qb = pa[near], pb[near], qa[near], qb[near]
    gap = np.minimum(np.minimum(_point_piece(pa, qa, qb), _point_piece(pb, qa, qb)),
                     np.minimum(_point_piece(qa, pa, pb), _point_piece(qb, pa, pb)))
    return not (gap <= _TOUCH_M).any()


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
    if not len(pi):
        return lines, 0
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
    """Nodes (line ends rounded to the millimetre, ordered as :func:`_nodes` does), each
    segment's end nodes and its length."""
    coords, first, last = _ends(segments)
    node_xy, inverse = _nodes(np.concatenate([coords[first], coords[last]]))
    m = len(segments)
    return node_xy, inverse[:m], inverse[m:], shapely.length(segments)


def _dangling(u: np.ndarray, v: np.ndarray, length: np.ndarray, tolerance: float) -> np.ndarray:
    """Overshoots: segments shorter than ``tolerance`` with a free end, hanging on a junction."""
    degree = np.bincount(np.concatenate([u, v]))
    return ((degree[u] == 1) | (degree[v] == 1)) & (length < tolerance) & (degree[u] + degree[v] > 2)


def _drop_nodes(node_xy: np.ndarray, u: np.ndarray, v: np.ndarray):
    """Nodes no segment ends at any more left out (the order of the rest kept)."""
    used = np.zeros(len(node_xy), dtype=bool)
    used[u] = used[v] = True
    new_id = np.cumsum(used) - 1
    return node_xy[used], new_id[u], new_id[v]


def build_network(lines: gpd.GeoDataFrame, tolerance: float = DEFAULT_TOLERANCE_M, *,
                  fast: bool = True) -> StreetNetwork:
    """A noded, snapped street network and its routing graph from centrelines in metres.

    With ``fast`` (the default) lines proven to be clean already skip the cleaning (see
    the module text; ``already_noded`` tells which path was taken); ``fast=False``
    always cleans.

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
    if noded:  # the graph straight from the line ends (the nodes those of _graph)
        segments, source, duplicates, snapped = parts, which, 0, 0
        node_xy, u, v = _drop_nodes(points, vid[first], vid[last])
        length = shapely.length(segments)
    else:
        parts, _first, duplicates = _drop_duplicates(parts)
        parts, snapped = _snap_ends(parts, tolerance)
        segments, source = _node(parts), None
        node_xy, u, v, length = _graph(segments)
    dangling = _dangling(u, v, length, tolerance)
    if dangling.any():
        keep = ~dangling
        segments, u, v, length = segments[keep], u[keep], v[keep], length[keep]
        node_xy, u, v = _drop_nodes(node_xy, u, v)
    if source is None:
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
