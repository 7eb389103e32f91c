"""Basemap tile layers on the canvas, the map sheet and previews.

A tile layer has no fixed picture: each view asks it for the tiles of the zoom level
that suits the scale (:meth:`layers.tiles.TileLayer.render`): a mosaic with the affine
that places it in the project's CRS (drawn with smooth resampling), or, where no affine
is close enough, the mosaic warped to the view by GDAL. Either is one image.
"""

from __future__ import annotations

from PyQt5.QtGui import QImage, QPainter, QTransform

from app.canvas.gil_free import draw_image_at_origin


class TileGraphics:
    """How the painter draws a tile layer: rendered afresh for every view."""

    def __init__(self, layer) -> None:
        self.layer = layer

    def draw(self, painter: QPainter, world: QTransform, view) -> None:
        """Draw the tiles covering ``view`` (world extent) with ``world`` (world → device)."""
        self.prepared(world, view, painter.device().devicePixelRatioF() or 1.0).draw(painter, world, view)

    def prepared(self, world: QTransform, view, ratio: float = 1.0) -> PreparedTiles:
        """The tiles of one view fetched now (on the GUI thread: the tile layer's projections
        must not be used from a render job's thread), drawn later by any thread."""
        x0, y0, x1, y1 = view
        width = max(1, round((x1 - x0) * abs(world.m11()) * ratio))
        height = max(1, round((y1 - y0) * abs(world.m22()) * ratio))
        if width * height > 80_000_000:  # a sheet this size would need gigabytes of tiles
            return PreparedTiles(self.layer, None)
        tiles = self.layer.render(tuple(view), width, height)
        if tiles.zoom is None or not tiles.tiles:
            return PreparedTiles(self.layer, None)
        rgba = tiles.rgba
        rows, cols = rgba.shape[:2]
        image = QImage(rgba.data, cols, rows, cols * 4, QImage.Format_RGBA8888).copy()
        t = tiles.transform
        return PreparedTiles(self.layer, image, QTransform(t.a, t.d, t.b, t.e, t.c, t.f), not tiles.warped)


class PreparedTiles(TileGraphics):
    """A tile layer's mosaic for one view and where it goes in the world."""

    def __init__(self, layer, image: QImage | None, placement: QTransform | None = None,
                 smooth: bool = True) -> None:
        super().__init__(layer)
        self.image, self.placement, self.smooth = image, placement, smooth

    def draw(self, painter: QPainter, world: QTransform, view) -> None:
        if self.image is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.SmoothPixmapTransform, self.smooth)
        painter.setTransform(self.placement * world)
        draw_image_at_origin(painter, self.image)
        painter.restore()


def is_tiles(layer) -> bool:
    return getattr(layer, "layer_type", "") == "tiles"


def framing_boxes(layers) -> list[tuple[float, float, float, float]]:
    """The bounds a full-extent view frames: the project's own layers, not the basemaps
    around them (a city-wide MBTiles would zoom out far past the data); the basemaps only
    when nothing else has bounds."""
    layers = list(layers)
    own = [b for b in (la.bounds() for la in layers if not is_tiles(la)) if b is not None]
    return own or [b for b in (la.bounds() for la in layers if is_tiles(la)) if b is not None]
