"""Offline HTML export of the sample city: time and file size.

Target (issue 8): the ``city`` sample (about 165k features) in under 10 s and under 30 MB.
What keeps it small: geometry simplified to half a pixel at the deepest zoom, coordinates
as delta-coded integer micro-degrees, attribute columns with repeated strings
dictionary-coded, and a canvas renderer above 20k features.
Run: ``python -m pytest -m benchmark -s tests/benchmarks/test_bench_export.py``; the
small-scale smoke runs by default (no wall-clock assertion there).
"""

from __future__ import annotations

import time

import pytest

from layers.demo import build_sample_project
from layers.exports import export_html

TARGET_S = 10.0
TARGET_MB = 30.0


def bench_html(scale: str, path) -> dict:
    project = build_sample_project(scale)
    t0 = time.perf_counter()
    stats = export_html(project, path, lang="zh")
    stats["seconds"] = round(time.perf_counter() - t0, 2)
    stats["megabytes"] = round(stats["bytes"] / 1e6, 2)
    return stats


def test_html_export_smoke(tmp_path):
    stats = bench_html("small", tmp_path / "small.html")
    assert stats["features"] > 2000 and stats["renderer"] == "svg"
    assert stats["megabytes"] < 3


@pytest.mark.benchmark
def test_html_export_city_under_10_s_and_30_mb(tmp_path):
    stats = bench_html("city", tmp_path / "city.html")
    print(f"\ncity HTML export: {stats['features']:,} features, {stats['seconds']} s, "
          f"{stats['megabytes']} MB, renderer {stats['renderer']}, "
          f"simplify tolerance {stats['tolerance_m']} m")
    assert stats["seconds"] < TARGET_S
    assert stats["megabytes"] < TARGET_MB
