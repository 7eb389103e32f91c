"""Tile matrices: where each tile of a pyramid lies, and which zoom level suits a scale.

A tile source (MBTiles, a GeoPackage tile pyramid, an XYZ folder) is a set of
:class:`TileMatrix` — one per zoom level — in its own coordinate system. Web mercator
sources (MBTiles, XYZ) share :func:`web_mercator`; a GeoPackage states its own.

>>> m = web_mercator(16)
>>> round(m.res_x, 4), m.columns
(2.3887, 65536)
>>> choose_zoom({14: web_mercator(14), 16: web_mercator(16)}, 2.4)
16
>>> choose_zoom({14: web_mercator(14), 16: web_mercator(16)}, 9.0)
14
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: half the width of the web mercator world (EPSG:3857), metres at the equator
MERCATOR_HALF = 20037508.342789244
WEB_MERCATOR = "EPSG:3857"


@dataclass(frozen=True)
class TileMatrix:
    """One zoom level: its top-left corner, pixel size and number of tiles."""

    zoom: int
    left: float
    top: float
    res_x: float  # source units per pixel
    res_y: float
    tile_width: int = 256
    tile_height: int = 256
    columns: int = 1
    rows: int = 1

    @property
    def span_x(self) -> float:
        """Width of one tile in source units."""
        return self.res_x * self.tile_width

    @property
    def span_y(self) -> float:
        return self.res_y * self.tile_height

    def covering(self, bounds: tuple[float, float, float, float]) -> tuple[int, int, int, int] | None:
        """(first column, first row, last column, last row) of the tiles meeting ``bounds``
        (rows counted from the top), or None when none of this level's tiles does."""
        x0, y0, x1, y1 = bounds
        c0 = max(0, math.floor((x0 - self.left) / self.span_x))
        c1 = min(self.columns - 1, math.ceil((x1 - self.left) / self.span_x) - 1)
        r0 = max(0, math.floor((self.top - y1) / self.span_y))
        r1 = min(self.rows - 1, math.ceil((self.top - y0) / self.span_y) - 1)
        if c0 > c1 or r0 > r1:
            return None
        return c0, r0, c1, r1

    def tile_origin(self, column: int, row: int) -> tuple[float, float]:
        """The top-left corner of a tile, in source units."""
        return self.left + column * self.span_x, self.top - row * self.span_y


def web_mercator(zoom: int, tile_size: int = 256) -> TileMatrix:
    """The zoom level ``zoom`` of the usual web map tiling (Google/OSM/XYZ rows)."""
    n = 2 ** zoom
    res = 2 * MERCATOR_HALF / (tile_size * n)
    return TileMatrix(zoom, -MERCATOR_HALF, MERCATOR_HALF, res, res, tile_size, tile_size, n, n)


def choose_zoom(matrices: dict[int, TileMatrix], res: float) -> int | None:
    """The zoom level whose pixel size is nearest ``res`` (source units per screen pixel),
    compared on a log scale; the finer of two equally near levels."""
    if not matrices or not res > 0:
        return None
    return min(matrices, key=lambda z: (round(abs(math.log2(matrices[z].res_x / res)), 9),
                                        matrices[z].res_x))
