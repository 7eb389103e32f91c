"""A layer's legend in the tree: its style's entries and the swatch icons that draw them."""

from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from layers.errors import ProjectError
from layers.layer import RasterLayer
from styles import LegendEntry, effective_style, resolve, resolve_raster

MAX_LEGEND_ROWS = 16


def legend_of(layer, standards=None) -> list:
    """Legend entries of a layer's style (with "other" only when some feature needs it)."""
    if layer.layer_type == "table":
        return []  # rows without geometry: nothing is drawn
    if layer.layer_type == "tiles":  # a basemap: one grey box, like an image
        return [LegendEntry(layer.name, layer.name, (160, 160, 160, 255), (90, 90, 90, 255))]
    style = effective_style(layer.kind, layer.style)
    try:
        if isinstance(layer, RasterLayer):
            if style.get("raster") != "ramp":
                return [LegendEntry(layer.name, layer.name, (160, 160, 160, 255),
                                    (90, 90, 90, 255))]
            return resolve_raster(style, layer.array[:1], layer.nodata).legend
        needs = standards if style.get("colors_from") else None
        return resolve(style, layer.gdf, needs).legend
    except ProjectError:
        return []


def swatch(geometry: str | None, fill: QColor, stroke: QColor, size: int = 16) -> QIcon:
    """A small legend symbol: a box for polygons, a stroke for lines, a dot for points."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    if geometry == "line":
        painter.setPen(QPen(stroke, 3, Qt.SolidLine, Qt.RoundCap))
        painter.drawLine(QPointF(2, size - 4), QPointF(size - 2, 4))
    elif geometry == "point":
        painter.setPen(QPen(stroke, 1))
        painter.setBrush(fill)
        painter.drawEllipse(QRectF(3, 3, size - 6, size - 6))
    else:
        painter.setPen(QPen(stroke, 1.5))
        painter.setBrush(fill)
        painter.drawRect(QRectF(1.5, 2.5, size - 3, size - 5))
    painter.end()
    return QIcon(pixmap)


def _rgba(values) -> QColor:
    return QColor(*(int(v) for v in values))
