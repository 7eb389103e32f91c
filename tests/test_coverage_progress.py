"""The coverage progress bar moves with the work (issue 17: it sat at 90 % for 12 of 15 s on
the city while the service areas were drawn): each service area is a step, weighted by its
distance, and a cancel between areas stops the run."""

from __future__ import annotations

import pytest

from layers.coverage import compute_coverage
from layers.coverage.engine import CoverageCancelled
from layers.demo import build_sample_project


def test_progress_steps_through_the_service_areas():
    seen = []
    compute_coverage(build_sample_project("small", 0), areas=True,
                     progress=lambda f, text: seen.append((f, text("en"))))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0  # never goes back
    areas = [(f, t) for f, t in seen if t.startswith("service areas:")]
    assert len(areas) == 9  # 3 services × 3 levels, each announced once
    assert len({t for _, t in areas}) == 9
    assert areas[0][0] <= 0.35 and areas[-1][0] < 1.0  # most of the bar is theirs
    # the farthest first (the threads then end together): the 1,000 m areas start the run
    assert all(", 1000 m" in t for _, t in areas[:3]), [t for _, t in areas]
    # weighted by distance: as an area starts, the bar stands at the distances of the areas
    # finished (a sum of 300s, 500s and 1000s, at most three of each) over their total
    start, end = areas[0][0], 0.99
    sums = {300 * a + 500 * b + 1000 * c for a in range(4) for b in range(4) for c in range(4)}
    for f, t in areas:
        finished = (f - start) / (end - start) * 5400.0
        assert min(abs(finished - s) for s in sums) < 1e-6, (f, t, finished)


def test_cancel_between_service_areas():
    seen, asked = [], []

    def cancel() -> bool:  # yes once the second service area has been announced
        asked.append(1)
        return sum(t.startswith("service areas:") for t in seen) >= 2

    with pytest.raises(CoverageCancelled):
        compute_coverage(build_sample_project("small", 0), areas=True, cancel=cancel,
                         progress=lambda f, text: seen.append(text("en")))
    assert sum(t.startswith("service areas:") for t in seen) == 2  # stopped there
