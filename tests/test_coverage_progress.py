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
    assert len(areas) == 9  # 3 services × 3 levels, each announced
    assert areas[0][0] <= 0.35 and areas[-1][0] < 0.9  # most of the bar is theirs
    # weighted by distance: the step after a 1,000 m area is the largest of its service
    steps = [b[0] - a[0] for a, b in zip(areas, areas[1:])]
    assert steps[2] > steps[0] and steps[2] > steps[1]
    assert "elder care, 300 m" in areas[0][1]


def test_cancel_between_service_areas():
    seen, asked = [], []

    def cancel() -> bool:  # yes once the second service area has been announced
        asked.append(1)
        return sum(t.startswith("service areas:") for t in seen) >= 2

    with pytest.raises(CoverageCancelled):
        compute_coverage(build_sample_project("small", 0), areas=True, cancel=cancel,
                         progress=lambda f, text: seen.append(text("en")))
    assert sum(t.startswith("service areas:") for t in seen) == 2  # stopped there
