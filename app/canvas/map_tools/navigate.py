"""Navigation tools: pan, zoom box, identify."""

from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QPainter

from app.canvas.map_tools.base import RUBBER_FILL, MapEvent, MapTool
from layers.errors import T

CLICK_PX = 4  # a press and release closer than this is a click, not a drag


class PanTool(MapTool):
    """Drag to pan (the last image shifts while dragging; the map redraws on release)."""

    key = "pan"
    label = T("Pan", "平移")
    cursor = Qt.OpenHandCursor

    def press(self, event: MapEvent) -> None:
        if event.button == Qt.LeftButton:
            self.canvas.begin_drag(event.pos)

    def move(self, event: MapEvent) -> None:
        self.canvas.drag_to(event.pos)

    def release(self, event: MapEvent) -> None:
        if event.button == Qt.LeftButton:
            self.canvas.end_drag(event.pos)


class BoxTool(MapTool):
    """A click or a dragged box (drawn as a rubber band); subclasses say what each does."""

    cursor = Qt.CrossCursor

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self._start: MapEvent | None = None
        self._end: QPointF | None = None

    def reset(self) -> None:
        self._start = self._end = None
        self.canvas.update()

    def press(self, event: MapEvent) -> None:
        if event.button == Qt.LeftButton:
            self._start, self._end = event, event.pos

    def move(self, event: MapEvent) -> None:
        if self._start is not None:
            self._end = event.pos
            self.canvas.update()

    def release(self, event: MapEvent) -> None:
        start, self._start, self._end = self._start, None, None
        if start is None or event.button != Qt.LeftButton:
            return
        if (event.pos - start.pos).manhattanLength() < CLICK_PX:
            self.clicked(event)
        else:
            self.boxed((min(start.raw_x, event.raw_x), min(start.raw_y, event.raw_y),
                        max(start.raw_x, event.raw_x), max(start.raw_y, event.raw_y)), event)
        self.canvas.update()

    def clicked(self, event: MapEvent) -> None:
        raise NotImplementedError

    def boxed(self, bounds: tuple[float, float, float, float], event: MapEvent) -> None:
        raise NotImplementedError

    def paint(self, painter: QPainter) -> None:
        if self._start is not None and self._end is not None:
            painter.setPen(self.rubber_pen(1.2, dash=True))
            painter.setBrush(RUBBER_FILL)
            painter.drawRect(QRectF(self._start.pos, self._end).normalized())


class ZoomBoxTool(BoxTool):
    """Drag a box to zoom to it; a click zooms in two times at the cursor."""

    key = "zoom_box"
    label = T("Zoom to box", "拉框放大")
    short = T("Zoom box", "拉框放大")

    def clicked(self, event: MapEvent) -> None:
        self.canvas.zoom_by(2.0, event.pos)

    def boxed(self, bounds, event: MapEvent) -> None:
        self.canvas.zoom_to_bounds(bounds, margin=0.0)


class IdentifyTool(MapTool):
    """Click a feature to see its attributes (every visible vector layer, top first)."""

    key = "identify"
    label = T("Identify", "识别")
    cursor = Qt.WhatsThisCursor
    #: list of (layer, fid) under the click, top layer first
    identified = Signal(list)

    def release(self, event: MapEvent) -> None:
        if event.button != Qt.LeftButton:
            return
        hits = self.canvas.features_at(event.raw_x, event.raw_y)
        self.identified.emit(hits)
