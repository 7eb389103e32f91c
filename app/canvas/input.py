"""Input for the map canvas: the active map tool, snapping, feature queries, drag panning.

Mouse and key events reach the active tool in map coordinates (snapped when the tool
asks); the middle button always pans; arrow keys pan unless the tool used the key.
"""

from __future__ import annotations

import numpy as np
import shapely
from PyQt5.QtCore import QPoint, QPointF, Qt

from app.canvas.map_tools.base import MapEvent


class CanvasInput:
    """Mixed into :class:`app.canvas.MapCanvas` (a QWidget with a world transform)."""

    # --- tools --------------------------------------------------------------------
    def set_tool(self, tool) -> None:
        """Make ``tool`` the active map tool (the previous one forgets its sketch)."""
        if self.tool is not None and self.tool is not tool:
            self.tool.deactivate()
        self.tool = tool
        tool.activate()
        self.toolChanged.emit(tool)
        self.update()

    def _map_event(self, event, button=None) -> MapEvent:
        pos = QPointF(event.pos())
        x, y = self.pixel_to_world(pos)
        snap = self.snap(x, y) if self.tool is not None and self.tool.snaps else None
        sx, sy = (snap.x, snap.y) if snap is not None else (x, y)
        return MapEvent(sx, sy, x, y, pos, event.button() if button is None else button,
                        int(event.buttons()), int(event.modifiers()), snap)

    def snap(self, x: float, y: float):
        """The nearest vertex (else segment) of the snapping layers within the pixel
        tolerance, or None."""
        if not self.snapping_enabled or self.project is None:
            return None
        index = self.snap_index()
        if index is None:
            return None
        return index.snap(x, y, self.snap_tolerance_px * self._mpp, exclude=self.snap_exclude or None,
                          exclude_vertices=self.snap_exclude_vertices or None)

    def snap_layers(self) -> list:
        layers = [layer for layer in (self.project or []) if layer.layer_type == "vector"
                  and layer.visible and len(layer)]
        if self.snap_layer_ids is not None:
            layers = [layer for layer in layers if layer.id in self.snap_layer_ids]
        return layers

    def invalidate_snapping(self) -> None:
        """Rebuild the snapping index on next use (layers or their data changed)."""
        self._snap_index = None

    def snap_index(self):
        if self._snap_index is None:
            from layers.editing import SnapIndex

            layers = self.snap_layers()
            self._snap_index = SnapIndex(layers) if layers else None
        return self._snap_index

    # --- queries ------------------------------------------------------------------
    def query(self, layer, geometry) -> list[int]:
        """Fids of ``layer``'s features intersecting ``geometry`` (in drawing order)."""
        if layer is None or layer.layer_type != "vector" or not len(layer):
            return []
        gdf = layer.gdf
        positions = np.sort(gdf.sindex.query(geometry, predicate="intersects"))
        return [int(f) for f in gdf.index.to_numpy()[positions]]

    def features_at(self, x: float, y: float, pixels: float = 3.0) -> list[tuple]:
        """(layer, fid) of visible vector features under a point, top layer first."""
        probe = shapely.Point(x, y).buffer(pixels * self._mpp)
        hits = []
        for layer in reversed(self.project.layers if self.project else []):
            if layer.visible and layer.layer_type == "vector":
                hits.extend((layer, fid) for fid in reversed(self.query(layer, probe)))
        return hits

    # --- panning by dragging (the pan tool and the middle button) ------------------
    def begin_drag(self, pos: QPointF) -> None:
        self._drag_from = QPoint(int(pos.x()), int(pos.y()))
        self._drag_delta = QPoint(0, 0)
        self.setCursor(Qt.ClosedHandCursor)

    def drag_to(self, pos: QPointF) -> None:
        if self._drag_from is not None:
            self._drag_delta = QPoint(int(pos.x()), int(pos.y())) - self._drag_from
            self.update()

    def end_drag(self, pos: QPointF) -> None:
        if self._drag_from is None:
            return
        delta = QPoint(int(pos.x()), int(pos.y())) - self._drag_from
        self._drag_from, self._drag_delta = None, QPoint(0, 0)
        self.setCursor(self.tool.cursor if self.tool is not None else Qt.ArrowCursor)
        if not delta.isNull():
            self.pan_pixels(delta.x(), delta.y())

    # --- input --------------------------------------------------------------------
    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25 ** steps, event.position())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MiddleButton:
            self._middle_pan = True
            self.begin_drag(QPointF(event.pos()))
        elif self.tool is not None:
            self.tool.press(self._map_event(event))
            self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._middle_pan:
            self.drag_to(QPointF(event.pos()))
        elif self.tool is not None:
            self.tool.move(self._map_event(event))
        x, y = self.pixel_to_world(QPointF(event.pos() - self._drag_delta))
        self.cursorMoved.emit(x, y)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MiddleButton and self._middle_pan:
            self._middle_pan = False
            self.end_drag(QPointF(event.pos()))
        elif self.tool is not None:
            self.tool.release(self._map_event(event))
            self.update()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        if self.tool is not None and event.button() == Qt.LeftButton:
            self.tool.double_click(self._map_event(event))
            self.update()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if self.tool is not None and self.tool.key_press(event.key(), int(event.modifiers())):
            self.update()
            return
        step_x, step_y = self.width() / 4, self.height() / 4
        moves = {Qt.Key_Left: (step_x, 0), Qt.Key_Right: (-step_x, 0),
                 Qt.Key_Up: (0, step_y), Qt.Key_Down: (0, -step_y)}
        if event.key() in moves:
            self.pan_pixels(*moves[event.key()])
        elif event.key() == Qt.Key_Home:
            self.zoom_to_extent()
        elif event.key() in (Qt.Key_Plus, Qt.Key_Equal):
            self.zoom_by(1.5)
        elif event.key() == Qt.Key_Minus:
            self.zoom_by(1 / 1.5)
        else:
            super().keyPressEvent(event)

