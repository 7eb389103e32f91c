"""The Qt shell on a small project built in code: canvas pixels, panel, status bar, files."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re  # noqa: E402
import time  # noqa: E402

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from affine import Affine  # noqa: E402
from pyproj import Transformer  # noqa: E402
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt  # noqa: E402
from PyQt5.QtGui import QColor, QImage, QMouseEvent, QWheelEvent  # noqa: E402
from PyQt5.QtTest import QTest  # noqa: E402
from PyQt5.QtWidgets import QApplication  # noqa: E402
from shapely.geometry import LineString, Point, Polygon, box  # noqa: E402

from app.canvas.paths import build_graphics  # noqa: E402
from app.canvas.view import BACKGROUND  # noqa: E402
from app.window.main import MainWindow  # noqa: E402
from layers import i18n  # noqa: E402
from layers.layer import RasterLayer, VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402
from styles import default_style, resolve  # noqa: E402

CRS = "EPSG:4546"
X0, Y0 = 528000.0, 3397000.0
INSIDE_COMMUNITY = (X0 + 380.0, Y0 + 20.0)  # near a corner: away from label and markers
EMPTY_SPOT = (X0 + 1000.0, Y0 + 700.0)
TITLE_ZH = "测试城区（虚构数据）"
TITLE_EN = "Test town (synthetic data)"


def make_project() -> Project:
    """Communities, streets, pipelines, facilities and a population grid near Yichang."""
    project = Project(metadata={"title_en": TITLE_EN, "title_zh": TITLE_ZH, "synthetic": True})
    grid = np.arange(6 * 8, dtype="float32").reshape(6, 8)
    grid[0, 0] = -1
    project.add_layer(RasterLayer("人口格网", "population", grid,
                                  Affine(50, 0, X0 + 1200, 0, -50, Y0 + 300), CRS, nodata=-1))
    streets = gpd.GeoDataFrame(
        {"name": ["东山大道", "夷陵路"], "road_class": ["arterial", "branch"]},
        geometry=[LineString([(X0 - 100, Y0 - 60), (X0 + 1600, Y0 - 60)]),
                  LineString([(X0 + 450, Y0 - 150), (X0 + 450, Y0 + 350)])], crs=CRS)
    project.add_layer(VectorLayer("街道", "streets", streets))
    communities = gpd.GeoDataFrame(
        {"name": ["桃花岭小区", "夷陵小区", "东湖小区"], "population": [1200, 800, 2000]},
        geometry=[box(X0, Y0, X0 + 400, Y0 + 250), box(X0 + 500, Y0, X0 + 900, Y0 + 300),
                  Polygon([(X0, Y0 + 450), (X0 + 300, Y0 + 450), (X0 + 150, Y0 + 750)])],
        crs=CRS)
    project.add_layer(VectorLayer("小区", "communities", communities))
    pipes = gpd.GeoDataFrame(
        {"utility": ["gas", "water", "power"]},
        geometry=[LineString([(X0 + 500, Y0 + 330 + 10 * i), (X0 + 1100, Y0 + 330 + 10 * i)])
                  for i in range(3)], crs=CRS)
    project.add_layer(VectorLayer("管线", "pipelines", pipes))
    facilities = gpd.GeoDataFrame(
        {"name": ["养老服务站", "托育点", "助餐点", "便利店"],
         "service": ["elder_care", "childcare", "meal_point", "convenience_store"]},
        geometry=[Point(X0 + 100, Y0 + 100), Point(X0 + 600, Y0 + 150),
                  Point(X0 + 800, Y0 + 200), Point(X0 + 1000, Y0 + 450)], crs=CRS)
    project.add_layer(VectorLayer("设施", "facilities", facilities))
    return project


@pytest.fixture
def language():
    """Set the UI language for one test and restore it afterwards."""
    before = i18n.current_language()
    yield i18n.set_language
    i18n.set_language(before)


@pytest.fixture
def window(qtbot, language):
    language("zh")
    win = MainWindow(make_project())
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    QApplication.processEvents()
    return win


def _pixel(image: QImage, canvas, x: float, y: float) -> QColor:
    p = canvas.world_to_pixel(x, y)
    return QColor(image.pixel(int(round(p.x())), int(round(p.y()))))


def _close(a: QColor, b: QColor, tol: int = 3) -> bool:
    return all(abs(u - v) <= tol for u, v in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def _expected_community_colour() -> QColor:
    r, g, b, a = resolve(default_style("communities"), gpd.GeoDataFrame(
        {"name": ["x"]}, geometry=[box(0, 0, 1, 1)])).fill[0]
    alpha = a / 255
    bg = BACKGROUND
    return QColor(*(round(c * alpha + k * (1 - alpha))
                    for c, k in zip((r, g, b), (bg.red(), bg.green(), bg.blue()), strict=True)))


def test_community_fill_is_drawn_where_the_community_is(window):
    canvas = window.canvas
    image = canvas.grab().toImage()
    expected = _expected_community_colour()
    assert _close(_pixel(image, canvas, *INSIDE_COMMUNITY), expected)
    assert _close(_pixel(image, canvas, *EMPTY_SPOT), BACKGROUND, tol=0)
    # the community colour does not appear where there is nothing
    p = canvas.world_to_pixel(*EMPTY_SPOT)
    patch = [QColor(image.pixel(int(p.x()) + dx, int(p.y()) + dy))
             for dx in range(-5, 6) for dy in range(-5, 6)]
    assert not any(_close(c, expected) for c in patch)


def test_hiding_a_layer_removes_its_pixels(window, qtbot):
    canvas = window.canvas
    layer = window.project.layer("小区")
    layer.visible = False
    image = canvas.grab().toImage()
    assert _close(_pixel(image, canvas, *INSIDE_COMMUNITY), BACKGROUND, tol=0)
    # the panel's checkbox follows, and ticking it shows the layer again
    item = next(i for i in window.layer_panel.items() if i.text(0) == "小区")
    assert item.checkState(0) == Qt.Unchecked
    item.setCheckState(0, Qt.Checked)
    assert layer.visible
    image = canvas.grab().toImage()
    assert _close(_pixel(image, canvas, *INSIDE_COMMUNITY), _expected_community_colour())


def test_population_raster_is_georeferenced_with_transparent_nodata(window):
    canvas = window.canvas
    image = canvas.grab().toImage()
    nodata_cell = _pixel(image, canvas, X0 + 1225, Y0 + 275)  # row 0, col 0
    data_cell = _pixel(image, canvas, X0 + 1575, Y0 + 25)  # row 5, col 7: the maximum
    assert _close(nodata_cell, BACKGROUND, tol=0)
    style = default_style("population")  # the maximum takes the ramp's last colour
    top = QColor(style["ramp"][-1])
    alpha, bg = style.get("alpha", 1.0), BACKGROUND
    expected = QColor(*(round(c * alpha + k * (1 - alpha)) for c, k in zip(
        top.getRgb()[:3], bg.getRgb()[:3], strict=True)))
    assert _close(data_cell, expected)


def test_status_bar_shows_lon_lat_after_a_mouse_move(window, qtbot):
    canvas = window.canvas
    target = canvas.world_to_pixel(X0, Y0)
    # a real move event at that pixel (QTest.mouseMove goes through the global cursor,
    # which another test's top-level window may still sit under on the offscreen platform)

    pos = QPointF(round(target.x()), round(target.y()))
    QApplication.sendEvent(canvas, QMouseEvent(QEvent.MouseMove, pos, Qt.NoButton,
                                               Qt.NoButton, Qt.NoModifier))
    QApplication.processEvents()
    text = window.lonlat_label.text()
    lon, lat = (float(v) for v in re.findall(r"\d+\.\d+", text)[:2])
    ref_lon, ref_lat = Transformer.from_crs(CRS, "EPSG:4490", always_xy=True).transform(X0, Y0)
    assert lon == pytest.approx(ref_lon, abs=1e-4) and lat == pytest.approx(ref_lat, abs=1e-4)
    assert abs(lon - 111.29) < 0.01 and abs(lat - 30.70) < 0.01
    numbers = re.findall(r"\d[\d ]*\.\d", window.coord_label.text())
    x, y = (float(v.replace(" ", "")) for v in numbers)
    assert x == pytest.approx(X0, abs=2 * canvas.metres_per_pixel)
    assert y == pytest.approx(Y0, abs=2 * canvas.metres_per_pixel)
    assert window.crs_label.text() == "EPSG:4546"
    assert window.synthetic_label.isVisible()
    assert "虚构数据" in window.synthetic_label.text()


def test_wheel_zoom_changes_the_scale_and_keeps_the_cursor_point(window):
    canvas = window.canvas
    before = canvas.scale_denominator()
    pos = QPointF(canvas.width() * 0.3, canvas.height() * 0.6)
    world_before = canvas.pixel_to_world(pos)
    event = QWheelEvent(pos, canvas.mapToGlobal(pos.toPoint()), QPoint(0, 0), QPoint(0, 240),
                        Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(canvas, event)
    assert canvas.scale_denominator() < before * 0.7
    assert canvas.pixel_to_world(pos) == pytest.approx(world_before, abs=1e-6)
    assert f"{canvas.scale_denominator():,.0f}" in window.scale_label.text()


def test_keys_pan_and_home_returns_to_the_full_extent(window):
    canvas = window.canvas
    home = canvas.centre, canvas.metres_per_pixel
    canvas.zoom_by(4)
    QTest.keyClick(canvas, Qt.Key_Left)
    assert canvas.centre[0] < home[0][0]
    QTest.keyClick(canvas, Qt.Key_Home)
    assert canvas.centre == pytest.approx(home[0])
    assert canvas.metres_per_pixel == pytest.approx(home[1])


def test_left_drag_pans(window):
    canvas = window.canvas
    cx, cy = canvas.centre
    mpp = canvas.metres_per_pixel
    start = QPoint(400, 300)
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, start)
    # QTest.mouseMove drops moves while a button is held (QTBUG-5232): send the event
    move = QMouseEvent(QEvent.MouseMove, QPointF(start + QPoint(60, 30)), Qt.NoButton,
                       Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(canvas, move)
    assert canvas.centre == (cx, cy)  # while dragging only the rendered image moves
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, start + QPoint(100, 50))
    assert canvas.centre == pytest.approx((cx - 100 * mpp, cy + 50 * mpp))


def test_window_title_follows_the_language(qtbot, language):
    language("zh")
    win = MainWindow(make_project())
    qtbot.addWidget(win)
    assert win.windowTitle() == f"{TITLE_ZH} — 片区规划"
    assert win.menuBar().actions()[0].text().startswith("文件")
    language("en")
    win_en = MainWindow(make_project())
    qtbot.addWidget(win_en)
    assert win_en.windowTitle() == f"{TITLE_EN} — Precinct Planner"
    assert win_en.menuBar().actions()[0].text() == "&File"


def test_layer_panel_lists_layers_top_first(window):
    panel = window.layer_panel
    names = [item.text(0) for item in panel.items()]
    assert names == list(reversed(window.project.names()))
    rows = {item.text(0): item for item in panel.items()}
    assert rows["设施"].text(1) == "服务设施"
    assert rows["设施"].text(2) == "4"
    assert rows["人口格网"].text(2) == "8×6"
    # the legend of the facilities lists the three key services
    legend = [rows["设施"].child(i).text(0) for i in range(rows["设施"].childCount())]
    assert legend[:3] == ["养老服务设施", "托育抚幼设施", "助餐点"]


def test_double_click_zooms_to_the_layer(window):
    canvas = window.canvas
    before = canvas.metres_per_pixel
    item = next(i for i in window.layer_panel.items() if i.text(0) == "管线")
    window.layer_panel.tree.itemDoubleClicked.emit(item, 0)
    x0, y0, x1, y1 = canvas.visible_extent()
    bx0, by0, bx1, by1 = window.project.layer("管线").bounds()
    assert canvas.metres_per_pixel < before
    assert x0 <= bx0 and x1 >= bx1 and y0 <= by0 and y1 >= by1


def test_adding_and_removing_layers_updates_panel_and_listeners(window):
    project, canvas = window.project, window.canvas
    extra = VectorLayer("地块", "parcels", gpd.GeoDataFrame(
        {"name": ["闲置地"], "parcel_type": ["idle_land"]},
        geometry=[box(X0 + 950, Y0 + 650, X0 + 1050, Y0 + 750)], crs=CRS))
    project.add_layer(extra)
    assert window.layer_panel.items()[0].text(0) == "地块"
    image = canvas.grab().toImage()
    assert not _close(_pixel(image, canvas, *EMPTY_SPOT), BACKGROUND, tol=0)
    assert canvas._bridge.forward in extra.events._callbacks
    project.remove_layer("地块")
    assert canvas._bridge.forward not in extra.events._callbacks
    assert "地块" not in [i.text(0) for i in window.layer_panel.items()]
    image = canvas.grab().toImage()
    assert _close(_pixel(image, canvas, *EMPTY_SPOT), BACKGROUND, tol=0)


def test_a_bad_layer_style_is_reported_not_fatal(window, qtbot):
    layer = window.project.layer("设施")
    with qtbot.waitSignal(window.canvas.problem, timeout=2000) as signal:
        layer.style = {"type": "categorised", "field": "no_such_field"}
        window.canvas.grab()
    assert "no_such_field" in signal.args[0]


def test_screenshot_of_the_whole_window(window):
    canvas = window.canvas
    target = canvas.world_to_pixel(*INSIDE_COMMUNITY)
    QTest.mouseMove(canvas, target.toPoint())
    QApplication.processEvents()
    path = "/tmp/precinct_window.png"
    assert window.grab().save(path)
    assert os.path.getsize(path) > 10_000


def test_save_as_then_open_through_the_window(window, monkeypatch, tmp_path):
    import app.window.main as main_window

    target = tmp_path / "town"  # the window adds .gpkg
    monkeypatch.setattr(main_window.QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(target), ""))
    assert window.save_as()
    saved = tmp_path / "town.gpkg"
    assert saved.exists() and window.project.path == saved
    assert window.open_path(saved)
    assert window.project.names() == make_project().names()
    assert window.windowTitle() == f"{TITLE_ZH} — 片区规划"
    assert window.layer_panel.items()[0].text(0) == "设施"
    image = window.canvas.grab().toImage()
    assert _close(_pixel(image, window.canvas, *INSIDE_COMMUNITY),
                  _expected_community_colour())


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_a_newer_recovery_file_is_offered(qtbot, monkeypatch, tmp_path, answer):
    import app.window.main as main_window
    from layers.store import autosave, open_project, save_project

    path = tmp_path / "town.gpkg"
    save_project(make_project(), path)
    project = open_project(path)
    project.set_metadata(title_en="Recovered town")
    recovery = autosave(project)
    later = path.stat().st_mtime + 10
    os.utime(recovery, (later, later))
    asked = []

    def question(parent, title, text, *args):
        asked.append(text)
        return main_window.QMessageBox.Yes if answer == "yes" else main_window.QMessageBox.No

    monkeypatch.setattr(main_window.QMessageBox, "question", question)
    opened = main_window.load_project_interactively(path)
    assert asked and recovery.name in asked[0]
    assert opened.metadata["title_en"] == ("Recovered town" if answer == "yes" else TITLE_EN)
    assert opened.path == path


def test_run_gui_opens_a_project_and_returns_the_exit_code(qtbot, tmp_path, language):
    from PyQt5.QtCore import QTimer

    from app.window.gui import run_gui
    from layers.store import save_project

    path = tmp_path / "town.gpkg"
    save_project(make_project(), path)
    titles = []

    def look_and_quit():
        # Qt may deliver this timer while start-up shows a window (the opening notice on
        # X11), before the event loop runs: look again until the main window is up
        shown = [w.windowTitle() for w in QApplication.topLevelWidgets()
                 if isinstance(w, MainWindow) and w.isVisible() and not w.opener.pending]
        if not shown:  # (or still opening the project in its worker thread)
            QTimer.singleShot(20, look_and_quit)
            return
        titles.extend(shown)
        QApplication.quit()

    QTimer.singleShot(0, look_and_quit)
    assert run_gui(str(path), lang="en") == 0
    assert f"{TITLE_EN} — Precinct Planner" in titles
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow):
            widget.close()


def test_run_gui_reports_a_missing_project(qtbot, monkeypatch, tmp_path, language):
    import app.window.main as main_window
    from app.window.gui import run_gui

    shown = []
    monkeypatch.setattr(main_window.QMessageBox, "critical",
                        lambda parent, title, text: shown.append(text))
    assert run_gui(str(tmp_path / "missing.gpkg"), lang="en") == 1
    assert shown and "missing.gpkg" in shown[0]


def test_path_building_for_100k_lines_is_fast():
    rng = np.random.default_rng(7)
    n = 100_000
    starts = rng.uniform([X0, Y0], [X0 + 5000, Y0 + 5000], size=(n, 2))
    ends = starts + rng.normal(0, 30, size=(n, 2))
    mids = (starts + ends) / 2 + rng.normal(0, 5, size=(n, 2))
    import shapely

    coords = np.stack([starts, mids, ends], axis=1)
    lines = shapely.linestrings(coords)
    utilities = np.resize(np.array(["gas", "water", "power", "drainage", "telecom", "heat"]), n)
    gdf = gpd.GeoDataFrame({"utility": utilities}, geometry=lines, crs=CRS)
    t0 = time.perf_counter()
    resolved = resolve(default_style("pipelines"), gdf)
    t1 = time.perf_counter()
    graphics = build_graphics(gdf, resolved)
    t2 = time.perf_counter()
    print(f"\n100k lines: resolve {t1 - t0:.3f} s, build paths {t2 - t1:.3f} s")
    assert len({chunk.stroke.rgba() for chunk in graphics.lines}) == 6
    # solid lines are drawn as runs with points in line within 1 mm dropped (app.canvas.paths):
    # these lines meet nowhere, so the runs are the lines, a few of them with a point fewer
    from app.canvas.paths import RUN_STRAIGHT_M

    expected = shapely.get_num_coordinates(shapely.simplify(lines, RUN_STRAIGHT_M)).sum()
    assert 2.99 * n < expected <= 3 * n
    assert sum(chunk.path.elementCount() for chunk in graphics.lines) == expected


def test_autosave_writes_a_recovery_file_only_when_there_are_changes(window, tmp_path):
    from layers.commands import ChangeAttributes
    from layers.store import find_recovery, open_project, save_project

    path = tmp_path / "town.gpkg"
    save_project(window.project, path)
    interval = window.project.standards().value("parameters", "autosave_interval_s", "value")
    assert window.autosave_timer.isActive()
    assert window.autosave_timer.interval() == int(float(interval) * 1000)
    assert window.autosave_now() is None  # nothing unsaved, nothing written
    layer = window.project.layers_of_kind("communities")[0]
    fid = int(layer.gdf.index[0])
    window.project.apply(ChangeAttributes(layer.id, {fid: {"name": "自动保存小区"}}))
    written = window.autosave_now()
    later = path.stat().st_mtime + 5
    os.utime(written, (later, later))
    assert find_recovery(path) == written
    assert open_project(written).layer(layer.name).gdf.loc[fid, "name"] == "自动保存小区"
    assert open_project(path).layer(layer.name).gdf.loc[fid, "name"] != "自动保存小区"
    window.project.undo.undo()  # back to the saved state, so closing asks nothing
    assert window.project.undo.is_clean


def test_analysis_menu_opens_each_panel_once_and_follows_the_project(window):
    from PyQt5.QtWidgets import QMenu

    from app.window.main import PANELS

    menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "分析(&N)")
    texts = [action.text() for action in menu.actions()]
    assert texts == [window.actions_by_key[key].text() for key in PANELS]
    for key in PANELS:
        panel = window.open_panel(key)
        assert window.open_panel(key) is panel and panel.isVisible()
        assert getattr(panel, "project", None) is window.project
    replacement = make_project()
    window.set_project(replacement)
    assert all(getattr(p, "project", None) is replacement for p in window.panels.values())


@pytest.mark.parametrize("key, shortcut, module, cls", [
    ("import", "Ctrl+I", "app.dialogs.importing", "ImportDialog"),
    ("export", "Ctrl+E", "app.dialogs.export", "ExportDialog"),
])
def test_file_menu_opens_its_dialog_on_this_project(window, qtbot, key, shortcut, module, cls):
    import importlib

    action = window.actions_by_key[key]
    assert action.shortcut().toString() == shortcut
    action.trigger()
    dialog = getattr(window, f"_{key}_dialog")
    qtbot.addWidget(dialog)
    assert isinstance(dialog, getattr(importlib.import_module(module), cls))
    assert dialog.project is window.project
    dialog.close()
