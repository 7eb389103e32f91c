"""Rasters and basemaps in the real window: an RGB GeoTIFF imported from the dialog draws
in colour below the vectors; an MBTiles basemap draws the right zoom level at two scales.
Screenshots of both are kept (``artifacts/``, or $PRECINCT_ARTIFACTS)."""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import pytest  # noqa: E402
from PyQt5.QtGui import QColor, QImage  # noqa: E402
from PyQt5.QtWidgets import QApplication  # noqa: E402
from raster_data import CRS, QUADRANTS, X0, Y0, ZOOM_COLOURS, make_mbtiles, quadrant_geotiff  # noqa: E402
from shapely.geometry import box  # noqa: E402

from app.canvas.view import BACKGROUND  # noqa: E402
from app.window.main import MainWindow  # noqa: E402
from layers.project import Project  # noqa: E402
from layers.tiles import TileLayer  # noqa: E402
from layers.tiles.grid import web_mercator  # noqa: E402

ARTIFACTS = Path(os.environ.get("PRECINCT_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))
# the GeoTIFF: 400 m × 400 m, top-left (X0, Y0 + 400); the community covers its right half
TIFF_CENTRE = (X0 + 200, Y0 + 200)
IN_TOP_LEFT, IN_BOTTOM_LEFT = (X0 + 60, Y0 + 340), (X0 + 60, Y0 + 60)
COMMUNITY = box(X0 + 240, Y0 + 20, X0 + 380, Y0 + 380)
IN_COMMUNITY = (X0 + 250, Y0 + 300)  # near its edge: away from the label
ON_BASEMAP = (X0 + 100, Y0 + 250)  # no vector there


def vector_project() -> Project:
    project = Project(metadata={"title": "栅格测试（虚构数据）", "synthetic": True})
    from layers.layer import VectorLayer

    project.add_layer(VectorLayer("小区", "communities", gpd.GeoDataFrame(
        {"name": ["影像上的小区"]}, geometry=[COMMUNITY], crs=CRS)))
    project.add_layer(VectorLayer("设施", "facilities", gpd.GeoDataFrame(
        {"name": ["养老服务站"], "service": ["elder_care"]},
        geometry=[box(X0 + 600, Y0 + 600, X0 + 601, Y0 + 601).centroid], crs=CRS)))
    return project


@pytest.fixture
def window(qtbot):
    win = MainWindow(vector_project())
    qtbot.addWidget(win, before_close_func=lambda w: w.project.undo.set_clean())
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    QApplication.processEvents()
    return win


def _pixel(image: QImage, canvas, x: float, y: float) -> QColor:
    p = canvas.world_to_pixel(x, y)
    return QColor(image.pixel(int(round(p.x())), int(round(p.y()))))


def _close(colour: QColor, rgb, tol: int = 4) -> bool:
    return all(abs(u - v) <= tol for u, v in zip(colour.getRgb()[:3], rgb, strict=True))


def _save(widget, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert widget.grab().save(str(path))
    return path


def _import(window, qtbot, path: Path):
    dialog = window.open_import_dialog(str(path))
    qtbot.addWidget(dialog)
    return dialog


def test_rgb_geotiff_from_the_dialog_draws_in_colour_below_the_vectors(window, qtbot, tmp_path):
    tiff = quadrant_geotiff(tmp_path / "正射影像.tif")
    dialog = _import(window, qtbot, tiff)
    assert dialog.raster_path == tiff and dialog.kind == "basemap"  # a raster, not a shapefile
    assert dialog.preview_table.rowCount() >= 3  # size, bands, CRS instead of rows
    undo_before = len(window.project.undo)
    dialog.import_button.click()
    project = window.project
    assert project.names()[0] == "正射影像"  # below every vector layer
    assert [la.layer_type for la in project.layers] == ["raster", "vector", "vector"]
    assert len(project.undo) == undo_before + 1
    canvas = window.canvas
    canvas.zoom_to_bounds((X0 - 50, Y0 - 50, X0 + 450, Y0 + 450))
    image = canvas.grab().toImage()
    assert _close(_pixel(image, canvas, *IN_TOP_LEFT), QUADRANTS["top_left"])
    assert _close(_pixel(image, canvas, *IN_BOTTOM_LEFT), QUADRANTS["bottom_left"])
    # the community's translucent fill lies over the photo: neither the photo's colour nor
    # the fill over the background, but the fill blended over the photo
    inside = _pixel(image, canvas, *IN_COMMUNITY)
    assert not _close(inside, QUADRANTS["top_right"], tol=10)
    assert not _close(inside, BACKGROUND.getRgb()[:3], tol=10)
    assert _close(_pixel(image, canvas, X0 + 420, Y0 + 200), BACKGROUND.getRgb()[:3], tol=0)
    _save(window, "raster_orthophoto_under_vectors.png")
    # a second raster goes above the first and still below the vectors
    second = quadrant_geotiff(tmp_path / "second.tif", left=X0 + 1000)
    dialog = _import(window, qtbot, second)
    dialog.import_button.click()
    assert project.names()[:2] == ["正射影像", "second"]
    assert [item.text(0) for item in window.layer_panel.items()][-2:] == ["second", "正射影像"]
    # a city-wide basemap goes under both: the orthophoto still shows, the basemap around it
    dialog = _import(window, qtbot, make_mbtiles(tmp_path / "城区底图.mbtiles"))
    dialog.import_button.click()
    assert project.names()[:3] == ["城区底图", "正射影像", "second"]
    image = canvas.grab().toImage()
    assert _close(_pixel(image, canvas, *IN_TOP_LEFT), QUADRANTS["top_left"])
    assert not _close(_pixel(image, canvas, X0 + 420, Y0 + 200), BACKGROUND.getRgb()[:3], tol=10)
    _save(window, "raster_orthophoto_over_basemap.png")


def test_mbtiles_basemap_draws_the_zoom_level_of_each_scale(window, qtbot, tmp_path):
    mbtiles = make_mbtiles(tmp_path / "底图.mbtiles")
    dialog = _import(window, qtbot, mbtiles)
    assert dialog.raster_path == mbtiles and dialog.kind == "basemap"
    dialog.import_button.click()
    project = window.project
    layer = project.layer("底图")
    assert isinstance(layer, TileLayer) and project.layers[0] is layer
    canvas = window.canvas
    scale_of = {}
    for zoom in (16, 14):
        # the canvas resolution of this zoom level (web mercator metres shrink by cos(lat))
        mpp = web_mercator(zoom).res_x * 0.86
        canvas.set_view(X0 + 200, Y0 + 200, mpp)
        started = time.perf_counter()
        image = canvas.grab().toImage()
        elapsed = time.perf_counter() - started
        assert layer.last.zoom == zoom, (zoom, layer.last.zoom)
        assert _close(_pixel(image, canvas, *ON_BASEMAP), ZOOM_COLOURS[zoom])
        inside = _pixel(image, canvas, *IN_COMMUNITY)  # the vectors stay on top
        assert not _close(inside, ZOOM_COLOURS[zoom], tol=10)
        scale_of[zoom] = round(canvas.scale_denominator())
        assert elapsed < 2.0
        _save(window, f"basemap_mbtiles_zoom{zoom}.png")
    assert scale_of[14] > 3 * scale_of[16]
    # no style menu for a basemap (it is drawn as its tiles are), but opacity and removal
    menu = window.layer_panel.context_menu(layer)
    names = {a.objectName() for a in menu.findChildren(type(menu.actions()[0]))}
    assert "remove" in names and not any(n.startswith("style_") for n in names)


def test_a_basemap_whose_file_is_gone_draws_nothing_and_says_why(window, qtbot, tmp_path):
    mbtiles = make_mbtiles(tmp_path / "gone.mbtiles")
    layer = TileLayer("gone", tmp_path / "elsewhere.mbtiles")
    window.project.add_layer(layer, 0)
    canvas = window.canvas
    canvas.set_view(X0, Y0, 2.0)
    image = canvas.grab().toImage()
    assert _close(_pixel(image, canvas, *ON_BASEMAP), BACKGROUND.getRgb()[:3], tol=0)
    assert layer.problem is not None and "does not exist" in layer.problem.en
    item = next(i for i in window.layer_panel.items() if i.text(0) == "gone")
    assert "elsewhere.mbtiles" in item.toolTip(0)
    assert mbtiles.exists()


def test_the_map_sheet_prints_the_basemap_under_the_vectors(qtbot, tmp_path):
    import numpy as np

    from app.canvas.map_sheet import SheetSpec, render_sheet_image

    project = vector_project()
    project.add_layer(TileLayer.open(make_mbtiles(tmp_path / "b.mbtiles"), "底图"), 0)
    image = render_sheet_image(project, SheetSpec(title="底图", dpi=100)).convertToFormat(
        QImage.Format_RGB32)
    data = image.constBits()
    data.setsize(image.sizeInBytes())
    pixels = np.frombuffer(data, dtype=np.uint8).reshape(image.height(), -1, 4)[..., 2::-1]
    drawn = {z: int(np.all(np.abs(pixels.astype(int) - c) <= 4, axis=-1).sum())
             for z, c in ZOOM_COLOURS.items()}
    assert max(drawn.values()) > 0.2 * image.width() * image.height(), drawn  # the map's background
