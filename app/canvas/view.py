"""The map canvas: the project's layers drawn through one world → screen transform.

Geometry becomes world-coordinate paths once per data or style change
(:mod:`app.canvas.paths`); pan and zoom only change the transform. Each new view is drawn
by a cancellable job off the GUI thread (:mod:`app.canvas.render_job`); until it is done
the last image is shown moved and scaled to the new view (and shifted while a pan is
dragged). Selection highlights, overlays, the tool's sketch, scale bar and north arrow are
drawn over it on the GUI thread at every paint. Mouse and key input go
to the active map tool (:mod:`app.canvas.map_tools`) in map coordinates, snapped when the
tool asks; the middle button always pans.
"""

from __future__ import annotations

import numpy as np
import shapely
from PyQt5.QtCore import QPoint, QPointF, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QImage, QPainter, QTransform
from PyQt5.QtWidgets import QWidget

from app.canvas.input import CanvasInput
from app.canvas.overlays import draw_selection, selection_graphics
from app.canvas.paint import (  # noqa: F401 (re-exported for the map sheet and tests)
    BACKGROUND,
    draw_north_arrow,
    draw_scale_bar,
    nice_length,
    paint_layers,
)
from app.canvas.paths import build_graphics, raster_image
from app.canvas.render_job import GraphicsRecipe, RenderScheduler, RenderView
from app.canvas.tiles import TileGraphics, framing_boxes, is_tiles
from app.event_bridge import EventBridge
from layers.errors import ProjectError
from layers.layer import RasterLayer, VectorLayer
from layers.themes import THEMED_KINDS, themed_frame
from layers.themes import active as active_theme
from styles import effective_style, resolve

MIN_MPP, MAX_MPP = 0.02, 500.0  # metres per screen pixel
SNAP_PX = 10.0  # default snapping tolerance in screen pixels


THEME_INPUTS = ("coverage_results", "communities", "precincts", "service_areas", "facilities")


class MapCanvas(RenderScheduler, CanvasInput, QWidget):
    """Draws a project's visible layers and hands input to the active map tool."""

    cursorMoved = Signal(float, float)
    viewChanged = Signal()
    problem = Signal(str)
    toolChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMinimumSize(200, 150)
        self.project = None
        self.current_layer = None  # the layer tools edit and select on
        self.tool = None
        self.snapping_enabled = True
        self.snap_tolerance_px = SNAP_PX
        self.snap_layer_ids: list[str] | None = None  # None: every visible vector layer
        self.snap_exclude: set[tuple[str, int]] = set()  # whole features (layer id, fid)
        self.snap_exclude_vertices: list[tuple[str, int, int]] = []  # (layer id, fid, index)
        self.topological_editing = True
        #: extra drawings over the map (e.g. the adjacency graph): key → fn(painter, world)
        self.overlays: dict[str, object] = {}
        self._snap_index = None
        self._centre = (0.0, 0.0)
        self._mpp = 1.0
        self._navigated = False
        self._graphics: dict[str, object] = {}  # layer id → LayerGraphics | QImage
        self._graphics_gen = 0  # +1 whenever cached graphics may be out of date
        self._highlights: dict[str, object] = {}  # layer id → QPainterPath of its selection
        self._image: QImage | None = None
        self._image_key: tuple | None = None
        self._image_view: RenderView | None = None  # the view the image shows
        self._drag_from: QPoint | None = None
        self._drag_delta = QPoint(0, 0)
        self._middle_pan = False
        self._bridge = EventBridge(self._handle_event, self)
        self.preview = None  # a CanvasPreview shown instead of the map while a project loads
        self._init_rendering()
        from app.canvas.map_tools.navigate import PanTool

        self.set_tool(PanTool(self))

    # --- project wiring ---------------------------------------------------------
    def set_project(self, project) -> None:
        self.detach()
        self.preview = None
        self.project = project
        self.current_layer = None
        self._graphics.clear()
        self._graphics_gen += 1
        self._cancel_render()
        self._image = self._image_key = self._image_view = None  # not the last project's map
        self._highlights.clear()
        self._snap_index = None
        if project is not None:
            project.events.connect(self._bridge.forward)
            project.selection.events.connect(self._bridge.forward)
            for layer in project.layers:
                layer.events.connect(self._bridge.forward)
        if self.tool is not None:
            self.tool.reset()
        self._navigated = False
        self.zoom_to_extent()

    def show_preview(self, preview) -> None:
        """Show a project's stored picture or extent (:mod:`app.canvas.preview`) instead of
        the map, at the picture's view, until :meth:`set_project` (or ``clear_preview``)."""
        self._cancel_render()
        self.preview = preview
        if preview.extent is not None:
            # a frame alone keeps clear of the note drawn at the top
            self.zoom_to_bounds(preview.extent, margin=0.0 if preview.image is not None else 0.12)
        self.update()

    def stand_in(self, image, view) -> None:
        """Show ``image`` (of ``view``, e.g. a loaded project's stored picture) moved and
        scaled to the current view until the first map of it is drawn."""
        if self._image is None and image is not None:
            self._image, self._image_view, self._image_key = image, view, None
            self.update()

    def clear_preview(self) -> None:
        self.preview = None
        self.update()

    def detach(self) -> None:
        """Stop listening to the current project (before closing or replacing it)."""
        if self.project is not None:
            self.project.events.disconnect(self._bridge.forward)
            self.project.selection.events.disconnect(self._bridge.forward)
            for layer in self.project.layers:
                layer.events.disconnect(self._bridge.forward)

    def set_current_layer(self, layer) -> None:
        self.current_layer = layer
        if self.tool is not None:
            self.tool.reset()

    def _handle_event(self, event) -> None:
        if event.type == "selection":
            self._highlights.pop(event.info["layer_id"], None)
            self.update()
            return
        if event.type == "layer_added":
            event.info["layer"].events.connect(self._bridge.forward)
            if not self._navigated:
                self.zoom_to_extent()
        elif event.type == "layer_removed":
            layer = event.info["layer"]
            layer.events.disconnect(self._bridge.forward)
            self._graphics.pop(layer.id, None)
            self._highlights.pop(layer.id, None)
            if layer is self.current_layer:
                self.set_current_layer(None)
        elif event.type == "settings":  # standards overrides may recolour layers
            self._graphics.clear()
        elif event.type in ("data", "style"):
            self._graphics.pop(event.source.id, None)
            if event.type == "data" and getattr(event.source, "kind", None) in THEME_INPUTS \
                    and active_theme(self.project):
                for layer in self.project.layers:  # the theme field follows its inputs
                    if layer.kind in THEMED_KINDS:
                        self._graphics.pop(layer.id, None)
            if event.type == "data":
                self._highlights.pop(event.source.id, None)
        elif event.type not in ("layer_moved", "visible", "opacity"):
            return
        if event.type in ("data", "layer_added", "layer_removed", "visible", "layer_moved"):
            self._snap_index = None
        self._invalidate()

    def set_overlay(self, key: str, draw=None) -> None:
        """Add (or with ``draw=None`` remove) a drawing made over the map each paint."""
        if draw is None:
            self.overlays.pop(key, None)
        else:
            self.overlays[key] = draw
        self.update()

    def _invalidate(self) -> None:
        self._graphics_gen += 1  # graphics a running job builds may be of the old data
        self._image_key = None
        self._cancel_render()  # it draws the data or style as they were
        self.update()

    def _graphics_for(self, layer, defer: bool = False):
        """A layer's cached graphics, built now if needed; with ``defer`` a vector layer's
        are left to the render job: what it needs (the features' geometry and label field,
        the resolved style) is copied here and the job's result cached when it comes back."""
        cached = self._graphics.get(layer.id)
        if cached is None:
            if is_tiles(layer):
                cached = TileGraphics(layer)
            elif isinstance(layer, RasterLayer):
                cached = raster_image(layer)
            else:
                frame = themed_frame(self.project, layer)  # + the map theme's field
                resolved = self._resolve(layer, frame)
                if defer:
                    return GraphicsRecipe(frame, resolved)
                cached = build_graphics(frame, resolved)
            self._graphics[layer.id] = cached
        return cached

    def _resolve(self, layer: VectorLayer, frame=None):
        frame = layer.gdf if frame is None else frame
        style = effective_style(layer.kind, layer.style)
        standards = self.project.standards() if style.get("colors_from") else None
        try:
            return resolve(style, frame, standards)
        except ProjectError as exc:
            self.problem.emit(exc.message())
            return resolve(effective_style("other", {}), frame)

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
        self.update()  # the image key no longer matches: paintEvent renders (or shifts)
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
        """Show every layer of the project (basemaps only when nothing else has bounds)."""
        boxes = framing_boxes(self.project or [])
        if boxes:
            arr = np.array(boxes)
            self.zoom_to_bounds((arr[:, 0].min(), arr[:, 1].min(),
                                 arr[:, 2].max(), arr[:, 3].max()))

    def zoom_to_layer(self, layer) -> None:
        bounds = layer.bounds()
        if bounds is not None:
            self._navigated = True
            self.zoom_to_bounds(bounds)

    def zoom_to_features(self, layer_id: str, fids) -> bool:
        """Zoom to some features of a layer (a single point gets a 200 m wide view)."""
        layer = self.project.layer_by_id(layer_id)
        fids = [f for f in fids if f in layer.gdf.index]
        if not fids:
            return False
        x0, y0, x1, y1 = shapely.total_bounds(layer.gdf.geometry.loc[fids].to_numpy())
        pad = max(0.0, 100.0 - max(x1 - x0, y1 - y0) / 2)
        self._navigated = True
        self.zoom_to_bounds((x0 - pad, y0 - pad, x1 + pad, y1 + pad), margin=0.1)
        return True

    def zoom_to_selection(self) -> bool:
        if self.project is None:
            return False
        layer_ids = self.project.selection.layers()
        if self.current_layer is not None and self.current_layer.id in layer_ids:
            layer_ids = [self.current_layer.id]
        for layer_id in layer_ids:
            return self.zoom_to_features(layer_id, self.project.selection.fids(layer_id))
        return False

    # --- painting -----------------------------------------------------------------
    def _key(self) -> tuple:
        return (self._centre, self._mpp, self.width(), self.height(), self.devicePixelRatioF())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self.preview is not None:  # a project is loading: its stored picture, no render
            from app.canvas.preview import paint_preview

            paint_preview(self, painter, self.preview)
            painter.end()
            return
        if self.render_pending() and (self._job is None or self._job.key != self._key()):
            self._start_render()  # never waited for: the last image stands in until it is done
        if self._image is not None:
            painter.save()
            painter.setTransform(self._image_view.placement(self.render_view(), QPointF(self._drag_delta)))
            painter.drawImage(QPointF(0, 0), self._image)
            painter.restore()
        painter.setRenderHint(QPainter.Antialiasing)
        self._draw_highlights(painter)
        world = self.world_transform() * QTransform.fromTranslate(self._drag_delta.x(), self._drag_delta.y())
        for overlay in list(self.overlays.values()):
            painter.save()
            overlay(painter, world)
            painter.restore()
        if self.tool is not None:
            self.tool.paint(painter)
        draw_scale_bar(painter, self._mpp, self.width(), self.height())
        draw_north_arrow(painter, self.width(), self.font())
        painter.end()

    def render_now(self) -> QImage:
        """The finished image of the current view (drawn now if needed; tests and grabs)."""
        self.wait_rendered()
        return self._image

    def _draw_highlights(self, painter: QPainter) -> None:
        if self.project is None:
            return
        world = self.world_transform() * QTransform.fromTranslate(self._drag_delta.x(),
                                                                   self._drag_delta.y())
        for layer_id in self.project.selection.layers():
            cached = self._highlights.get(layer_id)
            if cached is None:
                try:
                    layer = self.project.layer_by_id(layer_id)
                except ProjectError:
                    continue
                fids = sorted(f for f in self.project.selection.fids(layer_id) if f in layer.gdf.index)
                cached = self._highlights[layer_id] = selection_graphics(layer.gdf.geometry.loc[fids])
            draw_selection(painter, cached, world)

    def resizeEvent(self, event) -> None:  # noqa: N802
        if self.preview is not None and self.preview.extent is not None:
            self.show_preview(self.preview)  # the loading project's picture stays in view
        elif not self._navigated:
            self.zoom_to_extent()  # keep the whole project in view until the user navigates
        self._invalidate()
        super().resizeEvent(event)
