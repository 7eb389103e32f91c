"""Origins and destinations put onto the street graph, exactly.

A point (a community's gate or representative point, a facility) is snapped to the
nearest street edge within a maximum snap distance; the straight snap leg is
counted in its distance. Community origins become *virtual nodes* that split
their edge into a chain (u – p1 – p2 – … – v), so a distance along an edge is
exact even when several points share it. A facility becomes a *leaf* joined to
the two ends of the chain piece it lies on, with the snap leg plus the distance
along the piece as weights. A path never gains by running through a leaf (its two
weights add up to at least the piece it hangs on), so one graph serves every
service: each service is one multi-source Dijkstra from its own leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix

from layers.boxgrid import BoxGrid
from layers.coverage.nearest import Segments, build_segments, nearest

_CACHE_ATTR = "_coverage_edge_index"


@dataclass
class EdgeIndex:
    """The edges of a street network as arrays, with spatial indexes (cached per network)."""

    geoms: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    n_nodes: int
    base: csr_matrix
    grid: Segments | None = None  # grid of the edges' straight segments, built on first snap
    _tree: shapely.STRtree | None = None
    piece_grid: BoxGrid | None = None  # the network build's grid of the same segments, if any

    @property
    def tree(self) -> shapely.STRtree:
        """GEOS' index of the edges, for points the grid does not settle (built when first
        needed)."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return self._tree


def edge_index(net) -> EdgeIndex:
    """Arrays of ``net``'s edges and its graph; built once and kept on the network."""
    cached = getattr(net, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    geoms = np.asarray(net.edges.geometry.values, dtype=object)
    index = EdgeIndex(geoms, net.edges["u"].to_numpy(np.int64), net.edges["v"].to_numpy(np.int64),
                      net.edges["length_m"].to_numpy(np.float64), int(net.node_count),
                      net.matrix.tocsr())
    index.piece_grid = getattr(net, "piece_grid", None)
    setattr(net, _CACHE_ATTR, index)
    return index


@dataclass
class Snapped:
    """Where points meet the streets: edge (-1 when farther than the maximum), position
    along the edge from its ``u`` end, and the snap leg (NaN when not snapped)."""

    edge: np.ndarray
    pos: np.ndarray
    snap_m: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.edge >= 0


def snap_points(index: EdgeIndex, points: np.ndarray, max_snap_m: float) -> Snapped:
    """Snap each point to its nearest edge if that lies within ``max_snap_m``."""
    n = len(points)
    edge = np.full(n, -1, dtype=np.int64)
    pos = np.full(n, np.nan)
    snap = np.full(n, np.nan)
    if not (n and len(index.geoms)):
        return Snapped(edge, pos, snap)
    if index.grid is None:
        index.grid = build_segments(index.geoms, index.piece_grid)
        index.piece_grid = None
    present = ~(shapely.is_missing(points) | shapely.is_empty(points))
    todo = np.flatnonzero(present)
    if len(todo):
        e, p, d, settled = nearest(index.grid, shapely.get_coordinates(points[todo]), max_snap_m)
        close = settled & (e >= 0)
        edge[todo[close]], pos[todo[close]], snap[todo[close]] = e[close], p[close], d[close]
        todo = todo[~settled]  # far out with a huge maximum: ask GEOS
    if len(todo):
        (pi, ei), dist = index.tree.query_nearest(points[todo], max_distance=max_snap_m,
                                                  return_distance=True, all_matches=False)
        pi = todo[pi]
        edge[pi], snap[pi] = ei, dist
        pos[pi] = shapely.line_locate_point(index.geoms[ei], points[pi])
    ok = edge >= 0
    pos[ok] = np.clip(pos[ok], 0.0, index.length[edge[ok]])
    return Snapped(edge, pos, snap)


@dataclass
class Chains:
    """Community virtual nodes, sorted by (edge, position): each splits its edge."""

    edge: np.ndarray
    pos: np.ndarray
    node: np.ndarray
    key: np.ndarray  # edge + pos / (length + 1), sorted: for locating pieces

    def piece(self, index: EdgeIndex, edge: np.ndarray, pos: np.ndarray):
        """The chain piece holding each (edge, pos): left node, its position, right node,
        its position."""
        edge = np.asarray(edge, dtype=np.int64)
        pos = np.asarray(pos, dtype=np.float64)
        key = edge + pos / (index.length[edge] + 1.0)
        k = np.searchsorted(self.key, key, side="right")
        has_left = (k > 0) & (self.edge[np.maximum(k - 1, 0)] == edge) if len(self.key) else \
            np.zeros(len(edge), dtype=bool)
        has_right = (k < len(self.key)) & (self.edge[np.minimum(k, len(self.key) - 1)] == edge) \
            if len(self.key) else np.zeros(len(edge), dtype=bool)
        kl, kr = np.maximum(k - 1, 0), np.minimum(k, max(len(self.key) - 1, 0))
        left = np.where(has_left, self.node[kl] if len(self.key) else 0, index.u[edge])
        left_pos = np.where(has_left, self.pos[kl] if len(self.key) else 0.0, 0.0)
        right = np.where(has_right, self.node[kr] if len(self.key) else 0, index.v[edge])
        right_pos = np.where(has_right, self.pos[kr] if len(self.key) else 0.0, index.length[edge])
        return left, left_pos, right, right_pos


@dataclass
class RoutingGraph:
    """The street graph with community chains and facility leaves added.

    Node ids: ``0 … n_base-1`` street nodes, then one per snapped origin, then one leaf
    per snapped facility. ``base`` (streets and chains, no leaves) is what the siting
    searches run on.
    """

    index: EdgeIndex
    chains: Chains
    origin_node: np.ndarray  # per origin, -1 when not snapped
    leaf_node: np.ndarray  # per facility, -1 when not snapped
    leaf_left: np.ndarray
    leaf_right: np.ndarray
    leaf_wl: np.ndarray
    leaf_wr: np.ndarray
    matrix: csr_matrix  # everything (streets, chains, leaves)
    n_base: int  # street and chain nodes (the leaves follow)
    _base: csr_matrix | None = None

    @property
    def n_nodes(self) -> int:
        return self.matrix.shape[0]

    @property
    def base(self) -> csr_matrix:
        """Streets and chains (no leaves), same node numbering; cut from ``matrix`` when
        first asked for."""
        if self._base is None:
            n = self.n_base
            self._base = self.matrix if n == self.n_nodes else self.matrix[:n, :n].tocsr()
        return self._base


def _chains(index: EdgeIndex, snapped: Snapped) -> tuple[Chains, np.ndarray, tuple]:
    ok = np.flatnonzero(snapped.ok)
    e, p = snapped.edge[ok], snapped.pos[ok]
    order = np.lexsort((p, e))
    e, p, which = e[order], p[order], ok[order]
    node = index.n_nodes + np.arange(len(e), dtype=np.int64)
    origin_node = np.full(len(snapped.edge), -1, dtype=np.int64)
    origin_node[which] = node
    first = np.ones(len(e), dtype=bool)
    first[1:] = e[1:] != e[:-1]
    last = np.ones(len(e), dtype=bool)
    last[:-1] = e[1:] != e[:-1]
    prev_node = np.where(first, index.u[e], np.roll(node, 1))
    prev_w = np.where(first, p, p - np.roll(p, 1))
    a = np.concatenate([prev_node, node[last]])
    b = np.concatenate([node, index.v[e[last]]])
    w = np.concatenate([prev_w, index.length[e[last]] - p[last]])
    key = e + p / (index.length[e] + 1.0)
    return Chains(e, p, node, key), origin_node, (a, b, w)


def _symmetric(n: int, base: csr_matrix, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> csr_matrix:
    """``base`` (canonical, n_base × n_base) plus the undirected edges (a, b, w), each with
    at least one end a new node (≥ n_base), as an n × n matrix; parallel added edges keep
    the shortest, zero weights stay edges.

    Built straight into CSR form: a new node's id is larger than every old one, so in an
    old row the added entries all come after the old ones and the rows stay sorted."""
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    key = lo * n + hi
    order = np.argsort(key)
    if (key[order][1:] == key[order][:-1]).any():  # parallel edges: the shortest first
        order = np.lexsort((w, key))
    lo, hi, w, key = lo[order], hi[order], w[order], key[order]
    keep = np.ones(len(lo), dtype=bool)
    keep[1:] = key[1:] != key[:-1]
    keep &= lo != hi
    lo, hi, w = lo[keep], hi[keep], np.maximum(w[keep], 0.0)
    row, col, val = np.concatenate([lo, hi]), np.concatenate([hi, lo]), np.concatenate([w, w])
    order = np.argsort(row * n + col)  # no two alike
    row, col, val = row[order], col[order], val[order]
    old = np.zeros(n, dtype=np.int64)
    old[:base.shape[0]] = np.diff(base.indptr)
    added = np.bincount(row, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(old + added, out=indptr[1:])
    kind = np.int32 if max(n, indptr[-1]) < 2 ** 31 else np.int64
    # the added entries go after the old ones of their row (new rows: at the very end)
    at = base.indptr[np.minimum(row + 1, base.shape[0])]
    indices = np.insert(base.indices.astype(kind, copy=False), at, col.astype(kind))
    data = np.insert(base.data, at, val)
    return csr_matrix((data, indices, indptr.astype(kind)), shape=(n, n))


def attach(index: EdgeIndex, chains: Chains, snapped: Snapped):
    """Leaf weights for snapped facilities: (left, right, w_left, w_right), -1 / NaN where
    a facility is not snapped."""
    n = len(snapped.edge)
    left = np.full(n, -1, dtype=np.int64)
    right = np.full(n, -1, dtype=np.int64)
    wl = np.full(n, np.nan)
    wr = np.full(n, np.nan)
    ok = np.flatnonzero(snapped.ok)
    if len(ok):
        e, x, s = snapped.edge[ok], snapped.pos[ok], snapped.snap_m[ok]
        lft, lpos, rgt, rpos = chains.piece(index, e, x)
        left[ok], right[ok] = lft, rgt
        wl[ok], wr[ok] = s + (x - lpos), s + (rpos - x)
    return left, right, wl, wr


def build_graph(index: EdgeIndex, origins: Snapped, facilities: Snapped) -> RoutingGraph:
    """The routing graph with origin chains and facility leaves (see the module text)."""
    chains, origin_node, (a, b, w) = _chains(index, origins)
    n_base = index.n_nodes + len(chains.node)
    left, right, wl, wr = attach(index, chains, facilities)
    ok = np.flatnonzero(left >= 0)
    leaf_node = np.full(len(left), -1, dtype=np.int64)
    leaf_node[ok] = n_base + np.arange(len(ok), dtype=np.int64)
    n = n_base + len(ok)
    a = np.concatenate([a, leaf_node[ok], leaf_node[ok]])
    b = np.concatenate([b, left[ok], right[ok]])
    w = np.concatenate([w, wl[ok], wr[ok]])
    matrix = _symmetric(n, index.base, a, b, w) if len(a) else index.base
    return RoutingGraph(index, chains, origin_node, leaf_node, left, right, wl, wr, matrix, n_base)

