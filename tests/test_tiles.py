"""Offline basemaps without Qt: MBTiles, GeoPackage tile pyramids and XYZ folders open, the
zoom level follows the scale, tiles land where web mercator says they are (checked against
pyproj), sources that are not raster tiles are refused in a sentence, and an import puts a
raster or basemap below the vector layers in one undo step."""

from __future__ import annotations

import sqlite3
import time

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from raster_data import (
    CRS,
    QUADRANTS,
    X0,
    Y0,
    ZOOM_COLOURS,
    around_yichang,
    make_gpkg_tiles,
    make_mbtiles,
    make_xyz_folder,
    quadrant_geotiff,
    solid_tile,
    tile_range,
)
from shapely.geometry import box

from layers.errors import ProjectError
from layers.importing import import_layer
from layers.layer import RasterLayer, VectorLayer
from layers.project import Project
from layers.tiles import TileLayer, open_tile_source
from layers.tiles.grid import MERCATOR_HALF, web_mercator
from layers.tiles.render import render_view

COS_LAT = 0.8598  # cos(30.7°): web mercator units per ground metre near Yichang, inverted


def view_at(mpp: float, width: int = 1600, height: int = 1000, cx: float = X0, cy: float = Y0):
    return (cx - width / 2 * mpp, cy - height / 2 * mpp, cx + width / 2 * mpp, cy + height / 2 * mpp)


def basemap(path, project: Project | None = None) -> TileLayer:
    project = project or Project()
    return project.add_layer(TileLayer.open(path, "底图"))


@pytest.mark.parametrize("make", ["mbtiles", "xyz", "tms"])
def test_the_zoom_level_follows_the_scale(tmp_path, make):
    if make == "mbtiles":
        path = make_mbtiles(tmp_path / "b.mbtiles")
    else:
        path = make_xyz_folder(tmp_path / "tiles")
        if make == "tms":  # gdal2tiles' default layout: rows counted from the bottom
            for zoom_dir in path.iterdir():
                for column in zoom_dir.iterdir():
                    for tile in list(column.iterdir()):
                        tile.rename(column / f"flip-{2 ** int(zoom_dir.name) - 1 - int(tile.stem)}.png")
                    for tile in list(column.iterdir()):
                        tile.rename(column / tile.name.removeprefix("flip-"))
            (path / "tilemapresource.xml").write_text("<TileMap/>")
    layer = basemap(path)
    assert sorted(layer.source.matrices) == [14, 16]
    for zoom in (16, 14):
        mpp = web_mercator(zoom).res_x * COS_LAT
        image = layer.render(view_at(mpp), 1600, 1000)
        assert image.zoom == zoom and image.tiles > 0
        assert tuple(image.pixel(X0, Y0)[:3]) == ZOOM_COLOURS[zoom]
        assert image.pixel(X0, Y0)[3] == 255
    # between the two levels the nearer one draws; far finer than level 16 still level 16
    assert layer.render(view_at(web_mercator(15).res_x * COS_LAT * 1.3), 1600, 1000).zoom == 14
    assert layer.render(view_at(0.1), 1600, 1000).zoom == 16


def test_the_layer_bounds_are_the_tiles_extent_in_the_project_crs(tmp_path):
    layer = basemap(make_mbtiles(tmp_path / "b.mbtiles"))
    x0, y0, x1, y1 = layer.bounds()
    assert x0 < X0 - 3000 < X0 + 3000 < x1 and y0 < Y0 - 3000 < Y0 + 3000 < y1
    assert x1 - x0 < 9000 and y1 - y0 < 9000  # the tiles at level 16 (≈ 2 m), not the world


@pytest.mark.parametrize("warp", [False, True])
def test_tiles_land_where_web_mercator_puts_them(tmp_path, warp):
    """A checkerboard of level-16 tiles: every tile edge in the picture lies where pyproj
    puts that edge, within one pixel, whether placed by an affine or warped by GDAL."""
    zoom = 16
    columns, rows = tile_range(zoom, around_yichang(1500))
    colours = {0: (250, 250, 250), 1: (10, 10, 10)}
    path = tmp_path / "checker.mbtiles"
    make_mbtiles(path, {zoom: colours[0]}, around_yichang(1500))
    con = sqlite3.connect(path)
    odd = solid_tile(colours[1])
    con.executemany("UPDATE tiles SET tile_data = ? WHERE zoom_level = ? AND tile_column = ?",
                    [(odd, zoom, c) for c in columns if c % 2])
    con.commit()
    con.close()
    layer = basemap(path)
    mpp = 1.7
    view = view_at(mpp, 800, 600)
    image = render_view(layer.source, layer.crs, view, 800, 600, layer.cache, warp=warp)
    assert image.warped == warp
    to_project = Transformer.from_crs("EPSG:3857", CRS, always_xy=True)
    span = 2 * MERCATOR_HALF / 2 ** zoom
    centre_row = (MERCATOR_HALF - to_project.transform(X0, Y0, direction="INVERSE")[1]) // span
    y_merc = MERCATOR_HALF - (centre_row + 0.5) * span  # the middle of one row of tiles
    checked = 0
    for column in columns:
        x, y = to_project.transform(-MERCATOR_HALF + column * span, y_merc)
        if not view[0] + 5 * mpp < x < view[2] - 5 * mpp or not view[1] < y < view[3]:
            continue
        left = image.pixel(x - 1.0 * mpp, y)[:3]
        right = image.pixel(x + 1.0 * mpp, y)[:3]
        assert tuple(left) == colours[(column - 1) % 2] and tuple(right) == colours[column % 2], \
            (column, left, right)
        checked += 1
    assert checked >= 3


def test_a_geopackage_tile_pyramid_draws_in_place(tmp_path):
    table = make_gpkg_tiles(tmp_path / "ortho.gpkg")
    source = open_tile_source(tmp_path / "ortho.gpkg")
    assert source.format == "GeoPackage" and source.table == table and source.crs.to_epsg() == 3857
    layer = basemap(tmp_path / "ortho.gpkg")
    image = layer.render((X0 - 100, Y0 - 100, X0 + 700, Y0 + 500), 400, 300)
    # the image's top-left corner is at (X0, Y0 + 400) in EPSG:4546 (placed in web mercator)
    assert tuple(image.pixel(X0 + 20, Y0 + 380)[:3]) == QUADRANTS["top_left"]
    assert image.pixel(X0 - 20, Y0 + 380)[3] == 0  # outside the image: transparent
    assert image.zoom in source.matrices


def test_sources_that_are_not_raster_tiles_are_refused_in_a_sentence(tmp_path):
    vector = make_mbtiles(tmp_path / "vector.mbtiles")
    con = sqlite3.connect(vector)
    con.execute("UPDATE metadata SET value = 'pbf' WHERE name = 'format'")
    con.commit()
    con.close()
    (tmp_path / "garbage.mbtiles").write_bytes(b"not sqlite at all" * 100)
    (tmp_path / "empty").mkdir()
    sqlite3.connect(tmp_path / "notiles.mbtiles").execute(
        "CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)").connection.close()
    expected = {"vector.mbtiles": "vector tiles", "garbage.mbtiles": "cannot read",
                "empty": "no {z}/{x}/{y} tiles", "notiles.mbtiles": "holds no tiles",
                "missing.mbtiles": "does not exist"}
    for name, text in expected.items():
        with pytest.raises(ProjectError) as err:
            open_tile_source(tmp_path / name)
        assert text in err.value.message("en") and name in err.value.where
        assert any("\u4e00" <= c <= "\u9fff" for c in err.value.message("zh"))


def test_a_view_far_coarser_than_the_tiles_draws_nothing_and_says_so(tmp_path):
    # level 16 only, over 30 km × 30 km: about 3,300 tiles
    layer = basemap(make_mbtiles(tmp_path / "b.mbtiles", {16: ZOOM_COLOURS[16]}, around_yichang(15_000)))
    image = layer.render(view_at(30.0), 1600, 1000)  # 48 km across: thousands of tiles
    assert image.tiles == 0 and image.note is not None and "zoom in" in image.note.en


def test_redrawing_a_cached_view_is_fast(tmp_path):
    layer = basemap(make_mbtiles(tmp_path / "b.mbtiles"))
    timings = {}
    for zoom in (16, 14):
        view = view_at(web_mercator(zoom).res_x * COS_LAT)
        started = time.perf_counter()
        layer.render(view, 1600, 1000)
        first = time.perf_counter() - started
        started = time.perf_counter()
        layer.render(view, 1600, 1000)
        timings[zoom] = (first, time.perf_counter() - started)
    assert all(cached < 0.5 for _, cached in timings.values()), timings


# --- import ---------------------------------------------------------------------------------
def project_with_vectors() -> Project:
    project = Project()
    project.add_layer(VectorLayer("小区", "communities", gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs=CRS)))
    return project


def test_rasters_and_basemaps_import_below_the_vectors_in_one_undo_step(tmp_path):
    project = project_with_vectors()
    tiff = quadrant_geotiff(tmp_path / "ortho.tif")
    report = import_layer(project, tiff, "basemap")
    assert project.names() == ["ortho", "小区"] and report.format == "raster"
    assert any("3 band(s) of uint8" in note.en for note in report.notes)
    layer = project.layer("ortho")
    assert isinstance(layer, RasterLayer) and layer.array.shape == (3, 200, 200)
    mbtiles = make_mbtiles(tmp_path / "city.mbtiles")
    report = import_layer(project, mbtiles, "basemap")
    assert project.names() == ["city", "ortho", "小区"]  # a basemap goes below the rasters too
    assert report.format == "MBTiles" and any("not copied" in n.en for n in report.notes)
    folder = make_xyz_folder(tmp_path / "xyz")
    import_layer(project, folder, "basemap", layer_name="影像")
    assert project.names() == ["city", "影像", "ortho", "小区"]
    second = quadrant_geotiff(tmp_path / "second.tif", left=X0 + 1000)
    import_layer(project, second, "basemap")
    assert project.names() == ["city", "影像", "ortho", "second", "小区"]
    for _ in range(3):
        project.undo.undo()
    assert project.names() == ["ortho", "小区"]


def test_a_geopackage_with_vectors_and_tiles_imports_either(tmp_path):
    path = tmp_path / "mixed.gpkg"
    table = make_gpkg_tiles(path)
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(X0, Y0, X0 + 50, Y0 + 50)], crs=CRS).to_file(
        path, layer="communities", engine="pyogrio")
    project = project_with_vectors()
    import_layer(project, path, "communities", layer_name="more", source_layer="communities")
    assert isinstance(project.layer("more"), VectorLayer)
    import_layer(project, path, "basemap", layer_name="tiles", source_layer=table)
    assert project.names()[0] == "tiles" and project.layer("tiles").table == table


def test_rgb_bytes_draw_in_their_own_colours(tmp_path):
    """An orthophoto is not stretched band by band nor drawn as grey band 1."""
    from styles import effective_style, resolve_raster

    array = np.zeros((3, 2, 2), dtype=np.uint8)
    array[:, 0, 0] = (200, 120, 40)
    array[:, 1, 1] = (30, 60, 90)
    rgba = resolve_raster(effective_style("basemap", {}), array).rgba
    assert tuple(rgba[0, 0]) == (200, 120, 40, 255) and tuple(rgba[1, 1]) == (30, 60, 90, 255)
    with_alpha = np.concatenate([array, np.array([[[255, 0], [0, 128]]], dtype=np.uint8)])
    rgba = resolve_raster(effective_style("basemap", {}), with_alpha, nodata=0).rgba
    assert rgba[0, 1, 3] == 0 and rgba[1, 1, 3] == 128  # the alpha band is the transparency
    grey = resolve_raster(effective_style("basemap", {}), array[:1]).rgba
    assert grey[0, 0, 0] == grey[0, 0, 1] == grey[0, 0, 2]  # one band: grey
