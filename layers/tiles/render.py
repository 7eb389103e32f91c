"""A tile source drawn into a view: the zoom level for the scale, the tiles covering the
view mosaicked in the source's CRS, and placed in the project's CRS.

Between web mercator and a projected CRS of a city (a Gauss–Krüger zone), the map from
one to the other is, across one view, an affine map to within a fraction of a pixel: the
mosaic is then returned as it is with that affine (the canvas draws it transformed,
smoothly). When it is not (a whole province in view, a CRS far from conformal), the
mosaic is warped pixel by pixel with GDAL (``rasterio.warp.reproject``) to the view.

Decoded tiles are kept in a small least-recently-used cache, so a pan or a redraw at the
same scale decodes only the tiles that came into view.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer

from layers.errors import T
from layers.tiles.grid import TileMatrix, choose_zoom
from layers.tiles.sources import TileSource

MAX_TILES = 768       # tiles one view may need (a 300 dpi A3 sheet needs about 530)
CACHE_TILES = 384     # decoded tiles kept (256 × 256 RGBA: 256 KiB each, ~100 MiB)
AFFINE_TOLERANCE_PX = 0.25  # largest error of the affine placement, in view pixels
Bounds = tuple[float, float, float, float]


@dataclass
class TileImage:
    """What a tile layer looks like in one view: RGBA pixels (top row first) and where
    they go — ``transform`` maps (column, row) to the project's CRS."""

    rgba: np.ndarray            # (rows, cols, 4) uint8, not premultiplied
    zoom: int | None = None     # the zoom level drawn (None: nothing drawn)
    tiles: int = 0              # tiles the view needed
    note: T | None = None       # why nothing was drawn, when something stopped it
    transform: Affine = Affine.identity()
    warped: bool = False        # True: resampled to the view by GDAL; False: placed by an affine

    def pixel(self, x: float, y: float) -> np.ndarray:
        """The RGBA drawn at world point (x, y) (nearest pixel; transparent outside)."""
        col, row = apply(~self.transform, x, y)
        r, c = int(math.floor(row)), int(math.floor(col))
        if 0 <= r < self.rgba.shape[0] and 0 <= c < self.rgba.shape[1]:
            return self.rgba[r, c]
        return np.zeros(4, dtype=np.uint8)


def apply(t: Affine, x, y):
    """``t`` applied to x, y (numbers or arrays)."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


def decode_tile(data: bytes) -> np.ndarray | None:
    """PNG/JPEG/WebP bytes → (rows, cols, 4) RGBA; None for a tile that cannot be read."""
    import rasterio
    from rasterio.enums import ColorInterp
    from rasterio.io import MemoryFile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            with MemoryFile(data) as mem, mem.open() as src:
                bands = src.read()
                palette = src.colormap(1) if src.colorinterp[0] == ColorInterp.palette else None
    except Exception:  # a damaged tile is left out, the rest of the view still draws
        return None
    return _rgba(bands, palette)


def _rgba(bands: np.ndarray, palette: dict | None) -> np.ndarray:
    count, rows, cols = bands.shape
    if palette is not None:
        lut = np.zeros((256, 4), dtype=np.uint8)
        for index, colour in palette.items():
            if 0 <= index < 256:
                lut[index] = colour
        return lut[bands[0]]
    out = np.empty((rows, cols, 4), dtype=np.uint8)
    if count in (1, 2):
        out[..., :3] = bands[0][..., np.newaxis]
    else:
        out[..., :3] = np.moveaxis(bands[:3], 0, -1)
    out[..., 3] = bands[-1] if count in (2, 4) else 255
    return out


class TileCache:
    """Decoded tiles by (zoom, column, row), the least recently used dropped first."""

    def __init__(self, capacity: int = CACHE_TILES) -> None:
        self.capacity = capacity
        self._tiles: OrderedDict[tuple[int, int, int], np.ndarray | None] = OrderedDict()

    def get(self, source: TileSource, zoom: int, column: int, row: int) -> np.ndarray | None:
        key = (zoom, column, row)
        if key in self._tiles:
            self._tiles.move_to_end(key)
            return self._tiles[key]
        data = source.read(zoom, column, row)
        tile = decode_tile(data) if data else None
        self._tiles[key] = tile
        while len(self._tiles) > self.capacity:
            self._tiles.popitem(last=False)
        return tile

    def clear(self) -> None:
        self._tiles.clear()


def render_view(source: TileSource, crs: CRS, view: Bounds, width: int, height: int,
                cache: TileCache | None = None, warp: bool = False) -> TileImage:
    """``source`` drawn over ``view`` (in ``crs``) for ``width`` × ``height`` pixels;
    ``warp`` always resamples to the view (else only when an affine is not close enough)."""
    empty = TileImage(np.zeros((1, 1, 4), dtype=np.uint8))
    if width < 1 or height < 1 or not source.matrices:
        return empty
    area = _view_in_source(source.crs, crs, view)
    if area is None:
        return empty
    zoom = choose_zoom(source.matrices, (area[2] - area[0]) / width)
    matrix = source.matrices[zoom]
    wanted = _clip(area, source.extent)
    tiles = matrix.covering(wanted) if wanted is not None else None
    if tiles is None:
        empty.zoom = zoom
        return empty
    c0, r0, c1, r1 = tiles
    count = (c1 - c0 + 1) * (r1 - r0 + 1)
    if count > MAX_TILES:
        empty.note = T(f"zoom in to see the basemap (this scale needs {count} tiles at level {zoom})",
                       f"请放大查看底图（此比例尺需要第 {zoom} 级的 {count} 个瓦片）")
        return empty
    mosaic = _mosaic(source, matrix, tiles, cache or TileCache())
    left, top = matrix.tile_origin(c0, r0)
    to_source = Affine(matrix.res_x, 0, left, 0, -matrix.res_y, top)
    placed = None if warp else _affine_placement(to_source, source.crs, crs, view, width, height)
    if placed is not None:
        return TileImage(mosaic, zoom, count, transform=placed)
    rgba, to_view = _warp(mosaic, to_source, source.crs, crs, view, width, height)
    return TileImage(rgba, zoom, count, transform=to_view, warped=True)


@lru_cache(maxsize=16)
def _transformer(src: CRS, dst: CRS) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _view_in_source(src_crs: CRS, crs: CRS, view: Bounds) -> Bounds | None:
    if src_crs.equals(crs):
        return view
    try:
        box = _transformer(crs, src_crs).transform_bounds(*view, densify_pts=21)
    except Exception:  # a view far outside what the source's projection covers
        return None
    return box if all(math.isfinite(v) for v in box) and box[2] > box[0] and box[3] > box[1] else None


def _clip(area: Bounds, extent: Bounds | None) -> Bounds | None:
    if extent is None:
        return area
    box = (max(area[0], extent[0]), max(area[1], extent[1]), min(area[2], extent[2]),
           min(area[3], extent[3]))
    return box if box[2] > box[0] and box[3] > box[1] else None


def _mosaic(source: TileSource, m: TileMatrix, tiles: tuple[int, int, int, int],
            cache: TileCache) -> np.ndarray:
    """The tiles side by side, (rows, cols, 4) RGBA; missing tiles transparent."""
    c0, r0, c1, r1 = tiles
    out = np.zeros(((r1 - r0 + 1) * m.tile_height, (c1 - c0 + 1) * m.tile_width, 4), dtype=np.uint8)
    for row in range(r0, r1 + 1):
        for column in range(c0, c1 + 1):
            tile = cache.get(source, m.zoom, column, row)
            if tile is None:
                continue
            y, x = (row - r0) * m.tile_height, (column - c0) * m.tile_width
            h, w = min(tile.shape[0], m.tile_height), min(tile.shape[1], m.tile_width)
            out[y:y + h, x:x + w] = tile[:h, :w]
    return out


def _affine_placement(to_source: Affine, src_crs: CRS, crs: CRS, view: Bounds, width: int,
                      height: int) -> Affine | None:
    """The affine from mosaic pixels to ``crs`` when it is right to within
    :data:`AFFINE_TOLERANCE_PX` view pixels all over the view; else None."""
    x0, y0, x1, y1 = view
    gx, gy = np.meshgrid(np.linspace(x0, x1, 7), np.linspace(y0, y1, 7))
    wx, wy = gx.ravel(), gy.ravel()
    if src_crs.equals(crs):
        sx, sy = wx, wy
    else:
        sx, sy = _transformer(crs, src_crs).transform(wx, wy)
    if not (np.all(np.isfinite(sx)) and np.all(np.isfinite(sy))):
        return None
    col, row = apply(~to_source, np.asarray(sx), np.asarray(sy))
    design = np.column_stack([col, row, np.ones_like(col)])
    (a, b, c), *_ = np.linalg.lstsq(design, wx, rcond=None)
    (d, e, f), *_ = np.linalg.lstsq(design, wy, rcond=None)
    error = np.hypot(design @ (a, b, c) - wx, design @ (d, e, f) - wy).max()
    view_pixel = min((x1 - x0) / width, (y1 - y0) / height)
    return Affine(a, b, c, d, e, f) if error <= AFFINE_TOLERANCE_PX * view_pixel else None


def _warp(mosaic: np.ndarray, to_source: Affine, src_crs: CRS, dst_crs: CRS, view: Bounds,
          width: int, height: int) -> tuple[np.ndarray, Affine]:
    from rasterio.crs import CRS as RioCRS
    from rasterio.warp import Resampling, reproject

    x0, y0, x1, y1 = view
    to_view = Affine((x1 - x0) / width, 0, x0, 0, -(y1 - y0) / height, y1)
    out = np.zeros((4, height, width), dtype=np.uint8)
    reproject(np.ascontiguousarray(np.moveaxis(mosaic, -1, 0)), out, src_transform=to_source,
              src_crs=RioCRS.from_wkt(src_crs.to_wkt()), dst_transform=to_view,
              dst_crs=RioCRS.from_wkt(dst_crs.to_wkt()), resampling=Resampling.bilinear,
              src_alpha=4, dst_alpha=4)
    return np.ascontiguousarray(np.moveaxis(out, 0, -1)), to_view
