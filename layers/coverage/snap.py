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

from layers.coverage.nearest import Pieces, build_pieces, nearest

_CACHE_ATTR = "_coverage_edge_index"


@dataclass
class EdgeIndex:
    """The edges of a street network as arrays, with a spatial index (cached per network)."""

    geoms: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    tree: shapely.STRtree
    n_nodes: int
    base: csr_matrix
    pieces: Pieces | None = None  # k-d tree over straight pieces, built on first snap


def edge_index(net) -> EdgeIndex:
    """Arrays and the STRtree of ``net``'s edges; built once and kept on the network."""
    cached = getattr(net, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    geoms = np.asarray(net.edges.geometry.values, dtype=object)
    index = EdgeIndex(geoms, net.edges["u"].to_numpy(np.int64), net.edges["v"].to_numpy(np.int64),
                      net.edges["length_m"].to_numpy(np.float64), shapely.STRtree(geoms),
                      int(net.node_count), net.matrix.tocsr())
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
    if index.pieces is None:
        index.pieces = build_pieces(index.geoms)
    present = ~(shapely.is_missing(points) | shapely.is_empty(points))
    todo = np.flatnonzero(present)
    if len(todo) and index.pieces.tree is not None:
        e, p, d, exact = nearest(index.pieces, shapely.get_coordinates(points[todo]))
        close = exact & (d <= max_snap_m)
        edge[todo[close]], pos[todo[close]], snap[todo[close]] = e[close], p[close], d[close]
        todo = todo[~exact]  # the bound did not prove these: ask GEOS
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
    per snapped facility. ``base`` (streets and chains, no leaves) is what the what-if
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
    base: csr_matrix  # streets and chains (no leaves), same node numbering

    @property
    def n_nodes(self) -> int:
        return self.matrix.shape[0]


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


def _symmetric(n: int, base: csr_matrix | None, a: np.ndarray, b: np.ndarray,
               w: np.ndarray) -> csr_matrix:
    """``base`` (n_base × n_base, may be None) plus the undirected edges (a, b, w);
    parallel added edges keep the shortest, zero weights stay edges."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((w, hi, lo))
    lo, hi, w = lo[order], hi[order], w[order]
    keep = np.ones(len(lo), dtype=bool)
    keep[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    keep &= lo != hi
    lo, hi, w = lo[keep], hi[keep], np.maximum(w[keep], 0.0)
    coo = base.tocoo()
    rows = np.concatenate([coo.row.astype(np.int64), lo, hi])
    cols = np.concatenate([coo.col.astype(np.int64), hi, lo])
    return csr_matrix((np.concatenate([coo.data, w, w]), (rows, cols)), shape=(n, n))


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
    base = _symmetric(n_base, index.base, a, b, w) if len(a) else index.base
    left, right, wl, wr = attach(index, chains, facilities)
    ok = np.flatnonzero(left >= 0)
    leaf_node = np.full(len(left), -1, dtype=np.int64)
    leaf_node[ok] = n_base + np.arange(len(ok), dtype=np.int64)
    n = n_base + len(ok)
    la = np.concatenate([leaf_node[ok], leaf_node[ok]])
    lb = np.concatenate([left[ok], right[ok]])
    lw = np.concatenate([wl[ok], wr[ok]])
    matrix = _symmetric(n, base, la, lb, lw) if len(ok) else base
    return RoutingGraph(index, chains, origin_node, leaf_node, left, right, wl, wr, matrix, base)

