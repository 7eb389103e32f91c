"""Editing tools: vertex editing (move, add, delete; topological) and moving features."""

from __future__ import annotations

import itertools
from functools import partial

import numpy as np
import shapely
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QColor, QPainter, QPolygonF

from app.canvas.map_tools.base import NO_LAYER, MapEvent, MapTool
from app.canvas.map_tools.draw import SNAP_MARK
from app.canvas.map_tools.navigate import CLICK_PX
from layers.errors import T

VERTEX_PX = 8.0  # how close (pixels) the cursor must be to grab a vertex or a segment
_drags = itertools.count(1)


def _ring_points(canvas, geom) -> list[QPolygonF]:
    """The rings / lines of a geometry as pixel polygons (for drawing a preview)."""
    out = []
    for part in shapely.get_parts(shapely.boundary(geom) if geom.geom_type.endswith("Polygon") else geom):
        for line in shapely.get_parts(part):
            out.append(QPolygonF([canvas.world_to_pixel(x, y) for x, y in shapely.get_coordinates(line)]))
    return out


class VertexTool(MapTool):
    """Drag a vertex to move it (one drag is one undo step), double-click a segment to add
    a vertex, Delete (or right-click) on a vertex to remove it. With topological editing
    on, a vertex shared by neighbours moves in all of them."""

    key = "vertex"
    label = T("Edit vertices", "编辑节点")
    cursor = Qt.PointingHandCursor
    snaps = True

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self._hover: tuple[int, int] | None = None  # fid, vertex index
        self._hover_fid: int | None = None
        self._drag: dict | None = None
        self._cursor: MapEvent | None = None

    def reset(self) -> None:
        self._hover = self._hover_fid = self._drag = self._cursor = None
        self.canvas.update()

    def _vector_layer(self):
        layer = self.layer()
        if layer is None or layer.layer_type != "vector" or layer.schema.geometry == "point":
            return None
        return layer

    def _candidates(self, layer, x: float, y: float) -> list[int]:
        """Features near the cursor, the selected ones first."""
        reach = self.pixels_to_metres(VERTEX_PX)
        fids = self.canvas.query(layer, shapely.Point(x, y).buffer(reach))
        chosen = self.project.selection.fids(layer.id)
        return sorted(fids, key=lambda f: (f not in chosen, -fids.index(f)))

    def vertex_at(self, x: float, y: float) -> tuple[int, int] | None:
        from layers.editing import nearest_vertex

        layer = self._vector_layer()
        if layer is None:
            return None
        reach = self.pixels_to_metres(VERTEX_PX)
        best = None
        for fid in self._candidates(layer, x, y):
            index = nearest_vertex(layer.gdf.geometry.loc[fid], x, y, reach)
            if index is None:
                continue
            vx, vy = shapely.get_coordinates(layer.gdf.geometry.loc[fid])[index]
            d = float(np.hypot(vx - x, vy - y))
            if best is None or d < best[0] - 1e-9:
                best = (d, fid, index)
        return None if best is None else (best[1], best[2])

    def press(self, event: MapEvent) -> None:
        layer = self._vector_layer()
        if layer is None:
            self.problem.emit(NO_LAYER())
            return
        hit = self.vertex_at(event.raw_x, event.raw_y)
        if hit is None:
            return
        if event.button == Qt.RightButton:
            self.delete_vertex(*hit)
            return
        if event.button != Qt.LeftButton:
            return
        fid, index = hit
        geom = layer.gdf.geometry.loc[fid]
        vx, vy = shapely.get_coordinates(geom)[index]
        from layers.editing import shared_vertices

        # the dragged vertex (and its copies in neighbours) must not snap to itself
        layer_ids = {layer.id, *(other.id for other in self.canvas.snap_layers())}
        self.canvas.snap_exclude_vertices = shared_vertices(self.project, layer_ids, vx, vy)
        self._drag = {"fid": fid, "index": index, "start": event.pos, "origin": (vx, vy), "to": (vx, vy)}

    def move(self, event: MapEvent) -> None:
        self._cursor = event
        if self._drag is not None:
            self._drag["to"] = event.xy
        else:
            self._hover = self.vertex_at(event.raw_x, event.raw_y)
            layer = self._vector_layer()
            if layer is not None:
                near = self._candidates(layer, event.raw_x, event.raw_y)
                self._hover_fid = near[0] if near else None
        self.canvas.update()

    def release(self, event: MapEvent) -> None:
        drag, self._drag = self._drag, None
        self.canvas.snap_exclude_vertices = []
        if drag is None or event.button != Qt.LeftButton:
            return
        if (event.pos - drag["start"]).manhattanLength() < CLICK_PX // 2:
            return
        from layers.editing import move_vertex_command

        layer = self._vector_layer()
        x, y = event.xy
        self.run_edit(lambda: move_vertex_command(
            self.project, layer.id, drag["fid"], drag["index"], x, y,
            topological=self.canvas.topological_editing, merge_key=("vertex", next(_drags))))
        self._hover = self.vertex_at(event.raw_x, event.raw_y)

    def double_click(self, event: MapEvent) -> None:
        from layers.editing import insert_vertex_command, nearest_segment

        layer = self._vector_layer()
        if layer is None:
            return
        reach = self.pixels_to_metres(VERTEX_PX)
        for fid in self._candidates(layer, event.raw_x, event.raw_y):
            hit = nearest_segment(layer.gdf.geometry.loc[fid], event.raw_x, event.raw_y, reach)
            if hit is not None:
                after, px, py = hit
                self.run_edit(partial(insert_vertex_command, self.project, layer.id, fid, after, px, py,
                                      topological=self.canvas.topological_editing))
                return

    def delete_vertex(self, fid: int, index: int) -> bool:
        from layers.editing import delete_vertex_command

        layer = self._vector_layer()
        done = self.run_edit(lambda: delete_vertex_command(
            self.project, layer.id, fid, index, topological=self.canvas.topological_editing))
        self._hover = None
        self.canvas.update()
        return done

    def key_press(self, key: int, modifiers: int) -> bool:
        if key in (Qt.Key_Delete, Qt.Key_Backspace) and self._hover is not None:
            self.delete_vertex(*self._hover)
            return True
        if key == Qt.Key_Escape and self._drag is not None:
            self.reset()
            return True
        return False

    def paint(self, painter: QPainter) -> None:
        layer = self._vector_layer()
        if layer is None:
            return
        fid = self._drag["fid"] if self._drag else self._hover_fid
        if fid is not None and fid in layer.gdf.index:
            geom = layer.gdf.geometry.loc[fid]
            if self._drag is not None:
                coords = shapely.get_coordinates(geom)
                ox, oy = self._drag["origin"]
                moved = np.isclose(coords[:, 0], ox) & np.isclose(coords[:, 1], oy)
                coords[moved] = self._drag["to"]
                geom = shapely.set_coordinates(geom, coords)
            painter.setPen(self.rubber_pen(1.6))
            painter.setBrush(Qt.NoBrush)
            for ring in _ring_points(self.canvas, geom):
                painter.drawPolyline(ring)
            painter.setPen(QColor("#7a0177"))
            painter.setBrush(QColor("#ffffff"))
            for x, y in shapely.get_coordinates(geom):
                p = self.canvas.world_to_pixel(x, y)
                painter.drawRect(int(p.x()) - 3, int(p.y()) - 3, 6, 6)
        if self._hover is not None and self._drag is None and self._hover[0] in layer.gdf.index:
            x, y = shapely.get_coordinates(layer.gdf.geometry.loc[self._hover[0]])[self._hover[1]]
            painter.setBrush(QColor("#d7301f"))
            painter.drawEllipse(self.canvas.world_to_pixel(x, y), 5, 5)
        cursor = self._cursor
        if cursor is not None and cursor.snap is not None and self._drag is not None:
            painter.setPen(Qt.NoPen)
            painter.setBrush(SNAP_MARK)
            painter.drawEllipse(self.canvas.world_to_pixel(cursor.x, cursor.y), 4.5, 4.5)


class MoveTool(MapTool):
    """Drag the selected features (or the one under the cursor) to move them."""

    key = "move"
    label = T("Move features", "移动要素")
    short = T("Move", "移动要素")
    cursor = Qt.SizeAllCursor
    snaps = True

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self._drag: dict | None = None

    def reset(self) -> None:
        self._drag = None
        self.canvas.update()

    def press(self, event: MapEvent) -> None:
        layer = self.layer()
        if event.button != Qt.LeftButton:
            return
        if layer is None or layer.layer_type != "vector":
            self.problem.emit(NO_LAYER())
            return
        chosen = self.project.selection.fids(layer.id)
        under = self.canvas.query(layer, shapely.Point(event.raw_x, event.raw_y).buffer(
            self.pixels_to_metres(3)))
        if not under:
            return
        fids = sorted(chosen) if chosen and set(under) & chosen else [under[-1]]
        self._drag = {"fids": fids, "from": event.xy, "to": event.xy,
                      "geoms": layer.gdf.geometry.loc[fids].to_numpy()}
        self.canvas.snap_exclude = {(layer.id, f) for f in fids}

    def move(self, event: MapEvent) -> None:
        if self._drag is not None:
            self._drag["to"] = event.xy
            self.canvas.update()

    def release(self, event: MapEvent) -> None:
        drag, self._drag = self._drag, None
        self.canvas.snap_exclude = set()
        if drag is None:
            return
        dx, dy = event.x - drag["from"][0], event.y - drag["from"][1]
        if dx == 0 and dy == 0:
            return
        from layers.editing import move_command

        layer = self.layer()
        self.run_edit(lambda: move_command(self.project, layer.id, drag["fids"], dx, dy))

    def paint(self, painter: QPainter) -> None:
        if self._drag is None:
            return
        dx = self._drag["to"][0] - self._drag["from"][0]
        dy = self._drag["to"][1] - self._drag["from"][1]
        painter.setPen(self.rubber_pen(1.4, dash=True))
        painter.setBrush(Qt.NoBrush)
        for geom in shapely.transform(self._drag["geoms"], lambda c: c + (dx, dy)):
            for ring in _ring_points(self.canvas, geom):
                painter.drawPolyline(ring)


__all__ = ["MoveTool", "VertexTool"]
