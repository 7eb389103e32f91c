"""Rasters in the project file as GeoPackage rasters (so QGIS and gdalinfo show them), old
projects with GeoTIFF blobs still open, and basemaps kept as a path beside the project.

The QGIS check runs Debian's system Python with python3-qgis (``apt-get install qgis
python3-qgis``, listed in .ci/apt-packages.txt): if QGIS cannot be imported the test
fails, it does not skip."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import affine
import numpy as np
import pytest
from raster_data import CRS, X0, Y0, make_mbtiles, quadrant_array

from conftest import REPO
from layers.layer import RasterLayer
from layers.project import Project
from layers.store import open_project, save_project
from layers.tiles import TileLayer

SYSTEM_PYTHON = "/usr/bin/python3"
QGIS_OPEN = REPO / "tests" / "qgis_open.py"


def raster(name: str, array: np.ndarray, kind: str = "basemap", nodata=None, cell: float = 2.0):
    return RasterLayer(name, kind, array, affine.Affine(cell, 0, X0, 0, -cell, Y0 + 400), CRS,
                       nodata=nodata)


def ortho_with_holes() -> np.ndarray:
    array = quadrant_array(300)
    array[:, :20, :20] = 0  # a corner outside the flight: nodata
    return array


def raster_project() -> Project:
    project = Project(metadata={"title": "栅格"})
    project.add_layer(raster("正射影像", ortho_with_holes(), nodata=0))
    population = np.arange(48, dtype="float32").reshape(6, 8) * 1.5
    population[0, 0] = -1
    project.add_layer(raster("人口", population, "population", nodata=-1, cell=50.0))
    project.add_layer(raster("高程", (np.arange(20).reshape(4, 5) * 3000).astype("uint16"),
                             "population", cell=100.0))
    project.add_layer(raster("灰度", (np.arange(100).reshape(10, 10) * 2).astype("uint8")))
    return project


def contents(path: Path) -> dict[str, str]:
    con = sqlite3.connect(path)
    try:
        return dict(con.execute("SELECT identifier, data_type FROM gpkg_contents"))
    finally:
        con.close()


def assert_same(a: RasterLayer, b: RasterLayer) -> None:
    assert a.array.dtype == b.array.dtype and np.array_equal(a.array, b.array, equal_nan=True)
    assert a.transform.almost_equals(b.transform) and a.crs.equals(b.crs)
    assert (a.nodata == b.nodata) or (a.nodata is None and b.nodata is None)


def test_rasters_are_geopackage_rasters_and_come_back_exactly(tmp_path):
    project = raster_project()
    path = tmp_path / "p.gpkg"
    save_project(project, path)
    registered = contents(path)
    assert registered["正射影像"] == "tiles" and registered["灰度"] == "tiles"
    assert registered["人口"] == "2d-gridded-coverage" and registered["高程"] == "2d-gridded-coverage"
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'precinct_rasters'").fetchone() == (0,)
    assert con.execute("SELECT data_null FROM gpkg_2d_gridded_coverage_ancillary "
                       "WHERE data_null IS NOT NULL").fetchall() == [(-1.0,)]
    assert con.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2
    con.close()
    again = open_project(path)
    for layer in project.layers:
        assert_same(layer, again.layer(layer.name))


def test_nodata_of_an_orthophoto_is_transparent_for_other_programs(tmp_path):
    import rasterio

    path = tmp_path / "p.gpkg"
    save_project(raster_project(), path)
    table = next(t for t, i in _tables(path) if i == "正射影像")
    with rasterio.open(path, driver="GPKG", TABLE=table) as src:
        alpha = src.read(4)
    assert alpha[5, 5] == 0 and alpha[100, 100] == 255


def _tables(path: Path) -> list[tuple[str, str]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT table_name, identifier FROM gpkg_contents").fetchall()
    finally:
        con.close()


def test_what_a_geopackage_raster_cannot_hold_stays_a_lossless_geotiff(tmp_path):
    project = Project()
    precise = np.array([[0.1, 1 / 3], [2.0, 1e-12]], dtype="float64")  # float32 would round
    multiband = (np.arange(24).reshape(2, 3, 4) * 1000).astype("uint16")
    project.add_layer(raster("precise", precise, "population"))
    project.add_layer(raster("multiband", multiband))
    path = tmp_path / "p.gpkg"
    save_project(project, path)
    con = sqlite3.connect(path)
    assert {t for (t,) in con.execute("SELECT table_name FROM precinct_rasters")} == {"precise", "multiband"}
    con.close()
    again = open_project(path)
    for layer in project.layers:
        assert_same(layer, again.layer(layer.name))


def test_a_format_1_project_with_geotiff_blobs_still_opens(tmp_path, monkeypatch):
    import layers.store.rasters as rasters_mod

    project = raster_project()
    monkeypatch.setattr(rasters_mod, "storage_for", lambda layer: "geotiff")
    path = tmp_path / "old.gpkg"
    save_project(project, path)
    con = sqlite3.connect(path)  # what Precinct Planner wrote before format 2
    con.execute("ALTER TABLE precinct_layers DROP COLUMN source")
    con.execute("UPDATE precinct_project SET value = '1' WHERE key = 'format_version'")
    con.commit()
    con.close()
    monkeypatch.undo()
    again = open_project(path)
    for layer in project.layers:
        assert_same(layer, again.layer(layer.name))
    save_project(again)  # saved again: now as GeoPackage rasters
    assert contents(path)["正射影像"] == "tiles"
    for layer in project.layers:
        assert_same(layer, open_project(path).layer(layer.name))


def test_a_basemap_is_kept_as_a_path_beside_the_project(tmp_path):
    folder = tmp_path / "planning"
    (folder / "basemaps").mkdir(parents=True)
    mbtiles = make_mbtiles(folder / "basemaps" / "影像.mbtiles")
    project = Project()
    project.add_layer(TileLayer.open(mbtiles, "影像"))
    save_project(project, folder / "p.gpkg")
    con = sqlite3.connect(folder / "p.gpkg")
    source = json.loads(con.execute("SELECT source FROM precinct_layers").fetchone()[0])
    con.close()
    assert source["path"] == os.path.join("basemaps", "影像.mbtiles") and source["format"] == "MBTiles"
    assert os.path.getsize(folder / "p.gpkg") < 400_000  # not copied in
    moved = shutil.move(folder, tmp_path / "moved")  # the folder travels with its basemaps
    layer = open_project(Path(moved) / "p.gpkg").layer("影像")
    assert isinstance(layer, TileLayer) and layer.path == Path(moved) / "basemaps" / "影像.mbtiles"
    assert layer.source is not None and layer.bounds() is not None
    # the project alone elsewhere: the basemap is looked for at its absolute path
    shutil.copy(Path(moved) / "p.gpkg", tmp_path / "alone.gpkg")
    assert open_project(tmp_path / "alone.gpkg").layer("影像").source is None  # moved away
    shutil.move(moved, folder)
    alone = open_project(tmp_path / "alone.gpkg").layer("影像")
    assert alone.source is not None and alone.path == mbtiles


def test_a_missing_basemap_opens_and_says_why(tmp_path):
    mbtiles = make_mbtiles(tmp_path / "b.mbtiles")
    project = Project()
    project.add_layer(TileLayer.open(mbtiles, "底图"))
    save_project(project, tmp_path / "p.gpkg")
    mbtiles.unlink()
    layer = open_project(tmp_path / "p.gpkg").layer("底图")
    assert layer.source is None and layer.bounds() is None
    assert "does not exist" in layer.problem.en and layer.render((0, 0, 1, 1), 10, 10).tiles == 0


def test_qgis_opens_the_saved_projects_rasters(tmp_path):
    """Debian's QGIS (python3-qgis, system Python) opens every raster of a saved project as
    a valid layer with the right size and band count, and draws the orthophoto in colour."""
    path = tmp_path / "project.gpkg"
    save_project(raster_project(), path)
    assert Path(SYSTEM_PYTHON).exists(), f"{SYSTEM_PYTHON} is missing"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run([SYSTEM_PYTHON, str(QGIS_OPEN), str(path), "--render", str(tmp_path / "qgis")],
                            capture_output=True, text=True, timeout=300, env=env)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0 and lines, (
        "QGIS could not be run (install it: apt-get install qgis python3-qgis):\n"
        + result.stdout[-2000:] + result.stderr[-2000:])
    found = json.loads(lines[-1])["layers"]
    by_name = {t: n for t, n in _tables(path)}
    layers = {by_name[table.split(":")[-1]]: info for table, info in found.items()}
    assert set(layers) == {"正射影像", "人口", "高程", "灰度"}
    assert all(info["valid"] for info in layers.values()), layers
    ortho, population = layers["正射影像"], layers["人口"]
    assert (ortho["width"], ortho["height"], ortho["bands"]) == (300, 300, 4)  # RGB + alpha
    assert (population["width"], population["height"], population["bands"]) == (8, 6, 1)
    assert layers["高程"]["bands"] == 1 and layers["灰度"]["width"] == 10
    assert all(info["crs"] == "EPSG:4546" for info in layers.values())
    # the centre of the orthophoto is where its four colours meet: QGIS draws colour, not grey
    r, g, b, a = ortho["centre_rgba"]
    assert a == 255 and max(r, g, b) - min(r, g, b) > 50, ortho["centre_rgba"]


@pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="GDAL's command line tools")
def test_gdalinfo_lists_the_rasters(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(raster_project(), path)
    out = subprocess.run(["gdalinfo", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert out.count("SUBDATASET_") == 8 and "正射影像" in out
