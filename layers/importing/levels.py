"""Bridges, tunnels and layers: street lines at different vertical levels.

A footbridge over a road crosses it without meeting it. Each street line may carry
a vertical level (the field ``z_level``: OSM's ``layer`` tag, else +1 on a bridge and
-1 in a tunnel, else 0). Where the lines do not all share one level, the network is
noded level by level (snapping, duplicates and crossings only among lines of the
same level), and lines of different levels are joined only where they really meet:

* at a point that is a vertex of both (an OSM node two ways share), or
* where a line ends on a line of another level, within a millimetre (a bridge landing
  on the street it comes down to).

A crossing of two levels without a shared point is never a junction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from layers.importing.noding import _drop_duplicates, _ends, _node, _nodes, _snap_ends

LEVEL_FIELD = "z_level"
#: a line end this close to a line of another level lands on it (metres)
MEET_M = 1e-3


def part_levels(lines: pd.DataFrame, which: np.ndarray) -> np.ndarray | None:
    """The level of each line part (``which``: the line of each part), or None when the
    lines carry no level or all share one (then nothing differs from plain noding)."""
    if LEVEL_FIELD not in lines.columns or not len(which):
        return None
    level = pd.to_numeric(lines[LEVEL_FIELD], errors="coerce").fillna(0).to_numpy(dtype=float)
    level = level.astype(np.int64)[which]
    return level if (level != level[0]).any() else None


def node_by_level(parts: np.ndarray, level: np.ndarray,
                  tolerance: float) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Noded segments and each one's level, with the duplicates dropped and ends snapped
    (see the module text for what joins two levels)."""
    segments, seg_level = [], []
    duplicates = snapped = 0
    for value in np.unique(level):
        group, _first, dropped = _drop_duplicates(parts[level == value])
        group, moved = _snap_ends(group, tolerance)
        pieces = _node(group)
        segments.append(pieces)
        seg_level.append(np.full(len(pieces), value, dtype=np.int64))
        duplicates, snapped = duplicates + dropped, snapped + moved
    segments_all, levels_all = np.concatenate(segments), np.concatenate(seg_level)
    segments_all, levels_all = join_levels(segments_all, levels_all)
    return segments_all, levels_all, duplicates, snapped


def join_levels(segments: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split segments where a line of another level meets them (a shared vertex, or a line
    end lying on them), so that the graph, built from segment ends, joins them there."""
    coords, first, last = _ends(segments)
    count = last - first + 1
    owner = np.repeat(np.arange(len(segments)), count)
    _xy, vid = _nodes(coords)
    low = np.full(int(vid.max()) + 1, np.iinfo(np.int64).max)
    high = np.full(int(vid.max()) + 1, np.iinfo(np.int64).min)
    np.minimum.at(low, vid, level[owner])
    np.maximum.at(high, vid, level[owner])
    interior = np.ones(len(coords), dtype=bool)
    interior[first] = interior[last] = False
    cuts: dict[int, list[tuple[float, np.ndarray]]] = {}
    shared = np.flatnonzero(interior & (low[vid] != high[vid]))
    for k in shared:  # a vertex of this segment that a segment of another level shares
        cuts.setdefault(int(owner[k]), []).append((_along(coords, first[owner[k]], k), coords[k]))
    coords = coords.copy()
    _ends_landing(segments, level, coords, first, last, cuts)
    if not cuts:
        return _with_moved_ends(segments, coords, first, last), level
    out, out_level = [], []
    for s in range(len(segments)):
        xy = coords[first[s]:last[s] + 1]
        pieces = _cut(xy, sorted(cuts[s], key=lambda c: c[0])) if s in cuts else [xy]
        out += [shapely.linestrings(p) for p in pieces]
        out_level += [level[s]] * len(pieces)
    return np.array(out, dtype=object), np.array(out_level, dtype=np.int64)


def _along(coords: np.ndarray, start: int, k: int) -> float:
    """The distance along a segment (coordinates from ``start``) to its vertex ``k``."""
    steps = np.diff(coords[start:k + 1], axis=0)
    return float(np.hypot(steps[:, 0], steps[:, 1]).sum())


def _ends_landing(segments: np.ndarray, level: np.ndarray, coords: np.ndarray, first: np.ndarray,
                  last: np.ndarray, cuts: dict[int, list[tuple[float, np.ndarray]]]) -> None:
    """Line ends lying on a segment of another level (within MEET_M): the segment is cut
    there and the end moved onto the cut (or onto the segment's end when that is where
    it lies)."""
    ends = np.concatenate([first, last])
    end_seg = np.concatenate([np.arange(len(segments))] * 2)
    points = shapely.points(coords[ends])
    pi, si = shapely.STRtree(segments).query(points, predicate="dwithin", distance=MEET_M)
    other = level[end_seg[pi]] != level[si]
    for p, s in zip(pi[other], si[other]):
        length = float(shapely.length(segments[s]))
        d = float(shapely.line_locate_point(segments[s], points[p]))
        if d <= MEET_M or d >= length - MEET_M:  # on that segment's end: meet it exactly
            target = shapely.get_coordinates(segments[s])[0 if d <= MEET_M else -1]
        else:
            target = shapely.get_coordinates(shapely.line_interpolate_point(segments[s], d))[0]
            cuts.setdefault(int(s), []).append((d, target))
        coords[ends[p]] = target


def _with_moved_ends(segments: np.ndarray, coords: np.ndarray, first: np.ndarray,
                     last: np.ndarray) -> np.ndarray:
    old = shapely.get_coordinates(segments)
    if np.array_equal(old, coords):
        return segments
    return np.array([shapely.linestrings(coords[a:b + 1]) for a, b in zip(first, last)], dtype=object)


def _cut(xy: np.ndarray, cuts: list[tuple[float, np.ndarray]]) -> list[np.ndarray]:
    """A line (coordinates ``xy``) cut at distances along it (each with its point)."""
    steps = np.diff(xy, axis=0)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(steps[:, 0], steps[:, 1]))])
    total = cum[-1]
    pieces, current, i = [], [xy[0]], 1
    for d, point in cuts:
        if d <= 0.0 or d >= total:
            continue
        while i < len(xy) and cum[i] < d - 1e-9:
            current.append(xy[i])
            i += 1
        if i < len(xy) and abs(cum[i] - d) <= 1e-9:
            i += 1  # the cut is this vertex
        current.append(point)
        pieces.append(np.array(current))
        current = [point]
    current += list(xy[i:])
    pieces.append(np.array(current))
    return [p for p in pieces if len(p) >= 2 and np.hypot(*np.diff(p, axis=0).T).sum() > 0]
