"""The hand-computed funding cases entered the way a planner does in the window: the numbers
the plan leaves open in the programme panel's "Numbers" tab, a community's inputs in its
funding tab (pytest-qt, real widgets, offscreen). Rates read as rates (50 %, not "0")."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PyQt5.QtCore import Qt  # noqa: E402
from test_programme import make_project  # noqa: E402

from app.panels.programme import ProgrammePanel  # noqa: E402
from layers.programme.items import add_item_command  # noqa: E402

TABS = {"eligibility": 0, "funding": 3, "numbers": 6}


@pytest.fixture
def panel(qtbot):
    p = make_project([{"name": "伍家岗小区", "district": "伍家岗区", "district_code": "420503"},
                      {"name": "高新小区", "district": "高新区", "district_code": None},
                      {"name": "未知小区", "in_urban_centre": None}])
    p.apply(add_item_command(p, 1, "gas_supply", 200))
    p.apply(add_item_command(p, 2, "roof_waterproofing", 10_000))
    widget = ProgrammePanel()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.set_project(p)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def type_number(panel, key: str, text: str) -> None:
    page = panel.numbers
    page.only_open.setChecked(False)
    row = page.row_of(key)
    page.table.item(row, 1).setText(text)  # the user types into the value cell


def test_numbers_tab_asks_where_the_plan_is_silent(panel):
    panel.tabs.setCurrentIndex(TABS["numbers"])
    page = panel.numbers
    row = page.row_of("funding_shares.basic_public.share")
    assert page.table.item(row, 1).text() == ""
    assert page.table.item(row, 2).text() == "the plan does not say — your assumption"
    page.source_edit.setText("district finance bureau 2026")
    type_number(panel, "funding_shares.basic_public.share", "80%")
    row = page.row_of("funding_shares.basic_public.share")
    assert page.table.item(row, 1).text() == "80%"
    assert page.table.item(row, 2).text() == "set in this project"
    assert "district finance bureau 2026" in page.table.item(row, 3).text()
    row = page.row_of("districts.xiling.city_award_rate")  # a verified rate reads as a rate
    assert page.table.item(row, 1).text() == "50%" and page.table.item(row, 2).text() == "verified"
    panel.project.undo.undo()
    panel.refresh()
    assert panel.project.standards().value("funding_shares", "basic_public", "share") is None


def test_wujiagang_relocation_road_opening_and_cable_tv_through_the_panel(panel):
    panel.tabs.setCurrentIndex(TABS["numbers"])
    type_number(panel, "renovation_items.gas_supply.unit_cost_yuan", "500")
    type_number(panel, "renovation_items.roof_waterproofing.unit_cost_yuan", "100")
    type_number(panel, "funding_shares.basic_public.share", "80%")
    type_number(panel, "funding_shares.basic_residents.share", "20%")
    panel.select(1)
    panel.tabs.setCurrentIndex(TABS["funding"])
    inputs = panel.inputs
    assert panel.chart.amounts["residents"] == pytest.approx(20_000)  # gas: a basic item by default
    inputs.relocation["gas_supply"].setChecked(True)
    for name, value in (("road_opening_reinstatement_yuan", 50_000), ("cable_tv_relocation_yuan", 10_000)):
        inputs.money[name].setValue(value)
        inputs.money[name].editingFinished.emit()
    inputs.scope.setCheckState(Qt.Checked)
    amounts = panel.chart.amounts
    assert amounts["pipeline_owners"] == pytest.approx(88_000)
    assert amounts["city_award"] == pytest.approx(25_000)
    assert amounts["district"] == pytest.approx(47_000)
    assert sum(amounts.values()) == pytest.approx(160_000)
    table = panel.sources_table
    shown = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert shown["city award rate: Wujiagang District"] == "50%"
    assert shown["district award on water, gas and power relocation"] == "20%"
    assert shown["road opening and reinstatement"] == "50,000 yuan"
    panel.project.undo.undo()  # the scope mark
    panel.refresh()
    assert panel.chart.amounts["city_award"] == 0
    assert inputs.scope.checkState() == Qt.PartiallyChecked


def test_gaoxin_written_short_gets_its_award_and_unknown_can_be_admitted(panel):
    panel.tabs.setCurrentIndex(TABS["numbers"])
    type_number(panel, "renovation_items.roof_waterproofing.unit_cost_yuan", "100")
    type_number(panel, "funding_shares.basic_public.share", "1")
    panel.select(2)
    panel.tabs.setCurrentIndex(TABS["funding"])
    panel.central_box.setValue(100_000)
    panel.central_box.editingFinished.emit()
    panel.inputs.scope.setCheckState(Qt.Checked)
    assert panel.chart.amounts["city_award"] == pytest.approx(0.2 * 900_000)
    panel.select(3)
    panel.tabs.setCurrentIndex(TABS["eligibility"])
    assert panel.admit_edit.isEnabled()
    panel.admit_edit.setText("区里已确认")
    panel.admit_edit.editingFinished.emit()
    from layers.programme import plan_year

    assert "未知小区" in list(plan_year(panel.project, 2026).selected["name"])


def test_xiling_xiaoting_yiling_and_weak_current_through_the_panel(qtbot):
    """The rest of the plan's hand-computed cases, entered only in the panel (as in
    tests/test_funding_cases.py through ``precinct config``)."""
    p = make_project([{"name": "西陵小区", "district": "西陵区", "district_code": "420502"},
                      {"name": "猇亭小区", "district": "猇亭区", "district_code": "420505"},
                      {"name": "夷陵小区", "district": "夷陵区", "district_code": "420506"},
                      {"name": "点军小区", "district": "点军区", "district_code": "420504"}])
    for fid in (1, 2, 3):
        p.apply(add_item_command(p, fid, "roof_waterproofing", 10_000))  # 1,000,000 basic
    p.apply(add_item_command(p, 4, "weak_current", 1_000))  # 100,000 weak current
    panel = ProgrammePanel()
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.set_project(p)
    panel.show()
    qtbot.waitExposed(panel)
    panel.tabs.setCurrentIndex(TABS["numbers"])
    for key, text in (("renovation_items.roof_waterproofing.unit_cost_yuan", "100"),
                      ("renovation_items.weak_current.unit_cost_yuan", "100"),
                      ("funding_shares.basic_public.share", "80%"),
                      ("funding_shares.basic_residents.share", "20%"),
                      ("funding_shares.weak_current_shared_works.share", "60%")):
        type_number(panel, key, text)

    def amounts(fid, central=None):
        panel.select(fid)
        panel.tabs.setCurrentIndex(TABS["funding"])
        if central is not None:
            panel.central_box.setValue(central)
            panel.central_box.editingFinished.emit()
        panel.inputs.scope.setCheckState(Qt.Checked)
        return dict(panel.chart.amounts)

    xiling = amounts(1, central=200_000)  # (800,000 public − 200,000 central) × 50 %
    assert xiling["central"] == 200_000 and xiling["city_award"] == pytest.approx(300_000)
    assert xiling["district"] == pytest.approx(300_000) and xiling["residents"] == pytest.approx(200_000)
    xiaoting = amounts(2)  # 800,000 × 20 %
    assert xiaoting["city_award"] == pytest.approx(160_000) and xiaoting["district"] == pytest.approx(640_000)
    yiling = amounts(3)  # the plan gives 夷陵区 no rate
    assert yiling["city_award"] == 0 and yiling["district"] == pytest.approx(800_000)
    panel.tabs.setCurrentIndex(TABS["numbers"])
    type_number(panel, "districts.yiling.city_award_rate", "30%")
    assert amounts(3)["city_award"] == pytest.approx(240_000)
    weak = amounts(4)  # 60,000 shared works public (点军 50 %), 40,000 the owners
    assert weak["pipeline_owners"] == pytest.approx(40_000)
    assert weak["city_award"] == pytest.approx(30_000) and weak["district"] == pytest.approx(30_000)
    p.undo.set_clean()
