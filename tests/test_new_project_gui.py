"""File → New asks where the project lies: the first data's CGCS2000 zone, or a given CRS."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt drives the widgets")

import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402

import app.dialogs.new_project as new_project  # noqa: E402
from app.window.main import MainWindow  # noqa: E402
from layers.importing import import_layer  # noqa: E402


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    return win


def answer(monkeypatch, given: str | None, title: str = "上海试点"):
    def ask(dialog):
        dialog.title.setText(title)
        if given is not None:
            dialog.given.setChecked(True)
            dialog.crs.setEditText(given)
        dialog.accept_if_valid()
        return dialog.result() == dialog.Accepted
    monkeypatch.setattr(new_project, "ask", ask)


def test_new_with_a_given_crs(window, monkeypatch):
    answer(monkeypatch, "EPSG:4549")
    assert window.new_project()
    assert window.project.crs.to_epsg() == 4549 and window.project.metadata["title"] == "上海试点"
    assert "EPSG:4549" in window.crs_label.text()


def test_a_geographic_crs_is_refused_in_the_dialog(window, monkeypatch):
    answer(monkeypatch, "EPSG:4490")
    before = window.project
    assert not window.new_project()
    assert window.project is before


def test_new_from_the_first_data_takes_its_zone_and_undo_gives_it_back(window, monkeypatch,
                                                                       tmp_path):
    answer(monkeypatch, None)
    assert window.new_project()
    path = tmp_path / "huangpu.geojson"
    gpd.GeoDataFrame({"name": ["外滩"]}, geometry=[shapely.box(121.46, 31.23, 121.47, 31.24)],
                     crs="EPSG:4326").to_file(path, driver="GeoJSON")
    report = import_layer(window.project, path, "communities")
    assert window.project.crs.to_epsg() == 4549
    assert any("EPSG:4549" in note.en for note in report.notes)
    window.project.undo.undo()
    assert not window.project.layers and window.project.metadata.get("crs_auto")
    window.project.undo.set_clean()
