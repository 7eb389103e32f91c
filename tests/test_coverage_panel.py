"""The coverage panel on the small sample city: run off the GUI thread, rows, chart,
click a gap to zoom."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PyQt5.QtGui import QColor  # noqa: E402

from app.canvas.view import MapCanvas  # noqa: E402
from app.panels.coverage import CoveragePanel  # noqa: E402
from layers.coverage import AREAS_LAYER, RESULTS_LAYER  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402


class Shell:
    """What the panel needs of the main window: its project and its canvas. (The real
    MainWindow's layer panel cannot list a table layer with rows yet: see the report.)"""

    def __init__(self, project) -> None:
        self.project = project
        self.canvas = MapCanvas()
        self.canvas.set_project(project)
        self.canvas.resize(1000, 700)
        self.canvas.show()

    def close(self) -> None:
        self.canvas.close()

    def deleteLater(self) -> None:  # noqa: N802 (Qt name)
        self.canvas.deleteLater()


@pytest.fixture
def window(qtbot):
    win = Shell(build_sample_project("small", 0))
    qtbot.waitExposed(win.canvas)
    panel = CoveragePanel(win)
    panel.resize(500, 900)
    panel.show()
    yield win, panel
    win.project.undo.set_clean()
    win.close()
    win.deleteLater()


def _run(panel, qtbot):
    assert panel.run()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)


def test_run_fills_table_chart_and_project(window, qtbot):
    win, panel = window
    assert panel.chosen_services() == ["elder_care", "childcare", "meal_point"]
    _run(panel, qtbot)
    assert panel.table.rowCount() == 9  # 3 services × 3 levels
    assert panel.table.item(0, 0).text() == "elder care"  # the service's label (issue 17)
    assert "%" in panel.table.item(0, 3).text()
    assert RESULTS_LAYER in win.project.names() and AREAS_LAYER in win.project.names()
    image = panel.chart.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 3)
               for y in range(0, image.height(), 3)}
    assert len(colours) > 3 and QColor("white").rgb() in colours  # painted bars, not blank
    # the axis has room for "100%" (it read "00%"), and a legend names the circles
    chart = panel.chart
    assert chart.layout_boxes()["left"] > chart.fontMetrics().horizontalAdvance("100%")
    assert sorted(chart.level_labels.values()) == ["10-minute circle / 500 m", "15-minute circle / 1000 m",
                                                   "5-minute circle / 300 m"]
    assert panel.gaps.rowCount() == len(panel.result.gaps) > 0


def test_clicking_a_gap_zooms_the_canvas_there(window, qtbot):
    win, panel = window
    _run(panel, qtbot)
    win.canvas.zoom_to_extent()
    rec = panel.result.gaps.iloc[2]
    panel.gaps.cellClicked.emit(2, 0)
    x0, y0, x1, y1 = win.canvas.visible_extent()
    cx, cy = (rec["minx"] + rec["maxx"]) / 2, (rec["miny"] + rec["maxy"]) / 2
    assert x0 < cx < x1 and y0 < cy < y1
    assert 600 < (x1 - x0) < 2500  # the community with its neighbourhood, not the city nor 1:20
    assert "coverage_gap" in win.canvas.overlays  # and it is outlined


def test_bad_levels_show_a_message(window, qtbot, monkeypatch):
    from PyQt5.QtWidgets import QMessageBox

    _win, panel = window
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda *a: shown.append(a[2])))
    panel.levels.setText("300,far")
    assert panel.run()
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    assert "walking distance" in shown[0]
    assert panel.run_button.isEnabled()
