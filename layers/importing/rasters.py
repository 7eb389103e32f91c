"""Rasters and basemaps in: a GeoTIFF (or another GDAL raster) is read into the project; an
offline tile source (MBTiles, GeoPackage tiles, a ``{z}/{x}/{y}`` folder) becomes a basemap
layer that reads it where it lies. Either goes below every vector layer (a basemap below the
rasters too), one undo step.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from layers.commands import AddLayer
from layers.errors import ProjectError, T
from layers.importing.access import check_source_file
from layers.importing.read_raster import read_raster
from layers.kinds import RASTER_KINDS

#: files read as a raster (a tile source is recognised by :func:`layers.tiles.tile_format`)
RASTER_SUFFIXES = (".tif", ".tiff", ".img", ".vrt", ".asc")
TILE_SUFFIXES = (".mbtiles",)


def is_raster_source(path: str | Path) -> bool:
    """Whether ``path`` is read as a raster or a tile source rather than as vector data
    (a GeoPackage holding both is vector data unless a raster kind is asked for)."""
    from layers.tiles import gpkg_tile_tables

    path = Path(path)
    if path.suffix.lower() in RASTER_SUFFIXES + TILE_SUFFIXES:
        return True
    if path.is_dir():  # a {z}/{x}/{y} folder has numbered zoom-level folders
        return any(child.is_dir() and child.name.isdigit() for child in _children(path))
    return path.suffix.lower() == ".gpkg" and bool(gpkg_tile_tables(path)) and not _has_features(path)


def _children(path: Path) -> list[Path]:
    try:
        return list(path.iterdir())
    except OSError:
        return []


def _has_features(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        return bool(con.execute("SELECT 1 FROM gpkg_contents WHERE data_type = 'features' "
                                "LIMIT 1").fetchall())
    except sqlite3.DatabaseError:
        return False
    finally:
        con.close()


def raster_summary(path: str | Path, table: str | None = None) -> list[tuple[T, str]]:
    """What a raster or tile source holds, read from its header (for the import preview)."""
    from layers.tiles import open_tile_source, tile_format

    path = Path(path)
    if tile_format(path) is not None:
        source = open_tile_source(path, table)
        try:
            zooms = sorted(source.matrices)
            return [(T("Tile source", "瓦片数据"), source.format),
                    (T("Zoom levels", "级别"), ", ".join(str(z) for z in zooms)),
                    (T("Coordinate system", "坐标系"), source.crs.name)]
        finally:
            source.close()
    return _raster_header(path)


def _raster_header(path: Path) -> list[tuple[T, str]]:
    import rasterio

    check_source_file(path)
    try:
        with rasterio.open(path) as src:
            return [(T("Size (cells)", "大小（像元）"), f"{src.width} × {src.height}"),
                    (T("Bands", "波段"), f"{src.count} ({src.dtypes[0]})"),
                    (T("Coordinate system", "坐标系"), src.crs.to_string() if src.crs else "?"),
                    (T("Nodata", "无数据值"), str(src.nodata))]
    except rasterio.errors.RasterioError as exc:
        raise ProjectError(T(f"cannot read the raster file ({exc})", f"无法读取栅格文件（{exc}）"),
                           str(path), T("check that it is a GeoTIFF or another GDAL raster",
                                        "请确认是 GeoTIFF 或其他 GDAL 可读的栅格")) from None


def below_vectors(project, basemap: bool = False) -> int:
    """Where a new raster goes: above the rasters and basemaps at the bottom, below the rest;
    a new ``basemap`` (tile layer) above the basemaps at the bottom, below any raster (an
    orthophoto of the site stays visible over a city-wide basemap)."""
    bottom = ("tiles",) if basemap else ("raster", "tiles")
    index = 0
    for layer in project.layers:
        if layer.layer_type not in bottom:
            break
        index += 1
    return index


def import_raster(project, path: Path, kind: str, layer_name: str | None = None,
                  table: str | None = None):
    """Add the raster or tile source at ``path`` below the vector layers; the report."""
    from layers.importing.core import ImportReport
    from layers.tiles import TileLayer, tile_format

    name = project.unique_name(layer_name or path.stem)
    if not path.is_dir():
        check_source_file(path)  # missing, a pipe, unreadable, empty: refused before opening
    if tile_format(path) is not None:
        layer = TileLayer.open(path, name, "basemap", table)
        report = ImportReport(path.name, layer.kind, layer.name, layer.format, table,
                              read_count=1, imported_count=1)
        report.crs_used = layer.source.crs.to_string() if layer.source else "?"
        report.notes.append(layer.describe())
        report.notes.append(T("the tiles are read where they lie, not copied into the project: "
                              "keep the file (or folder) with the project",
                              "瓦片从原位置读取，不复制进项目：请将该文件（或文件夹）与项目一起保存"))
    else:
        layer = read_raster(path, name, kind if kind in RASTER_KINDS else "basemap")
        report = ImportReport(path.name, layer.kind, layer.name, "raster", read_count=1,
                              imported_count=1)
        report.crs_used = str(layer.crs.to_string()) if layer.crs else "?"
        bands, rows, cols = layer.array.shape
        report.notes.append(T(f"{cols} × {rows} cells, {bands} band(s) of {layer.array.dtype}",
                              f"{cols} × {rows} 像元，{bands} 个波段（{layer.array.dtype}）"))
    from layers.importing.georef import crs_label

    report.crs_project = crs_label(project.crs) or ""
    report.command = AddLayer(layer, below_vectors(project, basemap=layer.layer_type == "tiles"))
    project.apply(report.command)
    return report
