"""Siting benchmark: MCLP with k = 10 over the city's 500 parcels and 3,000 communities,
exact (HiGHS) under 30 s and greedy under 1 s; a small smoke version runs by default."""

from __future__ import annotations

import time

import numpy as np
import pytest

from layers.demo import build_sample_project
from layers.siting import project_matrix, solve_siting


def _mclp(scale: str, k: int):
    project = build_sample_project(scale, 0)
    t0 = time.perf_counter()
    m = project_matrix(project, "elder_care")
    t_matrix = time.perf_counter() - t0
    result = solve_siting(m, "mclp", k=k)
    share = {a.method: result.share_after(a) for a in (result.exact, result.greedy)}
    print(f"\n{scale}: {len(m.candidates)} candidates × {len(m.communities)} communities, "
          f"coverage sets {t_matrix:.2f} s; existing cover {result.existing / result.total:.2%}")
    print(f"  exact  k={k}: {result.exact.seconds:.3f} s, +{result.exact.added:,.0f} residents, "
          f"covered {share['exact']:.2%} (optimal {result.exact.optimal})")
    print(f"  greedy k={k}: {result.greedy.seconds:.4f} s, +{result.greedy.added:,.0f} residents, "
          f"covered {share['greedy']:.2%}; gap {result.gap:.4%}")
    return m, result


def test_smoke_mclp_small():
    m, result = _mclp("small", 3)
    assert result.exact.optimal and result.gap >= 0
    assert np.isfinite(result.exact.added)


@pytest.mark.benchmark
def test_bench_mclp_city_k10():
    m, result = _mclp("city", 10)
    assert len(m.candidates) == 500 and len(m.communities) == 3000
    assert result.exact.optimal and result.gap >= 0
    assert result.exact.seconds < 30.0
    assert result.greedy.seconds < 1.0
