"""The programme panel on the small sample city (pytest-qt, offscreen)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PyQt5.QtCore import QDate, Qt  # noqa: E402
from PyQt5.QtWidgets import QMessageBox  # noqa: E402

from app.panels.programme import ProgrammePanel  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402
from layers.programme import set_catalogue_unit_cost  # noqa: E402
from layers.programme.data import set_standard_value  # noqa: E402

TABS = {"eligibility": 0, "items": 1, "ranking": 2, "funding": 3, "status": 4, "precincts": 5}


def _without_synthetic_programme(project) -> None:
    """The sample's synthetic checklist and unit costs out of the way (one undo step each)."""
    from layers.commands import RemoveLayer
    from layers.config.command import ChangeSettings

    project.apply(RemoveLayer(project.layer("programme_items").id))
    project.apply(ChangeSettings({("standards_overrides", "renovation_items"): None}))


@pytest.fixture
def panel(qtbot):
    project = build_sample_project("small", 0)
    widget = ProgrammePanel()
    qtbot.addWidget(widget)
    widget.resize(700, 600)
    widget.set_project(project)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _texts(tree_item) -> list[str]:
    return [tree_item.child(i).text(1) for i in range(tree_item.childCount())]


def test_eligibility_and_pilot_with_reasons(panel):
    panel.select(1)  # 金洲路179号院: in the shantytown programme
    top = panel.eligibility_tree.topLevelItem(0)
    assert top.text(1) == "not eligible" and "shantytown" in top.text(2)
    pilot = panel.eligibility_tree.topLevelItem(1)
    assert pilot.childCount() == 5 and _texts(pilot)[1] == "fail"
    panel.select(5)
    assert panel.eligibility_tree.topLevelItem(0).text(1) == "eligible"
    panel.exemplary_box.setCheckState(Qt.Checked)
    assert panel.project.settings["programme"]["exemplary"]["5"] is True


def test_items_prefill_edit_and_totals(panel):
    _without_synthetic_programme(panel.project)
    panel.select(5)
    panel.tabs.setCurrentIndex(TABS["items"])
    assert panel.items_table.rowCount() == 0
    assert panel.prefill()
    rows = panel.items_table.rowCount()
    assert rows >= 2 and "Not costed" in panel.totals_label.text()
    labels = [panel.items_table.item(r, 0).text() for r in range(rows)]
    r = labels.index("water supply")
    set_catalogue_unit_cost(panel.project, "water_supply", 100.0)
    panel.refresh()
    panel.items_table.item(r, 4).setText("250")  # quantity typed in the table: undoable edit
    assert panel.items_table.item(r, 6).text() == "25,000"
    assert "Total 25,000 yuan" in panel.totals_label.text() and "basic 25,000" in panel.totals_label.text()
    panel.project.undo.undo()
    panel.refresh()
    assert panel.items_table.item(r, 6).text() == "—"


def test_ranking_weights_and_explanations(panel):
    panel.tabs.setCurrentIndex(TABS["ranking"])
    table = panel.ranking_table
    assert table.rowCount() > 10
    assert "non-commercial community" in table.item(0, 5).text()  # the weight's label
    assert "coverage not computed" in table.item(0, 5).text()
    first = float(table.item(0, 2).text())
    panel.weight_boxes["non_commercial"].setValue(60)
    panel._weight_changed("non_commercial")
    assert float(table.item(0, 2).text()) == first + 30
    assert "project override" in panel.weight_boxes["non_commercial"].toolTip()


def test_funding_chart_and_sources(panel, qtbot):
    project = panel.project
    _without_synthetic_programme(project)
    set_catalogue_unit_cost(project, "roof_waterproofing", 100.0)
    set_standard_value(project, "funding_shares", "basic_public", "share", 1.0)
    for payer in ("residents", "property_unit"):  # the sample's synthetic shares make room
        set_standard_value(project, "funding_shares", f"basic_{payer}", "share", None)
    from layers.programme.items import add_item_command

    project.apply(add_item_command(project, 5, "roof_waterproofing", 1000))
    from layers.programme import set_award_scope

    set_award_scope(project, 5, True)
    panel.select(5)
    panel.tabs.setCurrentIndex(TABS["funding"])
    panel.central_box.setValue(20_000)
    panel._central_changed()
    panel.refresh()
    amounts = panel.chart.amounts
    assert amounts["central"] == 20_000 and amounts["city_award"] == 40_000  # 50 % of 80,000 (西陵区)
    bars = dict(panel.chart.bars())
    assert bars["district"].width() == bars["city_award"].width() > 0
    assert bars["residents"].width() == 0
    panel.chart.grab()  # paints without error
    whats = [panel.sources_table.item(r, 0).text() for r in range(panel.sources_table.rowCount())]
    assert "city award rate: Xiling District" in whats and "central subsidy" in whats


def test_status_record_and_signed_acceptance(panel, monkeypatch):
    project = panel.project
    fid = int(project.layer("communities").gdf.query("programme_status == 'works'").index[0])
    panel.select(fid)
    panel.tabs.setCurrentIndex(TABS["status"])
    assert panel.next_label.text() == "accepted"
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda *a: shown.append(a[2])))
    panel.date_edit.setDate(QDate(2025, 12, 1))
    assert not panel.record_next()  # no signature
    assert "signature" in shown[0]
    panel.signed_edit.setText("业委会")
    assert panel.record_next()
    assert project.layer("communities").gdf.at[fid, "programme_status"] == "accepted"
    assert panel.status_table.rowCount() == 1 and panel.status_table.item(0, 3).text() == "业委会"
    assert not panel.record_button.isEnabled()


def test_precinct_roll_up(panel):
    panel.tabs.setCurrentIndex(TABS["precincts"])
    assert panel.precinct_table.rowCount() == len(panel.project.layer("communities"))  # no precincts yet
    # the chart shows the largest totals stacked by payer (the sample's synthetic money)
    chart = panel.rollup.chart
    from layers.programme import precinct_splits

    splits = precinct_splits(panel.project)
    biggest = sorted(splits.values(), key=lambda s: -s.total)[:8]
    assert [label for label, _ in chart.rows] == [s.name for s in biggest]
    assert sum(chart.rows[0][1].values()) == pytest.approx(biggest[0].total)
    assert chart.height() > 0


def test_a_large_roll_up_is_worked_out_off_the_gui_thread(panel, qtbot, monkeypatch):
    """The city's 3,000 splits froze the window (76 s); from BACKGROUND_FROM communities they
    are a job: the tab says so at once, then shows the same numbers as the direct call."""
    import app.panels.programme.rollup as rollup
    from layers.programme import precinct_splits

    monkeypatch.setattr(rollup, "BACKGROUND_FROM", 10)  # the sample's 60 count as large
    panel.tabs.setCurrentIndex(TABS["precincts"])
    assert panel.precinct_table.rowCount() == 0 and panel.rollup.job is not None
    assert panel.rollup.status.text() == rollup.WORKING.format(
        n=len(panel.project.layer("communities")))()
    qtbot.waitUntil(lambda: panel.precinct_table.rowCount() > 0, timeout=60_000)
    splits = precinct_splits(panel.project)
    assert panel.precinct_table.rowCount() == len(splits)
    assert not panel.rollup.status.isVisible()
    biggest = sorted(splits.values(), key=lambda s: -s.total)[:8]
    assert [label for label, _ in panel.rollup.chart.rows] == [s.name for s in biggest]
