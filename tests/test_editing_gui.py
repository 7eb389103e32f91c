"""The editing workflow driven as a person would: mouse clicks and drags on the real canvas
of the real main window (offscreen), keys, menus, the topology panel."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt drives the widgets")

from PyQt5.QtCore import QPoint, Qt  # noqa: E402

from app.window.main import MainWindow  # noqa: E402
from layers.commands import ChangeGeometry  # noqa: E402
from layers.layer import VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402
from tests.conftest import X0, Y0, tiny_communities  # noqa: E402

MPP = 0.5  # metres per pixel for the tests' views


def _window(qtbot, project) -> MainWindow:
    window = MainWindow(project)
    # closing at teardown must not ask about the unsaved edits the test made
    qtbot.addWidget(window, before_close_func=lambda w: w.project.undo.set_clean())
    window.show()
    qtbot.waitExposed(window)
    layer = project.layer("communities")
    window.layer_panel.select_layer(layer) if hasattr(window.layer_panel, "select_layer") else None
    window.set_current_layer(layer)
    return window


def _px(canvas, x: float, y: float) -> QPoint:
    p = canvas.world_to_pixel(x, y)
    return QPoint(round(p.x()), round(p.y()))


def _look_at(canvas, x: float, y: float, mpp: float = MPP) -> None:
    canvas.set_view(x, y, mpp)


def _click(qtbot, canvas, x, y, button=Qt.LeftButton, modifier=Qt.NoModifier) -> None:
    qtbot.mouseClick(canvas, button, modifier, _px(canvas, x, y))


def _drag(qtbot, canvas, start, end, steps: int = 5) -> None:
    a, b = _px(canvas, *start), _px(canvas, *end)
    qtbot.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, a)
    for i in range(1, steps + 1):
        qtbot.mouseMove(canvas, a + (b - a) * i / steps)
    qtbot.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, b)


@pytest.fixture
def project() -> Project:
    p = Project(metadata={"title": "editing"})
    p.add_layer(VectorLayer("communities", "communities", tiny_communities(3)))
    p.undo.set_clean()
    return p


def test_draw_a_polygon_by_clicks_then_undo_and_redo(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    canvas.snapping_enabled = False
    layer = project.layer("communities")
    window.tools.actions["draw_polygon"].trigger()
    _look_at(canvas, X0 + 200, Y0 + 300)
    corners = [(X0 + 150, Y0 + 250), (X0 + 250, Y0 + 250), (X0 + 250, Y0 + 330), (X0 + 150, Y0 + 330)]
    for x, y in corners:
        _click(qtbot, canvas, x, y)
    _click(qtbot, canvas, X0 + 400, Y0 + 400)  # a stray vertex …
    qtbot.keyClick(canvas, Qt.Key_Backspace)  # … taken back
    qtbot.keyClick(canvas, Qt.Key_Return)
    form = window.feature_form
    assert form.isVisible()
    before = set(layer.gdf.index)
    form.accept()  # the name is required: the form stays open and says so
    assert form.isVisible() and set(layer.gdf.index) == before
    qtbot.keyClicks(form.editors["name"], "Garden 7")  # (QTest types ASCII only)
    form.accept()
    assert not form.isVisible()
    new = sorted(set(layer.gdf.index) - before)
    assert len(new) == 1
    drawn = layer.gdf.geometry.loc[new[0]]
    expected = shapely.Polygon(corners)
    # clicks land on whole pixels: each vertex within half a pixel of the intended point
    assert shapely.get_num_coordinates(drawn) == 5
    assert np.allclose(shapely.get_coordinates(drawn.exterior)[:4], corners, atol=MPP)
    assert drawn.symmetric_difference(expected).area < 4 * 100 * MPP
    assert layer.gdf.at[new[0], "name"] == "Garden 7"
    assert window.undo_actions.undo_action.isEnabled()
    window.undo_actions.undo_action.trigger()
    assert new[0] not in layer.gdf.index
    window.undo_actions.redo_action.trigger()
    assert layer.gdf.geometry.loc[new[0]].equals(drawn)


def test_escape_cancels_a_sketch_and_nothing_is_added(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    window.tools.actions["draw_polygon"].trigger()
    _look_at(canvas, X0 + 200, Y0 + 300)
    for x, y in [(X0 + 150, Y0 + 250), (X0 + 250, Y0 + 250), (X0 + 250, Y0 + 330)]:
        _click(qtbot, canvas, x, y)
    qtbot.keyClick(canvas, Qt.Key_Escape)
    qtbot.keyClick(canvas, Qt.Key_Return)
    assert len(project.layer("communities")) == 3
    assert not project.undo.can_undo


def test_vertex_drag_snaps_onto_the_neighbours_vertex_and_is_one_undo_step(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    layer = project.layer("communities")
    canvas.snapping_enabled = True
    canvas.snap_tolerance_px = 10
    window.tools.actions["vertex"].trigger()
    _look_at(canvas, X0 + 110, Y0 + 100)
    original = layer.gdf.geometry.loc[1]
    # community 1's top-right corner (X0+100, Y0+100); community 2's top-left is at X0+120
    target = (X0 + 120.0, Y0 + 100.0)
    qtbot.mouseMove(canvas, _px(canvas, X0 + 100, Y0 + 100))
    _drag(qtbot, canvas, (X0 + 100, Y0 + 100), (X0 + 117.5, Y0 + 101.5))  # 5 px and 3 px away
    moved = layer.gdf.geometry.loc[1]
    assert target in [tuple(c) for c in shapely.get_coordinates(moved)]
    assert (X0 + 100.0, Y0 + 100.0) not in [tuple(c) for c in shapely.get_coordinates(moved)]
    assert moved.is_valid
    assert len(project.undo) == 1
    window.undo_actions.undo_action.trigger()
    assert layer.gdf.geometry.loc[1].equals(original)


def test_topological_vertex_drag_moves_the_shared_corner_in_both_communities(qtbot):
    boxes = [shapely.box(X0, Y0, X0 + 100, Y0 + 100), shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100)]
    gdf = tiny_communities(2).set_geometry(gpd.GeoSeries(boxes, index=[1, 2], crs="EPSG:4546"))
    project = Project()
    project.add_layer(VectorLayer("communities", "communities", gdf))
    window = _window(qtbot, project)
    canvas = window.canvas
    canvas.snapping_enabled = False
    window.tools.actions["vertex"].trigger()
    _look_at(canvas, X0 + 100, Y0 + 100)
    _drag(qtbot, canvas, (X0 + 100, Y0 + 100), (X0 + 110, Y0 + 120))
    layer = project.layer("communities")
    for fid in (1, 2):
        coords = [tuple(np.round(c, 6)) for c in shapely.get_coordinates(layer.gdf.geometry.loc[fid])]
        assert (X0 + 110, Y0 + 120) in coords
    assert shapely.intersection(layer.gdf.geometry.loc[1], layer.gdf.geometry.loc[2]).area < 1e-6
    window.tools.edit_actions["topological"].setChecked(False)
    _drag(qtbot, canvas, (X0 + 110, Y0 + 120), (X0 + 90, Y0 + 130))
    one = [tuple(np.round(c, 6)) for c in shapely.get_coordinates(layer.gdf.geometry.loc[1])]
    two = [tuple(np.round(c, 6)) for c in shapely.get_coordinates(layer.gdf.geometry.loc[2])]
    # without topological editing only the grabbed community (the top one) changes
    moved, kept = (two, one) if (X0 + 90, Y0 + 130) in two else (one, two)
    assert (X0 + 90, Y0 + 130) in moved and (X0 + 110, Y0 + 120) not in moved
    assert (X0 + 110, Y0 + 120) in kept and (X0 + 90, Y0 + 130) not in kept


def test_split_with_a_drawn_line_then_merge_the_parts_back(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    canvas.snapping_enabled = False
    layer = project.layer("communities")
    area = layer.gdf.geometry.loc[1].area
    _look_at(canvas, X0 + 50, Y0 + 50)
    window.tools.actions["split"].trigger()
    _click(qtbot, canvas, X0 - 20, Y0 + 40)
    _click(qtbot, canvas, X0 + 120 - 10, Y0 + 40)  # ends in the street, before community 2
    qtbot.keyClick(canvas, Qt.Key_Return)
    assert len(layer) == 4
    parts = layer.gdf[layer.gdf["name"] == layer.gdf.at[1, "name"]]
    assert len(parts) == 2
    assert parts.geometry.area.sum() == pytest.approx(area)
    assert sorted(parts.geometry.area.round(0)) == pytest.approx([4000, 6000], abs=60)
    # merge: select both parts by clicks (shift adds), then Edit → Merge
    window.tools.actions["select_click"].trigger()
    _click(qtbot, canvas, X0 + 50, Y0 + 20)
    _click(qtbot, canvas, X0 + 50, Y0 + 80, modifier=Qt.ShiftModifier)
    assert project.selection.fids(layer.id) == frozenset(parts.index)
    window.tools.edit_actions["merge"].trigger()
    assert len(layer) == 3
    merged = layer.gdf.geometry.loc[1]
    assert merged.area == pytest.approx(area)
    assert merged.geom_type == "Polygon"
    assert merged.symmetric_difference(shapely.box(X0, Y0, X0 + 100, Y0 + 100)).area < 1e-6


def test_box_selection_and_delete_are_undoable(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    layer = project.layer("communities")
    _look_at(canvas, X0 + 170, Y0 + 50, 0.8)
    window.tools.actions["select_click"].trigger()
    _drag(qtbot, canvas, (X0 + 50, Y0 + 120), (X0 + 180, Y0 + 60))  # touches communities 1 and 2
    assert project.selection.fids(layer.id) == {1, 2}
    canvas.set_view(X0 + 5000, Y0 + 5000, 5.0)  # look elsewhere, then View → Zoom to selection
    window.tools.edit_actions["zoom_selection"].trigger()
    x0, y0, x1, y1 = canvas.visible_extent()
    assert x0 <= X0 and y0 <= Y0 and x1 >= X0 + 220 and y1 >= Y0 + 100  # both in view …
    assert x1 - x0 < 600  # … and zoomed in on them, not on the whole project
    window.tools.edit_actions["delete"].trigger()
    assert list(layer.gdf.index) == [3]
    assert project.selection.fids(layer.id) == frozenset()
    window.undo_actions.undo_action.trigger()
    assert list(layer.gdf.index) == [1, 2, 3]


def test_move_tool_drags_the_selected_feature(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    canvas.snapping_enabled = False
    layer = project.layer("communities")
    _look_at(canvas, X0 + 100, Y0 + 50)
    window.tools.actions["move"].trigger()
    _drag(qtbot, canvas, (X0 + 50, Y0 + 50), (X0 + 60, Y0 + 30))
    x0, y0, _, _ = layer.gdf.geometry.loc[1].bounds
    assert (x0, y0) == pytest.approx((X0 + 10, Y0 - 20), abs=MPP)
    assert len(project.undo) == 1


def test_identify_lists_the_attributes_of_the_clicked_community(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    _look_at(canvas, X0 + 50, Y0 + 50)
    window.tools.actions["identify"].trigger()
    _click(qtbot, canvas, X0 + 150, Y0 + 50)
    tree = window.identify_dock.tree
    assert window.identify_dock.isVisible()
    top = tree.topLevelItem(0)
    assert top.text(0).endswith("· 2")
    values = {top.child(i).text(0): top.child(i).text(1) for i in range(top.childCount())}
    assert "小区1" in values.values()


def test_topology_panel_finds_an_overlap_and_gives_it_to_one_side(qtbot, project):
    layer = project.layer("communities")
    # push community 2 left by 30 m: it now overlaps community 1 on a 10 m × 100 m strip
    project.apply(ChangeGeometry(layer.id, {2: shapely.box(X0 + 90, Y0, X0 + 190, Y0 + 100)}))
    window = _window(qtbot, project)
    panel = window.open_panel("topology")
    assert panel.run()
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=10000)
    overlaps = [i for i in panel.issues if i.kind == "overlap"]
    assert len(overlaps) == 1 and set(overlaps[0].fids) == {1, 2}
    assert overlaps[0].area == pytest.approx(1000.0)
    panel.table.selectRow(panel.issues.index(overlaps[0]))
    panel.give_to.setCurrentIndex(panel.give_to.findData(1))
    assert panel.fix_selected()
    assert not [i for i in panel.issues if i.kind == "overlap"]
    one, two = layer.gdf.geometry.loc[1], layer.gdf.geometry.loc[2]
    assert one.area == pytest.approx(10000.0)
    assert two.area == pytest.approx(9000.0)
    assert one.intersection(two).area < 1e-6
    window.undo_actions.undo_action.trigger()
    assert layer.gdf.geometry.loc[2].area == pytest.approx(10000.0)


def test_snapping_only_to_the_chosen_layers(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    layer = project.layer("communities")
    other = gpd.GeoDataFrame({"name": ["p"]}, geometry=[shapely.Point(X0 + 50, Y0 + 150)], crs="EPSG:4546")
    points = project.add_layer(VectorLayer("points", "other", other))
    _look_at(canvas, X0 + 60, Y0 + 120)
    assert canvas.snap(X0 + 52, Y0 + 151).layer_id == points.id  # every visible layer by default
    window.tools.fill_snap_menu()
    menu = window.tools.snap_menu
    only = next(a for a in menu.actions() if a.objectName() == f"snap_{layer.id}")
    only.trigger()  # snap to the communities only
    assert canvas.snap_layer_ids == [layer.id]
    assert canvas.snap(X0 + 52, Y0 + 151) is None
    hit = canvas.snap(X0 + 97, Y0 + 102)
    assert (hit.layer_id, hit.kind, hit.x, hit.y) == (layer.id, "vertex", X0 + 100, Y0 + 100)
    window.tools.fill_snap_menu()
    next(a for a in menu.actions() if a.objectName() == "snap_all").trigger()
    assert canvas.snap_layer_ids is None and canvas.snap(X0 + 52, Y0 + 151).layer_id == points.id


def test_polygon_selection_by_clicked_corners(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    layer = project.layer("communities")
    _look_at(canvas, X0 + 170, Y0 + 50, 0.8)
    window.tools.actions["select_polygon"].trigger()
    # a triangle over communities 2 and 3 (x 120–220 and 240–340), not 1
    for x, y in [(X0 + 150, Y0 + 20), (X0 + 300, Y0 + 20), (X0 + 230, Y0 + 90)]:
        _click(qtbot, canvas, x, y)
    _click(qtbot, canvas, X0 + 10, Y0 + 60)  # a corner over community 1 …
    qtbot.keyClick(canvas, Qt.Key_Backspace)  # … taken back
    qtbot.keyClick(canvas, Qt.Key_Return)
    assert project.selection.fids(layer.id) == {2, 3}


def test_zoom_box_drag_zooms_to_the_box_and_a_click_zooms_in(qtbot, project):
    window = _window(qtbot, project)
    canvas = window.canvas
    _look_at(canvas, X0 + 170, Y0 + 50, 2.0)
    window.tools.actions["zoom_box"].trigger()
    _drag(qtbot, canvas, (X0 + 120, Y0), (X0 + 220, Y0 + 100))  # community 2
    x0, y0, x1, y1 = canvas.visible_extent()
    assert x0 <= X0 + 120 + 2 and x1 >= X0 + 220 - 2 and y0 <= Y0 + 2 and y1 >= Y0 + 98
    assert min(x1 - x0, y1 - y0) <= 100 + 2 * canvas.metres_per_pixel  # the box fills one side
    mpp = canvas.metres_per_pixel
    _click(qtbot, canvas, X0 + 170, Y0 + 50)
    assert canvas.metres_per_pixel == pytest.approx(mpp / 2)
