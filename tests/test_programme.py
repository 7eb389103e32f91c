"""The renovation programme against hand-computed cases from the Yichang plan's text."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from conftest import X0, Y0
from layers.commands import AddLayer
from layers.errors import EditError, ProjectError
from layers.layer import TableLayer, VectorLayer
from layers.programme import (
    advance,
    catalogue,
    checklist,
    community_split,
    cost_summary,
    eligibility,
    history,
    pilot_check,
    plan_year,
    precinct_splits,
    prefill_command,
    rank,
    set_award_scope,
    set_catalogue_unit_cost,
    set_central_subsidy,
    set_exemplary,
    set_extra_cost,
    set_relocation,
    set_weight,
    suggestions,
)
from layers.programme.data import set_standard_value
from layers.programme.items import add_item_command
from layers.project import Project

BASE = {"year_built": 1990, "property_type": "work_unit", "disabled_residents": False,
        "households": 200, "population": 500, "buildings": 4, "floors_max": 6, "lifts": 0,
        "willingness": 0.8, "illegal_structures": "cleared", "shantytown": False,
        "self_built_share": 0.0, "urban_village": False, "in_urban_centre": True,
        "programme_status": "none"}


def make_project(rows: list[dict]) -> Project:
    boxes = [shapely.box(X0 + 120 * i, Y0, X0 + 120 * i + 100, Y0 + 100) for i in range(len(rows))]
    gdf = gpd.GeoDataFrame([{**BASE, **r} for r in rows], geometry=boxes, crs="EPSG:4546")
    gdf.index = pd.Index(np.arange(1, len(rows) + 1, dtype=np.int64), name="fid")
    p = Project(metadata={"title": "programme test"})
    p.add_layer(VectorLayer("communities", "communities", gdf))
    return p


THREE_DISTRICTS = [
    {"name": "西陵小区", "district": "西陵区", "district_code": "420502", "precinct": "A"},
    {"name": "猇亭小区", "district": "猇亭区", "district_code": "420505", "precinct": "A"},
    {"name": "夷陵小区", "district": "夷陵区", "district_code": "420506", "precinct": "B"},
]


def _same_items(p: Project, cost_per_m2: float = 100.0, m2: float = 10_000.0) -> None:
    """Each community: 10,000 m² of roof waterproofing (basic) at 100 yuan/m² = 1,000,000,
    and each is marked in the city award scope (the award goes to admitted pilot projects)."""
    set_catalogue_unit_cost(p, "roof_waterproofing", cost_per_m2)
    for fid in (1, 2, 3):
        p.apply(add_item_command(p, fid, "roof_waterproofing", m2))
        set_award_scope(p, fid, True)


# --- eligibility and pilot ------------------------------------------------------------------
def test_shantytown_community_is_ineligible_with_that_reason():
    p = make_project([{"name": "棚改片", "shantytown": True}, {"name": "好小区"}])
    result = eligibility(p)
    assert result[1].status == "ineligible"
    assert any("shantytown" in r for r in result[1].reasons)
    assert result[2].status == "eligible" and result[2].reasons == []


@pytest.mark.parametrize("change, reason", [
    ({"urban_village": True}, "urban village"),
    ({"self_built_share": 0.8}, "mainly self-built"),
    ({"in_urban_centre": False}, "not in a city or county-town centre"),
])
def test_other_exclusions(change, reason):
    result = eligibility(make_project([change]))[1]
    assert result.status == "ineligible" and any(reason in r for r in result.reasons)


def test_missing_data_is_unknown_and_priority_marks():
    p = make_project([{"shantytown": None}, {"property_type": "resettlement", "year_built": 1999,
                                            "disabled_residents": True}])
    result = eligibility(p)
    assert result[1].status == "unknown" and any("shantytown" in r for r in result[1].reasons)
    assert result[2].priority == ["built_before_2000", "resettlement", "disabled_residents"]


def test_pilot_five_conditions_with_data():
    p = make_project([{"willingness": 0.9}, {"illegal_structures": "remaining", "willingness": 0.3},
                      {"year_built": 2005}])
    res = pilot_check(p)
    assert [c.key for c in res[1].checks] == ["built_before_with_gaps", "not_shantytown", "exemplary",
                                              "illegal_cleared", "willingness"]
    statuses = {c.key: c.status for c in res[1].checks}
    assert statuses["built_before_with_gaps"] == "unknown"  # coverage not computed
    assert "coverage not computed" in res[1].checks[0].reason.en
    assert statuses["exemplary"] == "unknown" and statuses["willingness"] == "pass"
    assert res[1].checks[4].data["willingness"] == 0.9
    assert res[1].checks[4].data["threshold_ref"] == "programme_parameters[pilot_min_willingness].value"
    two = {c.key: c.status for c in res[2].checks}
    assert two["illegal_cleared"] == "fail" and two["willingness"] == "fail" and res[2].status == "fail"
    # built 2005: condition 1 names a priority (优先), so the year alone never fails it
    assert res[3].checks[0].status == "unknown" and "not a priority" in res[3].checks[0].reason.en
    set_exemplary(p, 1, True)
    _add_coverage(p, {1: {"elder_care": False, "childcare": True}})
    res = pilot_check(p, [1])[1]
    assert res.status == "pass"
    assert res.checks[0].data["gaps"] == ["elder_care"]


def _add_coverage(p: Project, table: dict[int, dict[str, bool]]) -> None:
    rows = [{"community_fid": fid, "service": s, "covered": c}
            for fid, services in table.items() for s, c in services.items()]
    p.apply(AddLayer(TableLayer("coverage", "coverage_results", pd.DataFrame(rows))))


# --- items ------------------------------------------------------------------------------------
def test_catalogue_has_26_items_and_editable_costs():
    p = make_project([{}])
    cat = catalogue(p.standards())
    assert len(cat) == 26 and cat["unit_cost_yuan"].isna().all()
    assert set(cat["cost_confidence"]) == {"NF"}
    set_catalogue_unit_cost(p, "facade", 120.0)
    cat = catalogue(p.standards())
    assert cat.at["facade", "unit_cost_yuan"] == 120.0
    assert cat.at["facade", "cost_source"] == "project override"


def test_prefill_from_data():
    p = make_project([{"floors_max": 6, "lifts": 0, "households": 300, "year_built": 2010},
                      {"floors_max": 4, "lifts": 0, "year_built": 1990}])
    _add_coverage(p, {1: {"elder_care": False, "meal_point": False, "childcare": True},
                      2: {"elder_care": True}})
    one = {s.item: s for s in suggestions(p, 1)}
    assert set(one) == {"lift_addition", "elder_care", "meal_service", "community_governance"}
    assert one["lift_addition"].quantity == 4  # one per building
    assert one["elder_care"].quantity == 60.0  # 300 households / 100 × 20 m² (Hubei, parameters)
    assert one["elder_care"].quantity_from.ref == \
        "parameters[hubei_elder_care_m2_per_100_households].value"
    two = {s.item for s in suggestions(p, 2)}
    assert "lift_addition" not in two and "water_supply" in two  # 4 floors; built before 2000
    p.apply(prefill_command(p))
    lines = checklist(p)
    assert len(lines) == len(one) + len(two)
    assert prefill_command(p) is None  # nothing new to add
    p.undo.undo()
    assert "programme_items" not in p.names()  # the table came with the pre-fill: one undo step


def test_costs_by_category_and_level_with_row_override():
    p = make_project([{}])
    set_catalogue_unit_cost(p, "roof_waterproofing", 80.0)
    set_catalogue_unit_cost(p, "facade", 50.0)
    p.apply(add_item_command(p, 1, "roof_waterproofing", 1000))
    p.apply(add_item_command(p, 1, "facade", 2000, unit_cost_yuan=60.0))
    p.apply(add_item_command(p, 1, "elder_care", 100))  # no unit cost anywhere
    lines = checklist(p, 1)
    facade = lines[lines["item"] == "facade"].iloc[0]
    assert facade["unit_cost"] == 60.0 and facade["unit_cost_source"] == "checklist row (user)"
    summary = cost_summary(lines)
    assert summary.total == 80_000 + 120_000
    assert summary.by_level == {"basic": 80_000, "upgrade": 120_000}
    assert summary.by_category == {"building": 200_000}
    assert summary.missing == ["elder_care: unit cost not set"] and not summary.complete


# --- funding ----------------------------------------------------------------------------------
def test_city_award_50_and_20_percent_and_none_for_yiling():
    p = make_project(THREE_DISTRICTS)
    _same_items(p)
    set_standard_value(p, "funding_shares", "basic_public", "share", 1.0)
    for fid in (1, 2, 3):
        set_central_subsidy(p, fid, 200_000)
    xiling, xiaoting, yiling = (community_split(p, f) for f in (1, 2, 3))
    for s in (xiling, xiaoting, yiling):
        assert s.total == 1_000_000
        assert s.amounts["central"] == 200_000
        assert s.district_input_net == 800_000  # 1,000,000 public − 200,000 central
        assert sum(s.amounts.values()) == pytest.approx(s.total)
    assert xiling.amounts["city_award"] == 400_000 == 0.5 * 800_000
    assert xiling.amounts["district"] == 400_000
    assert xiaoting.amounts["city_award"] == 160_000 == 0.2 * 800_000
    assert xiaoting.amounts["district"] == 640_000
    assert yiling.amounts["city_award"] == 0 and yiling.amounts["district"] == 800_000
    assert any("no city award rate for 夷陵区" in n for n in yiling.notes)
    set_standard_value(p, "districts", "yiling", "city_award_rate", 0.3)  # set by the user
    assert community_split(p, 3).amounts["city_award"] == pytest.approx(240_000)


def test_shares_not_set_are_reported_not_invented():
    p = make_project(THREE_DISTRICTS[:1])
    set_catalogue_unit_cost(p, "facade", 100.0)
    p.apply(add_item_command(p, 1, "facade", 1000))
    split = community_split(p, 1)
    assert split.amounts["unassigned"] == 100_000
    assert sum(v for k, v in split.amounts.items() if k != "unassigned") == 0
    assert any("share not set" in n for n in split.notes)
    set_standard_value(p, "funding_shares", "upgrade_residents", "share", 0.5)
    set_standard_value(p, "funding_shares", "upgrade_market", "share", 0.3)
    split = community_split(p, 1)
    assert split.amounts["residents"] == 50_000 and split.amounts["market"] == pytest.approx(30_000)
    assert split.amounts["unassigned"] == pytest.approx(20_000)
    set_standard_value(p, "funding_shares", "upgrade_property_unit", "share", 0.4)
    with pytest.raises(ProjectError, match="add up to 1.2"):
        community_split(p, 1)


def test_pipeline_relocation_splits_80_20():
    p = make_project(THREE_DISTRICTS[:1])
    set_catalogue_unit_cost(p, "gas_supply", 500.0)
    p.apply(add_item_command(p, 1, "gas_supply", 200))  # 100,000 yuan of gas works
    split = community_split(p, 1)  # by default a basic item (二(二)1), public share not set
    assert split.amounts["pipeline_owners"] == 0 and split.amounts["unassigned"] == 100_000
    set_relocation(p, 1, ["gas_supply"])  # the user says: this is relocation (迁改)
    split = community_split(p, 1)
    assert split.amounts["pipeline_owners"] == pytest.approx(80_000)
    assert split.amounts["district"] == pytest.approx(20_000)
    assert split.amounts["city_award"] == 0  # awards are not in the city-award base
    set_extra_cost(p, 1, "cable_tv_relocation_yuan", 10_000)
    split = community_split(p, 1)
    assert split.amounts["pipeline_owners"] == pytest.approx(88_000)
    assert split.amounts["district"] == pytest.approx(22_000)


def test_weak_current_and_road_opening_public():
    p = make_project(THREE_DISTRICTS[:1])
    set_catalogue_unit_cost(p, "weak_current", 100.0)
    p.apply(add_item_command(p, 1, "weak_current", 1000))  # 100,000
    split = community_split(p, 1)
    assert split.amounts["unassigned"] == 100_000  # share of shared works not set
    set_standard_value(p, "funding_shares", "weak_current_shared_works", "share", 0.6)
    set_extra_cost(p, 1, "road_opening_reinstatement_yuan", 50_000)
    set_award_scope(p, 1, True)
    split = community_split(p, 1)
    assert split.total == 150_000
    assert split.amounts["pipeline_owners"] == pytest.approx(40_000)
    public = 60_000 + 50_000  # shared works + road opening, no central subsidy
    assert split.district_input_net == pytest.approx(public)
    assert split.amounts["city_award"] == pytest.approx(0.5 * public)
    assert split.amounts["district"] == pytest.approx(0.5 * public)


def test_provenance_for_every_number_in_a_split():
    p = make_project(THREE_DISTRICTS[:1])
    _same_items_one = 100.0
    set_catalogue_unit_cost(p, "roof_waterproofing", _same_items_one)
    set_catalogue_unit_cost(p, "gas_supply", 10.0)
    p.apply(add_item_command(p, 1, "roof_waterproofing", 100))
    p.apply(add_item_command(p, 1, "gas_supply", 100))
    set_standard_value(p, "funding_shares", "basic_public", "share", 1.0)
    set_central_subsidy(p, 1, 1000)
    set_relocation(p, 1, ["gas_supply"])
    set_award_scope(p, 1, True)
    split = community_split(p, 1)
    by_what = {d["what"]: d for d in split.provenance}
    expected = {
        "unit cost roof_waterproofing": ("renovation_items[roof_waterproofing].unit_cost_yuan", "user"),
        "unit cost gas_supply": ("renovation_items[gas_supply].unit_cost_yuan", "user"),
        "basic items: public share": ("funding_shares[basic_public].share", "user"),
        "basic items: residents share": ("funding_shares[basic_residents].share", "NF"),
        "pipeline owner pays relocation": ("funding_rules[pipeline_relocation_owner].rate", "V"),
        "district award on gas_supply relocation": ("funding_rules[pipeline_relocation_award].rate", "V"),
        "city award rate (西陵区)": ("districts[xiling].city_award_rate", "V"),
        "central subsidy": ("central subsidy (yuan)", "user"),
        "funding rule of gas_supply": ("gas_supply funded as relocation (迁改)", "user"),
        "funding rule of roof_waterproofing": ("renovation_items[roof_waterproofing].level", "V"),
        "city award scope": ("in the city award scope (marked)", "user"),
    }
    for what, (ref, confidence) in expected.items():
        assert by_what[what]["ref"] == ref and by_what[what]["confidence"] == confidence, what
        assert by_what[what]["source"]
    assert by_what["city award rate (西陵区)"]["value"] == 0.5
    assert "二(四)3(1)" in by_what["city award rate (西陵区)"]["source"]
    assert by_what["pipeline owner pays relocation"]["value"] == 1.0
    json.dumps(split.as_dict(), ensure_ascii=False)  # serialisable for --json


def test_precinct_roll_up_sums_communities():
    p = make_project(THREE_DISTRICTS)
    _same_items(p)
    set_standard_value(p, "funding_shares", "basic_public", "share", 1.0)
    splits = precinct_splits(p)
    assert set(splits) == {"A", "B"}
    assert splits["A"].total == 2_000_000
    assert splits["A"].amounts["city_award"] == pytest.approx(500_000 + 200_000)
    assert splits["B"].amounts["city_award"] == 0


# --- ranking and plan -------------------------------------------------------------------------
def test_ranking_terms_explained_and_ties_break_by_willingness():
    p = make_project([
        {"name": "低意愿", "willingness": 0.70},
        {"name": "高意愿", "willingness": 0.95},
        {"name": "商品房", "property_type": "commercial", "willingness": 0.99},
        {"name": "保障房", "property_type": "affordable", "willingness": 0.50},
    ])
    ranked = rank(p)
    assert list(ranked["name"]) == ["保障房", "高意愿", "低意愿", "商品房"]
    # 保障房: 30 + 30 + 0 (coverage not computed) + 10 + 0
    assert ranked.iloc[0]["score"] == 70
    assert ranked.iloc[1]["score"] == ranked.iloc[2]["score"] == 60  # a tie: willingness decides
    assert "coverage not computed" in ranked.iloc[1]["explanation"]
    terms = ranked.iloc[3]["terms"]
    assert terms["non_commercial"]["points"] == 0 and terms["built_by_2000"]["points"] == 30
    assert terms["willingness"]["weight_ref"] == "ranking_weights[willingness].weight"
    set_weight(p, "willingness", 100)  # make willingness a scored term
    ranked = rank(p)
    assert ranked.iloc[0]["name"] == "高意愿" and ranked.iloc[0]["score"] == pytest.approx(155)
    with pytest.raises(ProjectError):
        set_weight(p, "willingness", -1)


def test_facility_gaps_term_from_coverage():
    p = make_project([{}, {}])
    _add_coverage(p, {1: {"elder_care": False, "childcare": False, "meal_point": True, "culture_sports": True},
                      2: {"elder_care": True}})
    ranked = rank(p).set_index("fid")
    assert ranked.at[1, "terms"]["facility_gaps"]["value"] == 0.5
    assert ranked.at[1, "score"] == 60 + 15 and ranked.at[2, "score"] == 60


def test_plan_cut_at_budget_with_ready_filters():
    p = make_project([
        {"name": "一", "willingness": 0.9, "property_type": "affordable"},  # 70
        {"name": "二", "willingness": 0.8},  # 60
        {"name": "不愿", "willingness": 0.5},  # 60, not ready
        {"name": "违建", "willingness": 0.7, "illegal_structures": "remaining"},  # not ready
        {"name": "三", "willingness": 0.75},  # 60
        {"name": "四", "willingness": 0.72, "programme_status": "works"},  # under way
    ])
    set_catalogue_unit_cost(p, "roof_waterproofing", 100.0)
    for fid, m2 in zip(range(1, 7), (3000, 4000, 1000, 1000, 5000, 1000)):
        p.apply(add_item_command(p, fid, "roof_waterproofing", m2))
    plan = plan_year(p, 2025, 800_000)
    rows = plan.rows.set_index("name")
    assert list(plan.selected["name"]) == ["一", "二"]  # 300k + 400k; 三 (500k) would pass 800k
    assert rows.at["三", "reason"] == "below the budget line"
    assert rows.at["不愿", "reason"].startswith("not ready") and "50%" in rows.at["不愿", "reason"]
    assert "remaining" in rows.at["违建", "reason"]
    assert rows.at["四", "reason"] == "already at the works stage"
    assert plan.total_cost == 700_000
    assert len(plan_year(p, 2025, None).selected) == 3  # no budget: every ready candidate
    set_standard_value(p, "programme_parameters", "ready_min_willingness", "value", 0.4)
    assert "不愿" in list(plan_year(p, 2025, None).selected["name"])


def test_plan_by_precinct():
    p = make_project([{"precinct": "P1", "willingness": 0.9}, {"precinct": "P1", "willingness": 0.8},
                      {"precinct": "P2", "property_type": "affordable"}])
    set_catalogue_unit_cost(p, "roof_waterproofing", 100.0)
    for fid in (1, 2, 3):
        p.apply(add_item_command(p, fid, "roof_waterproofing", 1000))
    plan = plan_year(p, 2025, 150_000, by="precinct")
    assert list(plan.rows["precinct"]) == ["P2", "P1"]
    assert list(plan.selected["precinct"]) == ["P2"]
    assert plan.rows.iloc[1]["cost_yuan"] == 200_000 and plan.rows.iloc[1]["communities"] == [1, 2]
    with pytest.raises(ProjectError):
        plan_year(p, by="street")


# --- status -----------------------------------------------------------------------------------
def test_status_steps_with_dates_and_signed_acceptance():
    p = make_project([{}])
    advance(p, 1, "reserve", "2024-03-01")
    advance(p, 1, "annual_plan", "2024-11-20")
    assert p.layer("communities").gdf.at[1, "programme_status"] == "annual_plan"
    with pytest.raises(EditError, match="next step is design"):
        advance(p, 1, "works", "2025-01-01")
    with pytest.raises(EditError, match="before the last step"):
        advance(p, 1, "design", "2024-01-01")
    advance(p, 1, "design", "2025-01-10")
    advance(p, 1, "works", "2025-04-01")
    with pytest.raises(EditError, match="signature"):
        advance(p, 1, "accepted", "2025-12-01")
    advance(p, 1, "accepted", "2025-12-01", signed_by="金洲路业委会")
    log = history(p, 1)
    assert list(log["status"]) == ["reserve", "annual_plan", "design", "works", "accepted"]
    assert log.iloc[1]["year"] == 2024 and log.iloc[-1]["signed_by"] == "金洲路业委会"
    p.undo.undo()  # one step undoes the log row and the community's status together
    assert p.layer("communities").gdf.at[1, "programme_status"] == "works"
    assert len(history(p, 1)) == 4


def test_programme_tables_survive_save_and_open(tmp_path):
    from layers.store import open_project, save_project

    p = make_project(THREE_DISTRICTS[:1])
    _same = 100.0
    set_catalogue_unit_cost(p, "roof_waterproofing", _same)
    p.apply(add_item_command(p, 1, "roof_waterproofing", 10))
    set_central_subsidy(p, 1, 200)
    set_standard_value(p, "funding_shares", "basic_public", "share", 1.0)
    advance(p, 1, "reserve", "2024-03-01")
    save_project(p, tmp_path / "p.gpkg")
    q = open_project(tmp_path / "p.gpkg")
    assert community_split(q, 1).as_dict() == community_split(p, 1).as_dict()
    assert list(history(q, 1)["status"]) == ["reserve"]


# --- CLI --------------------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    from layers.store import save_project

    p = make_project(THREE_DISTRICTS)
    _same_items(p)
    set_standard_value(p, "funding_shares", "basic_public", "share", 1.0)
    path = tmp_path / "plan.gpkg"
    save_project(p, path)
    return path


def _cli(argv):
    import argparse

    from app.cli import programme as cli_programme

    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--lang")
    cli_programme.configure(parser)
    return cli_programme.run(parser.parse_args(argv))


def test_cli_json(saved, capsys):
    assert _cli([str(saved), "--year", "2025", "--budget", "2500000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["plan"]["selected"] == 2 and out["plan"]["total_cost_yuan"] == 2_000_000
    assert out["plan"]["rows"][2]["reason"] == "below the budget line"
    funding = {f["name"]: f for f in out["funding"]}
    assert funding["西陵小区"]["amounts_yuan"]["city_award"] == 500_000
    assert funding["猇亭小区"]["amounts_yuan"]["city_award"] == 200_000
    assert out["eligibility"]["eligible"] == 3


def test_cli_xlsx_and_precinct(saved, tmp_path, capsys):
    out = tmp_path / "plan.xlsx"
    assert _cli([str(saved), "--by", "precinct", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "plan.xlsx" in text
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Annual plan", "Funding", "Sources"]  # in the language (issue 17)
    header = [c.value for c in book["Annual plan"][1]]
    assert "Precinct" in header and "In the plan" in header
    values = [r[0] for r in book["Funding"].iter_rows(min_row=2, values_only=True)]
    assert values == ["A", "B"]
    sources = [r[3] for r in book["Sources"].iter_rows(min_row=2, values_only=True)]
    assert "districts[xiling].city_award_rate" in sources
    csv = tmp_path / "plan.csv"
    assert _cli([str(saved), "--out", str(csv)]) == 0
    assert pd.read_csv(csv)["Name"].tolist()[0] in {"西陵小区", "猇亭小区", "夷陵小区"}


def test_cli_rejects_bad_budget(saved):
    with pytest.raises(ProjectError):
        _cli([str(saved), "--budget", "-5"])
