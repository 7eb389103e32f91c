"""Small rasters and offline tile sources built in code, for the raster and basemap tests.

* :func:`quadrant_geotiff` — an RGB GeoTIFF (EPSG:4546, near Yichang) whose four quadrants
  have four distinct colours, so a pixel check tells where and how it was drawn;
* :func:`make_mbtiles` — an MBTiles file (made with sqlite3) with solid PNG tiles at
  several zoom levels, one colour per level, so a pixel check tells which level drew;
* :func:`make_xyz_folder` — the same as ``{z}/{x}/{y}.png`` files;
* :func:`make_gpkg_tiles` — a GeoPackage tile pyramid (GDAL's GPKG raster driver).
"""

from __future__ import annotations

import math
import sqlite3
import warnings
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import Transformer

X0, Y0 = 528_000.0, 3_397_000.0  # EPSG:4546, near Xiling district, Yichang
CRS = "EPSG:4546"
QUADRANTS = {"top_left": (220, 30, 30), "top_right": (30, 170, 60),
             "bottom_left": (40, 70, 220), "bottom_right": (240, 200, 20)}
#: one colour per zoom level of the test tile sources
ZOOM_COLOURS = {14: (200, 40, 160), 15: (90, 90, 90), 16: (20, 160, 170)}


def quadrant_array(size: int = 200) -> np.ndarray:
    """(3, size, size) uint8 with the four :data:`QUADRANTS` colours."""
    half = size // 2
    out = np.zeros((3, size, size), dtype=np.uint8)
    for (rows, cols), key in (((slice(0, half), slice(0, half)), "top_left"),
                              ((slice(0, half), slice(half, size)), "top_right"),
                              ((slice(half, size), slice(0, half)), "bottom_left"),
                              ((slice(half, size), slice(half, size)), "bottom_right")):
        for band, value in enumerate(QUADRANTS[key]):
            out[band, rows, cols] = value
    return out


def quadrant_geotiff(path: Path, left: float = X0, top: float = Y0 + 400, cell: float = 2.0,
                     size: int = 200) -> Path:
    """An RGB GeoTIFF ``size`` × ``size`` cells of ``cell`` metres, top-left at (left, top)."""
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3, dtype="uint8",
                       crs=CRS, transform=Affine(cell, 0, left, 0, -cell, top),
                       photometric="RGB") as dst:
        dst.write(quadrant_array(size))
    return path


def png_bytes(rgba: np.ndarray) -> bytes:
    """(rows, cols, 3 or 4) uint8 → PNG bytes."""
    from rasterio.io import MemoryFile

    bands = np.moveaxis(rgba, -1, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with MemoryFile() as mem:
            with mem.open(driver="PNG", width=bands.shape[2], height=bands.shape[1],
                          count=bands.shape[0], dtype="uint8") as dst:
                dst.write(bands)
            return bytes(mem.read())


def solid_tile(colour: tuple[int, int, int], size: int = 256) -> bytes:
    return png_bytes(np.broadcast_to(np.array(colour, dtype=np.uint8), (size, size, 3)).copy())


def tile_range(zoom: int, bounds_lonlat: tuple[float, float, float, float]) -> tuple[range, range]:
    """Columns and rows (XYZ, rows from the top) of the web mercator tiles covering the box."""
    west, south, east, north = bounds_lonlat
    n = 2 ** zoom

    def column(lon: float) -> int:
        return int((lon + 180.0) / 360.0 * n)

    def row(lat: float) -> int:
        lat_r = math.radians(lat)
        return int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)

    return range(column(west), column(east) + 1), range(row(north), row(south) + 1)


def around_yichang(margin: float = 3000.0) -> tuple[float, float, float, float]:
    """A lon/lat box around (X0, Y0) ± ``margin`` metres."""
    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    west, south = to_lonlat.transform(X0 - margin, Y0 - margin)
    east, north = to_lonlat.transform(X0 + margin, Y0 + margin)
    return west, south, east, north


def make_mbtiles(path: Path, zooms: dict[int, tuple[int, int, int]] | None = None,
                 bounds_lonlat: tuple[float, float, float, float] | None = None) -> Path:
    """An MBTiles file with one solid colour per zoom level over ``bounds_lonlat``."""
    zooms = zooms or {14: ZOOM_COLOURS[14], 16: ZOOM_COLOURS[16]}
    bounds_lonlat = bounds_lonlat or around_yichang()
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                "tile_data BLOB)")
    con.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
    con.executemany("INSERT INTO metadata VALUES (?, ?)", [
        ("name", "test basemap"), ("format", "png"), ("minzoom", str(min(zooms))),
        ("maxzoom", str(max(zooms))), ("bounds", ",".join(f"{v:.6f}" for v in bounds_lonlat))])
    for zoom, colour in zooms.items():
        data = solid_tile(colour)
        columns, rows = tile_range(zoom, bounds_lonlat)
        con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [
            (zoom, c, 2 ** zoom - 1 - r, data) for c in columns for r in rows])  # TMS rows
    con.commit()
    con.close()
    return path


def make_xyz_folder(folder: Path, zooms: dict[int, tuple[int, int, int]] | None = None,
                    bounds_lonlat: tuple[float, float, float, float] | None = None) -> Path:
    """``folder/{z}/{x}/{y}.png`` with one solid colour per zoom level."""
    zooms = zooms or {14: ZOOM_COLOURS[14], 16: ZOOM_COLOURS[16]}
    bounds_lonlat = bounds_lonlat or around_yichang()
    for zoom, colour in zooms.items():
        data = solid_tile(colour)
        columns, rows = tile_range(zoom, bounds_lonlat)
        for c in columns:
            (folder / str(zoom) / str(c)).mkdir(parents=True, exist_ok=True)
            for r in rows:
                (folder / str(zoom) / str(c) / f"{r}.png").write_bytes(data)
    return folder


def make_gpkg_tiles(path: Path, table: str = "ortho_tiles") -> str:
    """A GeoPackage tile pyramid (web mercator, Google Maps tiling) of a quadrant image;
    the name of its tile table (GDAL's copy spells it in capitals)."""
    import rasterio
    from rasterio.io import MemoryFile
    from rasterio.shutil import copy

    from layers.tiles import gpkg_tile_tables

    to_mercator = Transformer.from_crs(CRS, "EPSG:3857", always_xy=True)
    left, top = to_mercator.transform(X0, Y0 + 400)
    with MemoryFile() as mem:
        with mem.open(driver="GTiff", width=400, height=400, count=3, dtype="uint8",
                      crs="EPSG:3857", transform=Affine(2.0, 0, left, 0, -2.0, top)) as dst:
            dst.write(quadrant_array(400))
        with mem.open() as src:
            copy(src, path, driver="GPKG", RASTER_TABLE=table, TILE_FORMAT="PNG",
                 TILING_SCHEME="GoogleMapsCompatible")
        with rasterio.open(path, "r+", driver="GPKG") as dst:
            dst.build_overviews([2, 4])
    return gpkg_tile_tables(path)[0]
