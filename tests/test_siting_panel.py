"""The siting dock on the sample city: run, add to the map (one undo), what-if."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PyQt5.QtCore import Qt  # noqa: E402

from app.panels.siting import SitingPanel  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402
from layers.siting import RESULT_LAYER, run_siting  # noqa: E402
from layers.siting.whatif import SitingWhatIf  # noqa: E402


@pytest.fixture
def panel(qtbot):
    project = build_sample_project("small", 0)
    dock = SitingPanel()
    qtbot.addWidget(dock)
    dock.set_project(project)
    return dock


def test_run_fills_the_table_and_adding_is_one_undo(panel, qtbot):
    panel.count.setValue(2)
    assert panel.run_now() is not None  # solved off the GUI thread
    qtbot.waitUntil(lambda: panel.run is not None, timeout=60000)
    reference = run_siting(panel.project, "elder_care", "mclp", k=2)
    assert panel.table.rowCount() == len(reference.result.table) > 0
    chosen = [int(panel.table.item(r, 1).text().split()[0]) for r in range(panel.table.rowCount())]
    assert chosen == [int(f) for f in reference.result.table["parcel_fid"]]
    assert "→" in panel.summary.text()
    panel.apply_button.click()
    assert RESULT_LAYER in panel.project.names()
    panel.project.undo.undo()
    assert RESULT_LAYER not in panel.project.names()


def test_ticking_a_parcel_shows_its_coverage_change(panel):
    item = panel.parcels.item(0)
    item.setCheckState(Qt.Checked)
    fid = int(item.data(Qt.UserRole))
    expected = SitingWhatIf(panel.project, "elder_care").place(fid)
    assert panel.last_change.residents_new == pytest.approx(expected.residents_new)
    assert f"{expected.residents_new:,.0f}" in panel.whatif_label.text()
    item.setCheckState(Qt.Unchecked)
    assert panel.last_change.placed == [] and panel.last_change.residents_new == 0
