"""Precincts by walking adjacency (issue 18): neighbours within a short walk on the street
network, enclaves joining the nearest adjacent precinct, and the communities left out
listed with their reason.

Checked independently: hand-computed walks on hand-made streets, the walking adjacency of
the sample against a brute-force networkx search, every precinct's connectivity with
networkx on the adjacency the grouping used.
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
from layers.layer import VectorLayer
from layers.precincts import (
    communities_layer,
    community_adjacency,
    group_communities,
    project_adjacency,
    walking_adjacency,
)
from layers.project import Project
from tests.conftest import X0, Y0

CRS = "EPSG:4546"


def _frame(geoms, **columns) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame({"name": [f"c{i + 1}" for i in range(len(geoms))], **columns},
                           geometry=geoms, crs=CRS)
    gdf.index = pd.Index(np.arange(1, len(geoms) + 1, dtype=np.int64), name="fid")
    return gdf


def _streets(*lines) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [f"s{i}" for i in range(len(lines))]},
                            geometry=[shapely.LineString(c) for c in lines], crs=CRS)


def _box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _graph(adj) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(adj.fids.tolist())
    g.add_edges_from(map(tuple, adj.edge_fids().tolist()))
    return g


# --- walking adjacency ------------------------------------------------------------------
def test_walk_links_across_a_wide_street_that_the_touch_rule_does_not():
    street = _streets([(X0 - 200, Y0), (X0 + 1000, Y0)])  # one street, centreline at y = 0
    comm = _frame([_box(0, 30, 100, 130),      # 1: north side, 30 m from the centreline
                   _box(0, -130, 100, -30),    # 2: south side, across a 60 m wide street
                   _box(380, 30, 480, 130)],   # 3: north side, 280 m further east
                  population=[1000] * 3)
    touch = community_adjacency(comm, 40)
    assert touch.edges.tolist() == []  # 60 m apart: wider than the 40 m gap
    walk = walking_adjacency(comm, street, 300, gap_m=40)
    assert walk.rule == "walk"
    assert walk.edge_fids().tolist() == [[1, 2]]
    assert walk.walks_m[0] == pytest.approx(30 + 30)  # straight across: the two legs
    # 1 → 3: 30 m to the street, 280 m along it (east end of 1 to west end of 3), 30 m in
    wider = walking_adjacency(comm, street, 350, gap_m=40)
    walks = {tuple(e): w for e, w in zip(wider.edge_fids().tolist(), wider.walks_m, strict=True)}
    assert walks[(1, 3)] == pytest.approx(340) and walks[(2, 3)] == pytest.approx(340)
    # a touching pair stays adjacent whatever the streets (the touch rule's pairs are kept)
    pair = _frame([_box(0, 300, 100, 400), _box(100, 300, 200, 400)])
    assert walking_adjacency(pair, street, 300, gap_m=40).edge_fids().tolist() == [[1, 2]]


def test_walk_goes_round_the_block_not_through_it():
    # a square block of streets 200 m a side; 1 inside the north-west corner, 2 outside the
    # south-east corner: the walk follows the streets (no diagonal shortcut)
    ring = _streets([(X0, Y0), (X0 + 200, Y0)], [(X0 + 200, Y0), (X0 + 200, Y0 + 200)],
                    [(X0 + 200, Y0 + 200), (X0, Y0 + 200)], [(X0, Y0 + 200), (X0, Y0)])
    comm = _frame([_box(10, 150, 50, 190), _box(210, -50, 250, -10)], population=[1, 1])
    adj = walking_adjacency(comm, ring, 1000, gap_m=15)
    # 1 fronts the north street (x 10–50, leg 10) and the west street (y 150–190, leg 10);
    # 2 fronts nothing within 15 m except the south-east corner node (leg √(10²+10²))
    # shortest: 1's west frontage at y = 150 down 150 m, east 200 m to the corner
    assert adj.walks_m[0] == pytest.approx(10 + 150 + 200 + np.hypot(10, 10))


def _reference_walks(comm: gpd.GeoDataFrame, net, walk_m: float, reach_m: float,
                     max_snap_m: float) -> dict[tuple[int, int], float]:
    """Walks between communities by brute force: networkx distances between street nodes,
    every pair of frontage ends tried (frontage: the stretch of an edge alongside a
    community, from its nearest point and its corners within reach; a point inside,
    snapped, where no street is within reach)."""
    g = nx.Graph()
    lines = net.edges.geometry.to_numpy()
    u, v = net.edges["u"].to_numpy(), net.edges["v"].to_numpy()
    length = net.edges["length_m"].to_numpy()
    for a, b, w in zip(u, v, length, strict=True):
        if not g.has_edge(a, b) or g[a][b]["weight"] > w:
            g.add_edge(int(a), int(b), weight=float(w))
    fronts: dict[int, list] = {}
    for fid, geom in comm.geometry.items():
        d = shapely.distance(geom, lines)
        rows = []
        for e in np.flatnonzero(d <= reach_m):
            near = shapely.shortest_line(geom, lines[e]).coords[1]
            at = [lines[e].project(shapely.Point(near))]
            for xy in shapely.simplify(geom, 1.0).exterior.coords:
                p = shapely.Point(xy)
                if p.distance(lines[e]) <= reach_m:
                    at.append(lines[e].project(p))
            rows.append((int(e), min(at), max(at), float(d[e])))
        if not rows:
            p = geom.point_on_surface()
            e = int(np.argmin(shapely.distance(p, lines)))
            leg = float(p.distance(lines[e]))
            if leg <= max_snap_m:
                x = lines[e].project(p)
                rows.append((e, x, x, leg))
        fronts[int(fid)] = rows
    cache: dict[int, dict] = {}

    def dist(a: int, b: int) -> float:
        if a not in cache:
            cache[a] = nx.single_source_dijkstra_path_length(g, a, cutoff=walk_m, weight="weight")
        return cache[a].get(b, np.inf)

    def between(e1, x1, e2, x2) -> float:
        best = abs(x1 - x2) if e1 == e2 else np.inf
        for n1, o1 in ((u[e1], x1), (v[e1], length[e1] - x1)):
            for n2, o2 in ((u[e2], x2), (v[e2], length[e2] - x2)):
                best = min(best, o1 + dist(int(n1), int(n2)) + o2)
        return best

    out = {}
    fids = [int(f) for f in comm.index]
    geoms = comm.geometry
    for i, a in enumerate(fids):
        for b in fids[i + 1:]:
            if geoms[a].distance(geoms[b]) > walk_m:
                continue
            best = np.inf
            for e1, s1, t1, l1 in fronts[a]:
                for e2, s2, t2, l2 in fronts[b]:
                    if e1 == e2 and s2 <= t1 and s1 <= t2:
                        best = min(best, l1 + l2)
                        continue
                    for x1 in (s1, t1):
                        for x2 in (s2, t2):
                            best = min(best, l1 + between(e1, x1, e2, x2) + l2)
            if best <= walk_m:
                out[(a, b)] = best
    return out


def test_walking_adjacency_matches_networkx_on_the_sample():
    from layers.importing.network import network_for

    project = build_sample_project("small")
    comm = communities_layer(project).gdf
    net = network_for(project.layers_of_kind("streets")[0])
    adj = walking_adjacency(comm, net, 300, gap_m=40, max_snap_m=200)
    walks = {tuple(e): w for e, w in zip(adj.edge_fids().tolist(), adj.walks_m, strict=True)
             if np.isfinite(w)}
    expected = _reference_walks(comm, net, 300, 40, 200)
    assert len(expected) > 50
    assert set(walks) == set(expected)
    for pair, w in expected.items():
        assert walks[pair] == pytest.approx(w, abs=0.01)
    # every pair of the touch rule is kept (those without a walk have NaN)
    touch = {tuple(e) for e in community_adjacency(comm, 40).edge_fids().tolist()}
    assert touch <= {tuple(e) for e in adj.edge_fids().tolist()}
    assert (adj.matrix != adj.matrix.T).nnz == 0


def test_project_without_streets_falls_back_to_the_touch_rule_and_says_so():
    project = Project(crs=CRS, metadata={"title": "t"})
    project.add_layer(VectorLayer("communities", "communities",
                                  _frame([_box(0, 0, 100, 100), _box(120, 0, 220, 100)],
                                         population=[3000, 3000])))
    adj = project_adjacency(project)
    assert adj.rule == "touch" and adj.edge_fids().tolist() == [[1, 2]]
    assert adj.notes and "touch" in adj.notes[0]("en") and "相接" in adj.notes[0]("zh")


# --- grouping: enclaves and leftovers ---------------------------------------------------
def _two_columns():
    """Two columns of three blocks (2,000 residents each, 20 m apart; touch rule, 40 m):
    A1–A3 at x 0–100, B1–B3 at x 250–350, and between them E (500 residents, x 110–220,
    y 0–160), touching A2, A3, B1 and B2 but neither A1 nor B3. Far away: L (800), alone,
    and a pair P1–P2 (1,000 + 1,200)."""
    rows = {"A3": (0, 0), "A2": (0, 120), "A1": (0, 240),
            "B1": (250, 0), "B2": (250, 120), "B3": (250, 240)}
    geoms = {k: _box(x, y, x + 100, y + 100) for k, (x, y) in rows.items()}
    geoms["E"] = _box(110, 0, 220, 160)
    geoms["L"] = _box(3000, 0, 3100, 100)
    geoms["P1"] = _box(5000, 0, 5100, 100)
    geoms["P2"] = _box(5120, 0, 5220, 100)
    pops = {"E": 500, "L": 800, "P1": 1000, "P2": 1200}
    names = list(geoms)
    comm = _frame([geoms[k] for k in names], population=[pops.get(k, 2000) for k in names])
    comm["name"] = names
    return comm, {k: i + 1 for i, k in enumerate(names)}


def test_enclave_joins_the_nearest_adjacent_precinct_and_leftovers_have_a_reason():
    comm, fid = _two_columns()
    adj = community_adjacency(comm, 40)
    g = _graph(adj)
    assert sorted(g.neighbors(fid["E"])) == sorted(fid[k] for k in ("A2", "A3", "B1", "B2"))
    result = group_communities(comm, adj, 5000, seed=0)
    lab = result.labels
    a, b = lab[fid["A1"]], lab[fid["B1"]]
    assert a >= 0 and b >= 0 and a != b
    assert lab[[fid["A1"], fid["A2"], fid["A3"]]].tolist() == [a] * 3
    assert lab[[fid["B1"], fid["B2"], fid["B3"]]].tolist() == [b] * 3
    # E cannot reach the floor itself; it touches both precincts and joins the one whose
    # centre is nearer: A's centre (x 50) is 115 m from E's (x 165), B's (x 300) 135 m
    centre = {k: comm.geometry[fid[k]].centroid for k in fid}
    a_c = shapely.Point(np.mean([centre[k].x for k in ("A1", "A2", "A3")]),
                        np.mean([centre[k].y for k in ("A1", "A2", "A3")]))
    b_c = shapely.Point(np.mean([centre[k].x for k in ("B1", "B2", "B3")]),
                        np.mean([centre[k].y for k in ("B1", "B2", "B3")]))
    assert centre["E"].distance(a_c) < centre["E"].distance(b_c)
    assert lab[fid["E"]] == a
    for fids in result.regions():  # connected (networkx) and over the floor
        assert nx.is_connected(g.subgraph(fids.tolist()))
        assert comm.loc[fids, "population"].sum() >= 5000
    # E moved 20 m east (x 130–240): B's centre is now the nearer (115 m against 135 m)
    moved = comm.copy()
    moved.loc[fid["E"], "geometry"] = _box(130, 0, 240, 160)
    shifted = group_communities(moved, community_adjacency(moved, 40), 5000, seed=0)
    assert shifted.labels[fid["E"]] == shifted.labels[fid["B1"]] != shifted.labels[fid["A1"]]
    # L has no neighbour; P1–P2 hold 2,200 together: both listed with their reason
    reasons = result.reasons
    assert sorted(reasons.index) == sorted([fid["L"], fid["P1"], fid["P2"]])
    assert reasons.loc[fid["L"], "reason"] == "no_neighbour"
    assert reasons.loc[fid["P1"], "reason"] == "small_group"
    assert reasons.loc[fid["P2"], "group_total"] == 2200
    assert "2200" in result.why(fid["P1"])("en") and "5000" in result.why(fid["P1"])("en")
    assert "2200" in result.why(fid["P1"])("zh") and "下限" in result.why(fid["P1"])("zh")
    assert "40 m" in result.why(fid["L"])("en")
    assert dict((k, n) for k, _t, n in result.reason_counts()) == {"small_group": 2,
                                                                   "no_neighbour": 1}


def test_isolated_community_on_the_streets_is_listed_with_its_reason():
    street = _streets([(X0 - 200, Y0), (X0 + 3000, Y0)])
    comm = _frame([_box(0, 10, 100, 110), _box(120, 10, 220, 110), _box(240, 10, 340, 110),
                   _box(2500, 10, 2600, 110),       # 4: on the street, 2 km from the others
                   _box(0, 2000, 100, 2100)],       # 5: no street within 200 m
                  population=[2000, 2000, 2000, 3000, 3000])
    adj = walking_adjacency(comm, street, 300, gap_m=40, max_snap_m=200)
    result = group_communities(comm, adj, 5000)
    assert result.n_regions == 1 and sorted(result.unassigned().tolist()) == [4, 5]
    assert result.reasons.loc[4, "reason"] == "no_neighbour"
    assert result.reasons.loc[5, "reason"] == "no_street"
    assert result.why(4)("en") == "no other community within a 300 m walk"
    assert result.why(4)("zh") == "步行 300 米内没有其他小区"
    assert "道路" in result.why(5)("zh") and "street" in result.why(5)("en")


def test_ceiling_and_locked_neighbours_are_reasons_too():
    comm, fid = _two_columns()
    adj = community_adjacency(comm, 40)
    # a ceiling of 6,000: E cannot join either precinct of 6,000 residents
    capped = group_communities(comm, adj, 5000, 6000, seed=0)
    assert capped.reasons.loc[fid["E"], "reason"] == "ceiling"
    assert "6000" in capped.why(fid["E"])("en") and "上限 6000" in capped.why(fid["E"])("zh")
    # A1–A3 and B1–B3 locked: E's neighbours are all locked
    kept = [fid[k] for k in ("A1", "A2", "A3", "B1", "B2", "B3")]
    locked = group_communities(comm, adj, 5000, locked_fids=kept)
    assert locked.reasons.loc[fid["E"], "reason"] == "locked_neighbours"
    assert not set(kept) & set(locked.reasons.index)


def test_small_sample_at_the_defaults_leaves_almost_nothing_unassigned():
    project = build_sample_project("small")
    comm = communities_layer(project).gdf
    adj = project_adjacency(project)  # the product's default: a 300 m walk on the streets
    assert adj.rule == "walk" and adj.walk_m == 300
    floor = 5000  # complete_community_population_min, the panel's and CLI's default floor
    result = group_communities(comm, adj, floor)
    g = _graph(adj)
    placed = set()
    for fids in result.regions():
        assert nx.is_connected(g.subgraph(fids.tolist()))
        assert comm.loc[fids, "population"].sum() >= floor
        placed |= set(fids.tolist())
    left = set(comm.index) - placed
    assert len(left) <= 0.05 * len(comm)  # issue 18: 47 of 60 were left out before
    assert left == set(result.reasons.index)
    for fid in left:  # each left out for a reason networkx confirms
        free = g.subgraph(set(g) - placed)
        group = nx.node_connected_component(free, fid)
        assert comm.loc[list(group), "population"].sum() < floor
        assert result.reasons.loc[fid, "group_total"] == comm.loc[list(group), "population"].sum()


# --- CLI --------------------------------------------------------------------------------
def test_cli_lists_the_unassigned_with_their_reason(tmp_path, capsys):
    from app.cli import precincts as cli_precincts
    from layers.i18n import set_language
    from layers.store import save_project

    path = tmp_path / "sample.gpkg"
    save_project(build_sample_project("small"), path)
    parser = argparse.ArgumentParser()
    cli_precincts.configure(parser)
    args = parser.parse_args([str(path), "--auto"])
    args.json = True
    assert cli_precincts.run(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["adjacency"] == "walk" and out["walk_m"] == 300 and out["floor"] == 5000
    assert out["unassigned"] == len(out["unassigned_communities"]) <= 3
    assert out["precincts"] >= 6
    assert sum(out["unassigned_reasons"].values()) == out["unassigned"]
    for row in out["unassigned_communities"]:
        assert row["reason"] in ("no_neighbour", "small_group", "no_street")
    # the strict rule leaves most out, each listed with its reason, in zh and in en
    args = parser.parse_args([str(path), "--auto", "--adjacency", "touch"])
    args.json = False
    try:
        set_language("zh")
        assert cli_precincts.run(args) == 0
        zh = capsys.readouterr().out
        set_language("en")
        assert cli_precincts.run(args) == 0
        en = capsys.readouterr().out
    finally:
        set_language("en")
    assert "相邻判定：相接" in zh and "未划分原因" in zh and "低于下限 5000" in zh
    assert "Left unassigned:" in en and "under the floor of 5000" in en
    names = communities_layer(build_sample_project("small")).gdf["name"]
    listed = [line for line in en.splitlines() if line.startswith("  ") and ": " in line]
    assert len(listed) > 30 and all(line.strip().split(":")[0] in set(names) for line in listed)


def test_rule_and_walk_come_from_the_project_standards():
    from layers.errors import ProjectError

    project = build_sample_project("small")
    project.set_standards_overrides({"parameters": {
        "precinct_adjacency_walk_m": {"value": 500}, "precinct_adjacency_rule": {"value": "walk"}}})
    adj = project_adjacency(project)
    assert adj.rule == "walk" and adj.walk_m == 500
    assert len(adj.edges) > len(walking_adjacency(communities_layer(project).gdf,
                                                  project.layers_of_kind("streets")[0], 300,
                                                  gap_m=40).edges)
    project.set_standards_overrides({"parameters": {"precinct_adjacency_rule": {"value": "touch"}}})
    assert project_adjacency(project).rule == "touch"
    project.set_standards_overrides({"parameters": {"precinct_adjacency_rule": {"value": "walking"}}})
    with pytest.raises(ProjectError, match="walk or touch"):
        project_adjacency(project)
    assert project_adjacency(project, "touch").rule == "touch"  # said explicitly: no problem
