"""Drawing tools: polygon, line and point; split a polygon with a drawn line.

Click to add a vertex (snapped), Backspace removes the last one, Enter or a
double-click finishes, Esc cancels.
"""

from __future__ import annotations

import shapely
from PyQt5.QtCore import Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QColor, QPainter, QPolygonF

from app.canvas.map_tools.base import NO_LAYER, RUBBER_FILL, MapEvent, MapTool
from layers.errors import T

WRONG_KIND = T("layer '{layer}' holds {kind} features: a {geometry} cannot be drawn on it",
               "图层“{layer}”存放{kind}要素，不能在其上绘制{geometry}")
GEOMETRY = {"polygon": T("polygon", "面"), "line": T("line", "线"), "point": T("point", "点")}
MIN_VERTICES = {"polygon": 3, "line": 2, "point": 1}
SNAP_MARK = QColor("#e7298a")


def layer_geometry(layer) -> str | None:
    """polygon, line or point: what the layer's kind holds (None for tables)."""
    return None if layer is None else layer.schema.geometry


class Sketch(MapTool):
    """Collects clicked (snapped) vertices and draws them as a rubber band."""

    snaps = True
    cursor = Qt.CrossCursor
    geometry = "line"

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.vertices: list[tuple[float, float]] = []
        self._hover: MapEvent | None = None

    def reset(self) -> None:
        self.vertices, self._hover = [], None
        self.canvas.update()

    def release(self, event: MapEvent) -> None:
        if event.button == Qt.LeftButton:
            if not self.vertices or self.vertices[-1] != event.xy:
                self.vertices.append(event.xy)
            if self.geometry == "point":
                self.finish()
            self.canvas.update()
        elif event.button == Qt.RightButton and self.vertices:
            self.finish()

    def move(self, event: MapEvent) -> None:
        self._hover = event
        self.canvas.update()

    def double_click(self, event: MapEvent) -> None:
        self.finish()

    def key_press(self, key: int, modifiers: int) -> bool:
        if key in (Qt.Key_Return, Qt.Key_Enter):
            self.finish()
        elif key == Qt.Key_Backspace and self.vertices:
            self.vertices.pop()
            self.canvas.update()
        elif key == Qt.Key_Escape:
            self.reset()
        else:
            return False
        return True

    def finish(self) -> None:
        vertices = [v for i, v in enumerate(self.vertices) if i == 0 or v != self.vertices[i - 1]]
        self.reset()
        if len(vertices) < MIN_VERTICES[self.geometry]:
            return
        if self.geometry == "polygon":
            shape = shapely.Polygon(vertices)
        elif self.geometry == "line":
            shape = shapely.LineString(vertices)
        else:
            shape = shapely.Point(vertices[0])
        self.finished_shape(shape)

    def finished_shape(self, shape) -> None:
        raise NotImplementedError

    def paint(self, painter: QPainter) -> None:
        hover = self._hover
        if hover is not None and hover.snap is not None:
            painter.setPen(Qt.NoPen)
            painter.setBrush(SNAP_MARK)
            painter.drawEllipse(self.canvas.world_to_pixel(hover.x, hover.y), 4.5, 4.5)
        if not self.vertices:
            return
        points = [self.canvas.world_to_pixel(x, y) for x, y in self.vertices]
        if hover is not None:
            points.append(self.canvas.world_to_pixel(hover.x, hover.y))
        painter.setPen(self.rubber_pen(1.8))
        if self.geometry == "polygon":
            painter.setBrush(RUBBER_FILL)
            painter.drawPolygon(QPolygonF(points))
        else:
            painter.drawPolyline(QPolygonF(points))
        painter.setPen(self.rubber_pen(1.0))
        painter.setBrush(QColor("#ffffff"))
        for p in points[: len(self.vertices)]:
            painter.drawRect(int(p.x()) - 3, int(p.y()) - 3, 6, 6)


class DrawTool(Sketch):
    """Draw a new feature on the current layer; ``drawn`` carries it to the window, which
    asks for its attributes in a form (without a listener it is added as drawn)."""

    drawn = Signal(object, object)  # layer, shapely geometry

    LABELS = {"polygon": T("Draw polygon", "绘制面"), "line": T("Draw line", "绘制线"),
              "point": T("Add point", "添加点")}

    def __init__(self, canvas, geometry: str = "polygon") -> None:
        super().__init__(canvas)
        self.geometry = geometry
        self.key = f"draw_{geometry}"
        self.label = self.LABELS[geometry]

    def activate(self) -> None:
        super().activate()
        self._check_layer()

    def _check_layer(self) -> bool:
        layer = self.layer()
        if layer is None or layer.layer_type != "vector":
            self.problem.emit(NO_LAYER())
            return False
        held = layer_geometry(layer)
        if held is not None and held != self.geometry:
            self.problem.emit(WRONG_KIND.format(layer=layer.name, kind=GEOMETRY[held](),
                                                geometry=GEOMETRY[self.geometry]())())
            return False
        return True

    def finished_shape(self, shape) -> None:
        if not self._check_layer():
            return
        layer = self.layer()
        if self.receivers(self.drawn) > 0:
            self.drawn.emit(layer, shape)
            return
        from layers.editing import add_feature_command

        self.run_edit(lambda: add_feature_command(self.project, layer.id, shape))


class SplitTool(Sketch):
    """Draw a line across polygons of the current layer to split them (only the selected
    ones when some are selected)."""

    key = "split"
    label = T("Split with a line", "用线分割")
    short = T("Split", "用线分割")
    geometry = "line"

    def finished_shape(self, shape) -> None:
        layer = self.layer()
        if layer is None or layer.layer_type != "vector":
            self.problem.emit(NO_LAYER())
            return
        from layers.editing import split_command

        fids = self.canvas.query(layer, shape)
        chosen = self.project.selection.fids(layer.id)
        if chosen:
            fids = [f for f in fids if f in chosen]
        self.run_edit(lambda: split_command(self.project, layer.id, fids, shape))


__all__ = ["DrawTool", "Sketch", "SplitTool", "layer_geometry"]
