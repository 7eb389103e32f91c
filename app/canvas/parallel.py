"""A whole redraw on two threads: the lower layers on one, the upper on the other, composited.

QGIS's parallel renderer draws every layer into an image of its own and composites them; on the
two cores a planner's laptop (and this project's machine) has, two images are enough: the
layers are split where the time they took at about this scale last time falls in halves, the
lower half is drawn onto the map background on the render job's thread and the upper half onto
a transparent image on a second thread, which is then drawn over it. Both threads spend their
time inside Qt with Python's lock released (:mod:`app.canvas.gil_free`), so they run at once.
Drawing over a transparent image and compositing it gives the same picture as drawing in place,
up to rounding (a level or two of 255 where translucent fills overlap).

A layer's time is measured each time it is drawn (per layer, by scale band: a factor of √2).
A redraw whose layers took under :data:`SPLIT_FROM_S` together, a view no layer of which was
timed yet, or a Qt whose drawing holds the lock is drawn on one thread.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PyQt5.QtGui import QImage, QPainter

from app.canvas.gil_free import draw_image_at_origin, releases_gil
from app.canvas.lod import band_of
from app.canvas.paint import paint_layers
from app.canvas.paths import LayerGraphics

#: below this (seconds, last time at about this scale) a redraw stays on one thread: a second
#: image and its compositing cost ~3 ms at 1600 × 1000
SPLIT_FROM_S = 0.04
#: a layer taking more than this share of the redraw is shared by the two threads (its outline
#: or line chunks halved, in order): the city's service areas were 140 of ~330 ms
HEAVY_SHARE = 0.35
_COSTS: dict[str, dict[int, float]] = {}  # layer id → {scale band: seconds}
_EXTRA: ThreadPoolExecutor | None = None


def _cost(layer_id: str, band: int) -> float | None:
    seen = _COSTS.get(layer_id)
    if not seen:
        return None
    nearest = min(seen, key=lambda b: abs(b - band))
    return seen[nearest]


def _paint(image: QImage, layers, world, extent, mpp: float, font, stop, band: int) -> None:
    painter = QPainter(image)
    for layer in layers:
        if stop is not None and stop():
            break
        t0 = time.perf_counter()
        paint_layers(painter, [layer], world, extent, mpp, _own_graphics, font, stop=stop, labels=False)
        if layer.id is not None and (stop is None or not stop()):
            _COSTS.setdefault(layer.id, {})[band] = time.perf_counter() - t0
    painter.end()


def _own_graphics(layer):
    return layer.graphics


def split_at(costs: list[float]) -> int:
    """The index that splits ``costs`` into a lower and an upper part of most equal sums."""
    total, below, best, at = sum(costs), 0.0, math.inf, 1
    for i in range(1, len(costs)):
        below += costs[i - 1]
        worse = max(below, total - below)
        if worse < best:
            best, at = worse, i
    return at


def _part(layer, graphics):
    """Part of a layer's drawing: a copy of its snapshot with some of its chunks, in the
    layer's own order, so that two threads can share one heavy layer (id None: not timed)."""
    part = copy.copy(layer)
    part.id, part.graphics = None, graphics
    return part


def halves(layer) -> list:
    """A vector layer as two parts of about equal drawing (fills and the first half of its
    longest list of outline or line chunks; the rest), or the layer itself."""
    g = layer.graphics
    if not isinstance(g, LayerGraphics):
        return [layer]
    name = "outlines" if len(g.outlines) >= len(g.lines) else "lines"
    chunks = getattr(g, name)
    if len(chunks) < 2:
        return [layer]
    h = len(chunks) // 2
    none = {"polygons": [], "polygon_bounds": np.empty((0, 4)), "outlines": [], "lines": [],
            "points": [], "label_xy": None, "lod": {}}
    if name == "outlines":  # fills and the first outlines | the other outlines, lines, points
        # (and so for each scale band's outlines with fewer points: app.canvas.lod)
        lods = list(g.lod.items())
        lower = {**none, "polygons": g.polygons, "polygon_bounds": g.polygon_bounds, "outlines": chunks[:h],
                 "lod": {b: c[:len(c) // 2] for b, c in lods}}
        upper = {**none, "outlines": chunks[h:], "lines": g.lines, "points": g.points,
                 "lod": {b: c[len(c) // 2:] for b, c in lods}}
    else:  # fills, outlines and the first lines | the other lines, points
        lower = {**none, "polygons": g.polygons, "polygon_bounds": g.polygon_bounds,
                 "outlines": g.outlines, "lod": g.lod, "lines": chunks[:h]}
        upper = {**none, "lines": chunks[h:], "points": g.points}
    return [_part(layer, dataclasses.replace(g, **lower)), _part(layer, dataclasses.replace(g, **upper))]


def paint_whole(base: QImage, layers, world, extent, mpp: float, font, stop=None) -> bool:
    """Draw ``layers`` over ``base`` (the background already filled); True if two threads did."""
    global _EXTRA
    band = band_of(mpp)
    costs = [_cost(layer.id, band) for layer in layers]
    if len(layers) < 1 or None in costs or sum(costs) < SPLIT_FROM_S or not releases_gil():
        _paint(base, layers, world, extent, mpp, font, stop, band)
        return False
    heavy = max(range(len(costs)), key=costs.__getitem__)
    if costs[heavy] > HEAVY_SHARE * sum(costs):  # one layer would keep one thread waiting
        parts = halves(layers[heavy])
        if len(parts) == 2:
            layers = [*layers[:heavy], *parts, *layers[heavy + 1:]]
            costs = [*costs[:heavy], costs[heavy] / 2, costs[heavy] / 2, *costs[heavy + 1:]]
    if len(layers) < 2:
        _paint(base, layers, world, extent, mpp, font, stop, band)
        return False
    at = split_at(costs)
    top = QImage(base.size(), QImage.Format_ARGB32_Premultiplied)
    top.setDevicePixelRatio(base.devicePixelRatio())
    top.fill(0)
    if _EXTRA is None:
        _EXTRA = ThreadPoolExecutor(max_workers=1, thread_name_prefix="map-upper-layers")
    upper = _EXTRA.submit(_paint, top, layers[at:], world, extent, mpp, font, stop, band)
    _paint(base, layers[:at], world, extent, mpp, font, stop, band)
    upper.result()
    if stop is None or not stop():
        painter = QPainter(base)
        draw_image_at_origin(painter, top)
        painter.end()
    return True
