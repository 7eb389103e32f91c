"""Walking adjacency of communities: neighbours within a short walk on the street network.

The plan's precincts (片区) are neighbouring communities and their surroundings
(相邻小区及周边地区). Communities of an old town rarely share a wall, and the street
between two of them is often wider than the touch rule's gap, so here two
communities are neighbours when one can walk from the one to the other within
``walk_m`` metres on the street network (``precinct_adjacency_walk_m``: the
5-minute life circle's 300 m by default).

A community reaches the street network wherever a street runs along it: every street
edge whose centreline comes within the gap tolerance (``precinct_adjacency_gap_m``)
of its boundary gives it a frontage point (the nearest point of that edge), joined to
the boundary by a straight leg that is counted in the walk. A community no street
runs along is joined at a point inside it snapped to the nearest street within the
coverage analysis' maximum snap distance (``coverage_max_snap_m``), as the coverage
analysis does; one farther than that from every street has no walking neighbours.

The frontage points become virtual nodes of the street graph
(:func:`layers.coverage.snap.build_graph`, shared with the coverage analysis). One
Dijkstra per community, limited to ``walk_m``, runs on the part of the graph within
``walk_m`` of the community (a walk never leaves that window, so this is exact):
the communities are taken in small spatial batches, so the cost grows with the
city, not with its square. Pairs the strict touch rule links are neighbours too.

Example
-------
>>> import geopandas as gpd, shapely
>>> street = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1000, 0)])],
...                           crs="EPSG:4546")
>>> boxes = [shapely.box(0, 30, 100, 130), shapely.box(0, -130, 100, -30),  # a 60 m street
...          shapely.box(700, 30, 800, 130)]
>>> g = gpd.GeoDataFrame(geometry=boxes, crs="EPSG:4546")
>>> adj = walking_adjacency(g, street, walk_m=300, gap_m=40)
>>> adj.edges.tolist(), adj.walks_m.round().tolist()  # 30 m to the street and 30 m back
([[0, 1]], [60.0])
>>> community_adjacency(g, gap_m=40).edges.tolist()  # the touch rule: wider than the gap
[]
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from layers.coverage.snap import Snapped, build_graph, edge_index, snap_points
from layers.errors import ProjectError, T
from layers.precincts.adjacency import Adjacency, community_adjacency, default_gap_m
from layers.precincts.rules import default_max_snap_m, default_walk_m

_BATCH_M = 1200.0  # side of the square cells the communities are batched by
_CACHE: list[tuple[tuple, object, Adjacency]] = []
_CACHE_SIZE = 4


@dataclass
class _Access:
    """Where communities meet the streets: per access point its community (position),
    edge, position along the edge, leg and coordinates; per frontage (a community and a
    street edge along it) the stretch of the edge it fronts."""

    owner: np.ndarray
    snapped: Snapped
    xy: np.ndarray
    no_street: np.ndarray  # per community: no street within the maximum snap distance
    front: tuple  # (owner, edge, start, end, leg) per frontage


def _frontages(index, geoms: np.ndarray, valid: np.ndarray, reach_m: float):
    """Per (community, street edge within reach): the stretch of the edge alongside the
    community (its nearest point and its corners within reach, projected onto the edge)
    and the community's distance from the edge (its leg)."""
    ci, ei = index.tree.query(np.where(valid, geoms, None), predicate="dwithin",
                              distance=reach_m)
    if not len(ci):
        return ci, ei, np.empty(0), np.empty(0), np.empty(0)
    lines = index.geoms[ei]
    legs = shapely.distance(geoms[ci], lines)
    near = shapely.line_locate_point(lines, shapely.get_point(
        shapely.shortest_line(geoms[ci], lines), 1))
    start, end = near.copy(), near.copy()
    # corners (of the outline simplified to a metre) within reach of the edge
    coords, owner = shapely.get_coordinates(shapely.simplify(geoms, 1.0), return_index=True)
    first = np.searchsorted(owner, np.arange(len(geoms) + 1))
    count = first[ci + 1] - first[ci]
    pair = np.repeat(np.arange(len(ci)), count)
    vertex = np.repeat(first[ci], count) + np.arange(count.sum()) - \
        np.repeat(np.cumsum(count) - count, count)
    along, dist = _project(index, ei[pair], lines[pair], coords[vertex])
    close = dist <= reach_m
    np.minimum.at(start, pair[close], along[close])
    np.maximum.at(end, pair[close], along[close])
    length = index.length[ei]
    return ci, ei, np.clip(start, 0, length), np.clip(end, 0, length), legs


def _project(index, edges: np.ndarray, lines: np.ndarray, xy: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Position along each edge of the point nearest to each ``xy``, and the distance to
    it: straight edges (two vertices, most of them) in numpy, the others with GEOS."""
    ends = getattr(index, "_precinct_ends", None)
    if ends is None:  # first and last vertex of every edge, and which are straight
        coords, which = shapely.get_coordinates(index.geoms, return_index=True)
        first = np.searchsorted(which, np.arange(len(index.geoms) + 1))
        straight = np.diff(first) == 2
        a = coords[np.minimum(first[:-1], len(coords) - 1)]
        b = coords[np.maximum(first[1:] - 1, 0)]
        ends = (a, b, straight)
        index._precinct_ends = ends
    a, b, straight = ends[0][edges], ends[1][edges], ends[2][edges]
    ab = b - a
    span = np.hypot(ab[:, 0], ab[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(((xy - a) * ab).sum(axis=1) / span ** 2, 0.0, 1.0)
    t = np.where(span > 0, t, 0.0)
    foot = a + t[:, None] * ab
    pos = t * span
    dist = np.hypot(*(xy - foot).T)
    bent = np.flatnonzero(~straight)
    if len(bent):
        pts = shapely.points(xy[bent])
        pos[bent] = shapely.line_locate_point(lines[bent], pts)
        dist[bent] = shapely.distance(pts, lines[bent])
    return pos, dist


def _access(index, geoms: np.ndarray, reach_m: float, max_snap_m: float) -> _Access:
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    ci, ei, start, end, legs = _frontages(index, geoms, valid, reach_m)
    # a frontage is walked onto anywhere along it: its two ends are its access points
    two = end - start > 1e-6
    f_owner = np.concatenate([ci, ci[two]])
    f_edge = np.concatenate([ei, ei[two]])
    f_pos = np.concatenate([start, end[two]])
    f_leg = np.concatenate([legs, legs[two]])
    # no street along it: a point inside, snapped as the coverage analysis does
    alone = np.flatnonzero(valid & ~np.isin(np.arange(len(geoms)), ci))
    extra = snap_points(index, shapely.point_on_surface(geoms[alone]), max_snap_m)
    ok = extra.ok
    owner = np.concatenate([f_owner, alone[ok]]).astype(np.int64)
    edge = np.concatenate([f_edge, extra.edge[ok]]).astype(np.int64)
    position = np.concatenate([f_pos, extra.pos[ok]])
    snapped = Snapped(edge, position, np.concatenate([f_leg, extra.snap_m[ok]]))
    xy = shapely.get_coordinates(shapely.line_interpolate_point(index.geoms[edge], position)) \
        if len(owner) else np.empty((0, 2))
    no_street = valid.copy()
    no_street[owner] = False
    return _Access(owner, snapped, xy, no_street, (ci, ei, start, end, legs))


def _overlaps(front: tuple, walk_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs whose frontages overlap on one edge (across the street from each other): the
    walk is their two legs."""
    owner, edge, start, end, leg = front
    order = np.lexsort((start, edge))
    owner, edge, start, end, leg = owner[order], edge[order], start[order], end[order], leg[order]
    found_a, found_b, found_d = [], [], []
    k = 1
    while k < len(owner):
        i = np.arange(len(owner) - k)
        j = i + k
        same = (edge[i] == edge[j]) & (start[j] <= end[i])
        if not same.any():
            break
        i, j = i[same], j[same]
        d = leg[i] + leg[j]
        keep = (owner[i] != owner[j]) & (d <= walk_m)
        found_a.append(owner[i][keep])
        found_b.append(owner[j][keep])
        found_d.append(d[keep])
        k += 1
    if not found_a:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_d)


def _walks(graph, access: _Access, n: int, bounds: np.ndarray, node_xy: np.ndarray,
           walk_m: float, margin_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of communities (positions) within ``walk_m`` on the streets and their walks
    (``margin_m``: how far an access point may lie from its community)."""
    nodes = graph.origin_node  # per access point
    base = graph.base
    n_base = base.shape[0]
    xy = np.full((n_base, 2), np.nan)
    xy[: len(node_xy)] = node_xy
    xy[nodes] = access.xy
    by_x = np.argsort(xy[:, 0], kind="stable")
    xs = xy[by_x, 0]
    usable = np.flatnonzero(access.snapped.snap_m <= walk_m)  # a longer leg reaches no one
    acc_order = usable[np.argsort(access.owner[usable], kind="stable")]
    acc_start = np.searchsorted(access.owner[acc_order], np.arange(n + 1))
    has = np.flatnonzero(np.diff(acc_start) > 0)
    centre = (bounds[has, :2] + bounds[has, 2:]) / 2
    cell = np.floor(centre / _BATCH_M).astype(np.int64)
    batches = pd.Series(has).groupby([cell[:, 0], cell[:, 1]]).apply(np.asarray)
    # the owner community of every graph node that is an access point (-1 elsewhere)
    node_owner = np.full(n_base, -1, dtype=np.int64)
    node_leg = np.zeros(n_base)
    node_owner[nodes[usable]] = access.owner[usable]
    node_leg[nodes[usable]] = access.snapped.snap_m[usable]
    local = np.full(n_base, -1, dtype=np.int64)
    found_a, found_b, found_d = [], [], []
    for batch in batches:
        lo = bounds[batch, :2].min(axis=0) - walk_m - margin_m
        hi = bounds[batch, 2:].max(axis=0) + walk_m + margin_m
        cand = by_x[np.searchsorted(xs, lo[0], side="left"):
                    np.searchsorted(xs, hi[0], side="right")]
        cand = cand[(xy[cand, 1] >= lo[1]) & (xy[cand, 1] <= hi[1])]
        local[cand] = np.arange(len(cand))
        sub = base[cand][:, cand].tocoo()
        # one source node per community of the batch, with directed legs to its access
        counts = acc_start[batch + 1] - acc_start[batch]
        first = np.repeat(acc_start[batch], counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        acc = acc_order[first + offset]
        m = len(cand) + len(batch)
        rows = np.concatenate([sub.row, len(cand) + np.repeat(np.arange(len(batch)), counts)])
        cols = np.concatenate([sub.col, local[nodes[acc]]])
        w = np.concatenate([sub.data, access.snapped.snap_m[acc]])
        local[cand] = -1
        g = sp.csr_matrix((np.maximum(w, 1e-9), (rows, cols)), shape=(m, m))
        dist = dijkstra(g, directed=True, indices=np.arange(len(cand), m), limit=walk_m)
        targets = np.flatnonzero(node_owner[cand] >= 0)
        total = dist[:, targets] + node_leg[cand[targets]][None, :]
        si, ti = np.nonzero(total <= walk_m)
        found_a.append(batch[si])
        found_b.append(node_owner[cand[targets[ti]]])
        found_d.append(total[si, ti])
    if not found_a:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_d)


def _shortest(a: np.ndarray, b: np.ndarray, d: np.ndarray):
    """One row per unordered pair (i < j) with its shortest walk."""
    keep = a != b
    lo, hi, d = np.minimum(a, b)[keep], np.maximum(a, b)[keep], d[keep]
    order = np.lexsort((d, hi, lo))
    lo, hi, d = lo[order], hi[order], d[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    return lo[first], hi[first], d[first]


def _key(net, communities: gpd.GeoDataFrame, walk_m: float, gap_m: float, max_snap_m: float,
         barriers) -> tuple | None:
    if barriers is not None:
        return None
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.asarray(communities.index, dtype=np.int64).tobytes())
    for wkb in shapely.to_wkb(np.asarray(communities.geometry.to_numpy(), dtype=object)):
        digest.update(b"-" if wkb is None else wkb)
    return (id(net), walk_m, gap_m, max_snap_m, str(communities.crs), digest.hexdigest())


def walking_adjacency(communities: gpd.GeoDataFrame, streets, walk_m: float | None = None, *,
                      gap_m: float | None = None, max_snap_m: float | None = None,
                      barriers=None, standards=None) -> Adjacency:
    """Neighbours among ``communities`` (indexed by fid) within a walk of ``walk_m`` on
    ``streets`` (a streets layer, lines or a street network), plus the touch rule's pairs.

    Raises
    ------
    ProjectError
        Degrees instead of metres, a walk that is not a positive distance, no streets.
    """
    from layers.coverage.engine import street_network

    walk = default_walk_m(standards) if walk_m is None else float(walk_m)
    gap = default_gap_m(standards) if gap_m is None else float(gap_m)
    snap = default_max_snap_m(standards) if max_snap_m is None else float(max_snap_m)
    if not np.isfinite(walk) or walk <= 0:
        raise ProjectError(T(f"the walking distance must be above 0 m, not {walk:g}",
                             f"步行距离必须大于 0 米，而不是 {walk:g}"), "precinct adjacency",
                           T("enter a walk such as 300 m (5 minutes)", "请输入步行距离，例如 300 米（5 分钟）"))
    strict = community_adjacency(communities, gap, barriers=barriers)
    net = street_network(streets, communities.crs)
    key = _key(net, communities, walk, gap, snap, barriers)
    for cached_key, cached_net, cached in _CACHE:
        if key is not None and cached_key == key and cached_net is net:
            return cached
    order = np.argsort(np.asarray(communities.index, dtype=np.int64), kind="stable")
    geoms = np.asarray(communities.geometry.to_numpy(), dtype=object)[order]
    index = edge_index(net)
    access = _access(index, geoms, gap, snap)
    empty = Snapped(np.empty(0, np.int64), np.empty(0), np.empty(0))
    graph = build_graph(index, access.snapped, empty)
    n = strict.n
    bounds = shapely.bounds(geoms)
    # a frontage end lies within the gap of its community, a snapped point within its leg
    margin = max(gap, min(float(np.nanmax(access.snapped.snap_m, initial=0.0)), walk))
    found = [_walks(graph, access, n, bounds, np.asarray(net.node_xy, dtype=float), walk,
                    margin), _overlaps(access.front, walk)]
    lo, hi, walks = _shortest(*(np.concatenate(parts) for parts in zip(*found, strict=True)))
    adj = _merge(strict, lo, hi, walks, geoms, walk, access.no_street)
    if key is not None:
        _CACHE.insert(0, (key, net, adj))
        del _CACHE[_CACHE_SIZE:]
    return adj


def _merge(strict: Adjacency, lo: np.ndarray, hi: np.ndarray, walks: np.ndarray,
           geoms: np.ndarray, walk_m: float, no_street: np.ndarray) -> Adjacency:
    n = strict.n
    key_w = lo * n + hi
    key_s = strict.edges[:, 0] * n + strict.edges[:, 1] if len(strict.edges) else \
        np.empty(0, np.int64)
    keys = np.union1d(key_w, key_s).astype(np.int64)
    left, right = keys // n, keys % n
    walk_of = np.full(len(keys), np.nan)
    walk_of[np.searchsorted(keys, key_w)] = walks
    connectors = shapely.shortest_line(geoms[left], geoms[right]) if len(keys) else \
        np.empty(0, dtype=object)
    gaps = shapely.length(connectors) if len(keys) else np.empty(0)
    edges = np.stack([left, right], axis=1).astype(np.int64) if len(keys) else \
        np.empty((0, 2), dtype=np.int64)
    matrix = sp.csr_matrix((np.ones(2 * len(keys), dtype=bool),
                            (np.r_[left, right], np.r_[right, left])), shape=(n, n))
    return Adjacency(strict.fids, matrix, edges, np.asarray(gaps, dtype=float), strict.gap_m,
                     connectors, rule="walk", walk_m=walk_m, walks_m=walk_of,
                     no_street=no_street)
