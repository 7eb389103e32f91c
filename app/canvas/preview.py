"""What the canvas shows while a project loads: the overview image kept in the project at its
last save, placed at the view it shows, or, without one, the frame of the layers' stored
extent (:mod:`layers.store.overview`), with a note saying the layers are loading."""

from __future__ import annotations

import time

from PyQt5.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QImage, QPainter, QPen

from app.canvas.render_job import RenderView
from layers.errors import T
from layers.i18n import current_language

WITH_PICTURE = T("The map as last saved — loading the layers…", "上次保存时的地图 — 正在载入图层…")
WITH_FRAME = T("Loading the layers… the frame shows the project's extent",
               "正在载入图层…框线为项目范围")
WITHOUT = T("Loading the layers…", "正在载入图层…")
#: how long a save waits for the map of the current view before keeping the last finished
#: one (tuning: the city's full view renders in about 1 s on the 2-core test machine)
OVERVIEW_WAIT_S = 3.0


def overview_of(canvas):
    """The canvas's last finished map image, as PNG, and its view (for the project file);
    None when there is none worth keeping: the window was never shown, a project is still
    loading, or the data changed since and the new map is not drawn yet."""
    from layers.store.gpkg import _crs_text
    from layers.store.overview import Overview

    if canvas.project is None or canvas.preview is not None or not canvas.isVisible():
        return None
    if canvas.render_pending():
        canvas.wait_rendered(OVERVIEW_WAIT_S)
    image, view = canvas._image, canvas._image_view
    if image is None or view is None or canvas._image_key is None:
        return None
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    if not image.save(buffer, "PNG"):
        return None
    buffer.close()
    return Overview(bytes(data), view.centre, view.mpp, view.width, view.height, view.ratio,
                    _crs_text(canvas.project.crs))


class CanvasPreview:
    """The picture and extent of a project being opened (built on the GUI thread)."""

    def __init__(self, preview) -> None:
        overview = getattr(preview, "overview", None)
        self.image: QImage | None = None
        self.view: RenderView | None = None
        if overview is not None:
            image = QImage.fromData(overview.png, "PNG")
            if not image.isNull():
                image.setDevicePixelRatio(overview.ratio)
                self.image = image
                self.view = RenderView(overview.centre, overview.mpp, overview.width,
                                       overview.height, overview.ratio)
        self.extent = self.view.extent() if self.view is not None else getattr(preview, "extent", None)
        self.painted_at: float | None = None  # perf_counter() of the first paint showing it

    def note(self) -> str:
        text = WITH_PICTURE if self.image is not None else WITH_FRAME if self.extent else WITHOUT
        return text(current_language())


def paint_preview(canvas, painter: QPainter, preview: CanvasPreview) -> None:
    """Draw ``preview`` on ``canvas`` (whose background is filled) at the canvas's view."""
    if preview.image is not None:
        painter.save()
        painter.setTransform(preview.view.placement(canvas.render_view()))
        painter.drawImage(QPointF(0, 0), preview.image)
        painter.restore()
    elif preview.extent is not None:
        x0, y0, x1, y1 = preview.extent
        a, b = canvas.world_to_pixel(x0, y1), canvas.world_to_pixel(x1, y0)
        pen = QPen(QColor("#5a6f8c"), 1.5, Qt.DashLine)
        painter.setPen(pen)
        painter.drawRect(QRectF(a, b))
    text = preview.note()
    metrics = painter.fontMetrics()
    box = QRectF(10, 10, metrics.horizontalAdvance(text) + 20, metrics.height() + 12)
    painter.fillRect(box, QColor(255, 255, 255, 225))
    painter.setPen(QColor("#1a1a1a"))
    painter.drawText(box, Qt.AlignCenter, text)
    if preview.painted_at is None:
        preview.painted_at = time.perf_counter()
