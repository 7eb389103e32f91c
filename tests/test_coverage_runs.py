"""merge_runs joins street pieces into the same runs as GEOS's line merger.

The reference is ``shapely.line_merge`` (GEOS's LineMerger), which the service areas used
before issue 19: every case compares the two as sets of lines, each line compared up to
its direction and, for a closed loop, its starting point — the only freedoms that leave a
widened outline unchanged.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import LineString as L

from layers.coverage.runs import merge_runs


def _canonical(line) -> tuple:
    xy = [tuple(c) for c in np.asarray(line.coords)]
    if xy[0] == xy[-1] and len(xy) > 2:  # a loop: any start, either way round
        ring = xy[:-1]
        turns = [ring[i:] + ring[:i] for i in range(len(ring))]
        turns += [list(reversed(t)) for t in turns]
        return min(tuple(t) for t in turns)
    return min(tuple(xy), tuple(reversed(xy)))


def _same_runs(lines: list) -> tuple[list, list]:
    ours = sorted(_canonical(g) for g in merge_runs(np.array(lines, dtype=object)))
    geos = sorted(_canonical(g) for g in shapely.get_parts(
        shapely.line_merge(shapely.MultiLineString(lines))))
    return ours, geos


def test_path_through_reversed_pieces_is_one_run():
    ours, geos = _same_runs([L([(0, 0), (1, 0)]), L([(2, 0), (1, 0)]), L([(2, 0), (3, 1), (4, 1)])])
    assert ours == geos == [((0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 1.0), (4.0, 1.0))]


def test_junction_ends_runs():
    star = [L([(0, 0), (1, 0)]), L([(1, 0), (1, 1)]), L([(1, 0), (2, 0)]), L([(2, 0), (3, 0)])]
    ours, geos = _same_runs(star)
    assert ours == geos and len(ours) == 3  # (2,0) has two ends: 1–2–3 is one run


def test_loops_lollipop_figure_eight_and_repeated_points():
    cases = [
        [L([(0, 0), (1, 0)]), L([(1, 0), (1, 1)]), L([(1, 1), (0, 0)])],  # triangle: one ring
        [L([(0, 0), (1, 0), (1, 1), (0, 0)])],  # one closed piece
        [L([(5, 5), (6, 5), (6, 6), (5, 5)]), L([(5, 5), (4, 4)])],  # loop on a stick
        [L([(0, 0), (1, 1), (0, 2)]), L([(0, 2), (-1, 1), (0, 0)]),  # figure eight: the
         L([(0, 0), (1, -1), (0, -2)]), L([(0, -2), (-1, -1), (0, 0)])],  # middle has 4 ends
        [L([(0, 0), (0, 0), (1, 0)]), L([(1, 0), (2, 0), (2, 0)])],  # repeated points
        [L([(0, 0), (1, 0)]), L([(10, 0), (11, 0)])],  # apart
    ]
    for lines in cases:
        ours, geos = _same_runs(lines)
        assert ours == geos, lines


def test_random_pieces_of_a_grid_street_network():
    rng = np.random.default_rng(7)
    n = 12
    lines = []
    for i in range(n):
        for j in range(n):
            if i + 1 < n:
                lines.append(L([(i, j), (i + 0.5, j + rng.uniform(-0.2, 0.2)), (i + 1, j)]))
            if j + 1 < n:
                lines.append(L([(i, j), (i, j + 1)]))
    lines = np.array(lines, dtype=object)
    for trial in range(20):
        pick = lines[rng.random(len(lines)) < rng.uniform(0.2, 0.9)]
        flip = rng.random(len(pick)) < 0.5  # pieces come in either direction
        pick = np.array([shapely.reverse(g) if f else g for g, f in zip(pick, flip)], dtype=object)
        ours, geos = _same_runs(list(pick))
        assert ours == geos, trial
        assert len(ours) < len(pick)  # something was joined


def test_no_pieces():
    assert len(merge_runs(np.empty(0, dtype=object))) == 0
