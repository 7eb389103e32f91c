"""How much work repairing a polygon will be, known before GEOS is asked to do it.

GEOS repairs a self-intersecting polygon in time that grows with the number of
places where its edges cross (some 20–45 µs each), far more than with its number
of vertices: a million-vertex ring with one bow-tie takes a fraction of a second,
a 2,000-vertex scribble with half a million crossings twenty. GEOS cannot be
interrupted, so the crossings are counted first, in bounded time (vectorised, in
batches, stopping once a budget is spent), and a polygon that would take too long
is refused with a message instead of hanging the import.

:class:`RepairBudget` holds the limits for one import: per polygon, for the whole
file, and a time backstop for files of many small invalid polygons.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import shapely

from layers.errors import ProjectError, T

PROBE_MIN_VERTICES = 200         # below this a polygon cannot hold enough crossings to matter
MAX_CROSSINGS = 250_000          # per polygon: about 5–11 s of GEOS at the rates above
MAX_FILE_CROSSINGS = 1_000_000   # for all the polygons of one file together
MAX_CANDIDATES = 10_000_000      # pairs of edges whose boxes overlap: the probe's own budget
REPAIR_SECONDS = 120.0           # backstop for the whole repair of one file
_PAIRS_PER_BATCH = 2_000_000     # edge pairs examined at a time (memory: ~100 MB at most)


@dataclass(frozen=True)
class Workload:
    """What the probe found: edges, crossings counted, and whether it stopped early."""

    edges: int
    crossings: int
    candidates: int
    exhausted: bool  # the probe's budget ran out before every pair was looked at


def _edges(geom) -> np.ndarray:
    """Every edge of every ring, as an (n, 2, 2) array of start and end points."""
    rings = shapely.get_rings(shapely.get_parts(geom))
    pieces = []
    for ring in rings:
        xy = shapely.get_coordinates(ring)
        if len(xy) > 1:
            pieces.append(np.stack([xy[:-1], xy[1:]], axis=1))
    return np.concatenate(pieces) if pieces else np.empty((0, 2, 2))


def _side(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Twice the signed area of the triangle a, b, c, per row."""
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


def _crossing(edges: np.ndarray, i: np.ndarray, j: np.ndarray) -> int:
    """How many of the edge pairs (i, j) touch or cross."""
    p1, p2, p3, p4 = edges[i, 0], edges[i, 1], edges[j, 0], edges[j, 1]
    with np.errstate(all="ignore"):
        meet = (_side(p3, p4, p1) * _side(p3, p4, p2) <= 0) & (_side(p1, p2, p3) * _side(p1, p2, p4) <= 0)
    return int(np.count_nonzero(meet))


def workload(geom, max_crossings: int = MAX_CROSSINGS,
             max_candidates: int = MAX_CANDIDATES) -> Workload:
    """Count the places where edges of ``geom`` (a polygon or multi-polygon) cross.

    Pairs of edges whose bounding boxes overlap come from an STR tree, a batch of edges
    at a time; each pair is then tested exactly with orientation signs. Neighbouring
    edges (which share a vertex) are not counted. Stops as soon as either budget is
    exceeded, so the probe itself takes at most a few seconds.

    The edges are taken in a random (fixed) order, so each batch is like the ones before
    it and its size can follow the pairs per edge seen so far: memory stays bounded
    however unevenly crowded the polygon is."""
    edges = _edges(geom)
    n = len(edges)
    if n < 2:
        return Workload(n, 0, 0, False)
    lo, hi = edges.min(axis=1), edges.max(axis=1)
    boxes = shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1])
    tree = shapely.STRtree(boxes)
    order = np.random.default_rng(0).permutation(n)
    crossings = candidates = 0
    start, batch = 0, 1
    while start < n:
        chosen = order[start:start + batch]
        position, found = tree.query(boxes[chosen])
        query = chosen[position]
        later = found > query + 1  # each pair once, and not the next edge of the ring
        candidates += int(np.count_nonzero(later))
        crossings += _crossing(edges, query[later], found[later])
        start += len(chosen)
        if crossings > max_crossings or candidates > max_candidates:
            return Workload(n, crossings, candidates, start < n)
        per_edge = max(len(found) / len(chosen), 1.0)
        batch = int(min(_PAIRS_PER_BATCH / per_edge, 2 * batch, 65_536)) or 1
    return Workload(n, crossings, candidates, False)


def _vertices(geom) -> int:
    return int(shapely.get_num_coordinates(geom))


def too_complex(row: int, where: str, vertices: int, why: T) -> ProjectError:
    return ProjectError(
        T(f"feature {row}: a polygon with {vertices:,} vertices is too complex to repair "
          f"automatically ({why.en})",
          f"第 {row} 个要素：该面有 {vertices:,} 个顶点，过于复杂，无法自动修复（{why.zh}）"),
        where,
        T("simplify or fix that polygon in the source program (e.g. QGIS: Simplify, then Fix "
          "geometries) and import again",
          "请在原软件中简化或修复该面（如 QGIS 的“简化”和“修复几何”）后重新导入"))


@dataclass
class RepairBudget:
    """The limits of one file's repair; :meth:`admit` before each GEOS repair."""

    where: str
    max_crossings: int = MAX_CROSSINGS
    max_file_crossings: int = MAX_FILE_CROSSINGS
    seconds: float = REPAIR_SECONDS
    crossings: int = 0
    started: float = field(default_factory=time.monotonic)

    def admit(self, geom, row: int, done: int, total: int) -> None:
        """Refuse (ProjectError) when repairing ``geom`` would take too long."""
        if time.monotonic() - self.started > self.seconds:
            raise ProjectError(
                T(f"repairing invalid geometries stopped after {self.seconds:.0f} s "
                  f"({done} of {total} repaired)",
                  f"无效几何修复已超过 {self.seconds:.0f} 秒而中止（已修复 {total} 个中的 {done} 个）"),
                self.where,
                T("fix the geometries in the source program (e.g. QGIS: Fix geometries) and import "
                  "again", "请在原软件中修复几何（如 QGIS 的“修复几何”）后重新导入"))
        vertices = _vertices(geom)
        if vertices < PROBE_MIN_VERTICES:
            return
        found = workload(geom, self.max_crossings)
        if found.crossings > self.max_crossings:
            raise too_complex(row, self.where, vertices, T(
                f"more than {self.max_crossings:,} places where its edges cross",
                f"边界自相交超过 {self.max_crossings:,} 处"))
        if found.exhausted:
            raise too_complex(row, self.where, vertices, T(
                "its edges overlap one another too densely to check",
                "边界线段相互重叠过密，无法检查"))
        self.crossings += found.crossings
        if self.crossings > self.max_file_crossings:
            raise too_complex(row, self.where, vertices, T(
                f"the file's polygons together cross themselves in more than "
                f"{self.max_file_crossings:,} places",
                f"文件中各面的自相交合计超过 {self.max_file_crossings:,} 处"))
