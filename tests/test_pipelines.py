"""Pipeline analyses against independent references: brute-force pair loops over shapely
predicates, hand-computed GB 50289 clearances (STANDARDS.md) and hand-made streets."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, box

from conftest import X0, Y0, shared_data
from layers.commands import ChangeAttributes
from layers.errors import ProjectError
from layers.exports.reports import write_report
from layers.kinds import CONFLICTS
from layers.layer import VectorLayer
from layers.pipelines import (
    clearance_violations,
    conflict_id,
    crossing_pairs,
    dig_once_groups,
    find_conflicts,
    near_pairs,
    overlap_lengths,
    parallel_runs,
    under_communities,
    update_conflicts_layer,
)
from layers.project import Project
from layers.standards import load_standards

CRS = "EPSG:4546"


def _frame(rows: list[dict], crs: str = CRS) -> gpd.GeoDataFrame:
    geoms = [r.pop("geometry") for r in rows]
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=crs)
    gdf.index = pd.Index(np.arange(1, len(gdf) + 1, dtype=np.int64), name="fid")
    return gdf


def _brute(gdf: gpd.GeoDataFrame, test) -> set[tuple[int, int]]:
    fids, geoms = list(gdf.index), list(gdf.geometry)
    return {(fids[i], fids[j]) for i, j in itertools.combinations(range(len(geoms)), 2)
            if test(geoms[i], geoms[j])}


def _pairs(frame: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(frame["fid_a"].astype(int), frame["fid_b"].astype(int), strict=True))


def _strip_length(a, b, tol: float) -> float:
    """Reference parallel length, straight from the definition with shapely."""
    return min(a.intersection(b.buffer(tol, cap_style="flat")).length,
               b.intersection(a.buffer(tol, cap_style="flat")).length)


# --- real data: Helsinki and KY4 -------------------------------------------------------------
@pytest.fixture(scope="module")
def helsinki() -> gpd.GeoDataFrame:
    gdf = gpd.read_file(shared_data("pipelines", "helsinki_utilities_osm.gpkg"),
                        layer="pipelines").to_crs("EPSG:3067")
    gdf.index = pd.Index(np.arange(1, len(gdf) + 1, dtype=np.int64), name="fid")
    return gdf


def test_helsinki_near_pairs_match_brute_force(helsinki):
    before = helsinki.copy()
    found = near_pairs(helsinki, 1.0, cross_utility_only=False)
    expected = _brute(helsinki, lambda a, b: a.distance(b) <= 1.0)
    assert len(expected) == 52
    assert _pairs(found) == expected
    assert (found["distance_m"] <= 1.0).all()
    pd.testing.assert_frame_equal(pd.DataFrame(helsinki), pd.DataFrame(before))  # input untouched


def test_helsinki_crossings_match_brute_force(helsinki):
    found = crossing_pairs(helsinki, cross_utility_only=False)
    expected = _brute(helsinki, lambda a, b: a.crosses(b))
    assert len(expected) == 13
    assert _pairs(found) == expected
    assert found.geom_type.isin(["Point", "MultiPoint"]).all()
    assert not found["checked"].any()  # no utility classes, no depths: nothing invented


def test_helsinki_parallel_runs_match_brute_force(helsinki):
    found = parallel_runs(helsinki, 1.0, 5.0, cross_utility_only=False)
    expected = _brute(helsinki, lambda a, b: _strip_length(a, b, 1.0) > 5.0)
    assert len(expected) == 5
    assert _pairs(found) == expected
    geoms = helsinki.geometry
    for row in found.itertuples():
        ref = _strip_length(geoms[row.fid_a], geoms[row.fid_b], 1.0)
        assert row.length_m == pytest.approx(ref, abs=1e-6)
        assert row.geometry.length == pytest.approx(ref, abs=1e-6)


def test_ky4_crossings_without_shared_junction():
    raw = gpd.read_file(shared_data("pipelines", "ky4_pipes.geojson"))
    assert raw.crs.to_epsg() == 3547
    metric = raw.to_crs("EPSG:32616")  # UTM 16N, metres
    metric.index = pd.Index(np.arange(1, len(metric) + 1, dtype=np.int64), name="fid")
    found = crossing_pairs(metric, cross_utility_only=False)
    # reference: brute force in the stored feet (crossing is unit-free), candidates by bbox
    geoms = list(raw.geometry)
    boxes = np.array([g.bounds for g in geoms])
    expected = set()
    for i, j in itertools.combinations(range(len(geoms)), 2):
        bi, bj = boxes[i], boxes[j]
        if bi[0] <= bj[2] and bj[0] <= bi[2] and bi[1] <= bj[3] and bj[1] <= bi[3]:
            if geoms[i].crosses(geoms[j]):
                expected.add((i + 1, j + 1))
    assert len(expected) == 41
    assert _pairs(found) == expected
    for row in found.itertuples():  # each meets the other away from every pipe end
        a, b = metric.geometry[row.fid_a], metric.geometry[row.fid_b]
        ends = shapely.MultiPoint([a.coords[0], a.coords[-1], b.coords[0], b.coords[-1]])
        assert not row.geometry.difference(ends).is_empty


def test_geographic_input_is_refused_in_both_languages(helsinki):
    wgs = helsinki.to_crs("EPSG:4326")
    with pytest.raises(ProjectError) as info:
        near_pairs(wgs, 1.0, cross_utility_only=False)
    assert "geographic" in info.value.message("en") and "地理坐标系" in info.value.message("zh")
    assert "to_crs" in info.value.message("en")
    with pytest.raises(ProjectError):
        parallel_runs(helsinki, 1.0, 5.0)  # no utility field for cross-utility pairs


# --- the numpy segment path equals the shapely definition -------------------------------------
def test_segment_fast_path_matches_shapely():
    rng = np.random.default_rng(7)
    n = 3000
    a0 = rng.uniform(0, 50, (n, 2))
    b0 = a0 + rng.normal(0, 3, (n, 2))
    ang = rng.uniform(0, np.pi, n)[:, None]
    a1 = a0 + np.hstack([np.cos(ang), np.sin(ang)]) * rng.uniform(1, 40, (n, 1))
    ang_b = ang + rng.normal(0, 0.2, (n, 1))
    b1 = b0 + np.hstack([np.cos(ang_b), np.sin(ang_b)]) * rng.uniform(1, 40, (n, 1))
    a = shapely.linestrings(np.stack([a0, a1], 1))
    b = shapely.linestrings(np.stack([b0, b1], 1))
    tol = 1.5
    fast, where = overlap_lengths(a, b, tol)
    ref = np.minimum(shapely.length(shapely.intersection(a, shapely.buffer(b, tol, cap_style="flat"))),
                     shapely.length(shapely.intersection(b, shapely.buffer(a, tol, cap_style="flat"))))
    assert (ref > 0).sum() > 1000
    np.testing.assert_allclose(fast, ref, atol=1e-6)
    has = fast > 0
    np.testing.assert_allclose(shapely.length(where[has]), fast[has], atol=1e-6)


# --- hand-made clearances (values from STANDARDS.md, GB 50289-2016 Table 4.1.9) -----------------
def _parallel(k: int, wall: float, da: float, db: float, length: float = 50.0):
    """Two parallel lines ``wall`` apart wall to wall, far from every other case."""
    x = X0 + 1000 * k
    centre = wall + (da + db) / 2000
    return (LineString([(x, Y0), (x + length, Y0)]),
            LineString([(x, Y0 + centre), (x + length, Y0 + centre)]))


CASES = [  # (utility a, d a, utility b, d b, pressure b, wall m, violation?, checked?, required)
    ("drainage_storm", 400, "power", 100, None, 0.4, True, True, 0.5),
    ("drainage_storm", 400, "power", 100, None, 0.6, False, True, 0.5),
    ("water", 300, "drainage_sewage", 500, None, 1.4, True, True, 1.5),  # other order, d>200
    ("drainage", 500, "water", 150, None, 1.4, False, True, 1.0),  # d<=200
    ("drainage_combined", 600, "gas", 200, "low", 0.9, True, True, 1.0),
    ("drainage_storm", 600, "gas", 200, "medium_b", 1.1, True, True, 1.2),
    ("drainage_storm", 600, "telecom", 100, None, 1.1, False, True, 1.0),
    ("water", 200, "power", 100, None, 0.3, False, False, None),  # empty cell (NF)
    # pressure unknown: the rows it could be give 1.0 (low) … 2.0 (sub-high A) m
    ("drainage_storm", 400, "gas", 200, None, 0.3, True, True, 1.0),  # below all: violation
    ("drainage_storm", 400, "gas", 200, None, 1.3, False, False, None),  # in between: unchecked
    ("drainage_storm", 400, "gas", 200, None, 2.1, False, True, 2.0),  # above all: met
]
VERDICT = {(True, True): "violation", (False, True): "met", (False, False): "unchecked"}


def _clearance_case() -> gpd.GeoDataFrame:
    rows = []
    for k, (ua, da, ub, db, press, wall, *_rest) in enumerate(CASES):
        ga, gb = _parallel(k, wall, da, db)
        rows.append({"utility": ua, "diameter_mm": da, "pressure": None, "geometry": ga})
        rows.append({"utility": ub, "diameter_mm": db, "pressure": press, "geometry": gb})
    return _frame(rows)


def test_clearance_flags_exactly_the_violating_pairs():
    gdf = _clearance_case()
    result = clearance_violations(gdf, load_standards())
    assert len(result) == len(CASES)  # every case is one pair, nothing else within reach
    for k, (ua, _da, ub, _db, _p, wall, violation, checked, required) in enumerate(CASES):
        row = result[(result["fid_a"] == 2 * k + 1) & (result["fid_b"] == 2 * k + 2)].iloc[0]
        assert row["distance_m"] == pytest.approx(wall, abs=1e-9), (ua, ub)
        assert bool(row["checked"]) is checked, (ua, ub)
        assert bool(row["violation"]) is violation, (ua, ub)
        assert row["verdict"] == VERDICT[(violation, checked)], (ua, ub, wall)
        if required is None:
            assert np.isnan(row["required_m"])
        else:
            assert row["required_m"] == pytest.approx(required)
        if violation:
            assert row["length_m"] == pytest.approx(50.0)
    assert result["wall_to_wall"].all()


def test_clearance_without_diameters_uses_centre_lines_and_project_overrides():
    gdf = _clearance_case().drop(columns="diameter_mm")
    result = clearance_violations(gdf)
    assert not result["wall_to_wall"].any()
    np.testing.assert_allclose(result["distance_m"], result["centre_distance_m"])
    # a user fills the empty water–power cell: the pair is now checked (and violates 0.8 m)
    std = load_standards().with_overrides(
        {"clearance_horizontal": {"water|power|": {"min_clearance_m": 0.8}}})
    checked = clearance_violations(_clearance_case(), std)
    row = checked[checked["utility_a"] == "water"]
    row = row[row["utility_b"] == "power"].iloc[0]
    assert bool(row["checked"]) and bool(row["violation"]) and row["required_m"] == 0.8


def test_crossing_vertical_clearance_checked_only_when_known():
    x, y = X0, Y0
    rows = [
        {"utility": "water", "diameter_mm": 200, "depth_m": 1.0,
         "geometry": LineString([(x, y), (x + 20, y)])},
        {"utility": "drainage_sewage", "diameter_mm": 400, "depth_m": 1.5,  # clear 0.3 < 0.4
         "geometry": LineString([(x + 10, y - 10), (x + 10, y + 10)])},
        {"utility": "drainage_sewage", "diameter_mm": 400, "depth_m": 1.8,  # clear 0.6: fine
         "geometry": LineString([(x + 5, y - 10), (x + 5, y + 10)])},
        {"utility": "drainage_sewage", "diameter_mm": 400, "depth_m": None,  # unknown depth
         "geometry": LineString([(x + 15, y - 10), (x + 15, y + 10)])},
        {"utility": "gas", "diameter_mm": 100, "depth_m": 0.5,  # gas–water: empty cell
         "geometry": LineString([(x + 2, y - 10), (x + 2, y + 10)])},
    ]
    result = crossing_pairs(_frame(rows)).set_index("fid_b")
    assert set(result.index) == {2, 3, 4, 5} and (result["fid_a"] == 1).all()
    assert result.loc[2, "vertical_m"] == pytest.approx(0.3)
    assert result.loc[2, "required_m"] == 0.4
    assert bool(result.loc[2, "violation"]) and bool(result.loc[2, "checked"])
    assert bool(result.loc[3, "checked"]) and not bool(result.loc[3, "violation"])
    assert not result.loc[4, "checked"] and not result.loc[5, "checked"]
    assert not result.loc[[4, 5], "violation"].any()


# --- dig once and under communities ------------------------------------------------------------
WY = Y0 + 5000  # the street case lies away from the clearance case


def _works(utility, y, x0, x1, start, end, status="new", street="胜利路"):
    return {"utility": utility, "status": status, "street": street,
            "works_start": pd.Timestamp(start) if start else pd.NaT,
            "works_end": pd.Timestamp(end) if end else pd.NaT,
            "geometry": LineString([(X0 + x0, WY + y), (X0 + x1, WY + y)])}


def _street_case() -> gpd.GeoDataFrame:
    return _frame([
        _works("water", 0, 0, 100, "2026-01-01", "2026-03-31"),
        _works("power", 3, 20, 120, "2026-02-01", "2026-04-30", status="relocation"),
        _works("telecom", -2, 0, 100, "2026-06-01", "2026-06-30"),  # later: not together
        _works("gas", 5, 0, 100, None, None, status="existing"),  # no works
        _works("water", 0, 0, 100, "2026-01-01", "2026-03-31", street="解放路"),  # one utility
    ])


def test_dig_once_groups_overlapping_periods_only():
    groups = dig_once_groups(_street_case())
    assert len(groups) == 1
    g = groups.iloc[0]
    assert g["street"] == "胜利路" and g["fids"] == [1, 2] and g["utilities"] == ["water", "power"]
    assert g["separate_m"] == pytest.approx(200.0)
    assert g["once_m"] == pytest.approx(120.0)
    assert g["saved_m"] == pytest.approx(80.0)
    assert np.isnan(g["saving_yuan"])  # no cost set: no yuan invented
    priced = dig_once_groups(_street_case(), unit_cost_yuan_per_m=500.0)
    assert priced.iloc[0]["saving_yuan"] == pytest.approx(40_000.0)


def test_dig_once_periods_touching_on_a_day_count_and_streets_layer_fills_names():
    gdf = _street_case()
    gdf.loc[3, "works_start"] = pd.Timestamp("2026-04-30")  # telecom starts the day power ends
    gdf.loc[3, "works_end"] = pd.Timestamp("2026-05-30")
    gdf["street"] = None  # names come from the nearest street segment
    streets = gpd.GeoDataFrame({"name": ["胜利路", "解放路"]},
                               geometry=[LineString([(X0 - 10, WY + 1), (X0 + 200, WY + 1)]),
                                         LineString([(X0, WY + 500), (X0 + 200, WY + 500)])],
                               crs=CRS)
    groups = dig_once_groups(gdf.iloc[:4], streets=streets)
    assert len(groups) == 1 and groups.iloc[0]["fids"] == [1, 2, 3]
    assert groups.iloc[0]["once_m"] == pytest.approx(120.0)
    assert groups.iloc[0]["saved_m"] == pytest.approx(300.0 - 120.0)


def test_under_communities_lengths():
    communities = gpd.GeoDataFrame({"name": ["桃花岭小区", "夷陵小区"]},
                                   geometry=[box(X0, Y0, X0 + 100, Y0 + 100),
                                             box(X0 + 150, Y0, X0 + 250, Y0 + 100)], crs=CRS)
    communities.index = pd.Index([10, 20], name="fid")
    pipes = _frame([
        {"utility": "water", "geometry": LineString([(X0 - 50, Y0 + 50), (X0 + 300, Y0 + 50)])},
        {"utility": "gas", "geometry": LineString([(X0 + 30, Y0 - 50), (X0 + 30, Y0 + 10)])},
        {"utility": "power", "geometry": LineString([(X0 - 50, Y0 - 50), (X0 - 10, Y0 - 50)])},
    ])
    found = under_communities(pipes, communities)
    got = {(r.fid, r.community_fid): r.length_m for r in found.itertuples()}
    assert got == pytest.approx({(1, 10): 100.0, (1, 20): 100.0, (2, 10): 10.0})
    assert set(found["community"]) == {"桃花岭小区", "夷陵小区"}


def test_only_communities_with_planned_renovation_count_as_conflicts():
    communities = gpd.GeoDataFrame(
        {"name": ["计划小区", "储备小区", "施工小区"],
         "programme_status": ["annual_plan", "reserve", "works"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 150, Y0, X0 + 250, Y0 + 100),
                  box(X0 + 300, Y0, X0 + 400, Y0 + 100)], crs=CRS)
    pipes = _frame([{"utility": "water", "geometry": LineString([(X0 - 50, Y0 + 50),
                                                                   (X0 + 450, Y0 + 50)])}])
    project = Project()
    project.add_layer(VectorLayer("pipes", "pipelines", pipes))
    project.add_layer(VectorLayer("c", "communities", communities))
    found = find_conflicts(project)
    under = found[found["conflict_type"] == "under_community"]
    assert sorted(under["fid_b"].tolist()) == [1, 3]  # the reserve-only community is not planned
    assert under["length_m"].tolist() == pytest.approx([100.0, 100.0])


# --- the conflicts layer: ids, statuses, report, CLI ----------------------------------------------
def _project() -> Project:
    project = Project(metadata={"title": "pipes"})
    project.add_layer(VectorLayer("pipelines", "pipelines", _clearance_case()))
    project.add_layer(VectorLayer("works", "pipelines", _street_case()))
    project.undo.set_clean()
    return project


def test_conflicts_schema_ids_and_status_carried_over():
    project = _project()
    conflicts = find_conflicts(project)
    assert list(conflicts.columns) == [*CONFLICTS.field_names, "geometry"]
    assert not CONFLICTS.validate(conflicts, "conflicts")  # schema-valid, line geometries
    types = conflicts["conflict_type"].value_counts().to_dict()
    # 5 violations (CASES) + 1 unchecked pair within 1 m (water–power, NF); the pressure-unknown
    # pair at 1.3 m is beyond the 1 m tolerance and the one at 2.1 m meets every value
    assert types["clearance"] == 5 + 1
    assert types["dig_once"] == 1
    assert "parallel" not in types  # every pair of the case has a rule: no parallel notices
    clearance = conflicts[conflicts["conflict_type"] == "clearance"]
    assert clearance["category"].value_counts().to_dict() == {"violation": 5, "unchecked": 1}
    assert conflicts["category"].tolist() == ["violation"] * 5 + ["unchecked"] + ["notice"]
    assert conflicts["conflict_id"].is_unique
    row = conflicts[conflicts["conflict_type"] == "clearance"].iloc[0]
    assert row["conflict_id"] == conflict_id("clearance", row["layer_b"], row["fid_b"],
                                             row["layer_a"], row["fid_a"])
    assert set(conflicts["status"]) == {"open"}

    layer = update_conflicts_layer(project, conflicts)
    assert project.layer("conflicts") is layer and layer.kind == "conflicts"
    fid = int(layer.gdf.index[0])
    cid = layer.gdf.loc[fid, "conflict_id"]
    project.apply(ChangeAttributes(layer.id, {fid: {"status": "accepted", "note": "迁改时处理"}}))
    again = find_conflicts(project)
    assert sorted(again["conflict_id"]) == sorted(conflicts["conflict_id"])  # stable ids
    update_conflicts_layer(project, again)
    kept = layer.gdf.set_index("conflict_id")
    assert kept.loc[cid, "status"] == "accepted" and kept.loc[cid, "note"] == "迁改时处理"
    assert (kept.drop(index=cid)["status"] == "open").all()
    project.undo.undo()  # the re-run is one undoable step
    assert len(layer) == len(conflicts)
    project.undo.undo()
    assert layer.gdf.set_index("conflict_id").loc[cid, "status"] == "open"


def test_defaults_come_from_parameters_and_unit_cost_from_overrides():
    project = _project()
    base = find_conflicts(project)
    assert base[base["conflict_type"] == "dig_once"]["saving_yuan"].isna().all()
    project.set_standards_overrides({"parameters": {
        "trench_excavation_cost_yuan_per_m": {"value": 300},
        "trench_reinstatement_cost_yuan_per_m": {"value": 200}}})
    priced = find_conflicts(project)
    dig = priced[priced["conflict_type"] == "dig_once"].iloc[0]
    assert dig["length_m"] == pytest.approx(80.0) and dig["saving_yuan"] == pytest.approx(40_000.0)
    wide = find_conflicts(project, tolerance=3.0, min_length=0.0)
    # a wider tolerance lists more pairs to check, never more violations
    assert (wide["category"] == "unchecked").sum() > (base["category"] == "unchecked").sum()
    assert (wide["category"] == "violation").sum() == (base["category"] == "violation").sum()
    with pytest.raises(ProjectError):
        find_conflicts(project, pipelines_layer="nope")


def test_report_csv_has_bom_and_chinese_headers_and_xlsx_opens(tmp_path):
    import openpyxl

    conflicts = find_conflicts(_project())
    csv_path = write_report(conflicts, tmp_path / "冲突.csv", lang="zh")
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    first = raw.decode("utf-8-sig").splitlines()[0]
    assert first.startswith("类别,冲突编号,冲突类型") and "净距违规" in raw.decode("utf-8-sig")
    table = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert len(table) == len(conflicts)
    xlsx = write_report(conflicts, tmp_path / "conflicts.xlsx", lang="en")
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet.cell(1, 1).value == "Category" and sheet.cell(1, 2).value == "Conflict id"
    assert sheet.max_row == len(conflicts) + 1
    with pytest.raises(ProjectError):
        write_report(conflicts, tmp_path / "conflicts.txt")


def test_cli_conflicts_json_save_and_errors(tmp_path, capsys):
    from app.cli.main import main
    from layers.store import open_project, save_project

    path = tmp_path / "pipes.gpkg"
    save_project(_project(), path)
    assert main(["conflicts", str(path), "--json", "--unit-cost", "500"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["counts"]["dig_once"] == 1 and payload["total"] == len(payload["rows"])
    dig = [r for r in payload["rows"] if r["conflict_type"] == "dig_once"][0]
    assert dig["saving_yuan"] == pytest.approx(40_000.0)

    out = tmp_path / "report.xlsx"
    assert main(["conflicts", str(path), "--save", "--out", str(out), "--lang", "en"]) == 0
    assert "clearance" in capsys.readouterr().out and out.exists()
    project = open_project(path)
    layer = project.layer("conflicts")
    fid = int(layer.gdf.index[0])
    project.apply(ChangeAttributes(layer.id, {fid: {"status": "resolved"}}))
    cid = layer.gdf.loc[fid, "conflict_id"]
    save_project(project, path)
    assert main(["conflicts", str(path), "--save"]) == 0
    capsys.readouterr()
    reopened = open_project(path).layer("conflicts").gdf.set_index("conflict_id")
    assert reopened.loc[cid, "status"] == "resolved"

    assert main(["conflicts", str(path), "--layer", "conflicts"]) == 1
    assert "not pipelines" in capsys.readouterr().err
    assert main(["conflicts", str(path), "--tolerance", "-1"]) == 1
    assert main(["conflicts", str(tmp_path / "missing.gpkg")]) == 1
