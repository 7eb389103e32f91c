"""Street lines at several levels and of several classes (issue 15.1): a footbridge, an
underpass and a ramp in a hand-made OSM file, what is no street (fences, building parts,
motorways, areas, ways closed to walkers), CAD centrelines judged by their road-class
field with the mapping shown, and an OSM export whose tags are fields.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from osm_reference import CRS, ORIGIN, compare, place, reference_graph, write_osm
from pyproj import Transformer

from layers.coverage import compute_coverage
from layers.importing import import_layer
from layers.importing.network import build_network, network_for
from layers.project import Project

#: node -> (east, north) in metres from ORIGIN
NODES = {"r1": (0, 0), "r3": (150, 0), "r2": (300, 0), "f1": (100, -60), "f2": (100, 60),
         "s1": (0, -60), "u1": (150, 80), "t1": (250, -50), "t2": (250, 50), "c1": (200, -40),
         "c2": (200, 40), "k1": (50, 100), "k2": (50, -100), "k3": (60, 100), "k4": (60, -100),
         "b1": (20, 20), "b2": (40, 20), "b3": (40, 40), "b4": (20, 40)}
WAYS = [
    ("road", {"highway": "residential", "name": "江边路"}, ["r1", "r3", "r2"]),
    ("footbridge", {"highway": "footway", "bridge": "yes", "layer": "1"}, ["f1", "f2"]),
    ("path", {"highway": "footway"}, ["f1", "s1", "r1"]),
    ("ramp", {"highway": "footway", "bridge": "yes"}, ["r3", "u1"]),  # level 1 without a layer tag
    ("underpass", {"highway": "footway", "tunnel": "yes", "layer": "-1"}, ["t1", "t2"]),
    ("stair", {"highway": "steps"}, ["t1", "r2"]),
    ("lane", {"highway": "service"}, ["c1", "c2"]),  # crosses the road on its level: a junction
    # none of these is a way to walk, though several cross the road or join walkable nodes
    ("fence", {"barrier": "fence"}, ["f2", "r1"]),
    ("part", {"building:part": "yes"}, ["b1", "b2", "b3", "b4", "b1"]),
    ("trunk", {"highway": "trunk"}, ["k1", "k2"]),
    ("motorway", {"highway": "motorway", "layer": "1"}, ["k3", "k4"]),
    ("square", {"highway": "pedestrian", "area": "yes"}, ["u1", "c2"]),
    ("private", {"highway": "footway", "access": "private"}, ["t2", "c2"]),
    ("no_foot", {"highway": "cycleway", "foot": "no"}, ["u1", "t2"]),
    ("works", {"highway": "construction"}, ["f2", "u1"]),
]


def test_bridge_and_tunnel_are_walked_around_not_through(tmp_path):
    path = tmp_path / "crossings.osm"
    ids = write_osm(path, NODES, WAYS)
    graph, xy, _segments, _lines = reference_graph(path)
    project = Project(crs=CRS)
    report = import_layer(project, path, "streets")
    assert report.walkable["left_out"] == {"barrier": 1, "building": 1, "area": 1, "not_for_walking": 1,
                                           "motor_road": 2, "no_foot": 2}
    streets = project.layer(report.layer_name).gdf
    assert sorted(streets["z_level"].tolist()) == [-1, 0, 0, 0, 0, 1, 1]
    homes = [ids[n] for n in ("f2", "u1", "t2", "c2")]
    services = {"elder_care": [ids["r1"]]}
    place(project, xy, homes, services)
    assert compare(project, graph, homes, services) < 1e-6
    result = compute_coverage(project, services=["elder_care"], levels="300,500", areas=False,
                              search_limit_m=5000.0)
    # off the footbridge round by the path (not down onto the road it crosses: 160 m); up the
    # ramp that shares a node with the road; out of the underpass by the stair (not 300 m);
    # along the lane that crosses the road on its own level
    assert result.table["nearest_m"].tolist() == pytest.approx([280.0, 230.0, 300 + 50 * 2 ** 0.5 + 100,
                                                               240.0], abs=0.05)
    # the same lines without levels would be joined where they cross
    flat = streets.drop(columns="z_level")
    joined = build_network(flat)
    assert joined.node_count == network_for(project.layer(report.layer_name)).node_count + 2


# --- CAD/SHP centrelines: the road-class field and the table ---------------------------------
def test_cad_centrelines_by_road_class_with_the_mapping_shown(tmp_path):
    import pyogrio

    from tests.conftest import X0, Y0

    def line(*xy):
        return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])

    rows = [("解放路", "主干路", "否", "", line((0, 0), (400, 0))),
            ("沿江快速路", "快速路", "否", "无", line((0, 50), (400, 50))),
            ("滨江快速路", "快速路", "否", "有", line((0, 100), (400, 100))),
            ("夷陵路", "城市支路", "否", "", line((200, -100), (200, 0))),
            ("焦柳铁路", "铁路", "否", "", line((100, -100), (100, 100))),
            ("人行天桥", "人行天桥", "是", "", line((300, -50), (300, 50))),
            ("江边步道", "景观路", "否", "", line((0, 0), (0, 100)))]
    gdf = gpd.GeoDataFrame({"道路名称": [r[0] for r in rows], "道路等级": [r[1] for r in rows],
                            "桥梁": [r[2] for r in rows], "人行道": [r[3] for r in rows]},
                           geometry=[r[4] for r in rows], crs="EPSG:4546")
    shp = tmp_path / "centrelines.shp"  # as Chinese CAD/GIS software writes it: GBK, no .cpg
    pyogrio.write_dataframe(gdf, shp, driver="ESRI Shapefile", encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    project = Project(crs="EPSG:4546")
    report = import_layer(project, shp, "streets")
    walk = report.walkable
    assert walk["basis"] == "road_class_field" and walk["field"] == "道路等级"
    assert walk["left_out"] == {"railway": 1, "motor_road": 1}
    assert walk["mapping"]["快速路"]["walkable"] == "if_sidewalk" and walk["mapping"]["快速路"]["count"] == 2
    assert walk["mapping"]["城市支路"]["rule"] == "branch"  # the longest name inside the value
    assert walk["unknown_classes"] == {"景观路": 1}
    text = "\n".join(report.lines("en"))
    assert "road class from field '道路等级' (table road_walkability)" in text
    assert "快速路 → expressway / trunk road: walkable only with a sidewalk or foot access ×2" in text
    assert "景观路 ×1" in text
    assert "道路等级取自字段" in "\n".join(report.lines("zh"))
    layer = project.layer(report.layer_name).gdf.set_index("name")
    assert layer.loc["人行天桥", "z_level"] == 1 and layer.loc["解放路", "z_level"] == 0
    assert layer.loc["夷陵路", "road_class"] == "branch"  # from the table where the field map has none
    assert "沿江快速路" not in layer.index and "焦柳铁路" not in layer.index
    # the footbridge crosses 解放路 without meeting it: an island with two dead ends
    net = report.walkable["network"]
    assert net["islands"] == 1 and net["island_length_m"] == pytest.approx(100.0)
    assert net["dead_ends"] == 5


def test_osm_export_with_tag_fields_is_judged_alike(tmp_path):
    """A GeoJSON exported from OSM (overpass turbo, QuickOSM) keeps tags as fields."""
    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    x0, y0 = Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(*ORIGIN)

    def line(*xy):
        return shapely.LineString([to_lonlat.transform(x0 + x, y0 + y) for x, y in xy])

    rows = [({"highway": "residential"}, line((0, 0), (200, 0))),
            ({"highway": "footway", "bridge": "yes", "layer": "1"}, line((100, -50), (100, 50))),
            ({"highway": "steps", "tunnel": "yes"}, line((150, -50), (150, 50))),
            ({"barrier": "wall"}, line((0, 10), (200, 10))),
            ({"building:part": "yes"}, line((20, 20), (40, 20), (40, 40), (20, 20))),
            ({"highway": "pedestrian", "area": "yes"}, line((0, -20), (50, -20))),
            ({"highway": "trunk", "sidewalk": "both"}, line((0, 30), (200, 30))),
            ({"highway": "trunk_link"}, line((0, 40), (200, 40))),
            ({"highway": "footway", "access": "private", "foot": "yes"}, line((0, 0), (0, 30))),
            ({"highway": "path", "foot": "no"}, line((200, 0), (200, 30)))]
    keys = sorted({k for tags, _g in rows for k in tags})
    gdf = gpd.GeoDataFrame({k: [tags.get(k) for tags, _g in rows] for k in keys},
                           geometry=[g for _t, g in rows], crs="EPSG:4326")
    path = tmp_path / "export.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    project = Project(crs=CRS)
    report = import_layer(project, path, "streets")
    assert report.walkable["basis"] == "osm"
    assert report.walkable["left_out"] == {"barrier": 1, "building": 1, "area": 1, "motor_road": 1,
                                           "no_foot": 1}
    kept = project.layer(report.layer_name).gdf
    assert kept["z_level"].tolist() == [0, 1, -1, 0, 0]
    assert kept["walkable"].all()


def test_levels_join_where_a_line_ends_on_another_not_where_they_cross():
    from scipy.sparse.csgraph import dijkstra

    lines = gpd.GeoDataFrame({"z_level": [0, 1, 1, -1]}, geometry=[
        shapely.LineString([(0, 0), (200, 0)]),               # the street
        shapely.LineString([(100, 0.0004), (100, 50)]),       # a ramp landing on it (0.4 mm off)
        shapely.LineString([(150, -50), (150, 50)]),          # an overpass: crosses, never meets
        shapely.LineString([(60, -30), (60, 30)]),            # an underpass likewise
    ], crs=CRS)
    net = build_network(lines)
    assert not net.already_noded and net.node_count == 8  # 3 on the street, 1 + 2 + 2 ends
    start = int(((net.node_xy - [0, 0]) ** 2).sum(axis=1).argmin())
    dist = dijkstra(net.matrix, indices=start)
    at = {tuple(map(round, xy)): d for xy, d in zip(net.node_xy, dist)}
    assert at[(100, 50)] == pytest.approx(150.0, abs=1e-3)
    assert np.isinf(at[(150, 50)]) and np.isinf(at[(60, 30)])
    assert sorted(net.edges["z_level"].tolist()) == [-1, 0, 0, 1, 1]
    assert len(net.islands) == 2
