"""Scheme versions (issue 20.3): save / list / restore / delete kept in the project, restore
undoable, schemes survive save and open (GeoPackage and PostGIS), and ``precinct schemes
--diff`` on two automatic groupings lists exactly the communities whose precinct changed
and the coverage delta — both checked against references computed another way."""

from __future__ import annotations

import copy
import json
import shutil

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from app.cli import main as cli
from conftest import REPO
from layers.commands import ChangeAttributes, DeleteFeatures, RemoveLayer
from layers.errors import ProjectError
from layers.schemes import restore_scheme, save_scheme, scheme_names, scheme_project
from layers.store import open_project, save_project

SAMPLE = REPO / "data" / "sample" / "sample_city_small.gpkg"


def _layers(project) -> dict[str, object]:
    return {layer.name: layer for layer in project.layers if layer.layer_type in ("vector", "table")}


def _frames(project) -> dict[str, pd.DataFrame]:
    """Every vector/table layer's data, copied (geometry as WKB so frames compare exactly)."""
    out = {}
    for name, layer in _layers(project).items():
        frame = pd.DataFrame(layer.gdf).copy()
        if "geometry" in frame:
            frame["geometry"] = layer.gdf.geometry.to_wkb()
        out[name] = frame
    return out


def _same(reference: dict[str, pd.DataFrame], project) -> None:
    got = _frames(project)
    assert list(got) == list(reference)
    for name, frame in reference.items():
        pd.testing.assert_frame_equal(frame, got[name])  # values, dtypes, fids, column order


def test_save_list_restore_round_trip_undoable_and_kept_on_disk(tmp_path):
    path = tmp_path / "p.gpkg"
    shutil.copy(SAMPLE, path)
    project = open_project(path)
    reference = _frames(project)
    ref_settings = copy.deepcopy(project.settings)
    ref_looks = [(la.name, la.kind, la.id, la.style, la.visible, la.opacity)
                 for la in _layers(project).values()]
    save_scheme(project, "方案A 2026-12", author="tester", note="first")
    with pytest.raises(ProjectError):
        save_scheme(project, "方案A 2026-12")  # names are unique
    with pytest.raises(ProjectError):
        save_scheme(project, "current")  # names the present state in --diff

    # change the project: a community moves, a layer goes, a setting changes
    comm = project.layer("communities")
    fid = int(comm.gdf.index[0])
    project.apply(ChangeAttributes(comm.id, {fid: {"precinct": "片区999"}}))
    project.apply(RemoveLayer(project.layer("parcels").id))
    project.settings["programme"] = {"changed": True}
    changed = _frames(project)
    assert "parcels" not in changed

    macro = restore_scheme(project, "方案A 2026-12")
    _same(reference, project)
    assert project.settings == ref_settings
    assert [(la.name, la.kind, la.id, la.style, la.visible, la.opacity)
            for la in _layers(project).values()] == ref_looks
    assert project.layers[0].name == "population_grid"  # the raster is kept, below
    assert scheme_names(project) == ["方案A 2026-12", macro.kept_as]
    _same(changed, scheme_project(project.schemes[1]))  # the present state was kept

    project.undo.undo()  # one step takes the restore back
    _same(changed, project)
    assert project.settings["programme"] == {"changed": True}
    assert scheme_names(project) == ["方案A 2026-12"]
    project.undo.redo()
    _same(reference, project)

    save_project(project, path)
    again = open_project(path)
    assert scheme_names(again) == ["方案A 2026-12", macro.kept_as]
    first = again.schemes[0]
    assert (first.author, first.note, first.origin) == ("tester", "first", "saved")
    _same(reference, scheme_project(first))
    _same(changed, scheme_project(again.schemes[1]))
    # the schemes table is in the file but, like the rest of the app's bookkeeping, kept out
    # of the layer list GDAL and QGIS show (issue 16: internal tables hidden from QGIS)
    import sqlite3

    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM precinct_schemes").fetchone()[0] == 2
    assert "precinct_schemes" not in {n for n, _t in pyogrio.list_layers(path)}


def _cli(*argv: str, capsys) -> dict:
    assert cli.main([*argv, "--json", "--lang", "en"]) == 0
    return json.loads(capsys.readouterr().out)


def _precincts_on_disk(path) -> dict[int, str | None]:
    """The communities' precinct column read straight from the file (not via the store)."""
    frame = pyogrio.read_dataframe(path, layer="communities", fid_as_index=True,
                                   read_geometry=False, columns=["precinct"])
    return {int(f): (None if pd.isna(v) else str(v)) for f, v in frame["precinct"].items()}


def test_diff_of_two_groupings_lists_exactly_the_moved_communities_and_coverage(tmp_path,
                                                                                capsys):
    project = tmp_path / "p.gpkg"
    shutil.copy(SAMPLE, project)
    _cli("precincts", str(project), "--auto", "--seed", "1", "--save", capsys=capsys)
    cov_a = _cli("coverage", str(project), "--save", capsys=capsys)
    shutil.copy(project, tmp_path / "a.gpkg")
    _cli("schemes", str(project), "--save", "A", capsys=capsys)

    # scheme B: another seed, and one elder-care facility fewer (so coverage changes too)
    opened = open_project(project)
    fac = opened.layer("facilities")
    elder = fac.gdf.index[fac.gdf["service"] == "elder_care"]
    opened.apply(DeleteFeatures(fac.id, [int(elder[0])]))
    save_project(opened, project)
    _cli("precincts", str(project), "--auto", "--seed", "2", "--save", capsys=capsys)
    cov_b = _cli("coverage", str(project), "--save", capsys=capsys)
    shutil.copy(project, tmp_path / "b.gpkg")
    _cli("schemes", str(project), "--save", "B", capsys=capsys)

    out = tmp_path / "diff.xlsx"
    diff = _cli("schemes", str(project), "--diff", "A", "B", "--out", str(out), capsys=capsys)

    # the reference: the two saved assignments compared as plain dicts
    before, after = _precincts_on_disk(tmp_path / "a.gpkg"), _precincts_on_disk(tmp_path / "b.gpkg")
    expected = {f: (before[f], after[f]) for f in before if before[f] != after[f]}
    assert expected, "the two seeds should group differently on the sample"
    assert {m["fid"]: (m["from"], m["to"]) for m in diff["moved"]} == expected
    assert len(diff["moved"]) == len(expected)

    # coverage delta against the coverage run's own city summary (another code path)
    def city(payload):
        return {(r["service"], float(r["level_m"])): r["population_covered"] for r in payload["city"]}

    ca, cb = city(cov_a), city(cov_b)
    rows = {(r["service"], r["level_m"]): r for r in diff["coverage"]["rows"]
            if not r["required_level"]}
    assert set(rows) == set(ca)
    for key, row in rows.items():
        assert (row["residents_a"], row["residents_b"]) == (ca[key], cb[key])
        assert row["change"] == cb[key] - ca[key]
    assert any(r["change"] < 0 for r in rows.values() if r["service"] == "elder_care")
    assert diff["coverage"]["computed_a"] and diff["coverage"]["computed_b"]
    # funding: grouping and a facility do not change what the works cost
    funding = {r["payer"]: r for r in diff["funding"]["rows"]}
    assert funding["total"]["change_yuan"] == 0 and funding["total"]["a_yuan"] > 0

    book = load_workbook(out, read_only=True)
    assert book.sheetnames[:3] == ["Communities moved", "Precincts", "Coverage"]
    assert book["Communities moved"].max_row == 1 + len(expected)

    # current names the project as it is now: B, so nothing moved
    same = _cli("schemes", str(project), "--diff", "B", "current", capsys=capsys)
    assert same["moved"] == [] and all(r["change"] == 0 for r in same["coverage"]["rows"])
    listed = _cli("schemes", str(project), "--list", capsys=capsys)
    assert [s["name"] for s in listed["schemes"]] == ["A", "B"]


def test_cli_restore_and_delete_in_zh(tmp_path, capsys):
    project = tmp_path / "p.gpkg"
    shutil.copy(SAMPLE, project)
    assert cli.main(["schemes", str(project), "--save", "方案A", "--lang", "zh"]) == 0
    assert "方案“方案A”已保存" in capsys.readouterr().out
    assert cli.main(["schemes", str(project), "--restore", "方案A", "--lang", "zh"]) == 0
    text = capsys.readouterr().out
    assert "已恢复方案“方案A”" in text and "恢复“方案A”之前" in text
    names = scheme_names(open_project(project))
    assert names[0] == "方案A" and names[1].startswith("恢复“方案A”之前")
    assert cli.main(["schemes", str(project), "--delete", "方案A", "--lang", "en"]) == 0
    capsys.readouterr()
    assert scheme_names(open_project(project)) == names[1:]
    assert cli.main(["schemes", str(project), "--restore", "无此方案", "--lang", "en"]) == 1
    assert "there is no scheme called" in capsys.readouterr().err


@pytest.mark.postgis
def test_schemes_survive_a_postgis_save_and_open(tmp_path, pg_location):
    path = tmp_path / "p.gpkg"
    shutil.copy(SAMPLE, path)
    project = open_project(path)
    reference = _frames(project)
    save_scheme(project, "方案A", author="tester")
    save_project(project, pg_location)
    from_db = open_project(pg_location)
    assert scheme_names(from_db) == ["方案A"]
    assert from_db.schemes[0] == project.schemes[0]  # name, time, author, bytes
    _same(reference, scheme_project(from_db.schemes[0]))
    save_scheme(from_db, "方案B")
    save_project(from_db)  # a second save replaces the table
    assert scheme_names(open_project(pg_location)) == ["方案A", "方案B"]


def _conflicts_project(rows):
    import geopandas as gpd
    from shapely.geometry import LineString

    from layers.layer import VectorLayer
    from layers.project import Project

    project = Project()
    frame = gpd.GeoDataFrame(
        [{"conflict_id": c, "category": cat, "conflict_type": "clearance", "status": status,
          "geometry": LineString([(0, 0), (1, 1)])} for c, cat, status in rows],
        geometry="geometry", crs="EPSG:4546")
    project.add_layer(VectorLayer("conflicts", "conflicts", frame))
    return project


def test_conflicts_opened_and_closed_by_category_hand_counted():
    from layers.schemes.diff import diff_projects

    a = _conflicts_project([("c1", "violation", "open"), ("c2", "violation", "open"),
                            ("c3", "notice", "open"), ("c4", "unchecked", "resolved")])
    b = _conflicts_project([("c1", "violation", "open"), ("c2", "violation", "resolved"),
                            ("c4", "unchecked", "open"), ("c5", "violation", "open")])
    diff = diff_projects(a, b)
    counts = {r.category: (r.open_a, r.open_b, r.opened, r.closed)
              for r in diff.conflicts.itertuples(index=False)}
    # c2 resolved and c3 gone: closed; c4 reopened and c5 new: opened
    assert counts == {"violation": (2, 2, 1, 1), "unchecked": (0, 1, 1, 0), "notice": (1, 0, 0, 1)}
    changes = dict(zip(diff.conflict_changes["conflict_id"], diff.conflict_changes["change"],
                       strict=True))
    assert changes == {"c2": "closed", "c3": "closed", "c4": "opened", "c5": "opened"}
    assert diff.coverage is None and diff.funding is None and diff.moved.empty
