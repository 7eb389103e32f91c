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


@pytest.mark.parametrize("k", [24, 2])  # with 2 candidates most points need the GEOS fallback
def test_fast_nearest_edge_equals_geos_including_the_fallback(monkeypatch, k):
    import shapely

    import layers.coverage.nearest as nearest_mod
    from layers.coverage.snap import edge_index, snap_points
    from layers.importing.network import build_network

    project = build_sample_project("small", 0)
    net = build_network(project.layer("streets").gdf)
    index = edge_index(net)
    monkeypatch.setattr(nearest_mod, "K", k)
    index.pieces = None
    x0, y0, x1, y1 = project.layer("streets").bounds()
    rng = np.random.default_rng(5)
    pts = shapely.points(rng.uniform(x0 - 300, x1 + 300, 4000),
                         rng.uniform(y0 - 300, y1 + 300, 4000))  # some far off the network
    got = snap_points(index, pts, max_snap_m=150.0)
    proven = nearest_mod.nearest(index.pieces, shapely.get_coordinates(pts))[3]
    assert proven.all() if k == 24 else (~proven).sum() > 1000
    (pi, ei), dist = index.tree.query_nearest(pts, max_distance=150.0, return_distance=True,
                                              all_matches=False)
    ref = np.full(len(pts), np.nan)
    ref[pi] = dist
    assert np.array_equal(got.ok, ~np.isnan(ref))
    assert np.allclose(got.snap_m[got.ok], ref[got.ok], atol=1e-7, rtol=0)
    on_edge = shapely.line_locate_point(index.geoms[got.edge[got.ok]], pts[got.ok])
    assert np.allclose(got.pos[got.ok], np.clip(on_edge, 0, index.length[got.edge[got.ok]]),
                       atol=1e-6)
