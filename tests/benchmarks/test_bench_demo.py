"""Sample-city generation, save and open, against plain GeoPandas I/O of the same layers.

Target (issue: foundation): ``precinct demo --scale city`` under 60 s on this 2-core machine,
and the city opens in the app. Peer: GeoPandas ``to_file`` / ``read_file`` (pyogrio engine)
writing and reading the same layers — what a script would do without our project format.
Run: ``python -m pytest -m benchmark -s tests/benchmarks``; the small-scale smoke runs by default.
"""

from __future__ import annotations

import time

import geopandas as gpd
import pytest

from layers.demo import build_sample_project
from layers.store import open_project, save_project

DEMO_TARGET_S = 60.0


def _timed(fn, *args):
    t0 = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t0


def bench_demo(scale: str, tmp_path, with_gui: bool = True) -> dict[str, float]:
    project, t_gen = _timed(build_sample_project, scale, 0)
    path = tmp_path / f"{scale}.gpkg"
    _, t_save = _timed(save_project, project, path)
    opened, t_open = _timed(open_project, path)

    peer_path = tmp_path / f"{scale}_peer.gpkg"
    vectors = [layer for layer in project.layers if layer.layer_type == "vector"]
    t0 = time.perf_counter()
    for layer in vectors:
        layer.gdf.to_file(peer_path, layer=layer.name, engine="pyogrio")
    t_peer_save = time.perf_counter() - t0
    t0 = time.perf_counter()
    for layer in vectors:
        gpd.read_file(peer_path, layer=layer.name, engine="pyogrio")
    t_peer_open = time.perf_counter() - t0

    result = {"generate_s": t_gen, "save_s": t_save, "open_s": t_open,
              "peer_save_s": t_peer_save, "peer_open_s": t_peer_open,
              "demo_total_s": t_gen + t_save}
    if with_gui:
        result["gui_open_s"] = _gui_open(opened)
    counts = {layer.name: len(layer) for layer in vectors}
    print(f"\n[demo {scale}] counts {counts}")
    print(f"[demo {scale}] generate {t_gen:.2f} s, save {t_save:.2f} s "
          f"(peer {t_peer_save:.2f} s, ratio {t_save / t_peer_save:.2f}), open {t_open:.2f} s "
          f"(peer {t_peer_open:.2f} s, ratio {t_open / t_peer_open:.2f}); "
          f"demo total {t_gen + t_save:.2f} s vs target {DEMO_TARGET_S:.0f} s "
          f"(ratio {(t_gen + t_save) / DEMO_TARGET_S:.2f})"
          + (f"; first paint in the app {result['gui_open_s']:.2f} s" if with_gui else ""))
    return result


def _gui_open(project) -> float:
    from PyQt5.QtWidgets import QApplication

    from app.window.main import MainWindow

    app = QApplication.instance() or QApplication([])
    t0 = time.perf_counter()
    window = MainWindow(project)
    window.resize(1200, 800)
    window.show()
    image = window.grab()
    app.processEvents()
    elapsed = time.perf_counter() - t0
    assert not image.isNull()
    window.close()
    return elapsed


def test_demo_smoke(tmp_path):
    """Tiny scale, in the default run, so the benchmark cannot rot."""
    result = bench_demo("small", tmp_path)
    assert result["open_s"] > 0 and result["peer_save_s"] > 0


@pytest.mark.benchmark
def test_demo_city(tmp_path):
    result = bench_demo("city", tmp_path)
    assert result["demo_total_s"] < DEMO_TARGET_S
