"""The QGIS basics a planner reaches for, on the real window: measure a distance and an area,
type a scale, step through the undo history, see what identify found."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt drives the widgets")

from PyQt5.QtCore import QPoint, Qt  # noqa: E402

from app.window.main import MainWindow  # noqa: E402
from app.window.scale_box import parse_scale  # noqa: E402
from conftest import X0, Y0, tiny_communities  # noqa: E402
from layers.commands import ChangeAttributes  # noqa: E402
from layers.layer import VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402


@pytest.fixture
def window(qtbot):
    project = Project(metadata={"title": "basics"})
    project.add_layer(VectorLayer("communities", "communities", tiny_communities()))
    win = MainWindow(project)
    qtbot.addWidget(win, before_close_func=lambda w: w.project.undo.set_clean())
    win.show()
    qtbot.waitExposed(win)
    win.canvas.set_view(X0 + 200, Y0 + 50, 0.5)
    return win


def _px(canvas, x, y) -> QPoint:
    p = canvas.world_to_pixel(x, y)
    return QPoint(round(p.x()), round(p.y()))


def test_measure_a_right_triangle(qtbot, window):
    """3-4-5 m legs scaled by 20: 60 m + 80 m = 140 m along, 2,400 m² enclosed."""
    canvas = window.canvas
    window.tools.activate("measure")
    corners = [(X0 + 150, Y0 + 20), (X0 + 210, Y0 + 20), (X0 + 210, Y0 + 100)]
    for x, y in corners:
        qtbot.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, _px(canvas, x, y))
    qtbot.keyClick(canvas, Qt.Key_Return)
    tool = window.tools.tools["measure"]
    assert tool.done and len(tool.points) == 3
    text = window.statusBar().currentMessage()
    assert "140.0 m" in text and "2,400 m²" in text, text
    qtbot.keyClick(canvas, Qt.Key_Escape)
    assert not tool.points


def test_type_a_scale(qtbot, window):
    box = window.scale_label
    centre = window.canvas.centre
    box.setText("1:2000")
    assert box.apply()
    assert window.canvas.scale_denominator() == pytest.approx(2000, rel=1e-6)
    assert window.canvas.centre == pytest.approx(centre)
    assert "2,000" in box.text()
    box.setText("two thousand")
    assert not box.apply()
    assert window.canvas.scale_denominator() == pytest.approx(2000, rel=1e-6)
    assert parse_scale("1：5,000") == 5000 and parse_scale("0") is None


def test_undo_history_goes_back_and_forth(qtbot, window):
    project = window.project
    layer = project.layer("communities")
    fid = int(layer.gdf.index[0])
    for name in ("一", "二", "三"):
        project.apply(ChangeAttributes(layer.id, {fid: {"name": name}}))
    panel = window.history_panel
    assert panel.list.count() == 4 and panel.list.currentRow() == 3
    panel._go(panel.list.item(1))  # back to just after the first step
    assert layer.gdf.at[fid, "name"] == "一" and len(project.undo) == 1
    assert panel.list.currentRow() == 1 and panel.list.count() == 4
    panel._go(panel.list.item(0))  # the project as opened
    assert layer.gdf.at[fid, "name"] == "小区0"
    panel._go(panel.list.item(3))  # and all the way forward again
    assert layer.gdf.at[fid, "name"] == "三"


def test_identify_outlines_what_it_found(qtbot, window):
    canvas = window.canvas
    window.tools.activate("identify")
    qtbot.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, _px(canvas, X0 + 50, Y0 + 50))
    assert "identify" in canvas.overlays
    before = canvas.grab().toImage()
    qtbot.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, _px(canvas, X0 + 110, Y0 + 50))  # a gap
    assert "identify" not in canvas.overlays
    after = canvas.grab().toImage()
    # the highlight was drawn: the outline's yellow is on screen only while something is found
    yellow = 0xFFFFD700 & 0xFFFFFF

    def count(image):
        return sum((image.pixel(x, y) & 0xFFFFFF) == yellow
                   for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))

    assert count(before) > 20 and count(after) == 0
