"""Real inputs no one here made (issue 15.2-4, 15.6): DataV's bare arrays, web-map offsets decided
by evidence, feet labelled as metres, a layer that lands off its kind, real field names."""

from __future__ import annotations

import json
import math
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from pyproj import Transformer

from conftest import shared_data
from layers.errors import ProjectError
from layers.importing import auto_map, import_layer, read_source
from layers.importing.admin_codes import admin_level, code_level
from layers.importing.offset_evidence import OffsetEvidence, decide
from layers.project import Project

URBAN = ("420502", "420503", "420504", "420505", "420506")


# --- an independent GCJ-02 / BD-09 (the published formulas, written here; the inverse by Newton)
def _gcj_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, ee, pi = 6378245.0, 0.00669342162296594323, math.pi
    x, y = lon - 105.0, lat - 35.0
    shared = (20 * np.sin(6 * x * pi) + 20 * np.sin(2 * x * pi)) * 2 / 3
    north = -100 + 2 * x + 3 * y + 0.2 * y ** 2 + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + shared \
        + (20 * np.sin(y * pi) + 40 * np.sin(y / 3 * pi)) * 2 / 3 \
        + (160 * np.sin(y / 12 * pi) + 320 * np.sin(y * pi / 30)) * 2 / 3
    east = 300 + x + 2 * y + 0.1 * x ** 2 + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + shared \
        + (20 * np.sin(x * pi) + 40 * np.sin(x / 3 * pi)) * 2 / 3 \
        + (150 * np.sin(x / 12 * pi) + 300 * np.sin(x / 30 * pi)) * 2 / 3
    phi = np.radians(lat)
    w = 1 - ee * np.sin(phi) ** 2
    meridian = a * (1 - ee) / (w * np.sqrt(w))  # radius of curvature in the meridian
    parallel = a / np.sqrt(w) * np.cos(phi)      # radius of the parallel
    return lon + np.degrees(east / parallel), lat + np.degrees(north / meridian)


def _gcj_inverse_newton(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 from GCJ-02 by Newton's method with a finite-difference Jacobian (the product
    iterates a fixed point instead)."""
    x, y, h = lon.copy(), lat.copy(), 1e-6
    for _ in range(8):
        fx, fy = _gcj_forward(x, y)
        ex, ey = fx - lon, fy - lat
        dxx, dyx = (np.array(v) - f for v, f in zip(_gcj_forward(x + h, y), (fx, fy)))
        dxy, dyy = (np.array(v) - f for v, f in zip(_gcj_forward(x, y + h), (fx, fy)))
        det = (dxx * dyy - dxy * dyx) / h ** 2
        x = x - (dyy * ex - dxy * ey) / h / det
        y = y - (dxx * ey - dyx * ex) / h / det
    return x, y


def _bd_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → BD-09 (GCJ-02, then Baidu's published step)."""
    x, y = _gcj_forward(lon, lat)
    k = math.pi * 3000.0 / 180.0
    z = np.hypot(x, y) + 0.00002 * np.sin(y * k)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * k)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _apply(geoms, fn) -> np.ndarray:
    return shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.column_stack(fn(c[:, 0], c[:, 1])))


def test_independent_gcj_inverse_inverts_its_forward():
    lon, lat = np.array([111.29, 116.39, 121.47]), np.array([30.70, 39.91, 31.23])
    glon, glat = _gcj_forward(lon, lat)
    shift_m = np.hypot((glon - lon) * 111_320 * np.cos(np.radians(lat)), (glat - lat) * 110_570)
    assert ((shift_m > 300) & (shift_m < 700)).all()
    back = _gcj_inverse_newton(glon, glat)
    assert np.allclose(back[0], lon, atol=1e-9) and np.allclose(back[1], lat, atol=1e-9)


# --- fixtures: the real files ------------------------------------------------------------
@pytest.fixture(scope="module")
def datav() -> dict:
    return json.loads(shared_data("yichang", "districts_datav_gcj02.json").read_text(encoding="utf-8"))


@pytest.fixture()
def tianditu_project() -> Project:
    project = Project()
    report = import_layer(project, shared_data("yichang", "districts_tianditu_wgs84.geojson"), "admin")
    assert not report.warnings and report.offset_removed is None
    return project


def _by_code(layer) -> dict[str, shapely.Geometry]:
    return dict(zip(layer.gdf["code"].astype(str), layer.gdf.geometry))


def _iou(a, b) -> float:
    return a.intersection(b).area / a.union(b).area


# --- 15.2: bare GeoJSON shapes ---------------------------------------------------------------
def test_datav_bare_array_imports_and_matches_an_independent_gcj_conversion(tmp_path, datav):
    path = tmp_path / "420500_full.json"
    path.write_text(json.dumps(datav["features"], ensure_ascii=False), encoding="utf-8")
    project = Project()
    report = import_layer(project, path, "admin", coords="gcj02")
    layer = project.layer(report.layer_name)
    assert report.imported_count == len(layer) == 13 and report.offset_removed == "gcj02"
    assert any("bare JSON array" in n.en for n in report.notes)
    assert set(layer.gdf["name"]) >= {"西陵区", "伍家岗区", "点军区", "猇亭区", "夷陵区"}
    assert set(layer.gdf["level"]) == {"district"} and report.issue_count == 0
    assert sorted(r.row for r in report.repairs if r.action == "repaired") == [7, 8, 12]
    # the same districts converted here, independently of layers.chinese_offsets
    to_project = Transformer.from_crs("EPSG:4326", project.crs, always_xy=True)
    imported = _by_code(layer)
    worst = 0.0
    for feature in datav["features"]:
        code = str(feature["properties"]["adcode"])
        raw = shapely.geometry.shape(feature["geometry"])
        if not raw.is_valid:  # repaired on import: its vertices are no longer the file's
            continue
        mine = _apply([raw], _gcj_inverse_newton)[0]
        mine = _apply([mine], lambda x, y: to_project.transform(x, y))[0]
        ours, theirs = shapely.get_coordinates(imported[code]), shapely.get_coordinates(mine)
        assert ours.shape == theirs.shape, code
        deviation = float(np.hypot(*(ours - theirs).T).max())
        assert deviation < 2.0, (code, deviation)
        assert imported[code].hausdorff_distance(mine) < 2.0, code
        worst = max(worst, deviation)
    assert worst < 0.01  # both exact inverses: they agree far below the 2 m asked for


def test_bare_shapes_read_with_properties_and_encoding(tmp_path, datav):
    features = datav["features"][:3]
    cases = {
        "array.json": json.dumps(features, ensure_ascii=False).encode("utf-8"),
        "array_bom.json": b"\xef\xbb\xbf" + json.dumps(features, ensure_ascii=False).encode("utf-8"),
        "array_gbk.json": json.dumps(features, ensure_ascii=False).encode("gbk"),
        "feature.json": json.dumps(features[0], ensure_ascii=False).encode("utf-8"),
        "mixed.txt": json.dumps([features[0], features[1]["geometry"], 7], ensure_ascii=False).encode(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        source = read_source(tmp_path / name)
        assert source.path == tmp_path / name and source.frame.geometry.notna().all(), name
        assert source.frame["name"].iloc[0] == "西陵区", name
        assert "adcode" in source.columns, name
    assert len(read_source(tmp_path / "array.json").frame) == 3
    assert read_source(tmp_path / "array_gbk.json").encoding == "gb18030"
    mixed = read_source(tmp_path / "mixed.txt")
    assert len(mixed.frame) == 2 and any("left out" in n.en for n in mixed.notes)
    (tmp_path / "geometry.json").write_text(json.dumps(features[0]["geometry"]))
    (tmp_path / "geometries.json").write_text(json.dumps([f["geometry"] for f in features]))
    assert len(read_source(tmp_path / "geometry.json").frame) == 1
    assert len(read_source(tmp_path / "geometries.json").frame) == 3
    for name, text in (("cut.json", json.dumps(features)[:500]), ("numbers.json", "[1, 2, 3]")):
        (tmp_path / name).write_text(text)
        with pytest.raises(ProjectError) as err:
            read_source(tmp_path / name)
        assert err.value.what.zh and err.value.fix is not None and "Traceback" not in str(err.value)


# --- 15.3: web-map offsets by evidence ---------------------------------------------------------
def test_datav_detected_as_gcj02_against_tianditu_and_converted(tianditu_project):
    project = tianditu_project
    report = import_layer(project, shared_data("yichang", "districts_datav_gcj02.json"), "admin")
    evidence = report.offset_evidence
    assert report.offset_removed == "gcj02" and not report.suggestions
    assert evidence["system"] == "gcj02" and evidence["confidence"]["gcj02"] >= 0.9
    assert evidence["median_m"]["wgs84"] > 300 and evidence["median_m"]["gcj02"] < 150
    fitted, expected = np.array(evidence["shift_m"]), np.array(evidence["expected_m"]["gcj02"])
    assert 300 < np.hypot(*expected) < 700 and np.hypot(*(fitted - expected)) < 100
    assert any("confidence 0.9" in line for line in report.lines("en"))
    assert any("置信度" in line for line in report.lines("zh"))
    assert not report.warnings  # converted, it lies on the 天地图 districts
    ref = _by_code(project.layer("districts_tianditu_wgs84"))
    for code, geom in _by_code(project.layer(report.layer_name)).items():
        assert _iou(geom, ref[code]) >= 0.9, code
        if code in URBAN:
            assert geom.centroid.distance(ref[code].centroid) < 150, code


def test_tianditu_renamed_amap_is_not_flagged(tmp_path, tianditu_project):
    renamed = tmp_path / "amap_xxx.geojson"
    shutil.copy(shared_data("yichang", "districts_tianditu_wgs84.geojson"), renamed)
    alone = Project()
    report = import_layer(alone, renamed, "admin")  # no layers to compare with, and the name is no evidence
    assert report.offset_removed is None and not report.suggestions and report.offset_evidence is None
    report = import_layer(tianditu_project, renamed, "admin")
    assert report.offset_removed is None and not report.suggestions and not report.warnings
    assert report.offset_evidence["system"] == "wgs84"
    assert report.offset_evidence["confidence"]["wgs84"] >= 0.9
    assert report.offset_evidence["confidence"]["gcj02"] < 0.1


def test_bd09_detected_and_converted(tmp_path, tianditu_project):
    frame = gpd.read_file(shared_data("yichang", "districts_tianditu_wgs84.geojson"))
    frame = frame[frame["district_adcode"].astype(str).isin(URBAN)]
    frame = frame.set_geometry(_apply(frame.geometry.values, _bd_forward), crs="EPSG:4326")
    path = tmp_path / "urban_districts.geojson"
    frame.to_file(path)
    report = import_layer(tianditu_project, path, "admin")
    assert report.offset_removed == "bd09" and report.offset_evidence["confidence"]["bd09"] >= 0.9
    ref = _by_code(tianditu_project.layer("districts_tianditu_wgs84"))
    for code, geom in _by_code(tianditu_project.layer(report.layer_name)).items():
        assert geom.hausdorff_distance(ref[code]) < 2.0, code


def test_without_evidence_datav_keys_only_ask(datav):
    project = Project()
    report = import_layer(project, shared_data("yichang", "districts_datav_gcj02.json"), "admin")
    assert report.offset_removed is None and report.offset_evidence is None
    assert [s.en for s in report.suggestions] and "gcj02" in report.suggestions[0].en


def test_moderate_evidence_asks_strong_converts():
    project = Project()
    evidence = OffsetEvidence("gcj02", {"wgs84": 0.0, "gcj02": 0.6, "bd09": 0.0}, ["a"], 200,
                              {"wgs84": 400.0, "gcj02": 200.0, "bd09": 600.0}, (-400.0, 150.0))
    remove, ask, notes = decide(evidence, None, project)
    assert remove is None and ask == "gcj02" and "0.60" in notes[0].en and notes[0].zh
    evidence.confidence["gcj02"] = 0.85
    remove, ask, notes = decide(evidence, None, project)
    assert remove == "gcj02" and ask is None and "0.85" in notes[0].en
    evidence.system, evidence.confidence = "wgs84", {"wgs84": 0.95, "gcj02": 0.0, "bd09": 0.0}
    remove, ask, notes = decide(evidence, "gcj02", project)  # DataV keys, but the data says WGS-84
    assert remove is None and ask is None and "as read" in notes[0].en


# --- 15.4: CRS sanity ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ky4() -> dict:
    return json.loads(shared_data("pipelines", "ky4_pipes.geojson").read_text(encoding="utf-8"))


def test_state_plane_feet_labelled_metres_refused_and_correct_file_not(tmp_path, ky4):
    assert ky4["crs"]["properties"]["name"].endswith("3547")  # Kentucky Single Zone, US survey feet
    mislabelled = dict(ky4, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3546"}})
    path = tmp_path / "ky4_metres.geojson"
    path.write_text(json.dumps(mislabelled))
    # the claim: read as metres, every pipe is 3.28x its real length (the file's `length`, metres)
    raw = gpd.read_file(path)
    assert str(raw.crs).endswith("3546")
    assert raw.length.sum() / raw["length"].sum() == pytest.approx(3937 / 1200, rel=1e-3)
    project = Project(crs="EPSG:32616")
    with pytest.raises(ProjectError) as err:
        import_layer(project, path, "pipelines")
    message = err.value.message("en")
    assert "US survey feet" in message and "metres" in message and "3.28" in message
    assert "EPSG:3547" in err.value.fix.en and "EPSG:3547" in err.value.fix.zh and "英尺" in err.value.what.zh
    assert len(project) == 0
    # the correct file: no warning, lengths as the file says
    report = import_layer(project, shared_data("pipelines", "ky4_pipes.geojson"), "pipelines")
    gdf = project.layer(report.layer_name).gdf
    assert not report.warnings and report.to_dict()["warnings"] == []
    assert gdf.length.sum() / raw["length"].sum() == pytest.approx(1.0, abs=0.002)
    # a shapefile whose .prj names the metre zone under a home-made name (no EPSG code in it)
    raw.to_file(tmp_path / "ky4.shp")
    esri = raw.crs.to_wkt("WKT1_ESRI").replace("NAD_1983_NSRS2007_StatePlane_Kentucky_FIPS_1600", "KY_pipes")
    (tmp_path / "ky4.prj").write_text(esri)
    with pytest.raises(ProjectError) as err:
        import_layer(project, tmp_path / "ky4.shp", "pipelines")
    assert "EPSG:3547" in err.value.fix.en
    # and the other way round: metres under a feet .prj
    metres = gpd.read_file(shared_data("pipelines", "ky4_pipes.geojson")).to_crs("EPSG:3546")
    metres.set_crs("EPSG:3547", allow_override=True).to_file(tmp_path / "ky4_feet.gpkg")
    with pytest.raises(ProjectError) as err:
        import_layer(Project(crs="EPSG:32616"), tmp_path / "ky4_feet.gpkg", "pipelines")
    assert "EPSG:3546" in err.value.fix.en and "shorter" in err.value.what.en


def test_gauss_kruger_zone_number_mixups_refused(tmp_path):
    districts = gpd.read_file(shared_data("yichang", "districts_tianditu_wgs84.geojson"))
    districts.to_crs("EPSG:4525").set_crs("EPSG:4546", allow_override=True).to_file(tmp_path / "prefixed.gpkg")
    districts.to_crs("EPSG:4546").set_crs("EPSG:4525", allow_override=True).to_file(tmp_path / "plain.gpkg")
    districts.to_crs("EPSG:4525").to_file(tmp_path / "right.gpkg")
    for name, twin, said in (("prefixed.gpkg", "EPSG:4525", "carry the zone number 37"),
                             ("plain.gpkg", "EPSG:4546", "lack the zone number 37")):
        with pytest.raises(ProjectError) as err:
            import_layer(Project(), tmp_path / name, "admin")
        assert said in err.value.what.en and "带号" in err.value.what.zh and twin in err.value.fix.en, name
    report = import_layer(Project(), tmp_path / "right.gpkg", "admin")
    assert not report.warnings and report.crs_used == "EPSG:4525"


def test_data_outside_its_crs_area_warned_inside_not(tmp_path):
    wuhan = gpd.GeoDataFrame({"name": ["武汉"]}, geometry=[shapely.Point(114.3, 30.6)], crs="EPSG:4490")
    wuhan.to_crs("EPSG:4546").to_file(tmp_path / "wuhan_cm111.gpkg")  # 114.3E in the 111E zone
    wuhan.to_crs("EPSG:4547").to_file(tmp_path / "wuhan_cm114.gpkg")
    project = Project(crs="EPSG:4547")
    report = import_layer(project, tmp_path / "wuhan_cm111.gpkg", "facilities")
    assert len(report.warnings) == 1 and "area of use" in report.warnings[0].en and report.warnings[0].zh
    report = import_layer(project, tmp_path / "wuhan_cm114.gpkg", "facilities")
    assert not report.warnings


def test_admin_file_shifted_19_km_warns(tmp_path, tianditu_project):
    districts = gpd.read_file(shared_data("yichang", "districts_tianditu_wgs84.geojson")).to_crs("EPSG:4546")
    districts.to_file(tmp_path / "same.gpkg")
    shifted = districts.set_geometry(districts.geometry.translate(12_000, -15_000))  # 19.2 km
    shifted.to_file(tmp_path / "shifted.gpkg")
    report = import_layer(tianditu_project, tmp_path / "shifted.gpkg", "admin")
    assert len(report.warnings) == 1
    text = report.warnings[0]
    assert "19.2 km" in text.en and "12,000 m east" in text.en and "15,000 m south" in text.en
    assert "19.2 公里" in text.zh and "districts_tianditu_wgs84" in text.en
    assert any(line.startswith("Warning: ") for line in report.lines("en"))
    assert any(line.startswith("警告：") for line in report.lines("zh"))
    tianditu_project.undo.undo()
    report = import_layer(tianditu_project, tmp_path / "same.gpkg", "admin")
    assert not report.warnings
    report = import_layer(tianditu_project, shared_data("yichang", "districts_datav_gcj02.json"), "admin",
                          coords="wgs84")  # told WGS-84: lands ~590 m off, and the message says why
    assert len(report.warnings) == 1 and "GCJ-02" in report.warnings[0].en
    assert " m " in report.warnings[0].en and "km" not in report.warnings[0].en.split("off")[0]


def test_import_dialog_shows_the_warning(qtbot, tmp_path, tianditu_project, monkeypatch):
    from PyQt5.QtWidgets import QMessageBox

    from app.dialogs.importing import ImportDialog

    districts = gpd.read_file(shared_data("yichang", "districts_tianditu_wgs84.geojson")).to_crs("EPSG:4546")
    districts.set_geometry(districts.geometry.translate(12_000, -15_000)).to_file(tmp_path / "moved.gpkg")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: shown.append(a[2])))
    dialog = ImportDialog(tianditu_project, path=tmp_path / "moved.gpkg", kind="admin")
    qtbot.addWidget(dialog)
    dialog.import_button.click()
    assert len(shown) == 1 and ("19.2 km" in shown[0] or "19.2 公里" in shown[0])
    assert dialog.report.layer_name in tianditu_project.names()


def test_other_communities_of_the_same_kind_nearby_do_not_warn(tmp_path):
    """Same kind, different features side by side: no shift lays one on the other."""
    project = Project()
    x0, y0 = 530_000.0, 3_398_000.0
    rng = np.random.default_rng(15)

    def blocks(y: float) -> list:  # a row of compounds of different sizes and turns
        size, turn = rng.uniform(60, 130, (12, 2)), rng.uniform(0, 90, 12)
        return [shapely.affinity.rotate(shapely.box(x0 + 160 * i, y, x0 + 160 * i + w, y + h), t)
                for i, ((w, h), t) in enumerate(zip(size, turn))]

    old, new = blocks(y0), blocks(y0 + 300)
    for name, boxes in (("old", old), ("new", new)):
        gdf = gpd.GeoDataFrame({"name": [f"{name}{i}" for i in range(12)]}, geometry=boxes, crs=project.crs)
        gdf.to_file(tmp_path / f"{name}.gpkg")
        report = import_layer(project, tmp_path / f"{name}.gpkg", "communities")
        assert not report.warnings, name
    moved = gpd.GeoDataFrame({"name": [f"m{i}" for i in range(12)]}, crs=project.crs,
                             geometry=[shapely.affinity.translate(b, 350, 420) for b in old])
    moved.to_file(tmp_path / "moved.gpkg")
    report = import_layer(project, tmp_path / "moved.gpkg", "communities")
    assert len(report.warnings) == 1 and "547 m" in report.warnings[0].en and "'old'" in report.warnings[0].en


# --- 15.6: field names ---------------------------------------------------------------------
def test_pressure_class_values_map(tmp_path):
    values = ["低压", "中压A", "中压B", "次高压", "高压", "中压Ａ", "次高压B", None]
    frame = gpd.GeoDataFrame(
        {"管线类别": ["燃气"] * len(values), "压力级制": values, "管径": [160] * len(values)},
        geometry=[shapely.LineString([(111.30, 30.70 + i / 1000), (111.31, 30.70 + i / 1000)])
                  for i in range(len(values))], crs="EPSG:4326")
    path = tmp_path / "燃气管线.geojson"
    frame.to_file(path)
    assert auto_map(frame.columns[:-1], "pipelines")["压力级制"] == "pressure"
    project = Project()
    report = import_layer(project, path, "pipelines")
    gdf = project.layer(report.layer_name).gdf
    assert gdf["pressure"].tolist()[:-1] == ["low", "medium_a", "medium_b", "subhigh_a", "high_a",
                                             "medium_a", "subhigh_b"]
    assert pd.isna(gdf["pressure"].tolist()[-1]) and set(gdf["utility"]) == {"gas"}
    assert report.value_maps["pressure"]["次高压"] == "subhigh_a"
    said = [n for n in report.notes if "A/B" in n.en]
    assert len(said) == 2 and all("次高压" in n.zh or "高压" in n.zh for n in said)
    assert report.issue_count == 0


def test_admin_code_names_and_levels_from_codes():
    assert auto_map(["QUHUADAIMA", "MC"], "admin") == {"QUHUADAIMA": "code", "MC": "name"}
    assert auto_map(["行政区划代码", "名称"], "admin") == {"行政区划代码": "code", "名称": "name"}
    assert auto_map(["district_name", "district_adcode", "city_adcode"], "admin")["district_adcode"] == "code"
    assert auto_map(["adcode", "name"], "admin")["adcode"] == "code"
    assert [code_level(c) for c in ("110000", "420500", "420502", "420502003", "420502003004")] == [
        "province", "prefecture", "county", "township", "village"]
    assert [admin_level(c) for c in ("420500", "420502", 420502.0, "420502003", "420502003004",
                                     "420502003000", "12", None)] == [
        "city", "district", "district", "subdistrict", "neighbourhood", "subdistrict", None, None]


def test_tianditu_districts_get_levels_from_adcodes():
    project = Project()
    report = import_layer(project, shared_data("yichang", "districts_tianditu_wgs84.geojson"), "admin")
    gdf = project.layer(report.layer_name).gdf
    assert report.mapping == {"district_name": "name", "district_adcode": "code"}
    assert len(gdf) == 13 and set(gdf["level"]) == {"district"}
    assert report.issue_count == 0 and not any("required value is empty" in i for i in report.issues)
    assert any("division code" in n.en and "代码" in n.zh for n in report.notes)


def test_levels_of_mixed_codes_and_a_province(tmp_path):
    frame = gpd.GeoDataFrame(
        {"XZQMC": ["湖北省", "宜昌市", "西陵区", "西陵街道", "某社区"],
         "QUHUADAIMA": ["420000", "420500", "420502", "420502001", "420502001002"]},
        geometry=[shapely.box(111.3 + i / 100, 30.7, 111.305 + i / 100, 30.705) for i in range(5)],
        crs="EPSG:4326")
    frame.to_file(tmp_path / "areas.geojson")
    project = Project()
    report = import_layer(project, tmp_path / "areas.geojson", "admin")
    gdf = project.layer(report.layer_name).gdf
    assert gdf["level"].tolist()[1:] == ["city", "district", "subdistrict", "neighbourhood"]
    assert pd.isna(gdf["level"].iloc[0]) and report.issue_count == 1  # a province has no level here
    assert any("province" in n.en for n in report.notes)
