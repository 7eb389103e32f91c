"""Selection tools: click, box, polygon, and a brush for painting many features."""

from __future__ import annotations

import shapely
from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QColor, QPainter, QPolygonF

from app.map_tools.base import RUBBER_FILL, MapEvent, MapTool
from app.map_tools.navigate import CLICK_PX
from layers.errors import T

NO_LAYER = T("choose a vector layer in the layer tree first", "请先在图层树中选择一个矢量图层")
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


class SelectTool(MapTool):
    """Select features of the current layer by click, box (drag) or polygon."""

    label = T("Select", "选择")
    LABELS = {"click": T("Select by click or box", "点选/框选"),
              "polygon": T("Select by polygon", "多边形选择")}

    def __init__(self, canvas, mode: str = "click") -> None:
        super().__init__(canvas)
        self.mode = mode  # "click" (a drag makes a box) or "polygon"
        self.key = f"select_{mode}"
        self.label = self.LABELS[mode]
        self._start: MapEvent | None = None
        self._end: QPointF | None = None
        self._vertices: list[tuple[float, float]] = []
        self._hover: tuple[float, float] | None = None

    def reset(self) -> None:
        self._start = self._end = self._hover = None
        self._vertices = []
        self.canvas.update()

    def _select(self, geometry, modifiers: int) -> None:
        layer = self.layer()
        if layer is None or layer.layer_type != "vector":
            self.problem.emit(NO_LAYER())
            return
        fids = self.canvas.query(layer, geometry)
        self.project.selection.select(layer.id, fids, selection_mode(modifiers))

    def press(self, event: MapEvent) -> None:
        if event.button == Qt.LeftButton and self.mode == "click":
            self._start, self._end = event, event.pos

    def move(self, event: MapEvent) -> None:
        if self._start is not None:
            self._end = event.pos
            self.canvas.update()
        if self._vertices:
            self._hover = (event.raw_x, event.raw_y)
            self.canvas.update()

    def release(self, event: MapEvent) -> None:
        if event.button != Qt.LeftButton:
            return
        if self.mode == "polygon":
            self._vertices.append((event.raw_x, event.raw_y))
            self.canvas.update()
            return
        start, self._start, self._end = self._start, None, None
        if start is None:
            return
        if (event.pos - start.pos).manhattanLength() < CLICK_PX:
            tolerance = self.pixels_to_metres(3)
            geometry = shapely.Point(event.raw_x, event.raw_y).buffer(tolerance)
            layer = self.layer()
            if layer is not None and layer.layer_type == "vector":
                fids = self.canvas.query(layer, geometry)
                # a click picks one feature: the topmost (last drawn) one
                geometry = None if not fids else layer.gdf.geometry.loc[fids[-1]]
                if geometry is None:
                    if selection_mode(event.modifiers) == "replace":
                        self.project.selection.clear(layer.id)
                    self.canvas.update()
                    return
                self.project.selection.select(layer.id, [fids[-1]], selection_mode(event.modifiers))
                self.canvas.update()
                return
            self.problem.emit(NO_LAYER())
            return
        box = shapely.box(min(start.raw_x, event.raw_x), min(start.raw_y, event.raw_y),
                          max(start.raw_x, event.raw_x), max(start.raw_y, event.raw_y))
        self._select(box, event.modifiers)
        self.canvas.update()

    def double_click(self, event: MapEvent) -> None:
        if self.mode == "polygon":
            self.finish(event.modifiers)

    def finish(self, modifiers: int = 0) -> None:
        vertices = list(dict.fromkeys(self._vertices))
        self.reset()
        if len(vertices) >= 3:
            polygon = shapely.make_valid(shapely.Polygon(vertices))
            self._select(polygon, modifiers)

    def key_press(self, key: int, modifiers: int) -> bool:
        if self.mode != "polygon" or not self._vertices:
            return False
        if key in (Qt.Key_Return, Qt.Key_Enter):
            self.finish(modifiers)
        elif key == Qt.Key_Backspace:
            self._vertices.pop()
            self.canvas.update()
        elif key == Qt.Key_Escape:
            self.reset()
        else:
            return False
        return True

    def paint(self, painter: QPainter) -> None:
        painter.setPen(self.rubber_pen(1.2, dash=True))
        painter.setBrush(RUBBER_FILL)
        if self._start is not None and self._end is not None:
            painter.drawRect(QRectF(self._start.pos, self._end).normalized())
        if self._vertices:
            points = [self.canvas.world_to_pixel(x, y) for x, y in self._vertices]
            if self._hover is not None:
                points.append(self.canvas.world_to_pixel(*self._hover))
            painter.drawPolygon(QPolygonF(points))


class BrushSelectTool(MapTool):
    """Paint over features to select them (a stroke adds to what it has painted; hold
    Alt to paint features out of the selection). Used to group communities into
    precincts; ``painted`` reports each finished stroke."""

    key = "brush"
    label = T("Select with brush", "画笔选择")
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
