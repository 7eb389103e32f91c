"""Offline basemaps: tile sources (MBTiles, GeoPackage tiles, XYZ folders) drawn at the zoom
level that suits the scale, warped into the project's CRS. GUI-free."""

from layers.tiles.grid import TileMatrix, choose_zoom, web_mercator
from layers.tiles.layer import TileLayer
from layers.tiles.render import TileImage, decode_tile, render_view
from layers.tiles.sources import TileSource, gpkg_tile_tables, open_tile_source, tile_format

__all__ = ["TileImage", "TileLayer", "TileMatrix", "TileSource", "choose_zoom", "decode_tile",
           "gpkg_tile_tables", "open_tile_source", "render_view", "tile_format", "web_mercator"]
