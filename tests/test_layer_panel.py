"""The layer tree: drag-and-drop order, context menu (order, opacity, style, rename, remove),
the visibility checkbox and the active layer."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from affine import Affine  # noqa: E402
from PyQt5.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PyQt5.QtGui import QColor, QDragMoveEvent, QDropEvent  # noqa: E402
from PyQt5.QtWidgets import QColorDialog, QInputDialog, QMessageBox  # noqa: E402
from shapely.geometry import LineString, box  # noqa: E402

from app.canvas.view import MapCanvas  # noqa: E402
from app.panels.layer_tree.menu import find_action  # noqa: E402
from app.panels.layer_tree.panel import LAYER_MIME, LayerPanel  # noqa: E402
from layers.errors import ProjectError  # noqa: E402
from layers.layer import RasterLayer, VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402
from styles import effective_style, resolve  # noqa: E402
from styles.choices import categorisable_fields, categorised_style, graduated_style, numeric_fields  # noqa: E402

CRS = "EPSG:4546"
X0, Y0 = 528_000.0, 3_397_000.0
POPULATION = [120, 300, 450, 800, 1200, 1500, 2600, 4000]


def communities(n: int = 8) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"小区{i}" for i in range(n)], "population": POPULATION[:n],
         "district": ["西陵区", "伍家岗区"] * (n // 2)},
        geometry=[box(X0 + 120 * i, Y0, X0 + 120 * i + 100, Y0 + 100) for i in range(n)], crs=CRS)


def make_project() -> Project:
    """Bottom → top: population grid, streets, communities, a red square over community 0."""
    project = Project(metadata={"title": "layer tree"})
    grid = np.arange(12, dtype="float32").reshape(3, 4)
    project.add_layer(RasterLayer("人口格网", "population", grid,
                                  Affine(50, 0, X0, 0, -50, Y0 + 300), CRS, nodata=-1))
    streets = gpd.GeoDataFrame({"name": ["东山大道"], "road_class": ["arterial"]},
                               geometry=[LineString([(X0, Y0 - 20), (X0 + 900, Y0 - 20)])], crs=CRS)
    project.add_layer(VectorLayer("街道", "streets", streets))
    project.add_layer(VectorLayer("小区", "communities", communities()))
    square = gpd.GeoDataFrame({"name": ["方块"]}, geometry=[box(X0 - 10, Y0 - 10, X0 + 110, Y0 + 110)],
                              crs=CRS)
    project.add_layer(VectorLayer("方块", "other", square,
                                  style={"fill": "#0000ff", "fill_alpha": 1.0, "label_field": None}))
    return project


@pytest.fixture
def panel(qtbot):
    widget = LayerPanel()
    widget.set_project(make_project())
    qtbot.addWidget(widget)
    widget.resize(420, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def names(panel) -> list[str]:
    return [item.text(0) for item in panel.items()]


def legend(panel, name: str) -> list[str]:
    item = next(i for i in panel.items() if i.text(0) == name)
    return [item.child(i).text(0) for i in range(item.childCount())]


def drop(panel, source: str, pos: QPoint) -> None:
    """Deliver a drop of ``source``'s row at ``pos`` (viewport coordinates) to the tree."""
    tree = panel.tree
    item = next(i for i in panel.items() if i.text(0) == source)
    mime = tree.mimeData([item])
    move = QDragMoveEvent(pos, Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier)
    tree.dragMoveEvent(move)
    assert move.isAccepted()
    tree.dropEvent(QDropEvent(QPointF(pos), Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier))


def row_point(panel, name: str, upper: bool) -> QPoint:
    item = next(i for i in panel.items() if i.text(0) == name)
    rect = panel.tree.visualItemRect(item)
    return QPoint(rect.center().x(), rect.top() + 2 if upper else rect.bottom() - 2)


# --- order ----------------------------------------------------------------------------------
def test_rows_are_top_first_and_only_layer_rows_drag(panel):
    assert names(panel) == ["方块", "小区", "街道", "人口格网"]
    assert names(panel) == list(reversed(panel.project.names()))
    rows = {i.text(0): i for i in panel.items()}
    assert rows["小区"].flags() & Qt.ItemIsDragEnabled
    assert not rows["小区"].flags() & Qt.ItemIsDropEnabled  # drops land between rows
    assert legend(panel, "街道")[0] == "arterial road"
    child = rows["街道"].child(0)
    assert not child.flags() & Qt.ItemIsDragEnabled
    mime = panel.tree.mimeData([rows["小区"]])
    assert bytes(mime.data(LAYER_MIME)).decode() == panel.project.layer("小区").id


def test_dropping_a_row_above_another_reorders_project_and_tree(panel):
    drop(panel, "人口格网", row_point(panel, "小区", upper=True))
    assert names(panel) == ["方块", "人口格网", "小区", "街道"]
    assert panel.project.names() == ["街道", "小区", "人口格网", "方块"]
    drop(panel, "方块", row_point(panel, "街道", upper=False))  # below the last row: bottom
    assert panel.project.names()[0] == "方块"
    assert names(panel) == ["人口格网", "小区", "街道", "方块"]
    assert legend(panel, "街道")[0] == "arterial road"  # the legend moved with its layer


def test_dropping_on_a_legend_row_puts_the_layer_below_that_layer(panel):
    streets = next(i for i in panel.items() if i.text(0) == "街道")
    panel.tree.expandItem(streets)
    rect = panel.tree.visualItemRect(streets.child(0))
    drop(panel, "方块", rect.center())
    assert names(panel) == ["小区", "街道", "方块", "人口格网"]


def test_a_foreign_drop_is_ignored(panel):
    from PyQt5.QtCore import QMimeData

    mime = QMimeData()
    mime.setText("not a layer")
    event = QDropEvent(QPointF(row_point(panel, "小区", True)), Qt.MoveAction, mime,
                       Qt.LeftButton, Qt.NoModifier)
    panel.tree.dropEvent(event)
    assert names(panel) == ["方块", "小区", "街道", "人口格网"]


def test_move_layer_row_and_the_menu_moves(panel):
    panel.move_layer_row(0, 2)
    assert names(panel) == ["小区", "街道", "方块", "人口格网"]
    menu = panel.context_menu(panel.project.layer("方块"))
    find_action(menu, "move_up").trigger()
    assert names(panel) == ["小区", "方块", "街道", "人口格网"]
    menu = panel.context_menu(panel.project.layer("方块"))
    find_action(menu, "move_down").trigger()
    find_action(panel.context_menu(panel.project.layer("方块")), "move_down").trigger()
    assert names(panel) == ["小区", "街道", "人口格网", "方块"]
    bottom = panel.context_menu(panel.project.layer("方块"))
    assert not find_action(bottom, "move_down").isEnabled()
    find_action(bottom, "move_top").trigger()
    assert panel.project.names()[-1] == "方块"
    assert not find_action(panel.context_menu(panel.project.layer("方块")), "move_up").isEnabled()
    panel.project.undo.undo()  # each move is one undo step
    assert names(panel) == ["小区", "街道", "人口格网", "方块"]
    panel.project.undo.redo()
    assert names(panel)[0] == "方块"


def test_the_canvas_redraws_in_the_new_order(panel, qtbot):
    canvas = MapCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(500, 300)
    canvas.set_project(panel.project)
    spot = canvas.world_to_pixel(X0 + 12, Y0 + 12)  # community 0 under the square, off its label

    def colour() -> QColor:
        return QColor(canvas.grab().toImage().pixel(int(spot.x()), int(spot.y())))

    assert colour().getRgb()[:3] == (0, 0, 255)  # the opaque square on top
    drop(panel, "方块", row_point(panel, "人口格网", upper=True))  # now under the communities
    assert names(panel)[-2:] == ["方块", "人口格网"]
    assert colour().getRgb()[:3] != (0, 0, 255)


# --- opacity ---------------------------------------------------------------------------------
def test_opacity_menu_sets_the_layer_opacity(panel, monkeypatch):
    layer = panel.project.layer("小区")
    menu = panel.context_menu(layer)
    assert find_action(menu, "opacity_100").isChecked()
    find_action(menu, "opacity_50").trigger()
    assert layer.opacity == pytest.approx(0.5)
    assert "50 %" in next(i for i in panel.items() if i.text(0) == "小区").toolTip(0)
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (35, True)))
    find_action(panel.context_menu(layer), "opacity_other").trigger()
    assert layer.opacity == pytest.approx(0.35)
    menu = panel.context_menu(layer)
    assert find_action(menu, "opacity_other").isChecked()
    assert "35 %" in find_action(menu, "opacity_other").text()


# --- style -----------------------------------------------------------------------------------
def test_graduated_by_population_gives_n_classes(panel):
    layer = panel.project.layer("小区")
    assert legend(panel, "小区") == []  # the default is one symbol (an icon on the row)
    menu = panel.context_menu(layer)
    assert find_action(menu, "style_graduated:name:3") is None  # text is not graduated
    find_action(menu, "style_graduated:population:4").trigger()
    assert layer.style["type"] == "graduated" and len(layer.style["classes"]) == 4
    rows = legend(panel, "小区")
    assert len(rows) == 4 and rows[0].startswith("120 – ") and rows[-1].endswith("4,000")
    resolved = resolve(effective_style(layer.kind, layer.style), layer.gdf)
    assert not any(entry.label_en == "other" for entry in resolved.legend)
    assert len({tuple(c) for c in resolved.fill}) == 4  # light to dark, every feature classed
    assert find_action(panel.context_menu(layer), "style_graduated:population:4").isChecked()
    find_action(panel.context_menu(layer), "style_graduated:population:7").trigger()
    assert len(legend(panel, "小区")) == 7


def test_categorised_single_colour_and_back_to_default(panel, monkeypatch):
    layer = panel.project.layer("小区")
    find_action(panel.context_menu(layer), "style_categorised:district").trigger()
    assert legend(panel, "小区") == ["伍家岗区", "西陵区"]
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#123456")))
    find_action(panel.context_menu(layer), "style_single").trigger()
    assert layer.style["type"] == "single" and layer.style["fill"] == "#123456"
    assert effective_style(layer.kind, layer.style)["label_field"] == "name"  # kept from default
    assert legend(panel, "小区") == []
    menu = panel.context_menu(layer)
    assert find_action(menu, "style_single").isChecked()
    find_action(menu, "style_default").trigger()
    assert layer.style == {}
    assert find_action(panel.context_menu(layer), "style_default").isChecked()


def test_a_line_layer_is_coloured_by_its_stroke(panel):
    layer = panel.project.layer("街道")
    find_action(panel.context_menu(layer), "style_categorised:name").trigger()
    category = layer.style["categories"][0]
    assert category["value"] == "东山大道" and "stroke" in category and "fill" not in category


def test_raster_styles_are_greyscale_or_ramp(panel):
    layer = panel.project.layer("人口格网")
    menu = panel.context_menu(layer)
    assert find_action(menu, "style_single") is None and find_action(menu, "style_raster:rgb") is None
    find_action(menu, "style_raster:greyscale").trigger()
    assert layer.style == {"raster": "greyscale"}
    find_action(panel.context_menu(layer), "style_raster:ramp").trigger()
    assert len(legend(panel, "人口格网")) == 2  # low and high ends of the ramp


def test_style_choices_follow_the_data():
    frame = communities()
    assert numeric_fields(frame) == ["population"]
    assert categorisable_fields(frame) == ["name", "population", "district"]
    many = pd.DataFrame({"v": [f"k{i % 20}" for i in range(200)]})
    style = categorised_style("other", many, "v")
    assert len(style["categories"]) == 12  # the rest are drawn as "other"
    legend_rows = resolve(effective_style("other", style), many).legend
    assert legend_rows[-1].label_en == "other"
    ties = pd.DataFrame({"n": [1, 1, 1, 1, 1, 1, 2, 3, 4, 5]})
    graded = graduated_style("other", ties, "n", 4)  # quantiles collapse → equal intervals
    assert len(graded["classes"]) == 4
    assert graded["classes"][0]["min"] == 1 and graded["classes"][-1]["max"] == 5
    with pytest.raises(ProjectError, match="not numeric"):
        graduated_style("communities", frame, "district", 3)


# --- rename and remove -------------------------------------------------------------------------
def test_remove_is_undoable(panel):
    layer = panel.project.layer("街道")
    find_action(panel.context_menu(layer), "remove").trigger()
    assert "街道" not in panel.project.names() and "街道" not in names(panel)
    panel.project.undo.undo()
    assert panel.project.names() == ["人口格网", "街道", "小区", "方块"]
    assert names(panel) == ["方块", "小区", "街道", "人口格网"]
    panel.project.undo.redo()
    assert "街道" not in names(panel)


def test_rename_and_a_taken_name_is_refused(panel, monkeypatch):
    layer = panel.project.layer("街道")
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("主干道", True)))
    find_action(panel.context_menu(layer), "rename").trigger()
    assert layer.name == "主干道" and "主干道" in names(panel)
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda _p, _t, text: shown.append(text)))
    assert not panel.rename_layer(layer, "小区")
    assert layer.name == "主干道" and "exists already" in shown[0]
    panel.project.undo.undo()  # the rename is one undo step
    assert layer.name == "街道" and "街道" in names(panel)


# --- visibility and the active layer -------------------------------------------------------
def test_visibility_checkbox_both_ways(panel):
    layer = panel.project.layer("小区")
    item = next(i for i in panel.items() if i.text(0) == "小区")
    item.setCheckState(0, Qt.Unchecked)
    assert not layer.visible
    layer.visible = True
    assert item.checkState(0) == Qt.Checked


def test_current_layer_follows_the_selection_and_survives_refreshes(panel, qtbot):
    panel.set_current_layer(None)
    assert panel.current_layer() is None
    communities_layer = panel.project.layer("小区")
    with qtbot.waitSignal(panel.currentLayerChanged, timeout=1000) as signal:
        panel.set_current_layer(communities_layer)
    assert signal.args == [communities_layer] and panel.current_layer() is communities_layer
    streets = next(i for i in panel.items() if i.text(0) == "街道")
    with qtbot.waitSignal(panel.currentLayerChanged, timeout=1000) as signal:
        panel.tree.setCurrentItem(streets.child(0))  # a legend row stands for its layer
    assert signal.args[0].name == "街道"
    seen = []
    panel.currentLayerChanged.connect(seen.append)
    panel.set_layer_style(panel.project.layer("街道"), {"stroke": "#000000"})  # rebuilds the tree
    panel.move_layer_row(2, 0)
    assert panel.current_layer().name == "街道" and seen == []
    assert panel.tree.currentItem().text(0) == "街道"
    panel.remove_layer(panel.project.layer("街道"))
    assert panel.current_layer() is None and seen == [None]
