"""How well new data lies on layers already in the project, and the shift that fits it best.

Both the web-map offset test (:mod:`.offset_evidence`) and the check for a layer
landing off its kind (:mod:`.sanity`) ask the same question: moved by a vector
``t`` (metres, project CRS), how close do the new data's outlines come to the
existing ones? Points are sampled along the new outlines (polygon boundaries,
lines, points); the distance of each to the nearest reference outline is the
residual. :func:`fit_shift` finds the translation that minimises the trimmed
residuals by point-to-line ICP (Gauss–Newton on the distances' normals).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity  # noqa: F401  (the examples)

MAX_ITERATIONS = 40
STEP_TOLERANCE_M = 0.5
TRIM_FACTOR = 3.0  # residuals beyond this many times the median are outliers


def outline_points(geoms: np.ndarray, spacing: float, limit: int) -> np.ndarray:
    """Points (N×2) along the outlines of ``geoms``: polygon boundaries and lines densified to
    ``spacing`` (in the geometries' units), points as they are; at most ``limit``, evenly taken."""
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return np.empty((0, 2))
    if len(geoms) > limit:  # many features: a spread of them is enough
        geoms = geoms[np.linspace(0, len(geoms) - 1, limit).astype(int)]
    areal = shapely.get_dimensions(geoms) == 2
    outlines = geoms.copy()
    outlines[areal] = shapely.boundary(geoms[areal])
    if spacing > 0 and shapely.get_num_coordinates(outlines).sum() < limit:
        outlines = shapely.segmentize(outlines, spacing)
    coords = shapely.get_coordinates(outlines)
    if len(coords) > limit:
        coords = coords[np.linspace(0, len(coords) - 1, limit).astype(int)]
    return coords


PIECE_VERTICES = 8  # outlines are indexed in short pieces: a nearest query then stays cheap


def _pieces(outlines: np.ndarray) -> np.ndarray:
    """Points as they are; lines cut into pieces of at most PIECE_VERTICES vertices."""
    parts = shapely.get_parts(outlines)
    points = parts[shapely.get_type_id(parts) == 0]
    lines = parts[shapely.get_type_id(parts) != 0]
    coords, index = shapely.get_coordinates(lines, return_index=True)
    if not len(coords):
        return points
    start = np.r_[0, np.flatnonzero(np.diff(index)) + 1]  # first vertex of each line
    position = np.arange(len(coords)) - np.repeat(start, np.diff(np.r_[start, len(coords)]))
    step = PIECE_VERTICES - 1
    # a piece starts every `step` vertices of a line and shares its first vertex with the last piece
    piece = np.cumsum(np.r_[0, (np.diff(index) != 0) | (position[1:] % step == 0)])
    shared = (position % step == 0) & (position > 0)
    coords = np.concatenate([coords, coords[shared]])
    piece = np.concatenate([piece, piece[shared] - 1])
    order = np.argsort(piece, kind="stable")
    coords, piece = coords[order], piece[order]
    counts = np.bincount(piece)
    ok = counts[piece] >= 2
    renumbered = np.unique(piece[ok], return_inverse=True)[1]  # consecutive, as shapely needs
    return np.concatenate([points, shapely.linestrings(coords[ok], indices=renumbered)])


@dataclass
class Reference:
    """Outlines of existing features, indexed for nearest-outline queries (project CRS)."""

    outlines: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def of(cls, geoms: np.ndarray) -> Reference | None:
        geoms = np.asarray(geoms, dtype=object)
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        if not len(geoms):
            return None
        areal = shapely.get_dimensions(geoms) == 2
        outlines = geoms.copy()
        outlines[areal] = shapely.boundary(geoms[areal])
        pieces = _pieces(outlines)
        return cls(pieces, shapely.STRtree(pieces))

    def nearest(self, pts: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
        """Distance from each point to the nearest outline (``inf`` beyond ``cap``) and the
        nearest point on it (NaN beyond ``cap``)."""
        points = shapely.points(pts)
        dist = np.full(len(pts), np.inf)
        near = np.full((len(pts), 2), np.nan)
        (src, dst), d = self.tree.query_nearest(points, max_distance=cap, return_distance=True,
                                                all_matches=False)
        if len(src):
            dist[src] = d
            lines = shapely.shortest_line(points[src], self.outlines[dst])
            near[src] = shapely.get_coordinates(lines)[1::2]
        return dist, near


@dataclass(frozen=True)
class Fit:
    """The data moved by ``shift`` against a reference: residuals (m, capped) and their median."""

    shift: np.ndarray
    residuals: np.ndarray

    @property
    def median(self) -> float:
        return float(np.median(self.residuals)) if len(self.residuals) else float("inf")

    def share_within(self, distance: float) -> float:
        return float(np.mean(self.residuals <= distance)) if len(self.residuals) else 0.0


def residuals(ref: Reference, pts: np.ndarray, shift: np.ndarray, cap: float) -> np.ndarray:
    """Distances of the shifted points to the reference, capped at ``cap``."""
    dist, _near = ref.nearest(pts + shift, cap)
    return np.minimum(dist, cap)


def _step(dist: np.ndarray, near: np.ndarray, moved: np.ndarray) -> np.ndarray | None:
    """The Gauss–Newton step that best cancels the trimmed point-to-line distances."""
    ok = np.isfinite(dist)
    if ok.sum() < 3:
        return None
    keep = ok & (dist <= max(TRIM_FACTOR * float(np.median(dist[ok])), 1e-6))
    vec = near[keep] - moved[keep]
    length = np.hypot(vec[:, 0], vec[:, 1])
    live = length > 1e-9
    if live.sum() < 3:
        return np.zeros(2)
    normals = vec[live] / length[live, None]
    lhs = normals.T @ normals
    rhs = normals.T @ length[live]
    return np.linalg.lstsq(lhs, rhs, rcond=1e-6)[0]


def fit_shift(ref: Reference, pts: np.ndarray, start: np.ndarray, cap: float) -> Fit:
    """The translation near ``start`` that lays ``pts`` best on the reference (residuals beyond
    ``cap`` do not pull).

    Examples
    --------
    >>> block = shapely.Polygon([(0, 0), (100, 0), (100, 60), (40, 60), (40, 100), (0, 100)])
    >>> ref = Reference.of(np.array([block]))
    >>> pts = outline_points(np.array([shapely.affinity.translate(block, 30, -20)]), 5.0, 1000)
    >>> fit = fit_shift(ref, pts, np.zeros(2), 200.0)
    >>> np.round(fit.shift, 3).tolist(), round(fit.median, 6)
    ([-30.0, 20.0], 0.0)
    """
    shift = np.asarray(start, dtype=float).copy()
    for _ in range(MAX_ITERATIONS):
        moved = pts + shift
        dist, near = ref.nearest(moved, cap)
        step = _step(dist, near, moved)
        if step is None:
            break
        shift = shift + step
        if float(np.hypot(*step)) < STEP_TOLERANCE_M:
            break
    return Fit(shift, residuals(ref, pts, shift, cap))


def best_fit(ref: Reference, pts: np.ndarray, starts: list[np.ndarray], cap: float) -> Fit:
    """The best of the fits from several starts (lowest median residual)."""
    fits = [fit_shift(ref, pts, s, cap) for s in starts]
    return min(fits, key=lambda f: f.median)
