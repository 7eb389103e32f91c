"""Cross-utility pairs within clearance, with their parallel lengths, on the sample city.

Target (issue 7): 6 utilities × 10k pipes (the ``city`` sample) in at most 0.5 s. Peer: the
naive way — a Python loop over every pair with shapely's scalar ``distance`` and, for the
pairs within reach, buffer + intersection — timed on a random subset and extrapolated to
all pairs. Run: ``python -m pytest -m benchmark -s tests/benchmarks/test_bench_conflicts.py``;
the small-scale smoke runs by default (no wall-clock assertion there).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from layers.pipelines import max_confirmed_clearance, parallel_runs
from layers.sample import generate_city

TARGET_S = 0.5


def _pipes(scale: str):
    city = generate_city(scale, 0)
    return next(gdf for name, kind, gdf in city.layers if kind == "pipelines")


def _naive_length(a, b, tol: float) -> float:
    return min(a.intersection(b.buffer(tol, cap_style="flat")).length,
               b.intersection(a.buffer(tol, cap_style="flat")).length)


def bench_conflicts(scale: str, n_random: int = 20_000, n_near: int = 2_000) -> dict[str, float]:
    pipes = _pipes(scale)
    reach = max(max_confirmed_clearance(), 2.0)
    parallel_runs(pipes, reach, -1.0)  # warm-up (imports, allocators)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        pairs = parallel_runs(pipes, reach, -1.0)  # min_length < 0: every pair within reach
        times.append(time.perf_counter() - t0)
    ours = min(times)

    geoms = list(pipes.geometry)
    util = pipes["utility"].to_numpy()
    n = len(geoms)
    rng = np.random.default_rng(0)
    i = rng.integers(0, n, n_random)
    j = rng.integers(0, n, n_random)
    keep = (i != j) & (util[i] != util[j])
    i, j = i[keep], j[keep]
    t0 = time.perf_counter()
    for a, b in zip(i, j, strict=True):  # the naive loop's test of every pair
        if geoms[a].distance(geoms[b]) <= reach:
            _naive_length(geoms[a], geoms[b], reach)
    per_pair = (time.perf_counter() - t0) / len(i)

    sample = pairs.sample(min(n_near, len(pairs)), random_state=0)
    fid_pos = {f: k for k, f in enumerate(pipes.index)}
    t0 = time.perf_counter()
    naive = [_naive_length(geoms[fid_pos[a]], geoms[fid_pos[b]], reach)
             for a, b in zip(sample["fid_a"], sample["fid_b"], strict=True)]
    per_near = (time.perf_counter() - t0) / max(len(sample), 1)
    untied = np.abs(sample["distance_m"].to_numpy() - reach) > 1e-6  # exactly at reach: a tie
    np.testing.assert_allclose(sample["length_m"].to_numpy()[untied], np.array(naive)[untied],
                               atol=1e-6)

    same = sum(int(c) * (int(c) - 1) // 2 for c in pipes["utility"].value_counts())
    all_pairs = n * (n - 1) // 2 - same
    naive_total = per_pair * all_pairs + per_near * len(pairs)
    result = {"ours_s": ours, "naive_s": naive_total, "pairs": len(pairs),
              "parallel_pairs": int((pairs["length_m"] > 0).sum()), "ratio": naive_total / ours}
    print(f"\n[conflicts {scale}] {n} pipes, {len(pairs)} cross-utility pairs within {reach:g} m "
          f"({result['parallel_pairs']} sharing a stretch) in {ours:.3f} s (best of 3; target "
          f"{TARGET_S} s); naive pairwise loop over {all_pairs:,} pairs ≈ {naive_total:,.1f} s "
          f"(extrapolated from {len(i):,} random and {len(sample):,} near pairs); "
          f"ratio naive/ours {result['ratio']:,.0f}×")
    return result


def test_conflict_pairs_smoke():
    """Tiny scale, in the default run, so the benchmark cannot rot."""
    result = bench_conflicts("small", n_random=2_000, n_near=200)
    assert result["pairs"] > 0 and result["ratio"] > 1


@pytest.mark.benchmark
def test_conflict_pairs_city():
    result = bench_conflicts("city")
    assert result["ours_s"] <= TARGET_S
