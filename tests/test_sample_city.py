"""Tests of the synthetic sample-city generator (small scale only)."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pyproj import Transformer

from layers.errors import ProjectError
from layers.kinds import schema_for
from layers.sample import SCALES, generate_city

# The keys the brief fixes; written out here, not imported, so a change in the
# generator's tables cannot silently move the goalposts.
SERVICES = {"elder_care", "childcare", "meal_point", "health_station",
            "community_service_station", "culture_sports", "convenience_store"}
SUBTYPES = {"elder_care": {"day_care_centre", "elder_service_station", "home_for_aged"},
            "childcare": {"nursery", "kindergarten"},
            "meal_point": {"community_canteen", "elder_meal_point"}}
UTILITIES = {"water", "drainage_sewage", "drainage_storm", "gas", "power", "telecom"}
GAS_PRESSURES = {"low", "medium_b", "medium_a"}
LAYER_ORDER = [("subdistricts", "admin"), ("streets", "streets"), ("parcels", "parcels"),
               ("communities", "communities"), ("pipelines", "pipelines"),
               ("facilities", "facilities")]
TARGETS = {"communities": 60, "streets": 2000, "facilities": 30, "parcels": 20,
           "pipelines": 600}


@pytest.fixture(scope="module", params=[0, 5])
def city(request):
    return generate_city("small", request.param)


@pytest.fixture(scope="module")
def city0():
    return generate_city("small", 0)


# --- determinism ----------------------------------------------------------------------

def test_same_seed_gives_identical_city(city0):
    again = generate_city("small", 0)
    assert [(n, k) for n, k, _ in again.layers] == [(n, k) for n, k, _ in city0.layers]
    for (_, _, a), (_, _, b) in zip(city0.layers, again.layers, strict=True):
        assert_geodataframe_equal(a, b, check_less_precise=False)
    assert np.array_equal(city0.rasters[0][2], again.rasters[0][2])
    assert city0.rasters[0][3] == again.rasters[0][3]
    assert city0.metadata == again.metadata


def test_different_seed_gives_different_city(city0):
    other = generate_city("small", 1)
    for name in ("communities", "streets", "pipelines", "facilities", "parcels"):
        a, b = city0.layer(name), other.layer(name)
        n = min(len(a), len(b))
        assert not a.geometry.iloc[:n].geom_equals(b.geometry.iloc[:n]).all(), name
    names_a = set(city0.layer("communities")["name"])
    names_b = set(other.layer("communities")["name"])
    assert names_a != names_b


def test_bad_scale_and_seed_are_refused():
    with pytest.raises(ProjectError):
        generate_city("village", 0)
    with pytest.raises(ProjectError):
        generate_city("small", -1)


# --- structure and schema -------------------------------------------------------------

def test_layers_in_drawing_order_and_metadata(city):
    assert [(n, k) for n, k, _ in city.layers] == LAYER_ORDER
    md = city.metadata
    assert md["synthetic"] is True
    assert md["generator"] == "precinct-planner sample city"
    assert md["scale"] == "small" and md["crs"] == "EPSG:4546"
    assert md["title_en"] == "Sample city (synthetic)"
    assert md["title_zh"] == "示例城区（虚构数据）"
    assert "synthetic" in md["description_en"].lower() and "Xiling" in md["description_en"]
    assert "虚构" in md["description_zh"] and "西陵" in md["description_zh"]
    assert json.loads(json.dumps(md, ensure_ascii=False)) == md  # storable as JSON


def test_counts_within_15_percent_of_targets(city):
    for name, target in TARGETS.items():
        n = len(city.layer(name))
        assert abs(n - target) <= 0.15 * target, (name, n, target)
    per_utility = city.layer("pipelines")["utility"].value_counts()
    assert ((per_utility - 100).abs() <= 15).all(), per_utility.to_dict()
    assert SCALES["small"].communities == 60


def test_every_layer_matches_its_schema(city):
    for name, kind, gdf in city.layers:
        schema = schema_for(kind)
        assert str(gdf.crs) == "EPSG:4546" or gdf.crs.to_epsg() == 4546, name
        assert gdf.index.name == "fid" and gdf.index.dtype == np.int64, name
        assert list(gdf.index) == list(range(1, len(gdf) + 1)), name
        assert list(gdf.columns) == [*schema.field_names, "geometry"], name
        for f in schema.fields:
            assert str(gdf[f.name].dtype) == str(pd.Series([], dtype=f.dtype).dtype), \
                (name, f.name, gdf[f.name].dtype)
        issues = schema.validate(gdf, name, allowed=lambda f: None)
        assert issues == [], [i.message("en") for i in issues[:5]]
        assert len(gdf) > 0 and not gdf.geometry.is_empty.any() and gdf.geometry.is_valid.all()


def test_keys_of_services_subtypes_utilities_and_pressures(city):
    fac = city.layer("facilities")
    assert set(fac["service"]) <= SERVICES
    main = fac["service"].isin(list(SUBTYPES)).mean()
    assert main > 0.6
    for service, group in fac.groupby("service"):
        if service in SUBTYPES:
            assert set(group["subtype"]) <= SUBTYPES[service], service
        else:
            assert group["subtype"].isna().all(), service
    assert (fac["status"] == "existing").mean() > 0.5
    pipes = city.layer("pipelines")
    assert set(pipes["utility"]) == UTILITIES
    gas = pipes["utility"] == "gas"
    assert set(pipes.loc[gas, "pressure"].dropna()) <= GAS_PRESSURES
    assert pipes.loc[gas, "pressure"].notna().all()
    assert pipes.loc[~gas, "pressure"].isna().all()


def test_crs_and_location_near_xiling(city):
    minx, miny, maxx, maxy = city.layer("streets").total_bounds
    to_lonlat = Transformer.from_crs("EPSG:4546", "EPSG:4490", always_xy=True)
    lon, lat = to_lonlat.transform((minx + maxx) / 2, (miny + maxy) / 2)
    geod = Transformer.from_crs("EPSG:4490", "EPSG:4546", always_xy=True)
    x0, y0 = geod.transform(111.29, 30.70)
    assert np.hypot((minx + maxx) / 2 - x0, (miny + maxy) / 2 - y0) < 5000
    assert abs(lon - 111.29) < 0.06 and abs(lat - 30.70) < 0.05


# --- communities ----------------------------------------------------------------------

def test_communities_keep_clear_of_streets(city):
    comm = city.layer("communities").geometry.to_numpy()
    streets = city.layer("streets")
    tree = shapely.STRtree(comm)
    assert tree.query(streets.geometry.to_numpy(), predicate="intersects").size == 0
    half = streets["width_m"].to_numpy() / 2 - 1e-6
    hits = tree.query(streets.geometry.to_numpy(), predicate="dwithin", distance=half)
    assert hits.size == 0, "a community reaches into a street's carriageway"


def test_communities_of_different_blocks_are_a_street_apart(city):
    comm = city.layer("communities").geometry.to_numpy()
    streets = city.layer("streets")
    stree = shapely.STRtree(streets.geometry.to_numpy())
    width = streets["width_m"].to_numpy()
    i, j = shapely.STRtree(comm).query(comm, predicate="dwithin", distance=45.0)
    keep = i < j
    i, j = i[keep], j[keep]
    dist = shapely.distance(comm[i], comm[j])
    apart = dist > 1e-6
    assert apart.any()
    gaps = shapely.shortest_line(comm[i[apart]], comm[j[apart]])
    g_idx, s_idx = stree.query(gaps, predicate="intersects")
    crossing = np.zeros(len(gaps))
    np.maximum.at(crossing, g_idx, width[s_idx])
    assert (crossing > 0).all(), "two communities of different blocks with no street between"
    assert (dist[apart] >= crossing - 1e-6).all()
    # Touching communities share a block: no street runs along or across their boundary.
    shared = shapely.intersection(comm[i[~apart]], comm[j[~apart]])
    assert stree.query(shared, predicate="intersects").size == 0


def test_many_communities_share_a_boundary_and_none_overlap(city):
    comm = city.layer("communities").geometry.to_numpy()
    i, j = shapely.STRtree(comm).query(comm, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    inter = shapely.intersection(comm[i], comm[j])
    assert (shapely.area(inter) < 0.01).all(), "communities overlap"
    long_shared = shapely.length(inter) > 10
    sharing = np.union1d(i[long_shared], j[long_shared])
    assert len(sharing) >= 0.2 * len(comm)


def test_subdistricts_contain_their_communities(city):
    admin = city.layer("subdistricts")
    sub = admin[admin["level"] == "subdistrict"]
    assert len(sub) >= 2
    assert sub["name"].is_unique
    assert sub["code"].str.fullmatch(r"42050[23]\d{3}").all()
    assert (sub["code"].str[:6] == sub["parent_code"]).all()
    districts = admin[admin["level"] == "district"]
    assert "420502" in set(districts["code"])
    comm = city.layer("communities")
    pts = comm.geometry.representative_point().to_numpy()
    s_idx, p_idx = shapely.STRtree(sub.geometry.to_numpy()).query(pts, predicate="within")
    assert len(np.unique(s_idx)) == len(comm), "a community outside every sub-district"
    names = sub["name"].to_numpy()[p_idx]
    assert (comm["subdistrict"].to_numpy()[s_idx] == names).all()
    dcode = sub.set_index("name")["parent_code"]
    assert (comm["district_code"].to_numpy() == dcode[comm["subdistrict"]].to_numpy()).all()
    # Sub-districts tile the city: they do not overlap and cover every street.
    assert np.isclose(sub.area.sum(), shapely.union_all(sub.geometry.to_numpy()).area)
    streets = shapely.union_all(city.layer("streets").geometry.to_numpy())
    assert shapely.buffer(shapely.union_all(sub.geometry.to_numpy()), 0.01).covers(streets)


def test_community_attributes_are_plausible(city):
    comm = city.layer("communities")
    assert comm["year_built"].between(1975, 2015).all()
    assert comm["year_built"].between(1980, 2000).mean() > 0.5
    old = comm[comm["year_built"] < 2000]
    assert old["property_type"].isin(["work_unit", "resettlement", "affordable"]).mean() > 0.6
    assert comm["households"].between(100, 2000).all()
    ratio = comm["population"] / comm["households"]
    assert ratio.between(2.25, 3.05).all()
    share60 = (comm["pop_60plus"] / comm["population"]).dropna()
    assert share60.between(0.14, 0.36).all()
    assert comm["pop_60plus"].isna().any() or comm["pop_0_3"].isna().any()
    assert comm["pop_60plus"].notna().mean() > 0.7
    assert comm["willingness"].between(0.3, 1.0).all()
    assert comm["floors_max"][comm["year_built"] < 2000].between(3, 9).all()
    assert comm["precinct"].isna().all()
    assert comm["district"].isin(["西陵区", "伍家岗区"]).all()
    assert comm["name"].is_unique
    assert (comm["in_urban_centre"]).mean() > 0.7
    assert (comm["self_built_share"] == 0).mean() > 0.6


def test_newer_communities_are_mostly_commercial():
    # A single small city has only about ten post-2000 communities; pool a few seeds.
    comm = pd.concat([generate_city("small", seed).layer("communities") for seed in range(5)])
    new = comm[comm["year_built"] >= 2000]
    assert len(new) >= 30
    assert (new["property_type"] == "commercial").mean() > 0.5
    old = comm[comm["year_built"] < 2000]
    assert (old["property_type"] == "commercial").mean() < 0.3


# --- streets --------------------------------------------------------------------------

def test_street_network_is_connected_without_duplicates(city):
    streets = city.layer("streets")
    coords = shapely.get_coordinates(streets.geometry.to_numpy())
    assert len(coords) == 2 * len(streets)  # two-point edges
    _, node = np.unique(coords, axis=0, return_inverse=True)
    node = node.reshape(-1, 2)
    assert (node[:, 0] != node[:, 1]).all()
    pairs = np.sort(node, axis=1)
    assert len(np.unique(pairs, axis=0)) == len(pairs), "duplicate street edges"
    graph = nx.Graph()
    graph.add_edges_from(map(tuple, node.tolist()))
    assert graph.number_of_edges() == len(streets)
    assert nx.is_connected(graph)
    assert set(streets["road_class"]) >= {"arterial", "secondary", "branch"}
    art = streets["road_class"] == "arterial"
    assert streets.loc[art, "width_m"].between(30, 40).all()
    assert streets["walkable"].all() and (~streets["oneway"]).mean() > 0.8
    assert streets["name"].str.contains("[路街道巷]", regex=True).all()


# --- pipelines ------------------------------------------------------------------------

def test_pipes_follow_streets(city):
    pipes = city.layer("pipelines")
    streets = city.layer("streets")
    p_idx, s_idx = shapely.STRtree(streets.geometry.to_numpy()).query(
        pipes.geometry.to_numpy(), predicate="dwithin", distance=10.0)
    assert len(np.unique(p_idx)) == len(pipes)
    named = pipes["street"].to_numpy()[p_idx] == streets["name"].to_numpy()[s_idx]
    assert len(np.unique(p_idx[named])) == len(pipes), "a pipe's street is not nearby"
    assert (pipes.geometry.geom_type == "LineString").all() and pipes.geometry.is_simple.all()
    assert pipes["depth_m"].dropna().between(0.7, 3.0).all()
    assert 0.05 < pipes["depth_m"].isna().mean() < 0.4
    works = pipes["status"].isin(["relocation", "new"])
    assert works.any() and (pipes["status"] == "existing").mean() > 0.6
    assert pipes.loc[works, "works_start"].notna().all()
    assert (pipes.loc[works, "works_start"] <= pipes.loc[works, "works_end"]).all()
    assert pipes.loc[works, "works_start"].dt.year.between(2026, 2028).all()
    assert pipes.loc[~works, "works_start"].isna().all()


def test_some_pipes_of_different_utilities_run_within_1_m(city):
    pipes = city.layer("pipelines")
    geoms = pipes.geometry.to_numpy()
    util = pipes["utility"].to_numpy()
    i, j = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=1.0)
    keep = (i < j) & (util[i] != util[j])
    i, j = i[keep], j[keep]
    # Parallel along their whole length, not merely crossing at a junction.
    parallel = shapely.hausdorff_distance(geoms[i], geoms[j]) < 1.0
    assert parallel.sum() >= 3
    assert parallel.sum() < 0.1 * len(pipes)


# --- parcels, facilities, population --------------------------------------------------

def test_parcels_and_facilities_are_placed_sensibly(city):
    parcels = city.layer("parcels")
    assert parcels.geometry.area.between(300, 5000).all()
    assert set(parcels["parcel_type"]) == {"idle_land", "public_building"}
    building = parcels["parcel_type"] == "public_building"
    assert parcels.loc[building, "floor_area_m2"].notna().all()
    assert parcels.loc[~building, "floor_area_m2"].isna().all()
    comm = city.layer("communities")
    fac = city.layer("facilities")
    inside = fac["community"].notna()
    assert inside.mean() > 0.5
    hosts = comm.set_index("name").geometry.loc[fac.loc[inside, "community"]].to_numpy()
    assert shapely.contains(hosts, fac.loc[inside].geometry.to_numpy()).all()
    # No parcel overlaps another, and a parcel touching a community lies inside it.
    pg = parcels.geometry.to_numpy()
    a, b = shapely.STRtree(pg).query(pg, predicate="intersects")
    assert (a == b).all()
    cg = comm.geometry.to_numpy()
    p_idx, c_idx = shapely.STRtree(cg).query(pg, predicate="intersects")
    assert shapely.within(pg[p_idx], shapely.buffer(cg[c_idx], 1e-6)).all()


def test_population_grid_spreads_community_population(city):
    (name, kind, grid, transform), = city.rasters
    assert (name, kind) == ("population_grid", "population")
    assert grid.dtype == np.float32 and grid.ndim == 2
    assert transform.a == 100 and transform.e == -100 and transform.b == transform.d == 0
    total = city.layer("communities")["population"].sum()
    assert grid.sum() == pytest.approx(total, rel=1e-4)
    assert (grid >= 0).all()
    # Every community's representative point falls in a populated cell.
    pts = shapely.get_coordinates(
        city.layer("communities").geometry.representative_point().to_numpy())
    col, row = ~transform @ (pts[:, 0], pts[:, 1])
    row, col = np.floor(row).astype(int), np.floor(col).astype(int)
    assert (grid[row, col] > 0).all()
    minx, _, _, maxy = city.layer("streets").total_bounds
    assert transform.c <= minx and transform.f >= maxy
