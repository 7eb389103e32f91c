"""Building a layer's graphics in pieces that let the GUI thread in (issue 19.1): the parts
taken apart in batches and the style groups from 1-D ranks give what the one-call forms give."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import shapely

from app.canvas import paths


def test_parts_in_batches_are_the_parts_in_order():
    rng = np.random.default_rng(3)
    lines = [shapely.MultiLineString([[(i, 0), (i, 1)], [(i, 2), (i + rng.random(), 3)]]) if i % 3
             else shapely.LineString([(i, 0), (i + 1, 1)]) for i in range(23)]
    geoms = np.array(lines, dtype=object)
    ours = paths.parts_of(geoms, batch=4)
    reference = shapely.get_parts(geoms)
    assert len(ours) == len(reference) == sum(2 if i % 3 else 1 for i in range(23))
    assert shapely.equals_exact(ours, reference, tolerance=0).all()


def test_style_groups_from_ranks_group_as_the_row_wise_unique():
    rng = np.random.default_rng(7)
    n = 5000
    palette = rng.integers(0, 255, size=(6, 4), dtype=np.uint8)
    resolved = SimpleNamespace(
        fill=palette[rng.integers(0, 6, n)], stroke=palette[rng.integers(0, 6, n)],
        stroke_width=rng.choice([0.5, 1.0, 2.2], n), max_mpp=rng.choice([np.inf, 3.0, 12.0], n))
    rows = np.sort(rng.choice(n, 3000, replace=False))
    groups, first = paths._style_groups(resolved, rows)
    keys = np.column_stack([resolved.fill[rows].view(np.uint32).ravel(),
                            resolved.stroke[rows].view(np.uint32).ravel(),
                            np.round(resolved.stroke_width[rows] * 100),
                            np.where(np.isfinite(resolved.max_mpp[rows]), resolved.max_mpp[rows], -1)])
    _, ref_first, ref_groups = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    assert len(first) == len(ref_first) > 20
    # the same partition of the rows, and each group's row one of its own
    pairs = set(zip(groups.tolist(), ref_groups.ravel().tolist()))
    assert len(pairs) == len(first)
    assert (groups[np.searchsorted(rows, first)] == np.arange(len(first))).all()
