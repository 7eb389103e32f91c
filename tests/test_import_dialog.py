"""The import dialog: auto-matched mapping, editable, preview, suggestion, import, errors."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from PyQt5.QtWidgets import QMessageBox  # noqa: E402

from app.dialogs.importing import ImportDialog  # noqa: E402
from conftest import X0, Y0  # noqa: E402


@pytest.fixture
def communities_file(tmp_path):
    path = tmp_path / "小区台账.gpkg"
    gpd.GeoDataFrame(
        {"小区名称": ["石板溪小区", "四方堰小区"], "建成年代": [1992, 1998], "户数": [210, 90],
         "备注X": ["a", "b"]},
        geometry=[shapely.box(X0 + 300 * i, Y0 + 600, X0 + 300 * i + 200, Y0 + 800) for i in range(2)],
        crs="EPSG:4546").to_file(path, engine="pyogrio")
    return path


def test_dialog_maps_previews_and_imports(qtbot, project, communities_file):
    dialog = ImportDialog(project, path=communities_file, kind="communities")
    qtbot.addWidget(dialog)
    assert dialog.mapping() == {"小区名称": "name", "建成年代": "year_built", "户数": "households"}
    assert dialog.preview_table.rowCount() == 2
    assert dialog.preview_table.item(0, 0).text() == "石板溪小区"
    dialog.set_field("户数", None)            # the person unmaps one field …
    dialog.set_field("备注X", "notes")         # … and maps another
    assert dialog.mapping() == {"小区名称": "name", "建成年代": "year_built", "备注X": "notes"}
    undo_before = len(project.undo)
    dialog.import_button.click()
    layer = project.layer(dialog.report.layer_name)
    assert layer.gdf["notes"].tolist() == ["a", "b"] and layer.gdf["households"].isna().all()
    assert len(project.undo) == undo_before + 1
    project.undo.undo()
    assert dialog.report.layer_name not in project.names()


def test_dialog_shows_offset_suggestion_and_uses_chosen_coords(qtbot, project, tmp_path):
    path = tmp_path / "amap.csv"
    pd.DataFrame({"名称": ["养老服务站"], "类型": ["elderly_care"], "gcj_lng": [111.295],
                  "gcj_lat": [30.70]}).to_csv(path, index=False)
    dialog = ImportDialog(project, path=path, kind="facilities")
    qtbot.addWidget(dialog)
    assert dialog.suggested_coords == "gcj02" and "GCJ-02" in dialog.suggestion_label.text()
    dialog.coords_combo.setCurrentText("gcj02")
    dialog.import_button.click()
    assert dialog.report.offset_removed == "gcj02"


def test_dialog_errors_go_to_a_message_box(qtbot, project, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda *a, **k: shown.append(a[2])))
    bad = tmp_path / "broken.geojson"
    bad.write_text("{oops", encoding="utf-8")
    dialog = ImportDialog(project, kind="communities")
    qtbot.addWidget(dialog)
    assert dialog.load(bad) is False and len(shown) == 1 and "broken.geojson" in shown[0]
    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.box(24.9, 60.1, 24.91, 60.11)],
                     crs="EPSG:4326").to_file(far)
    before = project.names()
    assert dialog.load(far)
    dialog.import_button.click()
    assert len(shown) == 2 and project.names() == before and dialog.result() == 0
