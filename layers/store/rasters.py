"""Raster layers in the project file as GeoPackage rasters, so QGIS, gdalinfo and every
GDAL program open them.

* bytes with 1–4 bands (grey, grey + alpha, RGB, RGBA: orthophotos, scanned plans) are a
  GeoPackage *tile pyramid* of lossless PNG tiles; a nodata value becomes transparency
  (an alpha band), so other programs show the same holes we do;
* one band of other numbers (population grids, elevation) is a *2D gridded coverage*
  (the GeoPackage extension for data values): 16-bit PNG tiles for unsigned 16-bit
  integers, 32-bit float TIFF tiles for everything float32 holds exactly, with its
  nodata value as the coverage's ``data_null``;
* what neither can hold exactly (several bands of 16-bit data, float64 values float32
  would round, a rotated grid) stays a GeoTIFF in ``precinct_rasters``, as every raster
  was before format 2 — read both ways, so old projects open unchanged.

What each layer needs to come back exactly (band count, data type, nodata) is kept in
``precinct_layers.source`` as JSON.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from layers.layer import RasterLayer

#: gpkg_contents data types of raster tables
RASTER_TABLE_TYPES = ("tiles", "2d-gridded-coverage")
GPKG_VERSION = "1.2"
OVERVIEW_ABOVE = 2048  # pixels: larger rasters get overviews, so QGIS draws them fast zoomed out


def storage_for(layer: RasterLayer) -> str:
    """``tiles``, ``coverage`` or ``geotiff``: how ``layer`` is stored without loss."""
    t, arr = layer.transform, layer.array
    if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
        return "geotiff"  # GeoPackage rasters are north-up grids
    if arr.dtype == np.uint8 and arr.shape[0] <= 4:
        return "tiles"
    if arr.shape[0] == 1 and (arr.dtype == np.uint16 or _float32_exact(arr, layer.nodata)):
        return "coverage"
    return "geotiff"


def _float32_exact(arr: np.ndarray, nodata: float | None) -> bool:
    if arr.dtype.kind not in "iuf" or arr.dtype == np.float16:
        return False
    if arr.dtype == np.float32:
        return True
    as32 = arr.astype(np.float32)
    same = np.array_equal(as32.astype(arr.dtype), arr, equal_nan=arr.dtype.kind == "f")
    return same and (nodata is None or float(np.float32(nodata)) == nodata or math.isnan(nodata))


def write_raster(layer: RasterLayer, tmp: Path, table: str, identifier: str) -> dict[str, Any]:
    """Write ``layer`` as the GeoPackage raster table ``table``; return what reading needs."""
    storage = storage_for(layer)
    info = {"storage": storage, "bands": int(layer.array.shape[0]),
            "dtype": str(layer.array.dtype), "nodata": _json_number(layer.nodata)}
    if storage == "tiles":
        _write_tiles(layer, tmp, table, identifier)
    elif storage == "coverage":
        _write_coverage(layer, tmp, table, identifier)
    return info


def _json_number(value: float | None) -> float | str | None:
    if value is None:
        return None
    value = float(value)
    return "nan" if math.isnan(value) else value


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str) and value.lower() == "nan":
        return float("nan")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"nodata {value!r} is not a number")


def _create(tmp: Path, table: str, identifier: str, array: np.ndarray, layer: RasterLayer,
            tile_format: str, overviews: bool = False) -> None:
    import rasterio
    from rasterio.enums import Resampling

    bands, rows, cols = array.shape
    options = {"RASTER_TABLE": table, "RASTER_IDENTIFIER": identifier, "TILE_FORMAT": tile_format,
               "APPEND_SUBDATASET": "YES" if tmp.exists() else "NO", "VERSION": GPKG_VERSION}
    with rasterio.open(tmp, "w", driver="GPKG", width=cols, height=rows, count=bands,
                       dtype=array.dtype, crs=layer.crs.to_wkt(), transform=layer.transform,
                       **options) as dst:
        dst.write(array)
        if overviews and max(rows, cols) > OVERVIEW_ABOVE:
            factors = [2 ** k for k in range(1, 12) if max(rows, cols) / 2 ** k >= 256]
            dst.build_overviews(factors, Resampling.average)


def _write_tiles(layer: RasterLayer, tmp: Path, table: str, identifier: str) -> None:
    array = layer.array
    nodata = layer.nodata
    if nodata is not None and array.shape[0] in (1, 3) and 0 <= nodata <= 255:
        hole = np.all(array == np.uint8(nodata), axis=0)
        if hole.any():  # nodata as transparency, so other programs show the same holes
            alpha = np.where(hole, 0, 255).astype(np.uint8)[np.newaxis]
            array = np.concatenate([array, alpha])
    _create(tmp, table, identifier, array, layer, "PNG", overviews=True)


def _write_coverage(layer: RasterLayer, tmp: Path, table: str, identifier: str) -> None:
    array = layer.array
    if array.dtype == np.uint16:
        _create(tmp, table, identifier, array, layer, "PNG")
    else:
        _create(tmp, table, identifier, array.astype(np.float32), layer, "TIFF")
    if layer.nodata is not None and not math.isnan(layer.nodata):
        # GDAL keeps a nodata set while creating only in memory: write it to the coverage
        con = sqlite3.connect(tmp)
        try:
            con.execute("UPDATE gpkg_2d_gridded_coverage_ancillary SET data_null = ? "
                        "WHERE tile_matrix_set_name = ?", (float(layer.nodata), table))
            con.commit()
        finally:
            con.close()


# --- reading ------------------------------------------------------------------------------
#: bands GDAL shows for a tile pyramid (always RGBA) that hold the ones we wrote
_TILE_BANDS = {1: [0], 2: [0, 3], 3: [0, 1, 2], 4: [0, 1, 2, 3]}


def read_gpkg_raster(path: Path, table: str, info: dict, name: str, kind: str,
                     common: dict) -> RasterLayer:
    """A raster layer from its GeoPackage raster table (as :func:`write_raster` wrote it)."""
    import rasterio

    bands, dtype, nodata = _checked_info(info)
    with _gdal_errors() as errors, rasterio.open(path, driver="GPKG", TABLE=table) as src:
        wanted = _TILE_BANDS[bands] if info.get("storage") == "tiles" else list(range(bands))
        if max(wanted) >= src.count:
            raise ValueError(f"its raster table has {src.count} band(s), not {bands}")
        array = src.read([i + 1 for i in wanted])
        crs = src.crs.to_wkt() if src.crs else None
        transform = src.transform
    if errors:  # GDAL reads an undecodable tile as empty and only says so
        raise ValueError(errors[-1])
    return RasterLayer(name, kind, array.astype(dtype, copy=False), transform, crs, nodata,
                       **common)


@contextmanager
def _gdal_errors() -> Iterator[list[str]]:
    """The errors GDAL signals meanwhile without failing (rasterio logs them)."""
    found: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.INFO and "error" in record.getMessage().lower():
                found.append(record.getMessage())

    logger = logging.getLogger("rasterio._err")
    handler, level = Catch(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _checked_info(info: Any) -> tuple[int, np.dtype, float | None]:
    if not isinstance(info, dict):
        raise ValueError("its raster description is not a set of named values")
    bands, dtype = info.get("bands"), info.get("dtype")
    if not isinstance(bands, int) or isinstance(bands, bool) or not 1 <= bands <= 4:
        raise ValueError(f"its band count {bands!r} is not one a GeoPackage raster holds")
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise ValueError(f"its data type {dtype!r} is unknown")
    return bands, np.dtype(dtype), _number(info.get("nodata"))


_DTYPES = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64",
           "float32", "float64")


def geotiff_bytes(layer: RasterLayer) -> bytes:
    """``layer`` as a lossless GeoTIFF (what the file holds for rasters GeoPackage cannot)."""
    from rasterio.io import MemoryFile

    bands, rows, cols = layer.array.shape
    with MemoryFile() as mem:
        with mem.open(driver="GTiff", width=cols, height=rows, count=bands,
                      dtype=layer.array.dtype, crs=layer.crs.to_wkt() if layer.crs else None,
                      transform=layer.transform, nodata=layer.nodata,
                      compress="deflate") as dst:
            dst.write(layer.array)
        return bytes(mem.read())


def read_geotiff_blob(name: str, kind: str, blob: bytes, common: dict) -> RasterLayer:
    """A raster layer from the GeoTIFF bytes it was saved as (format 1, or a raster that
    GeoPackage rasters cannot hold)."""
    from rasterio.io import MemoryFile

    with MemoryFile(blob) as mem, mem.open() as src:
        return RasterLayer(name, kind, src.read(), src.transform,
                           src.crs.to_wkt() if src.crs else None, src.nodata, **common)
