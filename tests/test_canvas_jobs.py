"""The canvas renders off the GUI thread (issue 19.1): a paint never waits for a render, the
last image stands in moved and scaled to the new view, a newer view cancels the older job,
a stale result is dropped, and the finished image equals the painter run synchronously."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest
import shapely
from canvas_pixels import background, pixels, synchronous_image
from PyQt5.QtGui import QImage, QPainter

import app.canvas.render_job as render_job
from app.canvas.paint import paint_layers
from app.canvas.view import MapCanvas
from layers.layer import VectorLayer
from layers.project import Project

X0, Y0 = 528_000.0, 3_397_000.0
# two communities 400 m wide with a 600 m gap between them
BOXES = [(X0, Y0, X0 + 400, Y0 + 400), (X0 + 1000, Y0, X0 + 1400, Y0 + 400)]


def _project() -> Project:
    project = Project()
    gdf = gpd.GeoDataFrame({"name": ["甲", "乙"]}, geometry=[shapely.box(*b) for b in BOXES],
                           crs="EPSG:4546")
    project.add_layer(VectorLayer("communities", "communities", gdf))
    return project


def _shown(qtbot) -> MapCanvas:
    """A shown 400 × 300 canvas with the two communities."""
    widget = MapCanvas()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_project(_project())
    return widget


@pytest.fixture
def canvas(qtbot):
    widget = _shown(qtbot)
    widget.set_view(X0 + 700, Y0 + 200, 5.0)  # 2 km wide: both communities and the gap
    assert widget.wait_rendered(30)
    return widget


def _is_background(rgb) -> bool:
    return bool(np.abs(np.asarray(rgb) - background()).max() <= 3)


def _painted_now(canvas) -> np.ndarray:
    """What a paint event draws right now (QWidget.render: no waiting for the job)."""
    image = QImage(canvas.size(), QImage.Format_ARGB32_Premultiplied)
    image.fill(0)
    canvas.render(image)
    return pixels(image)


def _at(pixels: np.ndarray, canvas, x: float, y: float):
    p = canvas.world_to_pixel(x, y)
    return pixels[int(p.y()), int(p.x())]


@pytest.fixture
def slow_render(monkeypatch):
    """Every render job takes at least 0.4 s more (as a big city does)."""
    original = render_job.render_image

    def slow(*args, **kwargs):
        time.sleep(0.4)
        return original(*args, **kwargs)

    monkeypatch.setattr(render_job, "render_image", slow)


def test_the_finished_image_is_the_synchronous_painters(canvas):
    reference = synchronous_image(canvas)
    ours = pixels(canvas.render_now())
    assert ours.shape == pixels(reference).shape
    assert (np.abs(ours - pixels(reference)).max(axis=2) > 0).mean() < 0.001
    assert not _is_background(_at(ours, canvas, X0 + 200, Y0 + 200))  # inside a community
    assert _is_background(_at(ours, canvas, X0 + 700, Y0 + 200))  # in the gap


def test_a_pan_shows_the_old_image_moved_at_once_without_waiting(canvas, slow_render):
    canvas.pan_pixels(-120, 0)  # the map moves 120 px left: 600 m
    pixels = _painted_now(canvas)
    job = canvas._job
    assert job is not None and not job.wait(0)  # the paint started the job and did not wait for it
    assert canvas.render_pending()
    # the old image, moved: a community's inside is still drawn where that place now is
    assert not _is_background(_at(pixels, canvas, X0 + 1200, Y0 + 200))
    assert _is_background(_at(pixels, canvas, X0 + 700, Y0 + 200))
    assert canvas.wait_rendered(30) and not canvas.render_pending()


def test_a_zoom_shows_the_old_image_scaled_about_the_anchor(canvas, slow_render):
    anchor = canvas.world_to_pixel(X0 + 1000, Y0 + 200)  # the second community's left edge
    canvas.zoom_by(2.0, anchor)
    pixels = _painted_now(canvas)
    assert canvas.render_pending()
    # 2.5 m a pixel now: 8 px either side of the edge is 20 m inside / outside the community
    assert not _is_background(_at(pixels, canvas, X0 + 1020, Y0 + 200))
    assert _is_background(_at(pixels, canvas, X0 + 980, Y0 + 200))
    assert _is_background(_at(pixels, canvas, X0 + 700, Y0 + 200))


def test_a_newer_view_cancels_the_older_job_and_its_result_is_dropped(canvas, slow_render, qtbot):
    canvas.pan_pixels(30, 0)
    canvas.repaint()
    older = canvas._job
    assert older is not None and not older.cancelled
    canvas.pan_pixels(30, 0)
    canvas.repaint()
    newer = canvas._job
    assert newer is not older and older.cancelled and not newer.cancelled
    assert older.wait(30) and newer.wait(30)
    assert older.image is None  # stopped: nothing to show
    qtbot.waitUntil(lambda: not canvas.render_pending(), timeout=30_000)
    assert canvas.last_render is newer and canvas._image_key == canvas._key()


def test_a_data_change_cancels_the_job_drawing_the_old_data(canvas, slow_render, qtbot):
    canvas.pan_pixels(10, 0)
    canvas.repaint()
    job = canvas._job
    layer = canvas.project.layers[0]
    layer.visible = False
    qtbot.waitUntil(lambda: job.cancelled, timeout=5_000)
    assert canvas.wait_rendered(30)
    assert _is_background(_at(pixels(canvas.render_now()), canvas, X0 + 200, Y0 + 200))


def test_graphics_are_built_by_the_job_and_kept_unless_the_data_changed(qtbot, monkeypatch):
    import threading

    from app.canvas.paths import LayerGraphics

    threads = []
    original = render_job.build_graphics

    def recording(*args, **kwargs):
        threads.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(render_job, "build_graphics", recording)
    widget = _shown(qtbot)
    layer = widget.project.layers[0]
    assert widget.wait_rendered(30)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert isinstance(widget._graphics[layer.id], LayerGraphics)
    # graphics a job built for data that changed meanwhile are not kept
    widget._graphics.clear()
    widget.pan_pixels(5, 0)
    job = widget._start_render()  # what the next paint event does
    layer.visible = False  # any change that invalidates: the job's generation is old
    assert job.wait(30)
    qtbot.wait(50)
    widget._adopt_built(job)
    assert layer.id not in widget._graphics


def test_another_project_never_shows_the_last_ones_map(canvas, slow_render):
    canvas.set_project(Project())  # empty: nothing to draw
    assert _is_background(_at(_painted_now(canvas), canvas, X0 + 200, Y0 + 200))


class _PenLog(QPainter):
    """A painter that notes every pen width set (what reaches Qt's stroker)."""

    def __init__(self, image) -> None:
        super().__init__(image)
        self.widths: list[float] = []

    def setPen(self, pen) -> None:  # noqa: N802 (Qt name)
        from PyQt5.QtGui import QPen

        if isinstance(pen, QPen) and pen.style() != 0:
            self.widths.append(round(pen.widthF(), 3))
        super().setPen(pen)


@pytest.mark.parametrize("scale, device, expected", [(0.25, False, 1.4), (2.0, False, 1.0),
                                                     (2.0, True, 1.4)])
def test_zoomed_out_outlines_take_qts_one_pixel_path(scale, device, expected):
    """Issue 19: a 1.4 px outline went through Qt's general stroker (the city's service
    areas 1.3 s a redraw at full extent); zoomed out on screen it is drawn 1 px (0.12 s),
    zoomed in or printed it keeps its width."""
    from PyQt5.QtGui import QFont

    from app.canvas.paint import THIN_OUTLINES_FROM_MPP
    from app.canvas.paths import build_graphics
    from styles import resolve

    mpp = scale * THIN_OUTLINES_FROM_MPP  # a quarter of the threshold, or twice it
    rings = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(0, 0).buffer(500)], crs="EPSG:4546")
    style = {"fill": "#ffffff", "fill_alpha": 0.0, "stroke": "#1f78b4", "stroke_width": 1.4,
             "label_field": None}
    layer = VectorLayer("rings", "other", rings, style=style)
    graphics = build_graphics(rings, resolve(style, rings))
    image = QImage(400, 400, QImage.Format_ARGB32)
    painter = _PenLog(image)
    from PyQt5.QtGui import QTransform

    k = 1.0 / mpp
    world = QTransform(k, 0, 0, -k, 200, 200)
    half = 200 * mpp
    paint_layers(painter, [layer], world, (-half, -half, half, half), mpp, lambda _l: graphics,
                 QFont(), device_paths=device)  # device paths: the PDF sheet
    painter.end()
    assert expected in painter.widths and (expected == 1.4) == (1.0 not in painter.widths)
