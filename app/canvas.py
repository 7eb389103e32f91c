"""The map canvas: the project's layers drawn through one world → screen transform.

Geometry becomes world-coordinate paths once per data or style change
(:mod:`app.canvas_paths`); pan and zoom only change the transform, and the
rendered image is reused while dragging.
"""

from __future__ import annotations

import math

import numpy as np
from PyQt5.QtCore import QPoint, QPointF, QRectF, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
)
from PyQt5.QtWidgets import QWidget

from app.canvas_paths import (
    Chunk,
    LayerGraphics,
    build_graphics,
    path_from_arrays,
    raster_image,
    raster_transform,
)
from app.event_bridge import EventBridge
from layers.errors import ProjectError
from layers.layer import RasterLayer, VectorLayer
from styles import effective_style, resolve

BACKGROUND = QColor("#fbfaf7")
MIN_MPP, MAX_MPP = 0.02, 500.0  # metres per screen pixel
LABEL_MAX_MPP = 3.0  # labels only when one pixel shows less than this many metres
DASHES = {"solid": Qt.SolidLine, "dash": Qt.DashLine, "dot": Qt.DotLine}


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``metres``."""
    if metres <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(metres))
    return max(s * power for s in (1, 2, 5) if s * power <= metres)


# --- the widget ----------------------------------------------------------------------
class MapCanvas(QWidget):
    """Draws a project's visible layers; wheel zoom, drag pan, arrow keys, Home."""

    cursorMoved = Signal(float, float)
    viewChanged = Signal()
    problem = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMinimumSize(200, 150)
        self.project = None
        self._centre = (0.0, 0.0)
        self._mpp = 1.0
        self._navigated = False
        self._graphics: dict[str, object] = {}  # layer id → LayerGraphics | QImage
        self._image: QImage | None = None
        self._image_key: tuple | None = None
        self._drag_from: QPoint | None = None
        self._drag_delta = QPoint(0, 0)
        self._bridge = EventBridge(self._handle_event, self)

    # --- project wiring ---------------------------------------------------------
    def set_project(self, project) -> None:
        self.detach()
        self.project = project
        self._graphics.clear()
        if project is not None:
            project.events.connect(self._bridge.forward)
            for layer in project.layers:
                layer.events.connect(self._bridge.forward)
        self._navigated = False
        self.zoom_to_extent()

    def detach(self) -> None:
        """Stop listening to the current project (before closing or replacing it)."""
        if self.project is not None:
            self.project.events.disconnect(self._bridge.forward)
            for layer in self.project.layers:
                layer.events.disconnect(self._bridge.forward)


    def _handle_event(self, event) -> None:
        if event.type == "layer_added":
            event.info["layer"].events.connect(self._bridge.forward)
            if not self._navigated:
                self.zoom_to_extent()
        elif event.type == "layer_removed":
            layer = event.info["layer"]
            layer.events.disconnect(self._bridge.forward)
            self._graphics.pop(layer.id, None)
        elif event.type == "settings":  # standards overrides may recolour layers
            self._graphics.clear()
        elif event.type in ("data", "style"):
            self._graphics.pop(event.source.id, None)
        elif event.type not in ("layer_moved", "visible", "opacity"):
            return
        self._invalidate()

    def _invalidate(self) -> None:
        self._image_key = None
        self.update()

    def _graphics_for(self, layer):
        cached = self._graphics.get(layer.id)
        if cached is None:
            if isinstance(layer, RasterLayer):
                cached = raster_image(layer)
            else:
                cached = build_graphics(layer.gdf, self._resolve(layer))
            self._graphics[layer.id] = cached
        return cached

    def _resolve(self, layer: VectorLayer):
        style = effective_style(layer.kind, layer.style)
        standards = self.project.standards() if style.get("colors_from") else None
        try:
            return resolve(style, layer.gdf, standards)
        except ProjectError as exc:
            self.problem.emit(exc.message())
            return resolve(effective_style("other", {}), layer.gdf)

    # --- view -------------------------------------------------------------------
    @property
    def metres_per_pixel(self) -> float:
        return self._mpp

    @property
    def centre(self) -> tuple[float, float]:
        return self._centre

    def world_transform(self) -> QTransform:
        """World (project CRS, metres) → widget pixels."""
        k, (cx, cy) = 1.0 / self._mpp, self._centre
        return QTransform(k, 0.0, 0.0, -k, self.width() / 2 - cx * k, self.height() / 2 + cy * k)

    def world_to_pixel(self, x: float, y: float) -> QPointF:
        return self.world_transform().map(QPointF(x, y))

    def pixel_to_world(self, pos: QPointF) -> tuple[float, float]:
        p = self.world_transform().inverted()[0].map(QPointF(pos))
        return p.x(), p.y()

    def visible_extent(self) -> tuple[float, float, float, float]:
        x0, y1 = self.pixel_to_world(QPointF(0, 0))
        x1, y0 = self.pixel_to_world(QPointF(self.width(), self.height()))
        return x0, y0, x1, y1

    def scale_denominator(self) -> float:
        """Map scale 1 : N on this screen."""
        return self._mpp / (0.0254 / max(self.logicalDpiX(), 1))

    def set_view(self, cx: float, cy: float, mpp: float) -> None:
        self._centre = (float(cx), float(cy))
        self._mpp = float(min(max(mpp, MIN_MPP), MAX_MPP))
        self._invalidate()
        self.viewChanged.emit()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom in (factor > 1) or out keeping the world point under ``anchor`` still."""
        self._navigated = True
        anchor = QPointF(self.width() / 2, self.height() / 2) if anchor is None else anchor
        ax, ay = self.pixel_to_world(anchor)
        mpp = min(max(self._mpp / factor, MIN_MPP), MAX_MPP)
        dx, dy = anchor.x() - self.width() / 2, anchor.y() - self.height() / 2
        self.set_view(ax - dx * mpp, ay + dy * mpp, mpp)

    def pan_pixels(self, dx: float, dy: float) -> None:
        """Move the map content by (dx, dy) screen pixels."""
        self._navigated = True
        cx, cy = self._centre
        self.set_view(cx - dx * self._mpp, cy + dy * self._mpp, self._mpp)

    def zoom_to_bounds(self, bounds, margin: float = 0.05) -> None:
        x0, y0, x1, y1 = bounds
        w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        mpp = max(w / max(self.width(), 1), h / max(self.height(), 1)) * (1 + 2 * margin)
        self.set_view((x0 + x1) / 2, (y0 + y1) / 2, mpp)

    def zoom_to_extent(self) -> None:
        """Show every layer of the project."""
        boxes = [b for b in (layer.bounds() for layer in (self.project or []))
                 if b is not None]
        if boxes:
            arr = np.array(boxes)
            self.zoom_to_bounds((arr[:, 0].min(), arr[:, 1].min(),
                                 arr[:, 2].max(), arr[:, 3].max()))

    def zoom_to_layer(self, layer) -> None:
        bounds = layer.bounds()
        if bounds is not None:
            self._navigated = True
            self.zoom_to_bounds(bounds)

    # --- painting -----------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        key = (self._centre, self._mpp, self.width(), self.height(), self.devicePixelRatioF())
        if self._image is None or self._image_key != key:
            self._image = self._render_layers()
            self._image_key = key
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        painter.drawImage(self._drag_delta, self._image)
        painter.setRenderHint(QPainter.Antialiasing)
        self._draw_scale_bar(painter)
        self._draw_north_arrow(painter)
        painter.end()

    def _render_layers(self) -> QImage:
        ratio = self.devicePixelRatioF()
        image = QImage(max(1, int(self.width() * ratio)), max(1, int(self.height() * ratio)),
                       QImage.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(BACKGROUND)
        if self.project is None:
            return image
        painter = QPainter(image)
        paint_layers(painter, self.project.layers, self.world_transform(), self.visible_extent(),
                     self._mpp, self._graphics_for, self.font())
        painter.end()
        return image

    def _draw_scale_bar(self, painter: QPainter) -> None:
        length = nice_length(self._mpp * self.width() / 5)
        px = length / self._mpp
        text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
        x, y = 14.0, self.height() - 22.0
        half_text = QFontMetricsF(painter.font()).horizontalAdvance(text) / 2
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(255, 255, 255, 200))
        painter.drawRoundedRect(QRectF(x - 8, y - 22, px + half_text + 16, 36), 4, 4)
        for i in range(4):
            painter.setBrush(QColor("#222222") if i % 2 == 0 else QColor("#ffffff"))
            painter.drawRect(QRectF(x + i * px / 4, y, px / 4, 5))
        painter.setPen(QPen(QColor("#222222"), 1))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(QRectF(x, y, px, 5))
        painter.drawText(QPointF(x, y - 6), "0")
        painter.drawText(QPointF(x + px - half_text, y - 6), text)

    def _draw_north_arrow(self, painter: QPainter) -> None:
        cx, top = self.width() - 30.0, 16.0
        left = QPainterPath(QPointF(cx, top))
        left.lineTo(cx - 9, top + 30)
        left.lineTo(cx, top + 23)
        left.closeSubpath()
        right = QPainterPath(QPointF(cx, top))
        right.lineTo(cx + 9, top + 30)
        right.lineTo(cx, top + 23)
        right.closeSubpath()
        painter.setPen(QPen(QColor("#222222"), 1.2))
        painter.setBrush(QColor("#222222"))
        painter.drawPath(left)
        painter.setBrush(QColor("#ffffff"))
        painter.drawPath(right)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(QRectF(cx - 12, top + 31, 24, 18), Qt.AlignCenter, "N")

    # --- interaction --------------------------------------------------------------
    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25 ** steps, event.position())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.LeftButton:
            self._drag_from = event.pos()
            self.setCursor(Qt.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._drag_from is not None:
            self._drag_delta = event.pos() - self._drag_from
            self.update()
        x, y = self.pixel_to_world(QPointF(event.pos() - self._drag_delta))
        self.cursorMoved.emit(x, y)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.LeftButton and self._drag_from is not None:
            delta = event.pos() - self._drag_from
            self._drag_from, self._drag_delta = None, QPoint(0, 0)
            self.unsetCursor()
            if not delta.isNull():
                self.pan_pixels(delta.x(), delta.y())

    def keyPressEvent(self, event) -> None:  # noqa: N802
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

    def resizeEvent(self, event) -> None:  # noqa: N802
        if not self._navigated:
            self.zoom_to_extent()  # keep the whole project in view until the user navigates
        self._invalidate()
        super().resizeEvent(event)


# --- the layer painter (the canvas, the map sheet and previews share it) ------------------
def paint_layers(painter: QPainter, layers, world: QTransform, view, mpp: float,
                 graphics_for, font: QFont, pen_scale: float = 1.0) -> None:
    """Draw visible ``layers`` (bottom first) whose world → device transform is ``world``.

    ``view`` is the world extent shown, ``mpp`` world metres per device pixel,
    ``graphics_for(layer)`` gives a layer's cached graphics (QImage or LayerGraphics),
    and ``pen_scale`` multiplies pen widths, marker and label sizes (a printed sheet at
    300 dpi uses 300/96 so lines keep their on-screen thickness).
    """
    painter.setRenderHint(QPainter.Antialiasing)
    labelled = []
    for layer in layers:
        bounds = layer.bounds()
        if not layer.visible or bounds is None or not _overlaps(bounds, view):
            continue
        painter.setOpacity(layer.opacity)
        graphics = graphics_for(layer)
        if isinstance(graphics, QImage):
            painter.setTransform(raster_transform(layer) * world)
            painter.drawImage(QPointF(0, 0), graphics)
        else:
            _draw_vector(painter, graphics, world, view, mpp, pen_scale)
            if graphics.label_xy is not None:
                labelled.append(graphics)
    painter.setOpacity(1.0)
    painter.resetTransform()
    if labelled and mpp / pen_scale <= LABEL_MAX_MPP:
        _draw_labels(painter, labelled, view, world, font, pen_scale)


def _draw_vector(painter: QPainter, g: LayerGraphics, world: QTransform, view, mpp: float,
                 k: float) -> None:
    pad = (g.marker_size + 8) * k * mpp  # markers and wide strokes reach past bounds
    view = (view[0] - pad, view[1] - pad, view[2] + pad, view[3] + pad)
    painter.setTransform(world)
    for chunks, filled in ((g.polygons, True), (g.lines, False)):
        for chunk in chunks:
            if not _overlaps(chunk.bounds, view):
                continue
            pen = QPen(chunk.stroke, chunk.width * k, DASHES[g.dash], Qt.RoundCap, Qt.RoundJoin)
            pen.setCosmetic(True)
            painter.setPen(pen if chunk.width > 0 else Qt.NoPen)
            painter.setBrush(chunk.fill if filled else Qt.NoBrush)
            painter.drawPath(chunk.path)
    size = g.marker_size * k
    cap = Qt.RoundCap if g.marker == "circle" else Qt.SquareCap
    for chunk in g.points:
        if not _overlaps(chunk.bounds, view):
            continue
        if g.marker == "triangle":
            _draw_triangles(painter, chunk, size, world, k)
            continue
        for colour, width in ((chunk.stroke, size + 2.0 * k), (chunk.fill, size)):
            pen = QPen(colour, width, Qt.SolidLine, cap)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawPoints(chunk.points)


def _draw_triangles(painter, chunk: Chunk, size: float, world: QTransform, k: float) -> None:
    """Triangles are built in device space (a fixed pixel size at every zoom)."""
    sx = chunk.xy[:, 0] * world.m11() + world.dx()
    sy = chunk.xy[:, 1] * world.m22() + world.dy()
    r = size / 2 + k
    offsets = np.array([(0, -r), (r * 0.9, r * 0.6), (-r * 0.9, r * 0.6), (0, -r)])
    corners = np.stack([sx, sy], axis=1)[:, None, :] + offsets[None, :, :]
    starts = np.tile([True, False, False, False], len(sx))
    painter.resetTransform()
    painter.setPen(QPen(chunk.stroke, 1.0 * k))
    painter.setBrush(chunk.fill)
    painter.drawPath(path_from_arrays(corners.reshape(-1, 2), starts))
    painter.setTransform(world)


def _draw_labels(painter: QPainter, layers, view, world: QTransform, base_font: QFont,
                 k: float) -> None:
    font = QFont(base_font)
    font.setPointSizeF(max(font.pointSizeF(), 9.0))
    if k != 1.0:
        font.setPixelSize(max(1, round(QFontMetricsF(font).height() * 0.7 * k)))
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    occupied: list[QRectF] = []
    halo = QPen(QColor(255, 255, 255, 220), 3.0 * k)
    for g in layers:
        xy, texts = g.label_xy, g.label_text
        inside = np.flatnonzero((xy[:, 0] >= view[0]) & (xy[:, 0] <= view[2])
                                & (xy[:, 1] >= view[1]) & (xy[:, 1] <= view[3]))
        for i in inside[:400]:
            text = texts[i]
            if not text:
                continue
            p = world.map(QPointF(xy[i, 0], xy[i, 1]))
            w, h = metrics.horizontalAdvance(text), metrics.height()
            rect = QRectF(p.x() - w / 2, p.y() - h / 2, w, h)
            if any(rect.intersects(o) for o in occupied):
                continue
            occupied.append(rect.adjusted(-3 * k, -k, 3 * k, k))
            path = QPainterPath()
            path.addText(rect.left(), rect.top() + metrics.ascent(), font, text)
            painter.strokePath(path, halo)
            painter.fillPath(path, QColor("#2b2b2b"))


def _overlaps(a, b) -> bool:
    return not (a[2] < b[0] or a[0] > b[2] or a[3] < b[1] or a[1] > b[3])
