"""Optional parts of the map sheet: a coordinate grid over the map (projected metres, labelled
along the frame) and an inset overview map (the whole project small, with the sheet's extent
marked). Drawn with the same painter as the sheet, so they are vectors in the PDF."""

from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QPainter, QPen, QTransform

from app.canvas.paint import nice_length, paint_layers
from app.canvas.sheet_fonts import sheet_font

INSET_SHARE = 0.24  # of the map frame's width
INSET_KINDS = ("admin", "communities", "precincts")


def draw_grid(painter: QPainter, rect: QRectF, view: tuple, mpp: float, px: float) -> int:
    """Grid lines every "nice" interval (about five across) with their coordinates in metres
    at the top and left edges; returns the number of lines drawn."""
    x0, y0, x1, y1 = view
    step = nice_length((x1 - x0) / 5)
    painter.save()
    painter.setClipRect(rect)
    painter.setPen(QPen(QColor(90, 90, 90, 140), max(0.15 * px, 0.6), Qt.DashLine))
    painter.setFont(sheet_font(6.5))
    lines = 0

    def sx(x: float) -> float:
        return rect.center().x() + (x - (x0 + x1) / 2) / mpp

    def sy(y: float) -> float:
        return rect.center().y() - (y - (y0 + y1) / 2) / mpp

    x = (x0 // step + 1) * step
    while x < x1:
        painter.drawLine(QPointF(sx(x), rect.top()), QPointF(sx(x), rect.bottom()))
        painter.drawText(QPointF(sx(x) + 0.8 * px, rect.top() + 3 * px), f"{x:,.0f}".replace(",", " "))
        x, lines = x + step, lines + 1
    y = (y0 // step + 1) * step
    while y < y1:
        painter.drawLine(QPointF(rect.left(), sy(y)), QPointF(rect.right(), sy(y)))
        painter.drawText(QPointF(rect.left() + 0.8 * px, sy(y) - 0.8 * px), f"{y:,.0f}".replace(",", " "))
        y, lines = y + step, lines + 1
    painter.restore()
    return lines


def draw_inset(painter: QPainter, rect: QRectF, sheet, view: tuple, whole: tuple) -> QRectF:
    """The whole project small in the map frame's lower-left corner, the sheet's extent as a
    red frame; returns the inset's rectangle."""
    wx0, wy0, wx1, wy1 = whole
    w = rect.width() * INSET_SHARE
    h = w * max(wy1 - wy0, 1.0) / max(wx1 - wx0, 1.0)
    h = min(h, rect.height() * 0.45)
    box = QRectF(rect.left() + 2 * sheet.px, rect.bottom() - h - 2 * sheet.px, w, h)
    mpp = max((wx1 - wx0) / box.width(), (wy1 - wy0) / box.height()) * 1.05
    cx, cy = (wx0 + wx1) / 2, (wy0 + wy1) / 2
    world = QTransform(1 / mpp, 0, 0, -1 / mpp, box.center().x() - cx / mpp, box.center().y() + cy / mpp)
    painter.save()
    painter.fillRect(box, Qt.white)
    painter.setClipRect(box)
    layers = [la for la in sheet.layers if la.kind in INSET_KINDS and la.visible]
    cache: dict = {}
    paint_layers(painter, layers, world, (wx0, wy0, wx1, wy1), mpp,
                 lambda la: sheet._graphics(la, cache, mpp * 2), sheet_font(5), pen_scale=0.5,
                 device_paths=True)
    painter.setClipping(False)
    painter.resetTransform()
    top_left, bottom_right = world.map(QPointF(view[0], view[3])), world.map(QPointF(view[2], view[1]))
    painter.setBrush(Qt.NoBrush)
    painter.setPen(QPen(QColor("#d7301f"), max(0.4 * sheet.px, 1.0)))
    painter.drawRect(QRectF(top_left, bottom_right).intersected(box))
    painter.setPen(QPen(QColor("#333333"), max(0.25 * sheet.px, 0.8)))
    painter.drawRect(box)
    painter.restore()
    return box
