"""Importing: formats, field matching, encodings, offsets, repair, undo, the CLI command."""

from __future__ import annotations

import argparse
import json
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from conftest import X0, Y0, shared_data
from layers.errors import ProjectError
from layers.importing import auto_map, guess_dbf_encoding, import_layer, read_source, write_shapefile
from layers.project import Project

LON, LAT = 111.29, 30.70  # Xiling, Yichang


def snapshot(project):
    return ([(layer.name, len(layer) if layer.layer_type == "vector" else None) for layer in project],
            len(project.undo))


def community_frame(crs="EPSG:4546") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"小区名称": ["石板溪小区", "四方堰小区", "港务新村"], "建成年代": ["1995年", "1988", "2001"],
         "户数": [120, 300, 86], "产权类型": ["房改房", "商品房", "安置房"]},
        geometry=[shapely.box(X0 + 500 * i, Y0 + 300, X0 + 500 * i + 200, Y0 + 450) for i in range(3)],
        crs=crs)


# --- field matching ----------------------------------------------------------------
def test_auto_map_chinese_and_english_aliases():
    assert auto_map(["小区名称", "建成年代", "户数", "人口", "备注2"], "communities") == {
        "小区名称": "name", "建成年代": "year_built", "户数": "households", "人口": "population"}
    assert auto_map(["名称", "建成年份"], "communities") == {"名称": "name", "建成年份": "year_built"}
    assert auto_map(["NAME", "Year"], "communities") == {"NAME": "name", "Year": "year_built"}
    assert auto_map(["管径", "类型", "材质"], "pipelines") == {
        "管径": "diameter_mm", "类型": "utility", "材质": "material"}
    assert auto_map(["substance", "diameter", "operator"], "pipelines") == {
        "substance": "utility", "diameter": "diameter_mm", "operator": "owner"}
    assert auto_map(["district_name", "district_adcode"], "admin") == {
        "district_name": "name", "district_adcode": "code"}
    # one column per field: the exact name wins over an alias
    assert auto_map(["名称", "name"], "communities") == {"name": "name"}


def test_import_communities_maps_and_converts_values(project, tmp_path):
    path = tmp_path / "小区.gpkg"
    community_frame().to_file(path, engine="pyogrio")
    before = snapshot(project)
    report = import_layer(project, path, "communities")
    layer = project.layer(report.layer_name)
    assert report.mapping == {"小区名称": "name", "建成年代": "year_built", "户数": "households",
                              "产权类型": "property_type"}
    assert layer.gdf["name"].tolist() == ["石板溪小区", "四方堰小区", "港务新村"]
    assert layer.gdf["year_built"].tolist() == [1995, 1988, 2001]
    assert layer.gdf["property_type"].tolist() == ["work_unit", "commercial", "resettlement"]
    assert report.issue_count == 0 and report.crs_used == "EPSG:4546"
    project.undo.undo()
    assert snapshot(project) == (before[0], before[1])


def test_append_into_existing_layer_is_one_undo(project, tmp_path):
    path = tmp_path / "more.geojson"
    community_frame().to_crs("EPSG:4326").to_file(path, engine="pyogrio")
    n = len(project.layer("communities"))
    report = import_layer(project, path, "communities", layer_name="communities")
    assert report.mode == "append" and len(project.layer("communities")) == n + 3
    assert "小区名称" not in project.layer("communities").gdf.columns
    project.undo.undo()
    assert len(project.layer("communities")) == n


def test_explicit_mapping_and_bad_mapping_refused(project, tmp_path):
    path = tmp_path / "c.gpkg"
    community_frame().to_file(path, engine="pyogrio")
    report = import_layer(project, path, "communities", mapping={"户数": "households", "小区名称": "name"})
    assert report.mapping == {"户数": "households", "小区名称": "name"}
    before = snapshot(project)
    with pytest.raises(ProjectError) as err:
        import_layer(project, path, "communities", mapping={"nope": "name"})
    assert err.value.fix is not None and snapshot(project) == before


# --- formats -------------------------------------------------------------------------
def test_csv_with_gcj02_columns_suggests_and_converts(project, tmp_path):
    path = tmp_path / "amap_poi.csv"
    pd.DataFrame({"名称": ["养老服务站", "托育中心"], "类型": ["elderly_care", "childcare"],
                  "gcj_lng": [LON + 0.005, LON + 0.006], "gcj_lat": [LAT, LAT + 0.001]}).to_csv(
        path, index=False, encoding="gbk")
    report = import_layer(project, path, "facilities")
    assert report.crs_assumed and report.suggestions and report.offset_removed is None
    assert report.encoding == "gb18030"
    auto = project.layer(report.layer_name).gdf.geometry
    project.undo.undo()
    report = import_layer(project, path, "facilities", coords="gcj02")
    fixed = project.layer(report.layer_name).gdf.geometry
    shift = auto.distance(fixed, align=False)
    assert report.offset_removed == "gcj02" and (shift > 200).all() and (shift < 800).all()


def test_xlsx_and_zipped_shapefile_and_kml(project, tmp_path):
    xlsx = tmp_path / "设施.xlsx"
    pd.DataFrame({"设施名称": ["幼儿园"], "经度": [LON], "纬度": [LAT]}).to_excel(xlsx, index=False)
    assert len(project.layer(import_layer(project, xlsx, "facilities").layer_name)) == 1
    shp = tmp_path / "z" / "c.shp"
    shp.parent.mkdir()
    write_shapefile(community_frame(), shp)
    zpath = tmp_path / "c.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, part.name)
    report = import_layer(project, zpath, "communities")
    assert project.layer(report.layer_name).gdf["name"].tolist()[0] == "石板溪小区"
    assert "建成年" in read_source(zpath).columns  # cut to 10 bytes on a character boundary
    kml = tmp_path / "p.kml"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"Name": ["石板溪"]}, geometry=[shapely.Point(LON, LAT)],
                                             crs="EPSG:4326"), kml, driver="KML")
    report = import_layer(project, kml, "facilities")
    assert project.layer(report.layer_name).gdf["name"].tolist() == ["石板溪"]


def test_dxf_centrelines_with_chinese_layer_names(project, tmp_path):
    dxf = tmp_path / "roads.dxf"
    lines = [shapely.LineString([(X0, Y0 + 800), (X0 + 300, Y0 + 800)]),
             shapely.LineString([(X0 + 150, Y0 + 700), (X0 + 150, Y0 + 900)])]
    pyogrio.write_dataframe(gpd.GeoDataFrame({"Layer": ["道路中心线"] * 2}, geometry=lines, crs="EPSG:4546"),
                            dxf, driver="DXF")
    report = import_layer(project, dxf, "streets")
    gdf = project.layer(report.layer_name).gdf
    assert report.crs_assumed and report.crs_used == "EPSG:4546"
    assert set(gdf["Layer"]) == {"道路中心线"} and len(gdf) == 2


# --- encodings -----------------------------------------------------------------------
@pytest.mark.parametrize("codec", ["gbk", "utf-8"])
def test_shapefile_without_cpg_reads_back_chinese(project, tmp_path, codec):
    frame = community_frame()
    if codec == "utf-8":  # a DBF name holds 10 bytes: 3 Chinese characters in UTF-8, 5 in GBK
        frame = frame.rename(columns={"小区名称": "小区名", "建成年代": "建成年", "产权类型": "产权类"})
    name_col = frame.columns[0]
    shp = tmp_path / f"housing_{codec}.shp"
    pyogrio.write_dataframe(frame, shp, encoding=codec)
    shp.with_suffix(".cpg").unlink()
    raw = shp.with_suffix(".dbf").read_bytes()
    assert name_col.encode(codec) in raw and "四方堰小区".encode(codec) in raw  # really that encoding
    src = read_source(shp)
    assert src.columns == [c for c in frame.columns if c != "geometry"]
    assert src.frame[name_col].tolist() == ["石板溪小区", "四方堰小区", "港务新村"]
    assert src.encoding == ("gb18030" if codec == "gbk" else "utf-8")
    report = import_layer(project, shp, "communities")
    gdf = project.layer(report.layer_name).gdf
    assert gdf["name"].tolist()[1] == "四方堰小区" and gdf["year_built"].tolist() == [1995, 1988, 2001]
    # the user can override the detection
    assert read_source(shp, encoding=codec).frame[name_col].tolist()[0] == "石板溪小区"


def test_dbf_ldid_hint_and_write_shapefile_cpg(tmp_path):
    out = write_shapefile(community_frame(), tmp_path / "out.shp")
    assert out.with_suffix(".cpg").read_text().strip().upper() == "UTF-8"
    data = bytearray(out.with_suffix(".dbf").read_bytes())
    assert guess_dbf_encoding(bytes(data)).encoding == "utf-8"
    data[29] = 0x4D
    assert guess_dbf_encoding(bytes(data)).ldid == 0x4D


# --- coordinates ---------------------------------------------------------------------
def test_far_away_and_impossible_coordinates_refused(project, tmp_path):
    before = snapshot(project)
    far = tmp_path / "beijing.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Point(116.4, 39.9)], crs="EPSG:4326").to_file(far)
    bad_lat = tmp_path / "lat.csv"
    bad_lat.write_text("name,lon,lat\na,111.3,130.7\n", encoding="utf-8")
    metres = tmp_path / "metres.shp"
    write_shapefile(gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Point(X0, Y0)]), metres)  # no .prj
    geojson_metres = tmp_path / "metres.geojson"  # GeoJSON means WGS-84 degrees, whatever the numbers
    geojson_metres.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"},
         "geometry": {"type": "Point", "coordinates": [X0, Y0]}}]}), encoding="utf-8")
    for path, coords in ((far, "auto"), (bad_lat, "auto"), (metres, "wgs84"), (metres, "EPSG:4326"),
                         (geojson_metres, "auto")):
        with pytest.raises(ProjectError) as err:
            import_layer(project, path, "facilities", coords=coords)
        assert err.value.what.zh and err.value.fix is not None and err.value.fix.zh, path
        assert snapshot(project) == before
    # metres without a CRS near the project: the project CRS is assumed and said so
    report = import_layer(project, metres, "facilities")
    assert report.crs_assumed and report.crs_used == "EPSG:4546"


# --- real data (../shared/data) ---------------------------------------------------------
def test_datav_districts_gcj02_repaired_and_matching_tianditu():
    project = Project()
    report = import_layer(project, shared_data("yichang", "districts_datav_gcj02.json"), "admin",
                          coords="gcj02")
    layer = project.layer(report.layer_name)
    assert report.offset_removed == "gcj02"
    assert sorted(r.row for r in report.repairs if r.action == "repaired") == [7, 8, 12]
    assert layer.gdf.geometry.is_valid.all() and len(layer) == 13
    assert set(layer.gdf["level"]) == {"district"}
    ref = gpd.read_file(shared_data("yichang", "districts_tianditu_wgs84.geojson")).to_crs(project.crs)
    ref = ref.set_index(ref["district_adcode"].astype(str))
    for code, geom in zip(layer.gdf["code"], layer.gdf.geometry):
        other = ref.loc[code].geometry
        iou = geom.intersection(other).area / geom.union(other).area
        assert iou >= 0.9, (code, iou)
        if code in ("420502", "420503", "420504", "420505", "420506"):  # the plan's urban districts
            assert geom.centroid.distance(other.centroid) < 150, code
    project.undo.undo()
    assert project.names() == []


def test_helsinki_pipelines_utility_mapped():
    project = Project(crs="EPSG:3067")
    report = import_layer(project, shared_data("pipelines", "helsinki_utilities_osm.gpkg"), "pipelines",
                          source_layer="pipelines")
    gdf = project.layer(report.layer_name).gdf
    assert len(gdf) == 78 and report.mapping["substance"] == "utility"
    assert gdf["utility"].value_counts().to_dict() == {"unknown": 65, "gas": 10, "water": 2, "heat": 1}
    project.undo.undo()
    assert len(project) == 0


def test_ky4_water_pipes_in_feet_crs():
    project = Project(crs="EPSG:32616")
    report = import_layer(project, shared_data("pipelines", "ky4_pipes.geojson"), "pipelines")
    gdf = project.layer(report.layer_name).gdf
    assert report.crs_declared == "EPSG:3547" and len(gdf) == 1156
    assert set(gdf["utility"]) == {"water"}
    assert gdf["diameter_mm"].min() == pytest.approx(76.2) and gdf["diameter_mm"].max() == pytest.approx(406.4)
    assert 255_000 < gdf.length.sum() < 265_000  # 260 km
    project.undo.undo()
    assert len(project) == 0


# --- the CLI subcommand ------------------------------------------------------------------
def _cli(*argv):
    from app.cli import importing as cli_import
    from app.cli.main import build_parser

    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    cli_import.configure(parser)
    del build_parser
    return cli_import.run(parser.parse_args(list(argv)))


def test_cli_import_saves_and_refuses_without_touching(project, tmp_path, capsys):
    from layers.store import open_project, save_project

    proj = tmp_path / "p.gpkg"
    save_project(project, proj)
    src = tmp_path / "c.gpkg"
    community_frame().to_file(src, engine="pyogrio")
    assert _cli(str(proj), str(src), "--kind", "communities", "--json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["imported"] == 3 and payload["mapping"]["小区名称"] == "name"
    assert open_project(proj).layer(payload["layer"]).gdf["name"].iloc[0] == "石板溪小区"
    before = proj.read_bytes()
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ProjectError):
        _cli(str(proj), str(bad), "--kind", "communities")
    assert proj.read_bytes() == before
    np.testing.assert_equal(len(open_project(proj)), 2)


# --- street networks ---------------------------------------------------------------------
def test_guixi_osm_walking_network_matches_networkx():
    import networkx as nx

    from layers.importing.network import import_street_network, network_for

    project = Project(crs="EPSG:32650")  # UTM 50N: Guixi, Jiangxi (117.2E)
    report = import_street_network(project, shared_data("osm", "guixi_centre.osm"))
    layer = project.layer(report.layer_name)
    net = network_for(layer)
    assert net is report.network  # cached with the layer
    assert net.largest_component_nodes >= 300  # osmnx (walk): about 341 nodes, 491 edges
    assert "motorway" not in set(layer.gdf["highway"].dropna())
    # independent check: networkx on the layer's own line ends
    graph = nx.Graph()
    for geom in layer.gdf.geometry:
        a, b = geom.coords[0], geom.coords[-1]
        graph.add_edge((round(a[0], 3), round(a[1], 3)), (round(b[0], 3), round(b[1], 3)))
    largest = max(nx.connected_components(graph), key=len)
    assert len(largest) == net.largest_component_nodes
    assert graph.number_of_nodes() == net.node_count
    project.undo.undo()
    assert len(project) == 0


def test_cad_centrelines_snapped_noded_deduplicated(project, tmp_path):
    from layers.importing.network import build_network, import_street_network, network_for

    x, y = X0, Y0 + 2000
    lines = [
        shapely.LineString([(x, y), (x + 200, y)]),                 # main street
        shapely.LineString([(x + 100, y - 100), (x + 100, y + 100)]),  # crosses it, no shared vertex
        shapely.LineString([(x + 50, y + 100), (x + 50, y + 0.8)]),   # stops 0.8 m short
        shapely.LineString([(x + 150, y - 100), (x + 150, y + 0.6)]),  # runs 0.6 m past
        shapely.LineString([(x, y), (x + 200, y)]),                 # drawn twice
        shapely.LineString([(x + 500, y), (x + 600, y)]),           # an island
    ]
    gdf = gpd.GeoDataFrame({"Layer": ["道路"] * 6}, geometry=lines, crs="EPSG:4546")
    net = build_network(gdf, tolerance=1.0)
    # the short end and the overshoot are both pulled onto the main street
    assert net.duplicates_dropped == 1 and net.snapped == 2
    assert net.edges["length_m"].min() > 1.0
    assert net.largest_component_nodes == 9 and len(net.islands) == 1 and net.islands[0]["nodes"] == 2
    # distances along the graph: from the west end to the north end of the crossing street
    from scipy.sparse.csgraph import dijkstra

    start = int(np.argmin(np.hypot(*(net.node_xy - [x, y]).T)))
    end = int(np.argmin(np.hypot(*(net.node_xy - [x + 100, y + 100]).T)))
    assert dijkstra(net.matrix, indices=start)[end] == pytest.approx(200.0)
    shp = tmp_path / "centrelines.shp"
    write_shapefile(gdf, shp)
    report = import_street_network(project, shp, tolerance=1.0)
    layer = project.layer(report.layer_name)
    assert network_for(layer, 1.0) is report.network
    assert any("island" in n.en for n in report.notes)
    project.undo.undo()
    assert report.layer_name not in project.names()


def test_osm_pbf_with_unparseable_rings_imports_with_a_report():
    """pyrosm's bundled test PBF has multipolygons GEOS cannot build (a ring of two points):
    they are listed as dropped, the rest imports, and one undo removes it."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("pyrosm")
    if spec is None:
        pytest.skip("pyrosm (test extra) is not installed: its test.osm.pbf is the test data")
    pbf = os.path.join(os.path.dirname(spec.origin), "data", "test.osm.pbf")
    project = Project(crs="EPSG:3067")
    report = import_layer(project, pbf, "parcels", defaults={"parcel_type": "idle_land"})
    assert any("could not be parsed" in note.en for note in report.notes)
    dropped = [r for r in report.repairs if r.action == "dropped_empty"]
    others = [r for r in report.repairs if r.action.startswith("dropped") and r not in dropped]
    assert len(dropped) >= 8
    assert report.imported_count == report.read_count - len(dropped) - len(others)
    assert report.imported_count > 2000
    project.undo.undo()
    assert project.names() == []


# --- the Arrow read: geometries checked while they are read ------------------------------
def _geometry_zoo(path):
    """Polygons with one of each thing the repair handles, written as a GeoPackage."""
    import warnings

    good = [shapely.box(X0 + 60 * i, Y0, X0 + 60 * i + 50, Y0 + 40) for i in range(6)]
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nan = shapely.Polygon([(X0, Y0), (X0 + 10, Y0), (np.nan, Y0 + 10)])
    z = shapely.Polygon([(X0, Y0, 5), (X0 + 10, Y0, 5), (X0 + 10, Y0 + 10, 5)])
    collection = shapely.GeometryCollection([shapely.box(X0, Y0, X0 + 5, Y0 + 5), shapely.Point(X0, Y0)])
    geoms = good[:3] + [bowtie, None, nan, z, collection, shapely.Point(X0, Y0), shapely.Polygon()] + good[3:]
    gpd.GeoDataFrame({"小区名称": [f"小区{i}" for i in range(len(geoms))]}, geometry=geoms,
                     crs="EPSG:4546").to_file(path, engine="pyogrio")
    return path


def _same_import(arrow, plain, project_a, project_b):
    assert [r.to_dict() for r in arrow.repairs] == [r.to_dict() for r in plain.repairs]
    assert [n.en for n in arrow.notes] == [n.en for n in plain.notes]
    a, b = project_a.layer(arrow.layer_name).gdf, project_b.layer(plain.layer_name).gdf
    assert a.dtypes.astype(str).to_dict() == b.dtypes.astype(str).to_dict()
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert a.geometry.geom_equals_exact(b.geometry, 1e-9).all()


@pytest.mark.parametrize("chunk", [3, 8_192])
def test_arrow_read_checks_geometries_as_the_repair_does(tmp_path, monkeypatch, chunk):
    from layers.importing import read as read_module
    from layers.importing import read_arrow

    path = _geometry_zoo(tmp_path / "zoo.gpkg")
    monkeypatch.setattr(read_arrow, "ARROW_CHUNK", chunk)
    monkeypatch.setattr(read_arrow, "ARROW_THREAD_MIN", 0)  # the checking thread, even for 13 rows
    source = read_source(path)
    geoms = np.asarray(source.frame.geometry.values, dtype=object)
    assert source.geometry_checks is not None and source.geometry_checks.applies_to(geoms)
    assert source.geometry_checks.valid.tolist() == shapely.is_valid(geoms).tolist()
    arrow = import_layer(project_a := Project(), path, "communities", source=source)
    assert shapely.has_z(source.frame.geometry.values[6])  # the source frame is left as read
    monkeypatch.setattr(read_module, "USE_ARROW", False)
    assert read_source(path).geometry_checks is None  # the repair checks them itself
    plain = import_layer(project_b := Project(), path, "communities")
    _same_import(arrow, plain, project_a, project_b)
    assert {r.action for r in arrow.repairs} == {"repaired", "dropped_empty", "dropped_nonfinite",
                                                "dropped_z", "extracted", "dropped_type"}


def test_arrow_read_keeps_the_dtypes_of_the_plain_read(tmp_path, monkeypatch):
    """Dates, date-times (with a time zone too), integers with gaps, empty text fields and long
    text come into the layer as the plain reader gave them."""
    from layers.importing import read as read_module

    n = 6
    frame = community_frame().iloc[[0, 1, 2, 0, 1, 2]].reset_index(drop=True)
    frame["户数"] = pd.array([1, None, 3, 4, None, 6], dtype="Int64")
    frame["day"] = pd.to_datetime(["2020-01-02", None, "2021-03-04"] * 2).date
    frame["stamp"] = pd.to_datetime(["2020-01-02T03:04:05"] * n)
    frame["stamp_tz"] = pd.to_datetime(["2020-01-02T03:04:05+08:00"] * n)
    frame["nothing"] = [None] * n
    frame["long"] = ["x" * 12_000, "y", None] * 2
    for suffix in (".gpkg", ".geojson"):
        path = tmp_path / f"types{suffix}"
        frame.to_file(path, engine="pyogrio")
        arrow = import_layer(project_a := Project(), path, "communities")
        with monkeypatch.context() as m:
            m.setattr(read_module, "USE_ARROW", False)
            plain = import_layer(project_b := Project(), path, "communities")
        _same_import(arrow, plain, project_a, project_b)
        gdf = project_a.layer(arrow.layer_name).gdf
        assert gdf["nothing"].dtype == object and gdf["long"].str.len().max() == 10_000
        assert str(gdf["stamp_tz"].dtype).startswith("datetime64[ms, UTC+08:00]")
    # what GDAL's GeoJSON reader makes of times, lists and objects
    props = [{"t": "08:30:00", "il": [1, 2], "sl": ["a", "b"], "obj": {"k": 1}, "d": "2020-01-02",
              "dt": "2020-01-02T10:00:00", "big": 12345678901, "名称": "养老服务站"},
             {"t": None, "il": None, "sl": ["c"], "obj": None, "d": None, "dt": None, "big": None,
              "名称": None}]
    path = tmp_path / "gdal_types.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": {"type": "Point", "coordinates": [LON, LAT + i / 1000]}}
        for i, p in enumerate(props)]}, ensure_ascii=False), encoding="utf-8")
    arrow = import_layer(project_a := Project(), path, "facilities")
    monkeypatch.setattr(read_module, "USE_ARROW", False)
    plain = import_layer(project_b := Project(), path, "facilities")
    _same_import(arrow, plain, project_a, project_b)


def test_osm_pbf_checked_in_chunks_matches_the_plain_read(monkeypatch):
    """Geometries GEOS cannot parse in one chunk: the rest of the file is parsed leniently,
    as the plain reader re-reads it."""
    import importlib.util
    import os

    from layers.importing import read as read_module
    from layers.importing import read_arrow

    spec = importlib.util.find_spec("pyrosm")
    if spec is None:
        pytest.skip("pyrosm (test extra) is not installed: its test.osm.pbf is the test data")
    pbf = os.path.join(os.path.dirname(spec.origin), "data", "test.osm.pbf")
    monkeypatch.setattr(read_arrow, "ARROW_CHUNK", 300)
    monkeypatch.setattr(read_arrow, "ARROW_THREAD_MIN", 0)
    kwargs = {"defaults": {"parcel_type": "idle_land"}}
    arrow = import_layer(project_a := Project(crs="EPSG:3067"), pbf, "parcels", **kwargs)
    monkeypatch.setattr(read_module, "USE_ARROW", False)
    plain = import_layer(project_b := Project(crs="EPSG:3067"), pbf, "parcels", **kwargs)
    _same_import(arrow, plain, project_a, project_b)


def test_geojson_text_that_is_not_utf8_is_refused_clearly(project, tmp_path):
    """Arrow would keep the bytes and fail later; the plain reader says what is wrong."""
    path = tmp_path / "gbk.geojson"
    feature = {"type": "Feature", "properties": {"name": "四方堰"},
               "geometry": {"type": "Point", "coordinates": [LON, LAT]}}
    text = json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False)
    path.write_bytes(text.encode("gbk"))
    before = snapshot(project)
    with pytest.raises(ProjectError, match="cannot read gbk.geojson"):
        import_layer(project, path, "facilities")
    assert snapshot(project) == before


def test_blank_text_is_the_same_for_arrow_and_python_strings():
    from layers.schema import _blank

    values = ["", " ", "\u3000", "\x1c\x1f", "\t\n\v\f\r", "\x85\xa0", "a", " a ", "\u200b", None]
    expected = [True, True, True, True, True, True, False, False, False, False]
    for dtype in ("str", object, pd.StringDtype("python", na_value=np.nan)):
        assert _blank(pd.Series(values, dtype=dtype)).tolist() == expected, dtype
