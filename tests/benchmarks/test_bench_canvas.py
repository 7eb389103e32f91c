"""Redrawing polygons on the map canvas, against a naive QPainter loop and (if installed) QGIS.

Targets (issue 4): a full redraw of the ``city`` sample's communities, and of 100k polygons,
to a 1600×1000 image is at least 8× faster than the naive loop in the same run, and, where
Debian's QGIS (python3-qgis) is installed, takes at most 0.4× QGIS's time for the same
GeoPackage layer.

* **Ours**: ``app.canvas.paint_layers`` from the layer's cached world-coordinate graphics
  (``app.canvas.paths.build_graphics``, built once per data or style change): a "full
  redraw" is a new view after a pan or zoom. The first draw, which builds the graphics, is
  printed apart.
* **Naive**: what a straightforward PyQt map widget does. The rings' world coordinates are
  taken out of shapely once (numpy arrays per ring) and each feature's fill brush and
  outline pen are made once; then on *every* redraw it loops over the features, skips those
  whose bounds miss the view, converts each ring to screen pixels with numpy, builds a
  ``QPolygonF`` of ``QPointF``s and calls ``drawPolygon`` (a ``QPainterPath`` with
  odd-even fill when the polygon has holes).
* **QGIS** (``qgis_render.py``, run by the system Python): the same layer written to a
  GeoPackage, a simple fill symbol of the same colours and outline width, the same views.
  Without ``/usr/bin/python3 -c "import qgis.core"`` working this part says so and the rest runs.

Both Qt renderers paint into a 1600×1000 ARGB32-premultiplied image with antialiasing on,
over the same background; labels are off (at these scales the canvas shows none). Times
are the best of several redraws over five views (the full extent, then panned by a few
pixels); medians are printed too. Run: ``python -m pytest -m benchmark -s
tests/benchmarks/test_bench_canvas.py``; a tiny smoke version runs by default.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from PyQt5.QtCore import QPointF, Qt  # noqa: E402
from PyQt5.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF, QTransform  # noqa: E402

from app.canvas.paths import build_graphics  # noqa: E402
from app.canvas.view import BACKGROUND, paint_layers  # noqa: E402
from layers.layer import VectorLayer  # noqa: E402
from styles import effective_style, resolve  # noqa: E402

WIDTH, HEIGHT = 1600, 1000
TARGET_VS_NAIVE = 8.0
TARGET_VS_QGIS = 0.4
SYSTEM_PYTHON = "/usr/bin/python3"
QGIS_SCRIPT = Path(__file__).with_name("qgis_render.py")
PANS = ((0, 0), (37, 0), (0, 23), (-37, -23), (19, -11))  # pixels
X0, Y0 = 520_000.0, 3_390_000.0


# --- the layers ------------------------------------------------------------------------
def city_communities(scale: str = "city") -> VectorLayer:
    from layers.demo import build_sample_project

    return build_sample_project(scale, 0).layers_of_kind("communities")[0]


def polygon_layer(n: int) -> VectorLayer:
    """``n`` 50 × 40 m boxes on a 60 m grid (as the import benchmark makes them)."""
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x, y = X0 + (i % side) * 60.0, Y0 + (i // side) * 60.0
    rng = np.random.default_rng(0)
    gdf = gpd.GeoDataFrame({"name": [f"小区{k}" for k in i], "population": rng.integers(50, 6000, n)},
                           geometry=shapely.box(x, y, x + 50.0, y + 40.0), crs="EPSG:4546")
    return VectorLayer(f"polygons_{n}", "communities", gdf)


def style_of(layer) -> dict:
    """The layer's style without labels (neither peer draws any)."""
    return {**effective_style(layer.kind, layer.style), "label_field": None}


def views(layer) -> list[tuple[QTransform, tuple, float]]:
    """World → pixel transforms, extents and metres per pixel: the full extent, then pans."""
    x0, y0, x1, y1 = layer.bounds()
    mpp = max((x1 - x0) / WIDTH, (y1 - y0) / HEIGHT) * 1.1
    out = []
    for dx, dy in PANS:
        cx, cy = (x0 + x1) / 2 - dx * mpp, (y0 + y1) / 2 + dy * mpp
        k = 1.0 / mpp
        world = QTransform(k, 0.0, 0.0, -k, WIDTH / 2 - cx * k, HEIGHT / 2 + cy * k)
        extent = (cx - WIDTH / 2 * mpp, cy - HEIGHT / 2 * mpp, cx + WIDTH / 2 * mpp, cy + HEIGHT / 2 * mpp)
        out.append((world, extent, mpp))
    return out


def new_image() -> QImage:
    image = QImage(WIDTH, HEIGHT, QImage.Format_ARGB32_Premultiplied)
    image.fill(BACKGROUND)
    return image


# --- ours --------------------------------------------------------------------------------
def ours(layer, repeat: int) -> dict:
    cache: dict[str, object] = {}
    resolved = resolve(style_of(layer), layer.gdf)

    def graphics_for(lyr):
        if lyr.id not in cache:
            cache[lyr.id] = build_graphics(lyr.gdf, resolved)
        return cache[lyr.id]

    font = QFont()

    def paint(painter, view) -> None:
        paint_layers(painter, [layer], view[0], view[1], view[2], graphics_for, font)

    t0 = time.perf_counter()
    _draw(paint, views(layer)[0])  # builds the graphics, then paints
    first = time.perf_counter() - t0
    return {"first_s": first, **_redraws(layer, paint, repeat), "graphics": graphics_for(layer)}


def _draw(paint, view) -> QImage:
    image = new_image()
    painter = QPainter(image)
    paint(painter, view)
    painter.end()
    return image


def _redraws(layer, paint, repeat: int) -> dict:
    """Best and median time of ``repeat`` rounds over the views, and the first view's image."""
    all_views = views(layer)
    times = []
    for _ in range(repeat):
        for view in all_views:
            t0 = time.perf_counter()
            _draw(paint, view)
            times.append(time.perf_counter() - t0)
    return {**_summary(times), "image": _draw(paint, all_views[0])}


# --- the naive loop ----------------------------------------------------------------------
def naive_prepare(layer):
    """Per feature: its rings as world-coordinate arrays, its bounds, its brush and pen."""
    resolved = resolve(style_of(layer), layer.gdf)
    features = []
    for i, geom in enumerate(layer.gdf.geometry.array):
        if geom is None or geom.is_empty:
            continue
        polygons = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
        rings = [(np.asarray(p.exterior.coords), [np.asarray(r.coords) for r in p.interiors])
                 for p in polygons]
        fill = QBrush(QColor(*(int(v) for v in resolved.fill[i])))
        pen = QPen(QColor(*(int(v) for v in resolved.stroke[i])), float(resolved.stroke_width[i]),
                   Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
        features.append((geom.bounds, rings, fill, pen))
    return features


def _polygon(ring: np.ndarray, x0: float, y1: float, k: float) -> QPolygonF:
    sx = (ring[:, 0] - x0) * k  # world → screen pixels, on every redraw
    sy = (y1 - ring[:, 1]) * k
    return QPolygonF([QPointF(x, y) for x, y in zip(sx.tolist(), sy.tolist())])


def naive_paint(painter: QPainter, features, extent, mpp: float) -> None:
    painter.setRenderHint(QPainter.Antialiasing)
    vx0, vy0, vx1, vy1 = extent
    k = 1.0 / mpp
    for (bx0, by0, bx1, by1), rings, fill, pen in features:
        if bx1 < vx0 or bx0 > vx1 or by1 < vy0 or by0 > vy1:
            continue
        painter.setBrush(fill)
        painter.setPen(pen)
        for exterior, holes in rings:
            polygon = _polygon(exterior, vx0, vy1, k)
            if not holes:
                painter.drawPolygon(polygon)
                continue
            path = QPainterPath()
            path.setFillRule(Qt.OddEvenFill)
            path.addPolygon(polygon)
            for hole in holes:
                path.addPolygon(_polygon(hole, vx0, vy1, k))
            painter.drawPath(path)


def naive(layer, repeat: int) -> dict:
    features = naive_prepare(layer)
    return _redraws(layer, lambda painter, view: naive_paint(painter, features, view[1], view[2]), repeat)


# --- QGIS ----------------------------------------------------------------------------------
def qgis_available() -> bool:
    try:
        done = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True,
                              timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def qgis(layer, tmp_path: Path, repeat: int) -> dict:
    path = tmp_path / f"{layer.name}.gpkg"
    layer.gdf.to_file(path, layer=layer.name, engine="pyogrio")
    style = style_of(layer)
    cmd = [SYSTEM_PYTHON, str(QGIS_SCRIPT), "--gpkg", str(path), "--layer", layer.name,
           "--size", str(WIDTH), str(HEIGHT), "--fill", style["fill"],
           "--fill-alpha", str(style.get("fill_alpha", 1.0)), "--stroke", style["stroke"],
           "--stroke-width", str(style.get("stroke_width", 1.0)),
           "--background", BACKGROUND.name(), "--repeat", str(repeat),
           "--save", str(tmp_path / f"{layer.name}_qgis.png")]
    for _, extent, _ in views(layer):
        cmd += ["--view", *(repr(v) for v in extent)]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    return json.loads(lines[-1])


# --- the comparison ----------------------------------------------------------------------
def _summary(times: list[float]) -> dict:
    times = sorted(times)
    return {"best_s": times[0], "median_s": times[len(times) // 2]}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def differing_share(a: QImage, b: QImage) -> float:
    """Share of pixels whose colours differ by more than 40 (of 255) in some channel."""
    def array(image: QImage) -> np.ndarray:
        image = image.convertToFormat(QImage.Format_RGB32)
        ptr = image.constBits()
        ptr.setsize(image.byteCount())
        return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.width(), 4)[..., :3]

    diff = np.abs(array(a).astype(np.int16) - array(b).astype(np.int16)).max(axis=2)
    return float((diff > 40).mean())


def bench(layer, label: str, tmp_path: Path, repeat: int = 3, with_qgis: bool = True) -> dict:
    mine = ours(layer, repeat)
    peer = naive(layer, repeat)
    result = {"features": len(layer), "first_s": mine["first_s"], "ours_s": mine["best_s"],
              "ours_median_s": mine["median_s"], "naive_s": peer["best_s"],
              "naive_median_s": peer["median_s"],
              "differing_share": differing_share(mine["image"], peer["image"])}
    result["ratio"] = result["naive_s"] / result["ours_s"]
    vertices = int(shapely.get_num_coordinates(np.asarray(layer.gdf.geometry.array)).sum())
    tag = f"[canvas {label}]"
    print(f"\n{tag} {len(layer):,} polygons, {vertices:,} vertices, {WIDTH}×{HEIGHT}: "
          f"redraw {_ms(result['ours_s'])} (median {_ms(result['ours_median_s'])}), first draw with "
          f"build_graphics {_ms(result['first_s'])}; naive loop {_ms(result['naive_s'])} (median "
          f"{_ms(result['naive_median_s'])}): {result['ratio']:.1f}× faster (target ≥ {TARGET_VS_NAIVE:g}×); "
          f"{result['differing_share']:.2%} of pixels differ between the two images")
    if not with_qgis:
        return result
    if not qgis_available():
        print(f"{tag} QGIS is not installed for {SYSTEM_PYTHON} (Debian's python3-qgis): "
              "the comparison with QGIS is not run")
        return result
    q = qgis(layer, tmp_path, repeat)
    result.update(qgis_s=q["best_s"], qgis_median_s=q["median_s"], qgis_first_s=q["first_s"],
                  vs_qgis=result["ours_s"] / q["best_s"])
    print(f"{tag} QGIS {q['qgis_version']} ({q['job']}, simplification {q['simplify_threshold_px']:g} px) "
          f"redraw {_ms(q['best_s'])} (median {_ms(q['median_s'])}, first {_ms(q['first_s'])}): ours takes "
          f"{result['vs_qgis']:.2f}× QGIS's time (target ≤ {TARGET_VS_QGIS:g}×)")
    return result


def missed_targets(result: dict) -> list[str]:
    missed = []
    if result["ratio"] < TARGET_VS_NAIVE:
        missed.append(f"{result['ratio']:.1f}× the naive loop (target ≥ {TARGET_VS_NAIVE:g}×)")
    if "vs_qgis" in result and result["vs_qgis"] > TARGET_VS_QGIS:
        missed.append(f"{result['vs_qgis']:.2f}× QGIS's time (target ≤ {TARGET_VS_QGIS:g}×)")
    return missed


def test_canvas_smoke(qapp, tmp_path):
    """Small scale, in the default run: both renderers draw the same picture."""
    for layer, label in ((city_communities("small"), "small sample"), (polygon_layer(2_000), "2k")):
        result = bench(layer, label, tmp_path, repeat=1, with_qgis=False)
        assert result["ratio"] > 0
        assert result["differing_share"] < 0.02  # same features, colours and outlines


@pytest.mark.benchmark
def test_canvas_city_communities_redraw(qapp, tmp_path):
    result = bench(city_communities(), "city communities", tmp_path, repeat=5)
    assert not missed_targets(result), missed_targets(result)


@pytest.mark.benchmark
def test_canvas_100k_polygons_redraw(qapp, tmp_path):
    result = bench(polygon_layer(100_000), "100k polygons", tmp_path, repeat=3)
    assert not missed_targets(result), missed_targets(result)
