"""Funding cases computed by hand from the plan's text (二(四)3), with every number a user
sets entered only through ``precinct config`` (the CLI a planner uses), then read back
through ``precinct programme --json``.

The plan: 基础类改造以财政出资为主 (share left to the project: 80 % public, 20 % residents
here); the city award is 50 % (西陵/伍家岗/点军) or 20 % (猇亭/宜昌高新区) of the district's
public input after the central subsidy, for pilot projects in scope; 夷陵区 has no rate;
供水/燃气/电力 relocation is the owner's with a 20 % district award, as is 广电's; road
opening and reinstatement is public; weak current's shared works are public, the rest the
owners'.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from app.cli.main import main
from conftest import X0, Y0
from layers.layer import VectorLayer
from layers.programme.items import add_item_command
from layers.project import Project
from layers.store import open_project, save_project

BASE = {"year_built": 1990, "property_type": "work_unit", "disabled_residents": False,
        "households": 200, "population": 500, "buildings": 4, "floors_max": 6, "lifts": 0,
        "willingness": 0.8, "illegal_structures": "cleared", "shantytown": False,
        "self_built_share": 0.0, "urban_village": False, "in_urban_centre": True,
        "programme_status": "none", "precinct": None}
CASES = [  # fid: name, district as written, code
    (1, "西陵小区", "西陵区", "420502"),
    (2, "猇亭小区", "猇亭区", "420505"),
    (3, "高新小区", "高新区", None),  # written the short way, no code
    (4, "伍家岗小区", "伍家岗区", "420503"),
    (5, "夷陵小区", "夷陵区", "420506"),
    (6, "点军小区", "点军区", "420504"),
]


@pytest.fixture
def project_file(tmp_path):
    rows = [{**BASE, "name": n, "district": d, "district_code": c} for _, n, d, c in CASES]
    boxes = [shapely.box(X0 + 150 * i, Y0, X0 + 150 * i + 100, Y0 + 100) for i in range(len(rows))]
    gdf = gpd.GeoDataFrame(rows, geometry=boxes, crs="EPSG:4546")
    gdf.index = pd.Index(np.arange(1, len(rows) + 1, dtype=np.int64), name="fid")
    p = Project(metadata={"title": "funding cases"})
    p.add_layer(VectorLayer("communities", "communities", gdf))
    for fid in (1, 2, 3, 5):  # 10,000 m² roof waterproofing: a basic item
        p.apply(add_item_command(p, fid, "roof_waterproofing", 10_000))
    p.apply(add_item_command(p, 4, "gas_supply", 200))  # 200 m of gas pipe
    p.apply(add_item_command(p, 6, "weak_current", 1_000))  # 1,000 m of weak current
    path = tmp_path / "cases.gpkg"
    save_project(p, path)
    return path


def config(path, *items, lang="en"):
    assert main(["config", str(path), *items, "--lang", lang, "--source", "test case"]) == 0


def funding(path, capsys) -> dict[str, dict[str, float]]:
    capsys.readouterr()
    assert main(["programme", str(path), "--json", "--lang", "en"]) == 0
    out = json.loads(capsys.readouterr().out)
    return out


def split_of(path, fid):
    from layers.programme import community_split

    return community_split(open_project(path), fid)


def test_hand_computed_cases_set_through_precinct_config(project_file, capsys):
    path = project_file
    config(path, "renovation_items.roof_waterproofing.unit_cost_yuan=100",
           "renovation_items.gas_supply.unit_cost_yuan=500", "renovation_items.weak_current.unit_cost_yuan=100",
           "funding_shares.basic_public=80%", "funding_shares.basic_residents=20%")
    # 西陵: central subsidy 20万 (written the Chinese way); not yet marked in scope
    config(path, "community.西陵小区.central_subsidy_yuan=20万")
    s = split_of(path, 1)
    assert s.total == 1_000_000 and s.amounts["residents"] == pytest.approx(200_000)
    assert s.amounts["central"] == 200_000
    assert s.amounts["city_award"] == 0  # no pilot conditions met (exemplary not judged): out of scope
    assert any("not in the city award scope" in n for n in s.notes)
    config(path, *(f"community.{f}.award_scope=yes" for f in (1, 2, 3, 4, 5, 6)))
    s = split_of(path, 1)
    # public 800,000 − central 200,000 = 600,000; 50 % = 300,000
    assert s.district_input_net == pytest.approx(600_000)
    assert s.amounts["city_award"] == pytest.approx(300_000)
    assert s.amounts["district"] == pytest.approx(300_000)
    assert sum(s.amounts.values()) == pytest.approx(s.total)
    # 猇亭: no central subsidy, 20 % of 800,000
    s = split_of(path, 2)
    assert s.amounts["city_award"] == pytest.approx(160_000) and s.amounts["district"] == pytest.approx(640_000)
    # 高新区 (宜昌高新区 by its alias), central 10万: 20 % of 700,000
    config(path, "community.3.central_subsidy_yuan=100000")
    s = split_of(path, 3)
    assert s.city_award_rate == pytest.approx(0.2)
    assert s.amounts["city_award"] == pytest.approx(140_000) and s.amounts["district"] == pytest.approx(560_000)
    assert not any("not in the districts table" in n for n in s.notes)
    # 伍家岗: gas is a basic item until the user marks it relocation; + road opening + 广电
    s = split_of(path, 4)
    assert s.amounts["pipeline_owners"] == 0 and s.amounts["residents"] == pytest.approx(20_000)
    config(path, "community.4.relocation=供气", "community.4.road_opening_reinstatement_yuan=50000",
           "community.4.cable_tv_relocation_yuan=10000")
    s = split_of(path, 4)
    assert s.total == pytest.approx(160_000)
    assert s.amounts["pipeline_owners"] == pytest.approx(80_000 + 8_000)  # 80 % of gas and of 广电
    assert s.amounts["city_award"] == pytest.approx(25_000)  # 50 % of the road opening (public)
    assert s.amounts["district"] == pytest.approx(50_000 - 25_000 + 20_000 + 2_000)
    # the district's relocation awards counted in the base: a table row the user may change
    config(path, "funding_rules.city_award_base_pipeline_awards=1")
    s = split_of(path, 4)
    assert s.amounts["city_award"] == pytest.approx(0.5 * (50_000 + 22_000))
    assert s.amounts["district"] == pytest.approx(50_000 + 22_000 - 36_000)
    config(path, "funding_rules.city_award_base_pipeline_awards=")  # back to the shipped 0
    # 夷陵: no rate in the plan → no award, said; a rate the user sets applies
    s = split_of(path, 5)
    assert s.amounts["city_award"] == 0 and s.amounts["district"] == pytest.approx(800_000)
    assert any("no city award rate for 夷陵区" in n for n in s.notes)
    config(path, "districts.yiling.city_award_rate=30%")
    assert split_of(path, 5).amounts["city_award"] == pytest.approx(240_000)
    # weak current (点军, 50 %): shared works 60 % public, the rest the owners
    s = split_of(path, 6)
    assert s.amounts["unassigned"] == pytest.approx(100_000)
    config(path, "funding_shares.weak_current_shared_works=0.6")
    s = split_of(path, 6)
    assert s.amounts["pipeline_owners"] == pytest.approx(40_000)
    assert s.amounts["city_award"] == pytest.approx(30_000) and s.amounts["district"] == pytest.approx(30_000)
    # the plan's cost holds road opening and 广电 (160,000, not 100,000)
    out = funding(path, capsys)
    rows = {r["name"]: r for r in out["plan"]["rows"]}
    assert rows["伍家岗小区"]["cost_yuan"] == pytest.approx(160_000)
    # the sources say where each number came from
    src = {d["what"]: d for d in s.provenance}
    assert src["share of weak current that is shared works"]["source"] == "project override: test case"


def test_config_lists_shows_and_undoes(project_file, capsys):
    path = project_file
    capsys.readouterr()
    assert main(["config", str(path), "--lang", "zh"]) == 0
    text = capsys.readouterr().out
    assert "funding_shares.basic_public.share = —" in text and "方案未规定，需您设定" in text
    config(path, "funding_shares.basic_public=2/3", "community.1.award_scope=是")
    capsys.readouterr()
    assert main(["config", str(path), "funding_shares.basic_public", "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)["entries"][0]
    assert entry["value"] == pytest.approx(2 / 3) and entry["confidence"] == "user"
    p = open_project(path)
    assert p.settings["programme"]["award_scope"] == {"1": True}
    assert not p.undo.can_undo  # a freshly opened project has no history
    # the same assignment in a live project is one undo step
    from layers.config.keys import apply_assignments

    apply_assignments(p, [("funding_shares.basic_residents", "10%"), ("community.2.central_subsidy_yuan", "5")])
    assert p.standards().value("funding_shares", "basic_residents", "share") == pytest.approx(0.1)
    p.undo.undo()
    assert p.standards().value("funding_shares", "basic_residents", "share") is None
    assert "2" not in (p.settings.get("programme", {}).get("central_subsidy_yuan") or {})
    assert p.standards().value("funding_shares", "basic_public", "share") == pytest.approx(2 / 3)


@pytest.mark.parametrize("items, message", [
    (["funding_shares.basic_public=150%"], "not a share"),
    (["community.99.central_subsidy_yuan=1"], "no community"),
    (["community.1.relocation=drainage"], "cannot be funded as pipeline relocation"),
    (["nosuch.key=1"], "unknown setting"),
    (["districts.yiling=0.3"], "say which column"),
    (["community.1.central_subsidy_yuan=-5"], "≥ 0"),
])
def test_config_bad_values_one_line_and_nothing_written(project_file, capsys, items, message):
    before = project_file.read_bytes()
    capsys.readouterr()
    assert main(["config", str(project_file), *items, "--lang", "en"]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert project_file.read_bytes() == before
