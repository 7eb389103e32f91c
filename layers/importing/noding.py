"""Noding street lines for the routing graph: snapping near-miss ends, dropping
duplicates, splitting where lines cross, dangles, and the vectorised proof that lines
are already noded (so :func:`layers.importing.network.build_network` can skip the rest).
"""

from __future__ import annotations

import numpy as np
import shapely

from layers.boxgrid import BoxGrid, build_grid, candidates, cell_pairs


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
