"""Service-area outlines built from the faces of the reached streets, without the big union.

The outline is the union of the runs (:mod:`layers.coverage.runs`) each widened by the
corridor ``r``. Uniting ~18,000 widened runs of a 1,000 m area into one polygon with
~8,000 holes was most of the time; here the holes are made face by face instead. Let the
faces be the bounded faces of the runs (``polygonize``) and ``A`` their union. Then

- outside ``A`` only the runs on ``A``'s outline reach: a path from outside to a run inside
  crosses the outline first. Widened runs are polygons inscribed in the true round ends
  (a quarter circle in ``quad_segs`` chords), so a run inside reaches a point the outline's
  runs miss only if it comes within one chord's depth (``r·(1 − cos(π/4q))``) of the outline;
  those runs are widened with the outline's;
- inside a face ``F`` the part no run reaches is ``F`` shrunk by ``r`` less the widened
  lines lying inside ``F`` (dead ends, access legs, islands without a face of their own).

The area is ``A`` united with the widened outline runs, with those holes punched in as
interior rings. The shrunk face is GEOS's negative buffer of the face; it equals the face
less its widened edge runs where a run bends (the same offset builder makes both), but not
at every corner where runs end (a junction), which are found and redone in a window around
them as the face less the widened runs there: a corner turning away from the face (the
runs' two round ends are not the shrunk face's one arc: up to 2.6 m² per corner), a corner
bent so little that the buffer builder's input simplification may drop it in a ring but
not at a line's end, and a sharp corner whose offset edges meet right at a neighbouring
vertex (the offset builder snaps nearly-meeting ends there, the union intersects them:
~2 mm slivers, 0.014 m² over a 1,000 m area of ``city``).

The streets must be noded where their faces' edges meet; when they are not (a bridge over
a street, say), or the faces come out otherwise than expected, :func:`area_from_faces`
answers ``None`` and the caller unites. It does so as well where most runs lie on the
outline (the 300 m and 500 m areas), as the union of those is most of the cost anyway.
"""

from __future__ import annotations

import numpy as np
import shapely

_ON = 1e-6  # m: a point this close to a face edge is on it (coordinates are exact copies)
#: cutting a face by one widened line at a time for this many lines, then by the union of
#: the rest (a face with hundreds of dead ends inside is rare and slow one at a time)
_ROUNDS = 16
#: GEOS simplifies a buffer's input by up to 1 % of the distance (BufferParameters'
#: simplify factor); twice that is taken as "may have been simplified"
_SHALLOW = 0.02
_NEAR = 0.01  # × r: "at a neighbouring vertex" with this margin (10× the snap distance)
#: × r: a window around an odd corner and its two neighbours reaches this far beyond them;
#: the widened runs there differ from the shrunk face only within r of those three points
_WINDOW = 1.1
#: above this share of the runs on the outline (or, checked first, of the runs bounding no
#: face) the plain union is used: on ``city`` the 1,000 m areas have 10-30 % on the outline
#: and gain ~1.5×, the 300 m and 500 m ones 88-100 % and lost up to 35 % (measured with
#: tests/benchmarks/test_bench_coverage.py, December 2026)
_OUTLINE_SHARE = 0.5
_STRAIGHT = 1e-9  # m: a corner standing off its neighbours' line by less is straight


def _rows(a: np.ndarray) -> np.ndarray:
    """Rows of a float array as one 64-bit key each: equal rows, equal keys (the bits
    mixed, so different rows collide with a chance of about 2⁻⁶⁴ per pair)."""
    bits = np.ascontiguousarray(np.asarray(a, dtype=np.float64) + 0.0).view(np.uint64)
    h = np.full(len(bits), 0x9E3779B97F4A7C15, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(bits.shape[1]):
            h = (h ^ bits[:, j]) * np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(31)
    return h.view(np.int64)


def _unordered(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Segment keys regardless of direction."""
    swap = (p[:, 0] > q[:, 0]) | ((p[:, 0] == q[:, 0]) & (p[:, 1] > q[:, 1]))
    a = np.where(swap[:, None], q, p)
    b = np.where(swap[:, None], p, q)
    return _rows(np.hstack([a, b]))


def _count_in(keys: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """How many times each key occurs in ``pool``."""
    pool = np.sort(pool)
    return np.searchsorted(pool, keys, side="right") - np.searchsorted(pool, keys, side="left")


def _split_loops(lines: np.ndarray) -> np.ndarray:
    """Closed lines cut in two, so that a noding check sees their ends as ends."""
    closed = np.flatnonzero(shapely.is_closed(lines))
    if not len(closed):
        return lines
    halves = []
    for coords in (shapely.get_coordinates(g) for g in lines[closed]):
        m = len(coords) // 2  # a closed line has at least 4 points
        halves += [coords[:m + 1], coords[m:]]
    return np.concatenate([np.delete(lines, closed), shapely.linestrings(halves)])


def _odd_junction_faces(faces: np.ndarray, junctions: np.ndarray, r: float):
    """Corners at a run's end (``junctions``: row keys) turning away from their face,
    or bent by less than ``_SHALLOW * r`` (a corner the buffer builder may smooth away in a
    ring but keeps at a line's end), or sharp with a short side (see below): the face of
    each and the bounds of a window around it and its neighbours, ``_WINDOW × r`` wider."""
    rings, owner = shapely.get_rings(faces, return_index=True)
    exterior = np.r_[True, owner[1:] != owner[:-1]]
    xy, ri = shapely.get_coordinates(rings, return_index=True)
    last = np.r_[ri[1:] != ri[:-1], True]  # the closing point repeats the first
    xy, ri = xy[~last], ri[~last]
    start = np.searchsorted(ri, np.arange(len(rings)))
    count = np.bincount(ri, minlength=len(rings))
    pos = np.arange(len(xy)) - start[ri]
    prev = xy[start[ri] + (pos - 1) % count[ri]]
    nxt = xy[start[ri] + (pos + 1) % count[ri]]
    cross = (xy[:, 0] - prev[:, 0]) * (nxt[:, 1] - xy[:, 1]) - (xy[:, 1] - prev[:, 1]) * (nxt[:, 0] - xy[:, 0])
    # shoelace per ring: the face lies left of a counter-clockwise outer ring, right of an inner one
    twice = np.add.reduceat(prev[:, 0] * xy[:, 1] - xy[:, 0] * prev[:, 1], start)
    left = (twice > 0) == exterior
    reflex = np.where(left[ri], cross < 0, cross > 0)
    # how far the corner stands off the line joining its neighbours
    dev = np.abs(cross) / np.maximum(np.hypot(*(nxt - prev).T), 1e-300)
    # a sharp corner whose offset edges meet at a neighbouring vertex: there the
    # offset curve builder snaps nearly-meeting offset ends (GEOS: within 0.001 × the
    # distance) where the union of the runs' outlines intersects them exactly
    la, lb = np.hypot(*(prev - xy).T), np.hypot(*(nxt - xy).T)
    dot = (prev[:, 0] - xy[:, 0]) * (nxt[:, 0] - xy[:, 0]) + (prev[:, 1] - xy[:, 1]) * (nxt[:, 1] - xy[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = r * (la * lb + dot) / np.abs(cross)  # r·cot(half the corner angle)
    far = ~reflex & ((np.abs(reach - la) < _NEAR * r) | (np.abs(reach - lb) < _NEAR * r))
    odd = (dev > _STRAIGHT) & (reflex | (dev < _SHALLOW * r) | far)
    at_end = np.isin(_rows(xy), junctions)
    at = np.flatnonzero(odd & at_end)
    pts = np.stack([prev[at], xy[at], nxt[at]], axis=1)
    return owner[ri[at]], np.hstack([pts.min(axis=1) - _WINDOW * r, pts.max(axis=1) + _WINDOW * r])


def _cut(polys: np.ndarray, group: np.ndarray, cutters: np.ndarray, union) -> np.ndarray:
    """``polys[g]`` less every ``cutters[k]`` with ``group[k] == g``: one at a time (all
    polygons at once) while few, the union of the rest at once (one polygon at a time)."""
    polys = polys.copy()
    if not len(group):
        return polys
    order = np.argsort(group, kind="stable")
    group, cutters = group[order], cutters[order]
    first = np.searchsorted(group, group)
    rank = np.arange(len(group)) - first
    for k in range(min(int(rank.max()) + 1, _ROUNDS)):
        sel = rank == k
        polys[group[sel]] = shapely.difference(polys[group[sel]], cutters[sel])
    many = rank >= _ROUNDS
    for g in np.unique(group[many]).tolist():
        polys[g] = shapely.difference(polys[g], union(cutters[many & (group == g)]))
    return polys


def _assemble(outer, holes: np.ndarray):
    """``outer`` with the hole polygons punched in as interior rings (each hole lies inside
    ``outer`` and away from its edges); a hole's own inner rings are reached land again."""
    holes = holes[~shapely.is_empty(holes)]
    if not len(holes):
        return outer
    containers = shapely.get_parts(outer)
    inner = shapely.get_num_interior_rings(holes) > 0
    if inner.any():
        rings, owner = shapely.get_rings(holes[inner], return_index=True)
        islands = rings[np.r_[False, owner[1:] == owner[:-1]]]
        containers = np.concatenate([containers, shapely.polygons(islands)])
    points = shapely.point_on_surface(holes)
    ci, hi = shapely.STRtree(points).query(containers, predicate="contains")
    area = shapely.area(containers)
    order = np.lexsort((area[ci], hi))  # the smallest container holding a hole holds it
    ci, hi = ci[order], hi[order]
    first = np.r_[True, hi[1:] != hi[:-1]] if len(hi) else np.zeros(0, dtype=bool)
    if first.sum() != len(holes):
        return None
    rings, ring_of = shapely.get_rings(containers, return_index=True)
    is_shell = np.r_[True, ring_of[1:] != ring_of[:-1]]
    allr = np.concatenate([rings, shapely.get_exterior_ring(holes[hi[first]])])
    idx = np.concatenate([ring_of, ci[first]])
    shell = np.concatenate([is_shell, np.zeros(first.sum(), dtype=bool)])
    order = np.lexsort((~shell, idx))
    polys = shapely.polygons(allr[order], indices=idx[order])
    return polys[0] if len(polys) == 1 else shapely.multipolygons(polys)


def area_from_faces(runs: np.ndarray, r: float, quad_segs: int, union,
                    outline_share: float = _OUTLINE_SHARE):
    """The union of ``buffer(runs, r, quad_segs)`` built face by face (see the module text),
    or ``None`` where the runs are not noded as this needs, or more than ``outline_share``
    of them lie on the outline (then uniting them all is as fast). ``union`` unites an
    array of polygons."""
    polys, cuts, dangles, invalid = shapely.polygonize_full(runs)
    faces = shapely.get_parts(polys)
    if not len(faces) or not shapely.is_empty(invalid):
        return None
    xy, gi = shapely.get_coordinates(runs, return_index=True)
    first = np.searchsorted(gi, np.arange(len(runs)))
    lastp = np.r_[first[1:], len(xy)] - 1
    run_key = _unordered(xy[first], xy[first + 1])
    loose = np.concatenate([shapely.get_parts(cuts), shapely.get_parts(dangles)])
    if len(loose):
        lxy, lgi = shapely.get_coordinates(loose, return_index=True)
        lf = np.searchsorted(lgi, np.arange(len(loose)))
        nonface = _count_in(run_key, _unordered(lxy[lf], lxy[lf + 1])) > 0
    else:
        nonface = np.zeros(len(runs), dtype=bool)
    if nonface.mean() > outline_share:
        return None
    fe = np.flatnonzero(~nonface)
    if not shapely.is_simple(shapely.multilinestrings(_split_loops(runs[fe]))):
        return None  # face edges cross or touch without a node: the faces are not the faces
    # how many faces each face-edge run bounds: 1 on A's outline, 2 inside
    rings = shapely.get_rings(faces)
    fxy, fri = shapely.get_coordinates(rings, return_index=True)
    seg = np.flatnonzero(fri[1:] == fri[:-1])
    count = _count_in(run_key[fe], _unordered(fxy[seg], fxy[seg + 1]))
    if not np.isin(count, (1, 2)).all():
        return None
    if nonface.sum() + (count == 1).sum() > outline_share * len(runs):
        return None  # at most that many on the outline, known before the costlier steps
    area_a = shapely.coverage_union_all(faces)
    nf = np.flatnonzero(nonface)
    shapely.prepare(area_a)
    inside = shapely.covered_by(runs[nf], area_a) if len(nf) else np.zeros(0, dtype=bool)
    outline = fe[count == 1]
    out = np.concatenate([outline, nf[~inside]])
    rest = np.setdiff1d(np.arange(len(runs)), out)
    depth = r * (1.0 - np.cos(np.pi / (4 * quad_segs))) + _ON
    near = shapely.STRtree(runs[outline]).query(runs[rest], predicate="dwithin", distance=depth)[0]
    out = np.concatenate([out, rest[np.unique(near)]])
    if len(out) > outline_share * len(runs):
        return None  # mostly outline: uniting everything costs about the same, and less
    outer = union(np.concatenate([shapely.get_parts(area_a),
                                  shapely.buffer(runs[out], r, quad_segs=quad_segs)]))
    # the holes: faces wide enough for a point farther than r - depth from their edges
    x0, y0, x1, y1 = shapely.bounds(faces).T
    wide = np.flatnonzero(np.minimum(x1 - x0, y1 - y0) > 2 * (r - depth))
    junctions = _rows(np.concatenate([xy[first], xy[lastp]]))
    holes = np.empty(len(faces), dtype=object)
    holes[wide] = shapely.buffer(faces[wide], -r, quad_segs=quad_segs)
    odd_face, window = _odd_junction_faces(faces[wide], junctions, r)
    if len(odd_face):
        # around odd junction corners: the face less the widened runs in windows there
        boxes = shapely.box(*window.T)
        order = np.argsort(odd_face, kind="stable")
        odd_face, boxes = odd_face[order], boxes[order]
        rank = np.arange(len(order)) - np.searchsorted(odd_face, odd_face)
        odd, at = np.unique(odd_face, return_inverse=True)
        windows = boxes[rank == 0]
        for k in range(1, int(rank.max()) + 1):  # the windows of each face united
            w = rank == k
            windows[at[w]] = shapely.union(windows[at[w]], boxes[w])
        odd = wide[odd]
        wi, rj = shapely.STRtree(runs).query(windows, predicate="intersects")
        exact = _cut(shapely.intersection(faces[odd], windows), wi,
                     shapely.buffer(runs[rj], r, quad_segs=quad_segs), union)
        holes[odd] = shapely.union(shapely.difference(holes[odd], windows), exact)
    # less the widened lines inside it
    holes = holes[wide]
    where = np.full(len(faces), -1)
    where[wide] = np.arange(len(wide))
    if len(nf):
        li, fi = shapely.STRtree(faces).query(runs[nf], predicate="intersects")
        keep = (where[fi] >= 0) & shapely.relate_pattern(runs[nf][li], faces[fi], "T********")
        li, fi = li[keep], fi[keep]
        if len(li):
            holes = _cut(holes, where[fi], shapely.buffer(runs[nf][li], r, quad_segs=quad_segs),
                         union)
    return _assemble(outer, shapely.get_parts(holes))
