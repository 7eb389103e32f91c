"""Measure a distance (and, from three points on, the area enclosed), in the project's
metres: click the points, double-click or Enter to finish, Esc or right-click to clear."""

from __future__ import annotations

import shapely
from PyQt5.QtCore import QPointF, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QBrush, QColor, QFont, QPainter, QPolygonF

from app.canvas.map_tools.base import RUBBER_FILL, MapEvent, MapTool
from layers.errors import T

LENGTH = T("length {length}", "长度 {length}")
AREA = T("area {area}", "面积 {area}")
HINT = T("click points; double-click or Enter ends; Esc clears",
         "单击添加点；双击或回车结束；Esc 清除")


def length_text(metres: float, lang: str | None = None) -> str:
    """1,234.5 m below 10 km, else 12.35 km (zh: 米 / 公里)."""
    zh = (lang or _lang()) == "zh"
    if metres < 10_000:
        return f"{metres:,.1f} {'米' if zh else 'm'}"
    return f"{metres / 1000:,.2f} {'公里' if zh else 'km'}"


def area_text(square_metres: float, lang: str | None = None) -> str:
    """m² below a hectare, else hectares (公顷), and km² from 100 ha."""
    zh = (lang or _lang()) == "zh"
    if square_metres < 10_000:
        return f"{square_metres:,.0f} {'平方米' if zh else 'm²'}"
    if square_metres < 1_000_000:
        return f"{square_metres / 10_000:,.2f} {'公顷' if zh else 'ha'}"
    return f"{square_metres / 1_000_000:,.3f} {'平方公里' if zh else 'km²'}"


def _lang() -> str:
    from layers.i18n import current_language

    return current_language()


def measure(points: list[tuple[float, float]]) -> tuple[float, float | None]:
    """(length along the points in m, area of the ring they close in m² or None)."""
    if len(points) < 2:
        return 0.0, None
    length = shapely.LineString(points).length
    area = shapely.Polygon(points).area if len(points) >= 3 else None
    return float(length), (float(area) if area is not None else None)


class MeasureTool(MapTool):
    key = "measure"
    label = T("Measure distance and area", "测量距离与面积")
    short = T("Measure", "测量")
    cursor = Qt.CrossCursor
    snaps = True
    #: the measurement as a sentence, for the status bar
    measured = Signal(str)

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.points: list[tuple[float, float]] = []
        self.hover: tuple[float, float] | None = None
        self.done = False

    def reset(self) -> None:
        self.points, self.hover, self.done = [], None, False
        self.canvas.update()

    def activate(self) -> None:
        super().activate()
        self.measured.emit(HINT())

    def text(self) -> str:
        points = self.points + ([self.hover] if self.hover and not self.done else [])
        length, area = measure(points)
        parts = [LENGTH.format(length=length_text(length))()]
        if area is not None and area > 0:
            parts.append(AREA.format(area=area_text(area))())
        return " · ".join(parts)

    def press(self, event: MapEvent) -> None:
        if event.button == Qt.RightButton:
            self.reset()
            return
        if event.button != Qt.LeftButton:
            return
        if self.done:
            self.points, self.done = [], False
        self.points.append(event.xy)
        self.measured.emit(self.text())
        self.canvas.update()

    def move(self, event: MapEvent) -> None:
        if self.points and not self.done:
            self.hover = event.xy
            self.measured.emit(self.text())
            self.canvas.update()

    def double_click(self, event: MapEvent) -> None:
        self.finish()

    def finish(self) -> None:
        if len(self.points) >= 2:
            self.done, self.hover = True, None
            self.measured.emit(self.text())
            self.canvas.update()

    def key_press(self, key: int, modifiers: int) -> bool:
        if key in (Qt.Key_Return, Qt.Key_Enter):
            self.finish()
            return True
        if key == Qt.Key_Escape:
            self.reset()
            return True
        if key == Qt.Key_Backspace and self.points and not self.done:
            self.points.pop()
            self.canvas.update()
            return True
        return False

    def paint(self, painter: QPainter) -> None:
        points = self.points + ([self.hover] if self.hover and not self.done else [])
        if not points:
            return
        pixels = QPolygonF([self.canvas.world_to_pixel(x, y) for x, y in points])
        if len(points) >= 3:
            painter.setPen(Qt.NoPen)
            painter.setBrush(QBrush(RUBBER_FILL))
            painter.drawPolygon(pixels)
        painter.setBrush(Qt.NoBrush)
        painter.setPen(self.rubber_pen(2.0))
        painter.drawPolyline(pixels)
        for point in pixels:
            painter.drawEllipse(point, 3.0, 3.0)
        if len(points) >= 2:
            font = QFont(painter.font())
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(QColor("#222222"))
            last = pixels[len(pixels) - 1]
            painter.drawText(last + QPointF(8, -8), self.text())
