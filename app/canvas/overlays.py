"""Drawings over the map that are not layers: the selection highlight and the overlays
panels put on the canvas (identify, coverage gaps, walking links)."""

from __future__ import annotations

import numpy as np
import shapely
from PyQt5.QtCore import QPointF, Qt
from PyQt5.QtGui import QColor, QPainter, QPen, QTransform

from app.canvas.paths import geometry_path

HIGHLIGHT = QColor("#ffd400")
HIGHLIGHT_FILL = QColor(255, 212, 0, 70)


def selection_graphics(geometries) -> tuple:
    """What the selection highlight draws: a world path of rings/lines and point xy."""
    geoms = np.asarray(geometries, dtype=object)
    points = shapely.get_coordinates(geoms[shapely.get_type_id(geoms) == 0])
    return geometry_path(geoms), points


def draw_selection(painter: QPainter, graphics: tuple, world: QTransform) -> None:
    """Selected features: a thick yellow outline and a light fill; rings around points."""
    outline, points = graphics
    painter.save()
    _stroke(painter, world, outline, HIGHLIGHT, 3.0, HIGHLIGHT_FILL)
    painter.setBrush(Qt.NoBrush)
    for x, y in points:
        painter.drawEllipse(world.map(QPointF(x, y)), 7, 7)
    painter.restore()


def _stroke(painter: QPainter, world: QTransform, path, colour: QColor, width: float,
            brush=Qt.NoBrush) -> None:
    """A world path drawn with a cosmetic pen (``width`` screen pixels at every zoom); the
    pen stays set, the transform goes back to the device's."""
    painter.setTransform(world)
    pen = QPen(colour, width)
    pen.setCosmetic(True)
    painter.setPen(pen)
    painter.setBrush(brush)
    painter.drawPath(path)
    painter.resetTransform()


def line_overlay(geometries, colour: str, width: float = 1.6):
    """A canvas overlay drawing lines (world coordinates) with a cosmetic pen and nodes."""
    path = geometry_path(geometries)
    coords = shapely.get_coordinates(shapely.boundary(np.asarray(geometries, dtype=object)))
    colour_q = QColor(colour)

    def draw(painter: QPainter, world: QTransform) -> None:
        _stroke(painter, world, path, colour_q, width)
        painter.setBrush(colour_q)
        for x, y in coords:
            painter.drawEllipse(world.map(QPointF(x, y)), 2.5, 2.5)

    return draw


def highlight_overlay(geometries, colour: str = "#ffd700", width: float = 4.0):
    """A canvas overlay that outlines features (polygons and lines with a wide cosmetic pen
    under a thin dark one, points as rings), so what identify found stands out."""
    geometries = [g for g in geometries if g is not None and not g.is_empty]
    points = [g for g in geometries if g.geom_type in ("Point", "MultiPoint")]
    others = [g for g in geometries if g.geom_type not in ("Point", "MultiPoint")]
    path = geometry_path(np.asarray(others, dtype=object)) if others else None
    coords = shapely.get_coordinates(np.asarray(points, dtype=object)) if points else []
    glow, edge = QColor(colour), QColor("#1a1a1a")

    def draw(painter: QPainter, world: QTransform) -> None:
        if path is not None:
            for pen_colour, pen_width in ((glow, width), (edge, 1.2)):
                _stroke(painter, world, path, pen_colour, pen_width)
        painter.setBrush(Qt.NoBrush)
        for x, y in coords:
            centre = world.map(QPointF(x, y))
            painter.setPen(QPen(glow, width))
            painter.drawEllipse(centre, 9.0, 9.0)
            painter.setPen(QPen(edge, 1.2))
            painter.drawEllipse(centre, 9.0, 9.0)

    return draw
