"""The project file: exact round trips, atomic saves, recovery, clear errors."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import affine
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from conftest import REPO, X0, Y0, tiny_communities
from layers.commands import ChangeAttributes
from layers.errors import ProjectError, ProjectFileError
from layers.layer import RasterLayer, TableLayer, VectorLayer
from layers.project import Project
from layers.store import autosave, find_recovery, open_project, recovery_path, save_project


def assert_projects_identical(a: Project, b: Project) -> None:
    assert a.names() == b.names()
    assert a.crs.equals(b.crs)
    assert a.metadata == b.metadata and a.settings == b.settings
    for la, lb in zip(a.layers, b.layers):
        assert (la.id, la.kind, la.layer_type, la.style, la.visible, la.opacity) == \
               (lb.id, lb.kind, lb.layer_type, lb.style, lb.visible, lb.opacity)
        if la.layer_type == "vector":
            assert_geodataframe_equal(la.gdf, lb.gdf, check_dtype=True, check_index_type=True,
                                      check_crs=True)
            # geometry identical to the bit, not just topologically equal
            assert list(shapely.to_wkb(la.gdf.geometry.values)) == \
                   list(shapely.to_wkb(lb.gdf.geometry.values))
        elif la.layer_type == "table":
            pd.testing.assert_frame_equal(la.df, lb.df, check_dtype=True, check_index_type=True)
        else:
            assert np.array_equal(la.array, lb.array) and la.array.dtype == lb.array.dtype
            assert la.transform == lb.transform and la.nodata == lb.nodata


def mixed_project() -> Project:
    """Every column type, nulls, Chinese text, multi-parts, an empty layer, a raster."""
    p = Project(metadata={"title": "测试项目", "synthetic": True},
                settings={"standards_overrides": {"life_circle_levels": {"5min": {
                    "distance_m": 350}}}})
    pipes = gpd.GeoDataFrame(
        {"utility": ["water", "gas", None], "diameter_mm": [100.0, np.nan, 3.5],
         "works_start": [pd.Timestamp("2026-03-01"), pd.NaT, pd.Timestamp("2027-01-02")],
         "depth_m": [1.2, None, 0.8]},
        geometry=[shapely.LineString([(X0, Y0), (X0 + 10, Y0 + 1e-7)])] * 3, crs="EPSG:4546")
    comm = tiny_communities(3)
    comm["shantytown"] = pd.array([True, None, False], dtype="boolean")
    comm["households"] = pd.array([1, None, 3], dtype="Int64")
    comm["custom_field"] = [1.5, 2.0, np.nan]
    comm.loc[1, "geometry"] = shapely.MultiPolygon([shapely.box(X0, Y0, X0 + 1, Y0 + 1),
                                                    shapely.box(X0 + 3, Y0, X0 + 4, Y0 + 1)])
    p.add_layer(RasterLayer("人口", "population", np.arange(12, dtype="float32").reshape(3, 4),
                            affine.Affine(100, 0, X0, 0, -100, Y0), "EPSG:4546", nodata=-1.0))
    p.add_layer(VectorLayer("pipes", "pipelines", pipes, style={"type": "single"}))
    p.add_layer(VectorLayer("小区 边界", "communities", comm, visible=False, opacity=0.4))
    p.add_layer(VectorLayer("empty", "facilities", crs="EPSG:4546"))
    p.add_layer(TableLayer("进度", "programme_events", pd.DataFrame(
        {"community_fid": [2, 1], "status": ["reserve", "annual_plan"],
         "date": [pd.Timestamp("2026-05-01"), pd.NaT], "year": [None, 2027],
         "signed_by": ["业委会", None]})))
    return p


def test_round_trip_is_identical(tmp_path):
    p = mixed_project()
    save_project(p, tmp_path / "p.gpkg")
    q = open_project(tmp_path / "p.gpkg")
    assert_projects_identical(p, q)
    assert q.path == tmp_path / "p.gpkg" and q.undo.is_clean
    # and a second cycle changes nothing
    save_project(q, tmp_path / "q.gpkg")
    assert_projects_identical(q, open_project(tmp_path / "q.gpkg"))


def test_sample_city_round_trip(tmp_path):
    from layers.demo import build_sample_project

    p = build_sample_project("small", seed=3)
    save_project(p, tmp_path / "s.gpkg")
    assert_projects_identical(p, open_project(tmp_path / "s.gpkg"))


def test_file_is_a_standard_geopackage(tmp_path):
    save_project(mixed_project(), tmp_path / "p.gpkg")
    layers = dict(pyogrio.list_layers(tmp_path / "p.gpkg"))
    assert layers["pipes"] == "LineString"
    con = sqlite3.connect(tmp_path / "p.gpkg")
    app_id = con.execute("PRAGMA application_id").fetchone()[0]
    contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
    con.close()
    assert app_id == 0x47504B47  # 'GPKG'
    assert contents["pipes"] == "features"
    # our bookkeeping is not in the layer list GDAL and QGIS show; QGIS's styles are
    assert "precinct_project" not in contents and "precinct_layers" not in contents
    assert contents["layer_styles"] == "attributes"
    assert not any(name.startswith("precinct_") for name in layers)
    assert open_project(tmp_path / "p.gpkg").names() == mixed_project().names()  # still ours


# --- bad files ------------------------------------------------------------------------
@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b'{"type": "FeatureCollection", "features": []}', "GeoJSON"),
    (b"PK\x03\x04" + b"\0" * 200, "ZIP"),
    (b"hello, this is a text file" * 10, "not a GeoPackage"),
])
def test_not_a_project_gives_a_clear_message(tmp_path, content, expected):
    path = tmp_path / "bad.gpkg"
    path.write_bytes(content)
    with pytest.raises(ProjectFileError) as err:
        open_project(path)
    text = err.value.message("en")
    assert expected in text and str(path) in text and "how to fix" in text
    assert "位置" in err.value.message("zh")


def test_missing_and_folder(tmp_path):
    with pytest.raises(ProjectFileError, match="does not exist"):
        open_project(tmp_path / "nope.gpkg")
    with pytest.raises(ProjectFileError, match="folder"):
        open_project(tmp_path)


def test_truncated_project(tmp_path):
    save_project(mixed_project(), tmp_path / "p.gpkg")
    data = (tmp_path / "p.gpkg").read_bytes()
    (tmp_path / "cut.gpkg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ProjectFileError, match="truncated"):
        open_project(tmp_path / "cut.gpkg")


def test_plain_sqlite_is_not_a_geopackage(tmp_path):
    con = sqlite3.connect(tmp_path / "db.gpkg")
    con.execute("CREATE TABLE t (a)")
    con.commit()
    con.close()
    with pytest.raises(ProjectFileError, match="gpkg_contents"):
        open_project(tmp_path / "db.gpkg")


def test_newer_format_is_refused(tmp_path):
    save_project(mixed_project(), tmp_path / "p.gpkg")
    con = sqlite3.connect(tmp_path / "p.gpkg")
    con.execute("UPDATE precinct_project SET value='99' WHERE key='format_version'")
    con.commit()
    con.close()
    with pytest.raises(ProjectFileError, match="newer"):
        open_project(tmp_path / "p.gpkg")


def test_other_programs_geopackage_opens_as_layers_to_import(tmp_path):
    roads = gpd.GeoDataFrame({"名称": ["夷陵大道"]},
                             geometry=[shapely.LineString([(111.29, 30.70), (111.30, 30.71)])],
                             crs="EPSG:4490")
    roads.to_file(tmp_path / "other.gpkg", layer="roads", engine="pyogrio")
    p = open_project(tmp_path / "other.gpkg")
    assert p.names() == ["roads"] and p.layer("roads").kind == "other"
    assert p.metadata["opened_as_import"] == str(tmp_path / "other.gpkg")
    assert p.path is None  # Save must ask where, never overwrite the other file silently
    x, y = p.layer("roads").gdf.geometry.iloc[0].coords[0]
    assert 500_000 < x < 560_000 and 3_380_000 < y < 3_420_000  # reprojected to EPSG:4546
    assert p.layer("roads").gdf["名称"].iloc[0] == "夷陵大道"


def test_save_refuses_a_non_gpkg_name_and_keeps_nothing(tmp_path):
    with pytest.raises(ProjectFileError, match=".gpkg"):
        save_project(mixed_project(), tmp_path / "p.shp")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "p.gpkg"
    save_project(mixed_project(), path)
    before = path.read_bytes()
    import layers.store.gpkg as gpkg_mod

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(gpkg_mod, "_write_raster", boom)
    with pytest.raises(ProjectFileError, match="disk full"):
        save_project(mixed_project(), path)
    assert path.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["p.gpkg"]


# --- recovery ----------------------------------------------------------------------
def test_autosave_and_recovery(tmp_path):
    path = tmp_path / "p.gpkg"
    p = mixed_project()
    save_project(p, path)
    assert find_recovery(path) is None
    layer = p.layer("pipes")
    p.apply(ChangeAttributes(layer.id, {1: {"owner": "宜昌水务"}}))
    time.sleep(0.01)
    rec = autosave(p)
    os.utime(rec, (time.time() + 5, time.time() + 5))
    assert rec == recovery_path(path) and find_recovery(path) == rec
    assert open_project(path).layer("pipes").gdf.loc[1, "owner"] != "宜昌水务"
    recovered = open_project(rec)
    assert recovered.layer("pipes").gdf.loc[1, "owner"] == "宜昌水务"
    assert recovered.path == path  # saving the recovered project goes to the real file
    save_project(recovered)
    assert find_recovery(path) is None and not rec.exists()
    assert open_project(path).layer("pipes").gdf.loc[1, "owner"] == "宜昌水务"


# --- a save killed at random moments -------------------------------------------------------
def test_save_killed_at_random_leaves_old_or_new(tmp_path):
    path = tmp_path / "p.gpkg"
    p = mixed_project()
    p.add_layer(VectorLayer("communities", "communities", tiny_communities(200)))
    p.set_metadata(version=0)
    save_project(p, path)
    rng = random.Random(20261126)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for _trial in range(24):
        child = subprocess.Popen([sys.executable, str(REPO / "tests" / "store_child.py"),
                                  str(path)], stdout=subprocess.PIPE, text=True, env=env)
        started = time.monotonic()
        line = child.stdout.readline()  # first "saving N": the child is running
        assert line.startswith("saving"), line
        time.sleep(rng.uniform(0.0, 0.6))
        child.send_signal(signal.SIGKILL)
        out = line + child.stdout.read()
        child.wait()
        assert time.monotonic() - started < 60
        saved = [int(s.split()[1]) for s in out.splitlines() if s.startswith("saved")]
        begun = [int(s.split()[1]) for s in out.splitlines() if s.startswith("saving")]
        q = open_project(path)
        version = int(q.metadata["version"])
        last_saved = saved[-1] if saved else begun[0] - 1
        assert version in (last_saved, begun[-1]), (version, last_saved, begun[-1])
        households = q.layer("communities").gdf["households"]
        assert (households == version).all() if version > 0 else True
    leftovers = [f.name for f in tmp_path.iterdir() if f.name != "p.gpkg"]
    save_project(open_project(path), path)  # the next save cleans killed temporaries
    assert [f.name for f in tmp_path.iterdir()] == ["p.gpkg"], leftovers


def test_real_geopackage_from_elsewhere_opens_in_a_fitting_crs():
    """Helsinki utilities (OpenStreetMap, EPSG:4326): not ours, opened as layers to import,
    in its UTM zone rather than Yichang's Gauss-Kruger zone 86 degrees away."""
    from conftest import shared_data

    path = shared_data("pipelines", "helsinki_utilities_osm.gpkg")
    p = open_project(path)
    expected = {str(name) for name, gtype in pyogrio.list_layers(path) if gtype is not None}
    assert set(p.names()) == expected and "pipelines" in expected
    assert len(p.layer("pipelines")) == 78
    assert p.crs.to_epsg() == 32635  # WGS 84 / UTM zone 35N
    assert "area of use" in p.metadata["crs_note"] and p.path is None
    lengths = p.layer("pipelines").gdf.length
    assert lengths.median() > 1 and lengths.median() < 2000  # metres, plausible city pipes


def test_raster_from_geotiff(tmp_path):
    import rasterio

    path = tmp_path / "pop.tif"
    data = np.arange(20, dtype="float32").reshape(4, 5)
    with rasterio.open(path, "w", driver="GTiff", width=5, height=4, count=1, dtype="float32",
                       crs="EPSG:4546", transform=affine.Affine(100, 0, X0, 0, -100, Y0),
                       nodata=-9) as dst:
        dst.write(data, 1)
    layer = RasterLayer.from_file(path, kind="population")
    assert layer.name == "pop" and layer.array.shape == (1, 4, 5) and layer.nodata == -9
    assert layer.bounds() == (X0, Y0 - 400, X0 + 500, Y0)
    assert np.array_equal(layer.array[0], data)
    (tmp_path / "fake.tif").write_text("no raster here")
    with pytest.raises(ProjectError) as err:
        RasterLayer.from_file(tmp_path / "fake.tif")
    assert "GeoTIFF" in err.value.message("en") and "fake.tif" in err.value.message("en")


def test_raster_in_another_crs_is_reprojected_on_add():
    from pyproj import Transformer

    lon0, lat0 = 111.28, 30.71
    data = np.ones((10, 10), dtype="float32") * 7
    layer = RasterLayer("grid", "population", data,
                        affine.Affine(0.001, 0, lon0, 0, -0.001, lat0), "EPSG:4490", nodata=-1)
    p = Project()
    added = p.add_layer(layer)
    assert added.crs.equals(p.crs) and p.layer("grid").crs.to_epsg() == 4546
    x, y = Transformer.from_crs(4490, 4546, always_xy=True).transform(lon0, lat0)
    left, _, _, top = added.bounds()
    assert abs(left - x) < 5 and abs(top - y) < 5  # georeferenced where it was
    values = added.array[added.array != -1]
    assert values.size > 50 and np.all(values == 7)  # nearest: no invented counts
