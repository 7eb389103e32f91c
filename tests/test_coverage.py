"""Life-circle coverage: exact distances (networkx, hand-computed), service areas cut at the
level, bad input, Euclidean mode, results joining the project, live what-if."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from layers.commands import AddFeatures, ChangeGeometry, DeleteFeatures
from layers.coverage import (
    AREAS_LAYER,
    RESULTS_LAYER,
    CoverageSession,
    apply_results,
    compute_coverage,
    coverage,
    resolve_options,
)
from layers.coverage.areas import area_polygon, reachable_parts
from layers.coverage.engine import street_network
from layers.coverage.inputs import prepare_inputs
from layers.demo import build_sample_project
from layers.errors import ProjectError
from layers.importing.network import build_network, walkable_osm
from layers.importing.read import read_source
from layers.standards import load_standards
from tests.conftest import shared_data

CRS = "EPSG:4546"


# --- an independent reference: networkx on the same graph with the same virtual nodes --------
def nx_reference(net, d, service: str) -> tuple[nx.Graph, dict, dict]:
    """A networkx graph with every snapped point as a node splitting its edge (facility snap
    points too, with the snap leg as an edge to the facility), and the multi-source distances
    from the service's facilities."""
    edges = net.edges
    u, v, length = edges["u"].to_numpy(), edges["v"].to_numpy(), edges["length_m"].to_numpy()
    on_edge: dict[int, list[tuple[float, object]]] = {}
    for k in np.flatnonzero(d.origins.ok):
        on_edge.setdefault(int(d.origins.edge[k]), []).append((float(d.origins.pos[k]), ("o", k)))
    sources = []
    g = nx.Graph()
    for j in np.flatnonzero(d.facilities.ok):
        on_edge.setdefault(int(d.facilities.edge[j]), []).append(
            (float(d.facilities.pos[j]), ("s", j)))
        g.add_edge(("f", j), ("s", j), weight=float(d.facilities.snap_m[j]))
        if d.fac_service[j] == service:
            sources.append(("f", j))

    def add(a, b, w):
        if a == b:
            return
        if g.has_edge(a, b):
            w = min(w, g[a][b]["weight"])
        g.add_edge(a, b, weight=w)

    for i in range(len(u)):
        chain = [(0.0, ("n", int(u[i])))] + sorted(on_edge.get(i, []), key=lambda t: t[0]) + \
            [(float(length[i]), ("n", int(v[i])))]
        for (p0, a), (p1, b) in zip(chain[:-1], chain[1:]):
            add(a, b, p1 - p0)
    dist = nx.multi_source_dijkstra_path_length(g, sources) if sources else {}
    return g, dist, on_edge


def assert_matches_networkx(inputs, options, net, services=None):
    result = coverage(inputs, options, net=net)
    d = result.distances
    checked = 0
    for service in services or options.services:
        _g, dist, _ = nx_reference(net, d, service)
        ours = d.nearest_m[service]
        expected = np.full(len(inputs.communities), np.inf)
        pos = inputs.communities.index.get_indexer(inputs.origin_community)
        for k in np.flatnonzero(d.origins.ok):
            value = dist.get(("o", k), np.inf) + d.origins.snap_m[k]
            expected[pos[k]] = min(expected[pos[k]], value)
        within = expected <= options.search_limit_m
        assert np.allclose(ours[within], expected[within], atol=1e-6, rtol=0)
        assert np.isnan(ours[~within]).all()
        checked += int(within.sum())
    assert checked > 0
    return result


def test_distances_equal_networkx_on_sample_city():
    project = build_sample_project("small", 0)
    options = resolve_options(project.standards())
    from layers.coverage.inputs import inputs_from_project

    inputs = inputs_from_project(project, statuses=options.statuses)
    net = street_network(inputs.streets, inputs.crs)
    assert_matches_networkx(inputs, options, net)


def _random_points(bounds, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(bounds[0], bounds[2], n)
    y = rng.uniform(bounds[1], bounds[3], n)
    return shapely.points(x, y)


def _osm_case(path: Path, n_comm: int, n_fac: int, seed: int):
    frame = walkable_osm(read_source(path, kind="streets").frame)
    frame = frame[frame.geom_type.isin(["LineString", "MultiLineString"])]
    frame = frame.to_crs(frame.estimate_utm_crs())
    net = build_network(frame[["geometry"]])
    b = frame.total_bounds
    comm = gpd.GeoDataFrame({"name": [f"c{i}" for i in range(n_comm)],
                             "population": np.arange(n_comm) * 10 + 100},
                            geometry=_random_points(b, n_comm, seed), crs=frame.crs)
    comm.index = np.arange(1, n_comm + 1)
    services = np.array(["elder_care", "childcare", "meal_point"])[np.arange(n_fac) % 3]
    fac = gpd.GeoDataFrame({"service": services}, geometry=_random_points(b, n_fac, seed + 1),
                           crs=frame.crs)
    fac.index = np.arange(1, n_fac + 1)
    options = resolve_options(load_standards(), max_snap_m=300.0, search_limit_m=5000.0)
    return prepare_inputs(comm, fac, net), options, net


def test_distances_equal_networkx_on_guixi_osm():
    path = shared_data("osm", "guixi_centre.osm")
    inputs, options, net = _osm_case(path, 80, 18, 3)
    assert net.largest_component_nodes > 200
    assert_matches_networkx(inputs, options, net)


def test_distances_equal_networkx_on_pyrosm_test_pbf():
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyrosm is not installed (its bundled test.osm.pbf is the test data): "
                    "pip install pyrosm")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "test.osm.pbf"
    if not path.exists():
        pytest.skip(f"pyrosm's test.osm.pbf not found at {path}")
    inputs, options, net = _osm_case(path, 120, 12, 5)
    result = assert_matches_networkx(inputs, options, net)
    covered = result.table["covered"].mean()
    assert 0 < covered < 1  # a real network where coverage is far from complete


def _hand_case():
    streets = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (100, 0)]),
                                         shapely.LineString([(100, 0), (100, 100)])], crs=CRS)
    comm = gpd.GeoDataFrame({"name": ["west", "east"], "population": [100, 50]},
                            geometry=[shapely.Point(30, 10), shapely.Point(92, 20)], crs=CRS)
    comm.index = np.array([1, 2])
    fac = gpd.GeoDataFrame({"service": ["elder_care"]}, geometry=[shapely.Point(105, 60)], crs=CRS)
    fac.index = np.array([7])
    return streets, comm, fac


def test_hand_computed_case():
    streets, comm, fac = _hand_case()
    options = resolve_options(load_standards(), services=["elder_care"], levels="100,150")
    result = coverage(prepare_inputs(comm, fac, streets), options)
    table = result.table
    # west: 10 (snap) + 70 (to the corner) + 60 (up) + 5 (facility snap) = 145
    # east: 8 + 40 along the same street as the facility + 5 = 53 (split edge, no detour)
    assert table["nearest_m"].tolist() == pytest.approx([145.0, 53.0], abs=1e-9)
    assert table["snap_m"].tolist() == pytest.approx([10.0, 8.0], abs=1e-9)
    assert table["nearest_facility_fid"].tolist() == [7, 7]
    assert table["covered"].tolist() == [True, True]  # elder care's required level: 5min, 300 m
    city = result.summary[result.summary["unit_type"] == "city"].set_index("level_m")
    assert city.loc[100.0, "population_covered"] == 50
    assert city.loc[150.0, "population_covered"] == 150


def test_euclidean_mode_is_straight_line():
    streets, comm, fac = _hand_case()
    options = resolve_options(load_standards(), services=["elder_care"], mode="euclidean")
    result = coverage(prepare_inputs(comm, fac, streets), options)
    expected = [shapely.Point(30, 10).distance(shapely.Point(105, 60)),
                shapely.Point(92, 20).distance(shapely.Point(105, 60))]
    assert result.table["nearest_m"].tolist() == pytest.approx(expected)
    assert (result.table["mode"] == "euclidean").all()


# --- service areas -----------------------------------------------------------------------
def test_service_area_parts_never_exceed_the_level_and_polygon_stays_in_corridor():
    project = build_sample_project("small", 0)
    result = compute_coverage(project, ["elder_care"], areas=False)
    d, options = result.distances, result.options
    net = street_network(project.layer("streets"), project.crs)
    g, dist, on_edge = nx_reference(net, d, "elder_care")
    u, v = net.edges["u"].to_numpy(), net.edges["v"].to_numpy()
    length = net.edges["length_m"].to_numpy()
    geoms = np.asarray(net.edges.geometry.values, dtype=object)
    tree = shapely.STRtree(geoms)
    mine = (d.fac_service == "elder_care") & d.facilities.ok
    fac_pts = d.fac_points[mine]

    def network_distance(point) -> float:
        best = np.inf
        for i in tree.query(point, predicate="dwithin", distance=1e-6):
            s = shapely.line_locate_point(geoms[i], point)
            chain = [(0.0, ("n", int(u[i])))] + sorted(on_edge.get(int(i), [])) + \
                [(float(length[i]), ("n", int(v[i])))]
            for p, node in chain:
                best = min(best, dist.get(node, np.inf) + abs(s - p))
        for j, fp in enumerate(fac_pts):  # on an access leg
            if d.facilities.snap_m[mine][j] > 0 and shapely.distance(
                    shapely.LineString([fp, shapely.line_interpolate_point(
                        geoms[d.facilities.edge[mine][j]], d.facilities.pos[mine][j])]), point) < 1e-6:
                best = min(best, fp.distance(point))
        return best

    for level in (300.0, 500.0):
        parts = reachable_parts(d.graph.index, d.graph.chains, d.fields["elder_care"].dist,
                                d.facilities.edge[mine], d.facilities.pos[mine],
                                d.facilities.snap_m[mine], fac_pts, level)
        assert len(parts)
        worst, at_level = 0.0, 0
        for part in parts[:: max(1, len(parts) // 150)]:
            for f in (0.0, 0.37, 0.81, 1.0):
                value = network_distance(shapely.line_interpolate_point(part, f, normalized=True))
                worst = max(worst, value)
                at_level += abs(value - level) < 1e-6
        assert worst <= level + 1e-6
        assert at_level > 0  # parts are cut at exactly the level, not before
        polygon = area_polygon(parts, options.corridor_m)
        lines = shapely.multilinestrings(parts)
        vertices = shapely.points(shapely.get_coordinates(polygon))
        assert shapely.distance(vertices, lines).max() <= options.corridor_m + 1e-6
        assert polygon.difference(lines.buffer(options.corridor_m + 1e-3)).area < 1e-6
        assert shapely.covers(polygon.buffer(1e-6), lines)
        # never a hull: far less than the convex hull of the same parts
        assert polygon.area < 0.9 * lines.buffer(options.corridor_m).convex_hull.area


# --- bad input --------------------------------------------------------------------------
def test_no_streets_is_a_clear_error_and_euclidean_still_works():
    project = build_sample_project("small", 0)
    project.remove_layer("streets")
    with pytest.raises(ProjectError) as err:
        compute_coverage(project)
    assert "euclidean" in err.value.message("en")
    assert "直线" in err.value.message("zh")
    result = compute_coverage(project, mode="euclidean")
    assert result.table["nearest_m"].notna().all()


def test_empty_facility_layer_flags_every_row():
    project = build_sample_project("small", 0)
    fac = project.layer("facilities")
    project.apply(DeleteFeatures(fac.id, list(fac.gdf.index)))
    result = compute_coverage(project, areas=False)
    assert (result.table["flag"] == "no_facility").all()
    assert not result.table["covered"].any()
    assert any("no elder_care facility" in n.en for n in result.notes)


def test_far_facilities_and_communities_are_reported_not_dropped():
    project = build_sample_project("small", 0)
    fac = project.layer("facilities")
    b = project.layer("streets").bounds()
    row = fac.gdf.iloc[[0]].copy()
    row["service"] = "elder_care"
    row.geometry = [shapely.Point(b[2] + 5000, b[3] + 5000)]
    project.apply(AddFeatures(fac.id, row))
    comm = project.layer("communities")
    far = comm.gdf.iloc[[0]].copy()
    far.geometry = [shapely.box(b[2] + 3000, b[3], b[2] + 3100, b[3] + 100)]
    project.apply(AddFeatures(comm.id, far))
    result = compute_coverage(project, areas=False)
    assert result.partial
    new_fac = int(fac.gdf.index.max())
    assert any(str(new_fac) in n.en and "left out" in n.en for n in result.notes)
    new_comm = int(comm.gdf.index.max())
    rows = result.table[result.table["community_fid"] == new_comm]
    assert len(rows) == 3 and (rows["flag"] == "far_from_network").all()
    assert len(result.table) == 3 * len(comm)  # every community has its rows


def test_no_crs_is_a_clear_error():
    streets, comm, fac = _hand_case()
    with pytest.raises(ProjectError, match="coordinate reference system"):
        prepare_inputs(comm.set_crs(None, allow_override=True), fac, streets)
    with pytest.raises(ProjectError, match="degrees"):
        prepare_inputs(comm.to_crs(4490), fac, streets)


def test_bad_options_are_clear_errors():
    std = load_standards()
    with pytest.raises(ProjectError, match="unknown service"):
        resolve_options(std, services="elder_care,bakery")
    with pytest.raises(ProjectError, match="not a walking distance"):
        resolve_options(std, levels="300,far")
    with pytest.raises(ProjectError, match="distance mode"):
        resolve_options(std, mode="crow")


# --- results join the project --------------------------------------------------------------
def test_results_join_the_project_in_one_undo_and_rerun_replaces():
    project = build_sample_project("small", 0)
    before = project.names()
    result = compute_coverage(project)
    apply_results(project, result)
    assert RESULTS_LAYER in project.names() and AREAS_LAYER in project.names()
    assert len(project.layer(RESULTS_LAYER).df) == 3 * len(project.layer("communities"))
    assert len(project.layer(AREAS_LAYER)) == 9
    apply_results(project, compute_coverage(project))
    assert project.names().count(RESULTS_LAYER) == 1
    assert not any(n.startswith(f"{RESULTS_LAYER} (") for n in project.names())
    project.undo.undo()
    assert RESULTS_LAYER in project.names()
    project.undo.undo()
    assert project.names() == before


# --- live what-if --------------------------------------------------------------------------
def _same(session: CoverageSession) -> None:
    ours, full = session.table(), session.recompute().table
    a = ours["nearest_m"].to_numpy(float)
    b = full["nearest_m"].to_numpy(float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], atol=1e-9, rtol=0)
    assert (ours["covered"].to_numpy() == full["covered"].to_numpy()).all()
    assert (ours["flag"].to_numpy() == full["flag"].to_numpy()).all()
    mine = session.summary()
    assert np.allclose(mine["population_covered"], full_summary(session)["population_covered"])


def full_summary(session):
    from layers.coverage.aggregate import summarise

    result = session.recompute()
    return summarise(result.inputs, result.options, result.distances)


def test_what_if_moves_adds_and_deletes_match_a_full_recompute():
    project = build_sample_project("small", 0)
    session = CoverageSession(project)
    session.connect()
    fac = project.layer("facilities")
    rng = np.random.default_rng(7)
    b = project.layer("streets").bounds()
    ids = fac.gdf.index[fac.gdf["service"].isin(session.options.services)].to_numpy()
    for _ in range(4):
        fid = int(rng.choice(ids))
        point = shapely.Point(rng.uniform(b[0], b[2]), rng.uniform(b[1], b[3]))
        project.apply(ChangeGeometry(fac.id, {fid: point}))
        _same(session)
    project.apply(DeleteFeatures(fac.id, [int(ids[0])]))
    _same(session)
    row = fac.gdf.iloc[[0]].copy()
    row.geometry = [shapely.Point((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)]
    project.apply(AddFeatures(fac.id, row))
    _same(session)
    project.undo.undo()
    project.undo.undo()
    _same(session)
    session.disconnect()


@pytest.mark.parametrize("rings", [12, 1])  # with one ring most points need the GEOS fallback
def test_fast_nearest_edge_equals_geos_including_the_fallback(monkeypatch, rings):
    import shapely

    import layers.coverage.nearest as nearest_mod
    from layers.coverage.snap import edge_index, snap_points
    from layers.importing.network import build_network

    project = build_sample_project("small", 0)
    net = build_network(project.layer("streets").gdf)
    index = edge_index(net)
    monkeypatch.setattr(nearest_mod, "RINGS", rings)
    x0, y0, x1, y1 = project.layer("streets").bounds()
    rng = np.random.default_rng(5)
    pts = shapely.points(rng.uniform(x0 - 300, x1 + 300, 4000),
                         rng.uniform(y0 - 300, y1 + 300, 4000))  # some far off the network
    got = snap_points(index, pts, max_snap_m=150.0)
    settled = nearest_mod.nearest(index.grid, shapely.get_coordinates(pts), 150.0)[3]
    assert settled.all() if rings == 12 else (~settled).sum() > 1000
    (pi, ei), dist = index.tree.query_nearest(pts, max_distance=150.0, return_distance=True,
                                              all_matches=False)
    ref = np.full(len(pts), np.nan)
    ref[pi] = dist
    assert np.array_equal(got.ok, ~np.isnan(ref))
    assert np.allclose(got.snap_m[got.ok], ref[got.ok], atol=1e-7, rtol=0)
    on_edge = shapely.line_locate_point(index.geoms[got.edge[got.ok]], pts[got.ok])
    assert np.allclose(got.pos[got.ok], np.clip(on_edge, 0, index.length[got.edge[got.ok]]),
                       atol=1e-6)


# --- the street graph: lines already noded skip the cleaning --------------------------------
def _same_graph(fast, full):
    assert fast.node_count == full.node_count
    assert len(fast.edges) == len(full.edges)
    assert fast.edges["length_m"].sum() == pytest.approx(full.edges["length_m"].sum(), abs=1e-6)
    assert np.array_equal(fast.node_xy, full.node_xy)  # the same nodes in the same order
    assert (fast.matrix != full.matrix).nnz == 0  # the same edges with the same lengths


def test_already_noded_streets_give_the_graph_of_the_full_cleaning():
    from scipy.sparse.csgraph import dijkstra

    from layers.coverage.inputs import inputs_from_project

    project = build_sample_project("city", 0)
    streets = project.layer("streets").gdf
    fast, full = build_network(streets), build_network(streets, fast=False)
    assert fast.already_noded and not full.already_noded
    assert fast.piece_grid is not None and full.piece_grid is None
    _same_graph(fast, full)
    sources = np.random.default_rng(1).choice(fast.node_count, 40, replace=False)
    assert np.array_equal(dijkstra(fast.matrix, indices=sources, limit=3000.0),
                          dijkstra(full.matrix, indices=sources, limit=3000.0))
    # a whole run on either graph (edges in another order, the fast one snapping with the
    # grid the check made) finds the same distances
    options = resolve_options(project.standards())
    inputs = inputs_from_project(project, statuses=options.statuses)
    a, b = coverage(inputs, options, net=fast).table, coverage(inputs, options, net=full).table
    assert np.array_equal(np.isnan(a["nearest_m"]), np.isnan(b["nearest_m"]))
    assert np.allclose(a["nearest_m"].dropna(), b["nearest_m"].dropna(), atol=1e-9, rtol=0)
    assert (a["nearest_facility_fid"].fillna(0) == b["nearest_facility_fid"].fillna(0)).all()


def test_crossing_lines_take_the_full_cleaning():
    from scipy.sparse.csgraph import dijkstra

    cross = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (100, 0)]),
                                       shapely.LineString([(50, -50), (50, 50)])], crs=CRS)
    net = build_network(cross)
    assert not net.already_noded
    assert net.node_count == 5 and len(net.edges) == 4  # noded where they cross
    west = int(np.argmin(np.hypot(*(net.node_xy - [0, 0]).T)))
    north = int(np.argmin(np.hypot(*(net.node_xy - [50, 50]).T)))
    assert dijkstra(net.matrix, indices=west)[north] == pytest.approx(100.0)


def _line(*xy):
    return shapely.LineString(xy)


# each: lines, and whether they are clean (the fast path) — either way the graph must be the
# one the full cleaning builds
_CASES = {
    "grid of segments": ([_line((0, 0), (50, 0)), _line((50, 0), (100, 0)), _line((50, 0), (50, 60)),
                          _line((50, 60), (50, 120))], True),
    "polylines meeting at their ends": ([_line((0, 0), (30, 5), (60, 0)), _line((60, 0), (60, 40), (90, 50)),
                                         _line((60, 0), (100, -20))], True),
    "end on the middle of a line (T)": ([_line((0, 0), (100, 0)), _line((50, 0), (50, 40))], False),
    "end 1 m short of a line": ([_line((0, 0), (100, 0)), _line((50, 1), (50, 40))], False),
    "end 1 m short of a line end": ([_line((0, 0), (100, 0)), _line((101, 0), (140, 0))], False),
    "end 5 m from a line (beyond the tolerance)": ([_line((0, 0), (100, 0)), _line((50, 5), (50, 40))], True),
    "crossing polylines": ([_line((0, 0), (40, 10), (80, 0)), _line((40, -20), (40, 5), (45, 40))], False),
    "touching at an inner vertex": ([_line((0, 0), (40, 10), (80, 0)), _line((40, 10), (40, 50))], False),
    "the same line twice": ([_line((0, 0), (100, 0)), _line((100, 0), (0, 0)), _line((100, 0), (100, 50))],
                            False),
    "overlapping from a shared end": ([_line((0, 0), (100, 0)), _line((0, 0), (60, 0)),
                                       _line((0, 0), (0, 50))], False),
    "straight on through a node": ([_line((0, 0), (50, 0)), _line((50, 0), (100, 0)), _line((100, 0), (150, 0))],
                                   True),
    "a loop": ([_line((0, 0), (50, 0), (50, 50), (0, 0)), _line((0, 0), (-50, 0))], False),
    "crossing itself": ([_line((0, 0), (50, 0), (50, 20), (20, -20))], False),
    "a repeated vertex": ([_line((0, 0), (20, 0), (20, 0), (40, 0)), _line((40, 0), (40, 30))], False),
    "a short overshoot": ([_line((0, 0), (100, 0)), _line((100, 0), (100.5, 0)), _line((100, 0), (100, 50))],
                          False),  # its free end lies within the tolerance of the other lines
    "ends a hair apart": ([_line((0, 0), (100, 0)), _line((100.0000004, 0), (100, 50))], False),
    "a multi-line in parts, in 3D": ([shapely.MultiLineString([[(0, 0, 1), (50, 0, 2)],
                                                               [(50, 0, 2), (50, 50, 3)]]),
                                      shapely.LineString([(50, 0, 2), (100, 0, 2)])], True),
    "parallel streets 1 m apart": ([_line((0, 0), (100, 0)), _line((0, 1), (100, 1)), _line((0, 0), (0, 1)),
                                    _line((100, 0), (100, 1))], True),
}


@pytest.mark.parametrize("case", list(_CASES))
def test_fast_path_only_where_cleaning_changes_nothing(case):
    lines, clean = _CASES[case]
    frame = gpd.GeoDataFrame({"name": [f"l{i}" for i in range(len(lines))]},
                             geometry=[shapely.affinity.translate(g, 528_000, 3_397_000) for g in lines], crs=CRS)
    fast, full = build_network(frame, tolerance=2.0), build_network(frame, tolerance=2.0, fast=False)
    assert fast.already_noded == clean
    _same_graph(fast, full)
    assert fast.dangles_removed == full.dangles_removed
    if clean:  # each edge keeps the attributes of its line

        def key(g):
            return tuple(np.round(g.coords[0][:2], 3)), tuple(np.round(g.coords[-1][:2], 3))

        names = {key(g): n for n, g in zip(full.edges["name"], full.edges.geometry)}
        for n, g in zip(fast.edges["name"], fast.edges.geometry):
            assert names.get(key(g), names.get(key(g)[::-1])) == n


def test_fast_path_on_jittered_streets_matches_the_full_cleaning():
    """Random damage to clean streets (ends moved a little, lines added across): whatever the
    check decides, the graph is the one the full cleaning builds."""
    streets = build_sample_project("small", 0).layer("streets").gdf
    rng = np.random.default_rng(11)
    for trial in range(6):
        geoms = np.asarray(streets.geometry.values, dtype=object).copy()
        pick = rng.choice(len(geoms), 3, replace=False)
        for k in pick[: trial % 3]:  # move an end by up to 3 m
            xy = shapely.get_coordinates(geoms[k])
            xy[-1] += rng.uniform(-3, 3, 2)
            geoms[k] = shapely.LineString(xy)
        if trial >= 3:  # a line across a few blocks
            a = shapely.get_coordinates(geoms[pick[0]])[0]
            geoms = np.append(geoms, shapely.LineString([a + (7.3, 4.1), a + (260.7, 180.9)]))
        frame = gpd.GeoDataFrame(geometry=geoms, crs=streets.crs)
        fast, full = build_network(frame), build_network(frame, fast=False)
        if trial == 0 or trial >= 3:  # an end moved farther than the tolerance is still clean
            assert fast.already_noded == (trial == 0)
        _same_graph(fast, full)
