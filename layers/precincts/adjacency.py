"""Road-aware adjacency of communities (GUI-free).

Queen or rook contiguity fails for residential compounds: they are fenced blocks
separated by streets, so hardly any two share a boundary. Here two communities
are neighbours when they touch or when the gap between them is narrower than a
tolerance (``precinct_adjacency_gap_m`` in ``parameters.csv``, 40 m by default),
and not when a barrier (river, railway, expressway) lies between them: the
shortest segment joining them crosses a barrier line or enters a barrier polygon.

The candidate pairs come from one vectorised ``STRtree.query(..., "dwithin")``;
the barrier test is one more vectorised tree query on the joining segments.

Example
-------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100),
...                                shapely.box(120, 0, 220, 100)], crs="EPSG:4546")
>>> adj = community_adjacency(g, gap_m=40)
>>> adj.edges.tolist()
[[0, 1]]
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from layers.errors import ProjectError, T

GAP_PARAMETER = "precinct_adjacency_gap_m"
DEFAULT_GAP_M = 40.0
# barrier polygons are shrunk by this much so a community merely touching a river bank
# does not count as "across" it from its neighbour on the same bank
_BARRIER_SHRINK_M = 0.5


@dataclass(frozen=True)
class Adjacency:
    """Neighbours among ``n`` communities.

    ``fids`` maps matrix positions to community fids; ``matrix`` is a symmetric
    boolean CSR matrix; ``edges`` is an (m, 2) array of positions with i < j and
    ``gaps_m`` the gap of each edge (0 where they touch). ``rule`` says how they were
    found: ``touch`` (this module) or ``walk`` (:mod:`layers.precincts.walking`, with the
    walking reach ``walk_m``, each edge's walk ``walks_m`` — NaN for a pair only the touch
    rule links — and ``no_street``, per position, no street within reach).
    """

    fids: np.ndarray
    matrix: sp.csr_matrix
    edges: np.ndarray
    gaps_m: np.ndarray
    gap_m: float
    connectors: np.ndarray  # shapely LineStrings: the shortest segment of each edge
    rule: str = "touch"
    walk_m: float | None = None
    walks_m: np.ndarray | None = None
    no_street: np.ndarray | None = None
    notes: tuple = ()  # T texts: what a reader should know (a fallback to the touch rule)

    @property
    def n(self) -> int:
        return len(self.fids)

    def position(self, fid: int) -> int:
        pos = np.searchsorted(self.fids, fid)
        if pos >= len(self.fids) or self.fids[pos] != fid:
            raise KeyError(fid)
        return int(pos)

    def neighbours(self, fid: int) -> list[int]:
        """Fids of the neighbours of community ``fid``."""
        row = self.matrix.indices[self.matrix.indptr[self.position(fid)]:
                                  self.matrix.indptr[self.position(fid) + 1]]
        return [int(f) for f in self.fids[row]]

    def are_adjacent(self, a: int, b: int) -> bool:
        return bool(self.matrix[self.position(a), self.position(b)])

    def edge_fids(self) -> np.ndarray:
        return self.fids[self.edges] if len(self.edges) else np.empty((0, 2), dtype=np.int64)

    def lines(self, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Adjacency as lines between community centroids (for drawing the graph)."""
        pts = communities.geometry.loc[self.fids].representative_point().to_numpy()
        xy = shapely.get_coordinates(pts)
        if len(self.edges):
            coords = np.stack([xy[self.edges[:, 0]], xy[self.edges[:, 1]]], axis=1)
            geoms = shapely.linestrings(coords)
        else:
            geoms = np.empty(0, dtype=object)
        ef = self.edge_fids()
        columns = {"fid_a": ef[:, 0], "fid_b": ef[:, 1], "gap_m": self.gaps_m}
        if self.walks_m is not None:
            columns["walk_m"] = self.walks_m
        return gpd.GeoDataFrame(columns, geometry=geoms, crs=communities.crs)


def default_gap_m(standards=None) -> float:
    """The gap tolerance from ``parameters.csv`` (or the project's override)."""
    if standards is None:
        return DEFAULT_GAP_M
    try:
        return float(standards.value("parameters", GAP_PARAMETER, "value"))
    except Exception:  # a standards set without the row: fall back to the default
        return DEFAULT_GAP_M


def _check_inputs(communities: gpd.GeoDataFrame, gap_m: float,
                  barriers: gpd.GeoDataFrame | gpd.GeoSeries | None) -> None:
    if communities.crs is not None and not communities.crs.is_projected:
        raise ProjectError(
            T("community adjacency needs a projected CRS (metres)", "小区相邻判定需要投影坐标系（米）"),
            f"CRS {communities.crs.to_string()}",
            T("reproject the layer, e.g. to EPSG:4546", "请将图层投影，例如 EPSG:4546"))
    if not np.isfinite(gap_m) or gap_m < 0:
        raise ProjectError(T(f"the gap tolerance must be ≥ 0 m, not {gap_m}",
                             f"间隙容差必须 ≥ 0 米，而不是 {gap_m}"), "precinct adjacency",
                           T("enter a tolerance such as 40 m", "请输入容差，例如 40 米"))
    if barriers is not None and communities.crs is not None and barriers.crs is not None \
            and not barriers.crs.equals(communities.crs):
        raise ProjectError(T("the barrier layer is in another CRS than the communities",
                             "障碍图层与小区图层坐标系不同"), "precinct adjacency",
                           T("reproject the barrier layer first", "请先投影障碍图层"))


def _barrier_geometries(barriers) -> np.ndarray:
    geoms = np.asarray(barriers.geometry if hasattr(barriers, "geometry") else barriers,
                       dtype=object)
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    polys = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    shrunk = geoms.copy()
    shrunk[polys] = shapely.buffer(geoms[polys], -_BARRIER_SHRINK_M)
    keep = ~shapely.is_empty(shrunk)
    return shrunk[keep]


def community_adjacency(communities: gpd.GeoDataFrame, gap_m: float | None = None,
                        barriers: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
                        standards=None) -> Adjacency:
    """Neighbours among ``communities`` (indexed by fid), street- and barrier-aware.

    Parameters
    ----------
    communities : GeoDataFrame of polygons in a projected CRS (metres).
    gap_m : widest street or gap still bridged; default from the standards tables.
    barriers : optional lines or polygons (river, railway, expressway) that separate.
    standards : a project's standards, for the default ``gap_m``.
    """
    gap = default_gap_m(standards) if gap_m is None else float(gap_m)
    _check_inputs(communities, gap, barriers)
    fids = np.asarray(communities.index, dtype=np.int64)
    order = np.argsort(fids, kind="stable")
    fids = fids[order]
    geoms = np.asarray(communities.geometry.to_numpy(), dtype=object)[order]
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    n = len(fids)
    tree = shapely.STRtree(np.where(valid, geoms, None))
    left, right = tree.query(np.where(valid, geoms, None), predicate="dwithin", distance=gap)
    keep = left < right
    left, right = left[keep], right[keep]
    connectors = shapely.shortest_line(geoms[left], geoms[right]) if len(left) else \
        np.empty(0, dtype=object)
    gaps = shapely.length(connectors) if len(left) else np.empty(0)
    if barriers is not None and len(left):
        bgeoms = _barrier_geometries(barriers)
        if len(bgeoms):
            btree = shapely.STRtree(bgeoms)
            hit_edge, _ = btree.query(connectors, predicate="intersects")
            blocked = np.zeros(len(left), dtype=bool)
            blocked[hit_edge] = True
            left, right, connectors, gaps = (left[~blocked], right[~blocked],
                                             connectors[~blocked], gaps[~blocked])
    edges = np.stack([left, right], axis=1).astype(np.int64) if len(left) else \
        np.empty((0, 2), dtype=np.int64)
    data = np.ones(2 * len(left), dtype=bool)
    matrix = sp.csr_matrix((data, (np.r_[left, right], np.r_[right, left])), shape=(n, n))
    return Adjacency(fids, matrix, edges, np.asarray(gaps, dtype=float), gap, connectors)


def components(adj: Adjacency, members: np.ndarray | None = None) -> np.ndarray:
    """Connected-component label of every position (restricted to ``members`` if given;
    positions outside get -1)."""
    from scipy.sparse.csgraph import connected_components

    if members is None:
        _, labels = connected_components(adj.matrix, directed=False)
        return labels
    idx = np.flatnonzero(members)
    out = np.full(adj.n, -1, dtype=np.int64)
    if len(idx):
        _, labels = connected_components(adj.matrix[idx][:, idx], directed=False)
        out[idx] = labels
    return out


def is_contiguous(adj: Adjacency, fids) -> bool:
    """True when the communities ``fids`` form one connected piece of the graph."""
    pos = np.searchsorted(adj.fids, np.asarray(list(fids), dtype=np.int64))
    if len(pos) <= 1:
        return True
    mask = np.zeros(adj.n, dtype=bool)
    mask[pos] = True
    return int(components(adj, mask)[pos].max()) == 0


def fids_series(adj: Adjacency, values: np.ndarray, name: str) -> pd.Series:
    return pd.Series(values, index=pd.Index(adj.fids, name="fid"), name=name)
