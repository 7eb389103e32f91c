"""Precincts: road-aware adjacency, automatic grouping, outlines, statistics, commands, CLI.

Grouping is checked independently: contiguity with networkx on the adjacency edges,
the adjacency itself against a brute-force pairwise distance test.
"""

from __future__ import annotations

import argparse
import json

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from layers.demo import build_sample_project
from layers.layer import TableLayer, VectorLayer
from layers.precincts import (
    apply_grouping,
    assign,
    communities_layer,
    community_adjacency,
    default_gap_m,
    group_communities,
    locked_precincts,
    outlines,
    precinct_outline,
    precinct_stats,
)
from layers.project import Project
from tests.conftest import X0, Y0


def _graph(adj) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(adj.fids.tolist())
    g.add_edges_from(map(tuple, adj.edge_fids().tolist()))
    return g


def _assert_valid(comm, adj, result, weight="population", ceiling=None):
    g = _graph(adj)
    regions = result.regions()
    assert regions, "no precinct formed"
    seen = set()
    for fids in regions:
        assert nx.is_connected(g.subgraph(fids.tolist())), f"precinct {fids} not contiguous"
        total = pd.to_numeric(comm.loc[fids, weight]).sum()
        assert total >= result.floor
        if ceiling is not None:
            assert total <= ceiling
        assert not seen & set(fids.tolist())
        seen |= set(fids.tolist())


def _communities(geoms, pop=1000) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame({"name": [f"c{i}" for i in range(len(geoms))],
                            "population": [pop] * len(geoms)}, geometry=geoms, crs="EPSG:4546")
    gdf.index = pd.Index(np.arange(1, len(geoms) + 1, dtype=np.int64), name="fid")
    return gdf


# --- adjacency -----------------------------------------------------------------------
def test_across_a_street_adjacent_across_a_barrier_not():
    a = shapely.box(X0, Y0, X0 + 100, Y0 + 100)
    b = shapely.box(X0 + 120, Y0, X0 + 220, Y0 + 100)      # 20 m street from a
    c = shapely.box(X0 + 240, Y0, X0 + 340, Y0 + 100)      # 20 m from b, river between
    d = shapely.box(X0, Y0 + 100, X0 + 100, Y0 + 200)      # shares a boundary with a
    far = shapely.box(X0 + 460, Y0, X0 + 560, Y0 + 100)    # 120 m from c
    comm = _communities([a, b, c, d, far])
    river = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0 + 230, Y0 - 50),
                                                            (X0 + 230, Y0 + 150)])],
                             crs="EPSG:4546")
    adj = community_adjacency(comm, 40, barriers=river)
    assert adj.are_adjacent(1, 2)  # across the street
    assert adj.are_adjacent(1, 4)  # shared boundary
    assert not adj.are_adjacent(2, 3)  # across the river
    assert adj.neighbours(5) == []
    assert community_adjacency(comm, 40).are_adjacent(2, 3)  # no barrier: adjacent
    assert not community_adjacency(comm, 10).are_adjacent(1, 2)  # street wider than tolerance
    # a barrier polygon (a railway corridor) also separates
    rail = gpd.GeoDataFrame(geometry=[shapely.box(X0 + 225, Y0 - 50, X0 + 235, Y0 + 150)],
                            crs="EPSG:4546")
    assert not community_adjacency(comm, 40, barriers=rail).are_adjacent(2, 3)
    lines = adj.lines(comm)
    assert len(lines) == len(adj.edges) and set(lines.geom_type) == {"LineString"}


def test_adjacency_matches_brute_force_on_the_sample():
    comm = communities_layer(build_sample_project("small")).gdf
    adj = community_adjacency(comm, 40)
    geoms = comm.geometry.to_numpy()
    d = shapely.distance(geoms[:, None], geoms[None, :])
    expected = {(int(comm.index[i]), int(comm.index[j]))
                for i, j in zip(*np.nonzero(d <= 40), strict=True) if i < j}
    assert {tuple(e) for e in adj.edge_fids().tolist()} == expected
    assert (adj.matrix != adj.matrix.T).nnz == 0


def test_default_gap_comes_from_the_standards():
    project = build_sample_project("small")
    assert default_gap_m(project.standards()) == 40
    project.set_standards_overrides(
        {"parameters": {"precinct_adjacency_gap_m": {"value": 25}}})
    assert default_gap_m(project.standards()) == 25


def test_geographic_crs_is_refused():
    from layers.errors import ProjectError

    comm = _communities([shapely.box(0, 0, 0.001, 0.001)]).set_crs("EPSG:4490",
                                                                  allow_override=True)
    with pytest.raises(ProjectError, match="projected"):
        community_adjacency(comm, 40)


# --- automatic grouping --------------------------------------------------------------
def _chicago() -> gpd.GeoDataFrame:
    examples = pytest.importorskip("libpysal.examples",
                                   reason="libpysal not installed (needed for Chicago data)")
    try:
        path = examples.get_path("Chicago77.shp")
    except Exception as exc:  # pragma: no cover - depends on the installed package
        pytest.skip(f"libpysal's bundled Chicago community areas are not available: {exc}")
    gdf = gpd.read_file(path).set_crs("EPSG:3435", allow_override=True)  # IL East, US feet
    gdf = gdf.to_crs("EPSG:26916")  # UTM 16N, metres
    # real attribute of the real polygons: land area in hectares stands in for residents
    gdf["population"] = (gdf.geometry.area / 1e4).round().astype(int)
    gdf.index = pd.Index(np.arange(1, len(gdf) + 1, dtype=np.int64), name="fid")
    return gdf


def test_grouping_chicago_community_areas_contiguous_and_over_the_floor():
    comm = _chicago()
    adj = community_adjacency(comm, 0.5)  # real shared boundaries (digitising slivers)
    assert nx.is_connected(_graph(adj))
    floor = comm["population"].sum() / 15
    result = group_communities(comm, adj, floor, seed=3)
    _assert_valid(comm, adj, result)
    assert result.n_regions >= 10
    again = group_communities(comm, adj, floor, seed=3)
    pd.testing.assert_series_equal(result.labels, again.labels)


@pytest.mark.parametrize("within", [None, "subdistrict"])
def test_grouping_sample_city_contiguous_floor_ceiling(within):
    comm = communities_layer(build_sample_project("city")).gdf
    adj = community_adjacency(comm, 40)
    result = group_communities(comm, adj, 3000, 9000, within=within, seed=7)
    _assert_valid(comm, adj, result, ceiling=9000)
    assert result.n_regions > 100
    if within:
        for fids in result.regions():
            assert comm.loc[fids, "subdistrict"].nunique() == 1
    # a community left out has no way to a floor: its free component is too small
    g = _graph(adj)
    assigned = set(np.concatenate(result.regions()).tolist())
    for fid in result.unassigned()[:50]:
        comp = nx.node_connected_component(g.subgraph(set(g) - assigned), int(fid))
        assert comm.loc[list(comp), "population"].sum() < 3000 or within


def test_grouping_households_floor_and_seed_changes_result():
    comm = communities_layer(build_sample_project("city")).gdf
    adj = community_adjacency(comm, 40)
    a = group_communities(comm, adj, 1000, weight="households", seed=1)
    _assert_valid(comm, adj, a, weight="households")
    b = group_communities(comm, adj, 1000, weight="households", seed=2)
    assert not a.labels.equals(b.labels)


def test_apply_grouping_keeps_locked_precincts_and_undoes():
    project = build_sample_project("small")
    comm = communities_layer(project).gdf
    adj = community_adjacency(comm, 40)
    first = adj.fids[adj.edges[0]].tolist()
    assign(project, first, "老城片区")
    player = project.layers_of_kind("precincts")[0]
    from layers.commands import ChangeAttributes

    project.apply(ChangeAttributes(player.id, {int(player.gdf.index[0]): {"locked": True}}))
    names, locked = locked_precincts(project)
    assert names == {"老城片区"} and sorted(locked.tolist()) == sorted(first)
    result = group_communities(comm, adj, 2500, locked_fids=locked, seed=0)
    assert not set(np.concatenate(result.regions()).tolist()) & set(first)
    apply_grouping(project, result)
    comm = communities_layer(project).gdf
    assert (comm.loc[first, "precinct"] == "老城片区").all()
    stats = precinct_stats(project, adj)
    assert "老城片区" in stats.index and len(stats) == result.n_regions + 1
    project.undo.undo()
    assert sorted(precinct_stats(project, adj).index) == ["老城片区"]


# --- outline, statistics, services ---------------------------------------------------
def test_outline_closes_streets_and_never_covers_others():
    a = shapely.box(X0, Y0, X0 + 100, Y0 + 100)
    b = shapely.box(X0 + 120, Y0, X0 + 220, Y0 + 100)
    other = shapely.box(X0 + 100, Y0 + 30, X0 + 120, Y0 + 50)  # a kiosk in the street
    o = precinct_outline([a, b], 40, others=[other])
    assert o.geom_type == "Polygon" and o.is_valid
    assert o.contains(a.buffer(-0.01)) and o.contains(b.buffer(-0.01))
    assert o.intersection(other).area < 1e-6
    assert o.area == pytest.approx(220 * 100 - 20 * 20, rel=1e-6)
    comm = communities_layer(build_sample_project("small")).gdf
    result = group_communities(comm, community_adjacency(comm, 40), 2500, seed=0)
    shapes = outlines(comm, {str(i): f for i, f in enumerate(result.regions())}, 40)
    for i, fids in enumerate(result.regions()):
        others = comm.drop(index=fids).geometry
        assert shapes[str(i)].intersection(others.union_all()).area < 1e-3
        assert shapes[str(i)].geom_type == "Polygon"  # contiguous → one boundary


def test_stats_warnings_and_services_with_coverage():
    project = build_sample_project("small")
    comm = communities_layer(project).gdf
    adj = community_adjacency(comm, 40)
    isolated = [f for f in adj.fids if not adj.neighbours(int(f))]
    pair = adj.fids[adj.edges[0]].tolist()
    assign(project, pair + isolated[:1], "P")
    row = precinct_stats(project, adj).loc["P"]
    assert row["communities"] == 3
    assert row["population"] == comm.loc[pair + isolated[:1], "population"].sum()
    assert not row["contiguous"] and "not_contiguous" in row["warnings"]
    assert "below_minimum" in row["warnings"]
    years = comm.loc[pair + isolated[:1], "year_built"]
    assert row["share_before_2000"] == pytest.approx((years < 2000).mean())
    # coverage table: elder care covered for all, childcare for none, meal points for one
    members = pair + isolated[:1]
    rows = []
    for s, covered in (("elder_care", [True] * 3), ("childcare", [False] * 3),
                       ("meal_point", [True, False, False])):
        rows += [{"community_fid": f, "service": s, "covered": c}
                 for f, c in zip(members, covered, strict=True)]
    project.add_layer(TableLayer("coverage_results", "coverage_results", pd.DataFrame(rows)))
    fac = project.layers_of_kind("facilities")[0].gdf
    row = precinct_stats(project, adj).loc["P"]
    for s in ("elder_care", "childcare", "meal_point"):
        inside = int(row["facilities"].get(s, 0))
        expected = {"elder_care": "reachable", "childcare": "missing",
                    "meal_point": "partial"}[s]
        assert row["services"][s] == ("present" if inside else expected)
    assert row["missing"] == [s for s, v in row["services"].items() if v == "missing"]
    assert len(fac)


def test_assign_moves_between_precincts_and_one_undo_restores():
    project = Project(metadata={"title": "t"})
    boxes = [shapely.box(X0 + 120 * i, Y0, X0 + 120 * i + 100, Y0 + 100) for i in range(4)]
    project.add_layer(VectorLayer("communities", "communities", _communities(boxes)))
    assign(project, [1, 2], "A")
    assign(project, [3, 4], "B")
    assign(project, [2], "B")
    stats = precinct_stats(project)
    assert stats.loc["A", "communities"] == 1 and stats.loc["B", "communities"] == 3
    outline_b = project.layer("precincts").gdf.set_index("name").geometry["B"]
    assert outline_b.geom_type == "Polygon" and outline_b.area > 3 * 100 * 100
    project.undo.undo()
    stats = precinct_stats(project)
    assert stats.loc["A", "communities"] == 2 and stats.loc["B", "communities"] == 2
    project.undo.undo()
    project.undo.undo()
    assert "precincts" not in project.names()
    assert communities_layer(project).gdf["precinct"].isna().all()


# --- CLI -----------------------------------------------------------------------------
def test_cli_auto_and_stats(tmp_path, capsys):
    from app.cli import precincts as cli_precincts
    from layers.store import open_project, save_project

    path = tmp_path / "sample.gpkg"
    save_project(build_sample_project("small"), path)
    parser = argparse.ArgumentParser()
    cli_precincts.configure(parser)
    args = parser.parse_args([str(path), "--auto", "--min-population", "2500",
                              "--within", "subdistrict", "--seed", "2", "--save"])
    args.json = True
    assert cli_precincts.run(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["precincts"] > 0 and len(out["stats"]) == out["precincts"]
    assert all(s["population"] >= 2500 for s in out["stats"])
    saved = open_project(path)
    assert len(saved.layers_of_kind("precincts")[0].gdf) == out["precincts"]
    args = parser.parse_args([str(path), "--stats"])
    assert cli_precincts.run(args) == 0
    assert "片区" in capsys.readouterr().out
