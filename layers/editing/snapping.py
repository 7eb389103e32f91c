"""Snapping: the nearest vertex or segment of the chosen layers to a cursor position.

``SnapIndex`` is built once from the layers' current geometries (rebuild it after
the data change): vertices go into a k-d tree, segments (as two-point lines) into
an STR-tree. A vertex within the tolerance always wins over a segment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from layers.layer import VectorLayer


@dataclass(frozen=True)
class SnapResult:
    """Where the cursor snaps: a vertex (``index`` = its vertex index in the feature) or a
    point on a segment (``index`` = the segment's first vertex)."""

    x: float
    y: float
    kind: str  # "vertex" | "segment"
    layer_id: str
    fid: int
    index: int
    distance: float = 0.0


def _flatten(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of all geometries with, per coordinate: the geometry's row, the vertex
    index inside its geometry, and whether the next coordinate continues the same run
    (so that the two make a segment)."""
    counts = shapely.get_num_coordinates(geoms)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    coords, row = shapely.get_coordinates(geoms, return_index=True)
    vindex = np.arange(len(coords)) - starts[row] if len(coords) else np.zeros(0, np.int64)
    parts = shapely.get_parts(geoms)
    poly = shapely.get_type_id(parts) == 3
    rings, ring_of = shapely.get_rings(parts[poly], return_index=True)
    run_part = np.concatenate([np.flatnonzero(poly)[ring_of], np.flatnonzero(~poly)])
    run_count = np.concatenate([shapely.get_num_coordinates(rings),
                                shapely.get_num_coordinates(parts[~poly])])
    run_counts = run_count[np.argsort(run_part, kind="stable")]  # runs in coordinate order
    run_counts = run_counts[run_counts > 0]
    continues = np.ones(len(coords), dtype=bool)
    if len(coords):
        continues[np.cumsum(run_counts) - 1] = False
    return coords, row, vindex.astype(np.int64), continues


class SnapIndex:
    """Vertices and segments of ``layers`` for fast snapping queries."""

    def __init__(self, layers: Iterable[VectorLayer], vertices: bool = True,
                 segments: bool = True) -> None:
        self.layer_ids: list[str] = []
        xy, lay, fid, vidx = [], [], [], []
        seg_ok = []
        for code, layer in enumerate(layers):
            self.layer_ids.append(layer.id)
            geoms = layer.gdf.geometry.to_numpy()
            if not len(geoms):
                continue
            coords, row, vindex, continues = _flatten(geoms)
            xy.append(coords)
            lay.append(np.full(len(coords), code, dtype=np.int32))
            fid.append(layer.gdf.index.to_numpy()[row])
            vidx.append(vindex)
            seg_ok.append(continues)
        self._xy = np.concatenate(xy) if xy else np.zeros((0, 2))
        self._layer = np.concatenate(lay) if lay else np.zeros(0, np.int32)
        self._fid = np.concatenate(fid).astype(np.int64) if fid else np.zeros(0, np.int64)
        self._vidx = np.concatenate(vidx) if vidx else np.zeros(0, np.int64)
        keys = (self._layer.astype(np.int64) << 40) | self._fid
        self._by_key = np.argsort(keys, kind="stable")
        self._keys = keys[self._by_key]
        self._vtree = cKDTree(self._xy) if vertices and len(self._xy) else None
        self._seg = np.flatnonzero(np.concatenate(seg_ok)) if segments and seg_ok else \
            np.zeros(0, np.int64)
        if len(self._seg):
            lines = shapely.linestrings(np.stack([self._xy[self._seg], self._xy[self._seg + 1]], 1))
            self._stree = shapely.STRtree(lines)
        else:
            self._stree = None

    def __len__(self) -> int:
        return len(self._xy)

    def _excluded(self, cands: np.ndarray, exclude: set[tuple[str, int]] | None,
                  skip: np.ndarray | None) -> np.ndarray:
        keep = np.ones(len(cands), dtype=bool)
        if exclude:
            keep &= np.array([(self.layer_ids[self._layer[c]], int(self._fid[c])) not in exclude
                              for c in cands], dtype=bool)
        if skip is not None and len(skip):
            keep &= ~np.isin(cands, skip)
        return cands[keep]

    def _skipped(self, exclude_vertices: Iterable[tuple[str, int, int]] | None) -> np.ndarray | None:
        """Positions of the excluded vertices and of every vertex of the same feature at the
        same place (the closing twin of a ring's first vertex)."""
        if not exclude_vertices:
            return None
        out = []
        for lid, fid, index in exclude_vertices:
            if lid not in self.layer_ids:
                continue
            key = (self.layer_ids.index(lid) << 40) | int(fid)
            lo, hi = np.searchsorted(self._keys, key), np.searchsorted(self._keys, key, "right")
            feature = self._by_key[lo:hi]  # positions of the feature's vertices
            hit = feature[self._vidx[feature] == index]
            for h in hit:
                out.append(feature[np.all(self._xy[feature] == self._xy[h], axis=1)])
        return np.unique(np.concatenate(out)) if out else None

    def snap(self, x: float, y: float, tolerance: float,
             exclude: set[tuple[str, int]] | None = None,
             exclude_vertices: Iterable[tuple[str, int, int]] | None = None) -> SnapResult | None:
        """The vertex, else the segment point, nearest (x, y) within ``tolerance``; None if
        nothing is that close. ``exclude`` leaves out whole features (layer_id, fid);
        ``exclude_vertices`` leaves out single vertices (layer_id, fid, index) and the
        segments that end at them (e.g. the vertex being dragged)."""
        skip = self._skipped(exclude_vertices)
        if self._vtree is not None:
            cands = np.asarray(self._vtree.query_ball_point((x, y), tolerance), dtype=np.int64)
            cands = self._excluded(np.sort(cands), exclude, skip)
            if len(cands):
                d = np.hypot(self._xy[cands, 0] - x, self._xy[cands, 1] - y)
                c = int(cands[int(np.argmin(d))])
                return SnapResult(float(self._xy[c, 0]), float(self._xy[c, 1]), "vertex",
                                  self.layer_ids[self._layer[c]], int(self._fid[c]),
                                  int(self._vidx[c]), float(d.min()))
        if self._stree is None:
            return None
        hits = self._stree.query(shapely.Point(x, y), predicate="dwithin", distance=tolerance)
        if not len(hits):
            return None
        starts = self._seg[np.sort(hits)]
        starts = self._excluded(starts, exclude, None)
        if skip is not None:
            starts = starts[~np.isin(starts, skip) & ~np.isin(starts + 1, skip)]
        if not len(starts):
            return None
        a, b = self._xy[starts], self._xy[starts + 1]
        ab = b - a
        len2 = np.einsum("ij,ij->i", ab, ab)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(len2 > 0, ((x - a[:, 0]) * ab[:, 0] + (y - a[:, 1]) * ab[:, 1]) / len2, 0)
        proj = a + np.clip(t, 0, 1)[:, None] * ab
        d = np.hypot(proj[:, 0] - x, proj[:, 1] - y)
        i = int(np.argmin(d))
        if d[i] > tolerance:
            return None
        c = int(starts[i])
        return SnapResult(float(proj[i, 0]), float(proj[i, 1]), "segment",
                          self.layer_ids[self._layer[c]], int(self._fid[c]), int(self._vidx[c]),
                          float(d[i]))
