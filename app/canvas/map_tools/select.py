"""Selection tools: click, box, polygon, and a brush for painting many features."""

from __future__ import annotations

import shapely
from PyQt5.QtCore import QPointF, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QColor, QPainter
from PyQt5.QtWidgets import QApplication

from app.canvas.map_tools.base import NO_LAYER, MapEvent, MapTool
from app.canvas.map_tools.draw import Sketch
from app.canvas.map_tools.navigate import BoxTool
from layers.errors import T

BRUSH_PX = 14.0  # brush radius in screen pixels


def selection_mode(modifiers: int) -> str:
    """Shift adds to the selection, Ctrl toggles, Alt removes; plain replaces."""
    if modifiers & Qt.ShiftModifier:
        return "add"
    if modifiers & Qt.ControlModifier:
        return "toggle"
    if modifiers & Qt.AltModifier:
        return "remove"
    return "replace"


class SelectTool(BoxTool):
    """Select features of the current layer by a click (the topmost feature) or a box (drag)."""

    key = "select_click"
    label = T("Select by click or box", "点选/框选")
    short = T("Select", "点选/框选")
    cursor = Qt.ArrowCursor

    def _select(self, geometry, event: MapEvent, topmost: bool = False) -> None:
        layer = self.layer()
        if layer is None or layer.layer_type != "vector":
            self.problem.emit(NO_LAYER())
            return
        mode = selection_mode(event.modifiers)
        fids = self.canvas.query(layer, geometry)
        if topmost:  # a click picks the topmost (last drawn) feature only
            fids = fids[-1:]
            if not fids and mode != "replace":
                return
        self.project.selection.select(layer.id, fids, mode)

    def clicked(self, event: MapEvent) -> None:
        probe = shapely.Point(event.raw_x, event.raw_y).buffer(self.pixels_to_metres(3))
        self._select(probe, event, topmost=True)

    def boxed(self, bounds, event: MapEvent) -> None:
        self._select(shapely.box(*bounds), event)


class PolygonSelectTool(Sketch):
    """Click the corners of a polygon (Enter or double-click finishes, Backspace removes the
    last corner, Esc cancels): the features of the current layer it touches are selected."""

    key = "select_polygon"
    label = T("Select by polygon", "多边形选择")
    geometry = "polygon"
    snaps = False

    def finished_shape(self, shape) -> None:
        layer = self.layer()
        if layer is None or layer.layer_type != "vector":
            self.problem.emit(NO_LAYER())
            return
        mode = selection_mode(int(QApplication.keyboardModifiers()))
        self.project.selection.select(layer.id, self.canvas.query(layer, shapely.make_valid(shape)), mode)


class BrushSelectTool(MapTool):
    """Paint over features to select them (a stroke adds to what it has painted; hold
    Alt to paint features out of the selection). Used to group communities into
    precincts; ``painted`` reports each finished stroke."""

    key = "brush"
    label = T("Select with brush", "画笔选择")
    short = T("Brush select", "画笔选择")
    cursor = Qt.CrossCursor
    painted = Signal(str, list)  # layer id, fids the stroke touched

    def __init__(self, canvas, radius_px: float = BRUSH_PX) -> None:
        super().__init__(canvas)
        self.radius_px = radius_px
        self.target_layer_id: str | None = None  # None: the canvas's current layer
        self._last: tuple[float, float] | None = None
        self._touched: list[int] = []
        self._mode = "add"
        self._cursor: QPointF | None = None

    def target(self):
        if self.target_layer_id is not None and self.project is not None:
            try:
                return self.project.layer_by_id(self.target_layer_id)
            except Exception:  # noqa: BLE001 (the layer was removed)
                return None
        return self.layer()

    def reset(self) -> None:
        self._last, self._touched = None, []
        self.canvas.update()

    def deactivate(self) -> None:
        """No brush circle is left on the map once another tool takes over."""
        self._cursor = None
        super().deactivate()
        self.canvas.update()

    def _paint_to(self, x: float, y: float) -> None:
        layer = self.target()
        if layer is None or layer.layer_type != "vector":
            self.problem.emit(NO_LAYER())
            return
        stroke = (shapely.Point(x, y) if self._last is None
                  else shapely.LineString([self._last, (x, y)]))
        fids = self.canvas.query(layer, stroke.buffer(self.pixels_to_metres(self.radius_px)))
        new = [f for f in fids if f not in self._touched]
        if new:
            self._touched.extend(new)
            self.project.selection.select(layer.id, new, self._mode)
        self._last = (x, y)

    def press(self, event: MapEvent) -> None:
        if event.button != Qt.LeftButton:
            return
        layer = self.target()
        self._mode = "remove" if event.modifiers & Qt.AltModifier else "add"
        if layer is not None and self._mode == "add" and not event.modifiers & Qt.ShiftModifier:
            self.project.selection.clear(layer.id)  # a plain stroke starts a new selection
        self._last, self._touched = None, []
        self._paint_to(event.raw_x, event.raw_y)

    def move(self, event: MapEvent) -> None:
        self._cursor = event.pos
        if self._last is not None:  # between press and release
            self._paint_to(event.raw_x, event.raw_y)
        self.canvas.update()

    def release(self, event: MapEvent) -> None:
        if event.button != Qt.LeftButton or self._last is None:
            return
        layer, touched = self.target(), list(self._touched)
        self._last, self._touched = None, []
        if layer is not None:
            self.painted.emit(layer.id, touched)

    def paint(self, painter: QPainter) -> None:
        if self._cursor is not None:
            painter.setPen(self.rubber_pen(1.2))
            painter.setBrush(QColor(215, 48, 31, 50) if self._last is not None else Qt.NoBrush)
            painter.drawEllipse(self._cursor, self.radius_px, self.radius_px)
