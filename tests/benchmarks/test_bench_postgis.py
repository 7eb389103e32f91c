"""Opening a project from PostGIS against opening the same project from its GeoPackage.

Target (issue 20): opening the ``city`` sample from a PostGIS schema takes ≤ 2 × opening it
from the GeoPackage file (both through :func:`layers.store.open_project`, the best of three
each). Peer: the GeoPackage store in the same run. Needs the PostGIS test server
(tests/pg_server.py): without it the benchmark FAILS. Run:
``python -m pytest -m benchmark -s tests/benchmarks/test_bench_postgis.py``; the small-scale
smoke (no wall-clock assertion) runs by default.
"""

from __future__ import annotations

import time

import pytest

from layers.demo import build_sample_project
from layers.store import open_project, save_project

OPEN_RATIO_TARGET = 2.0


def _best(fn, *args, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best


def bench_open(scale: str, tmp_path, pg_location: str, repeat: int = 3) -> dict[str, float]:
    project = build_sample_project(scale, 0)
    path = tmp_path / f"{scale}.gpkg"
    save_project(project, path)
    t0 = time.perf_counter()
    save_project(project, pg_location)
    save_s = time.perf_counter() - t0
    gpkg_s = _best(open_project, path, repeat=repeat)
    pg_s = _best(open_project, pg_location, repeat=repeat)
    ratio = pg_s / gpkg_s
    print(f"\n[postgis {scale}] open from PostGIS {pg_s:.2f} s, from GeoPackage {gpkg_s:.2f} s: "
          f"ratio {ratio:.2f} (target ≤ {OPEN_RATIO_TARGET:.1f}); save to PostGIS {save_s:.2f} s")
    return {"pg_open_s": pg_s, "gpkg_open_s": gpkg_s, "ratio": ratio, "pg_save_s": save_s}


@pytest.mark.postgis
def test_postgis_open_smoke(tmp_path, pg_location):
    result = bench_open("small", tmp_path, pg_location, repeat=1)
    assert result["pg_open_s"] > 0 and result["gpkg_open_s"] > 0


@pytest.mark.benchmark
@pytest.mark.postgis
def test_bench_postgis_open_city(tmp_path, pg_location):
    result = bench_open("city", tmp_path, pg_location)
    assert result["ratio"] <= OPEN_RATIO_TARGET, result
