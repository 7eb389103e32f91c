"""The layer painter shared by the map canvas, the map sheet and previews.

Vector layers arrive as cached world-coordinate graphics (:mod:`app.canvas.paths`);
drawing applies one world → device transform and skips chunks outside the view.
"""

from __future__ import annotations

import math

import numpy as np
from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen, QTransform

from app.canvas.gil_free import draw_image_at_origin, draw_path
from app.canvas.lod import FROM_MPP
from app.canvas.paths import Chunk, LayerGraphics, path_from_arrays, raster_transform
from app.canvas.tiles import TileGraphics

BACKGROUND = QColor("#fbfaf7")
LABEL_MAX_MPP = 3.0  # labels only when one pixel shows less than this many metres
DASHES = {"solid": Qt.SolidLine, "dash": Qt.DashLine, "dot": Qt.DotLine}
#: on screen, zoomed out past this many metres a pixel, polygon outlines of 1–1.5 px are
#: drawn 1 px wide: Qt strokes a 1-px cosmetic pen on a fast path and anything wider through
#: its general stroker (the city's service-area outlines at full extent: 1.3 s at 1.4 px,
#: 0.18 s at 1 px); a printed sheet keeps its widths
THIN_OUTLINES_FROM_MPP = FROM_MPP


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``metres``."""
    if metres <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(metres))
    return max(s * power for s in (1, 2, 5) if s * power <= metres)


# --- the layer painter (the canvas, the map sheet and previews share it) ------------------
def paint_layers(painter: QPainter, layers, world: QTransform, view, mpp: float,
                 graphics_for, font: QFont, pen_scale: float = 1.0,
                 device_paths: bool = False, stop=None, labels: bool = True) -> None:
    """Draw visible ``layers`` (bottom first) whose world → device transform is ``world``.

    ``view`` is the world extent shown, ``mpp`` world metres per device pixel,
    ``graphics_for(layer)`` gives a layer's cached graphics (QImage, LayerGraphics, or
    TileGraphics for a basemap drawn afresh for each view),
    and ``pen_scale`` multiplies pen widths, marker and label sizes (a printed sheet at
    300 dpi uses 300/96 so lines keep their on-screen thickness).

    ``device_paths`` is for vector output (the PDF map sheet): paths are mapped to device
    coordinates before drawing and pens are not cosmetic, which Qt's PDF writer turns into
    native PDF strokes (a cosmetic pen is written as the outline of every stroke, several
    times the size), and labels are drawn as text (searchable) over their halo.

    ``stop()`` (a render job's cancel flag) is asked between layers and chunks: once true,
    drawing ends where it is. ``labels=False`` leaves the labels to :func:`paint_labels`.
    """
    painter.setRenderHint(QPainter.Antialiasing)
    clipped_here = not painter.hasClipping()
    if clipped_here:
        # an explicit clip to the device makes Qt's raster engine draw these paths about a
        # third faster (measured: city communities 3.4 → 2.2 ms), with the same pixels
        device = painter.device()
        ratio = device.devicePixelRatioF() or 1.0
        painter.resetTransform()
        painter.setClipRect(QRectF(0, 0, device.width() / ratio, device.height() / ratio))
    labelled = []
    for layer in layers:
        if stop is not None and stop():
            break
        bounds = layer.bounds()
        if not layer.visible or bounds is None or not _overlaps(bounds, view):
            continue
        painter.setOpacity(layer.opacity)
        graphics = graphics_for(layer)
        if isinstance(graphics, QImage):
            painter.setTransform(raster_transform(layer) * world)
            draw_image_at_origin(painter, graphics)
        elif isinstance(graphics, TileGraphics):
            graphics.draw(painter, world, view)
        else:
            _draw_vector(painter, graphics, world, view, mpp, pen_scale, device_paths, stop,
                         getattr(layer, "lod", None))
            if graphics.label_xy is not None:
                labelled.append(graphics)
    painter.setOpacity(1.0)
    painter.resetTransform()
    if labels and labelled and mpp * pen_scale <= LABEL_MAX_MPP:  # metres per on-screen pixel
        _draw_labels(painter, labelled, view, world, font, pen_scale, device_paths)
    if clipped_here:
        painter.setClipping(False)


def paint_labels(painter: QPainter, layers, world: QTransform, view, mpp: float,
                 graphics_for, font: QFont) -> None:
    """The labels :func:`paint_layers` leaves out with ``labels=False`` (screen output)."""
    if mpp > LABEL_MAX_MPP:
        return
    labelled = []
    for layer in layers:
        bounds = layer.bounds()
        if layer.visible and bounds is not None and _overlaps(bounds, view):
            graphics = graphics_for(layer)
            if isinstance(graphics, LayerGraphics) and graphics.label_xy is not None:
                labelled.append(graphics)
    if labelled:
        painter.setRenderHint(QPainter.Antialiasing)
        painter.resetTransform()
        _draw_labels(painter, labelled, view, world, font, 1.0)


def _draw_vector(painter: QPainter, g: LayerGraphics, world: QTransform, view, mpp: float,
                 k: float, device: bool = False, stop=None, lod: int | None = None) -> None:
    """Fills first (in chunks), then outlines (merged chunks) with mitre joins, which Qt
    strokes about twice as fast as round ones and which differ by under a pixel at these
    widths; pens of at most 1 px also take Qt's fast cosmetic stroker (see the styles).
    ``device``: world paths mapped to device coordinates, plain pens (vector output); a
    translucent pen (or layer) strokes in its colour over the map background, opaque,
    because Qt's PDF writer turns a translucent stroke into the outline of every segment.
    ``lod``: the scale band whose outlines with fewer points to draw (zoomed out on screen,
    :mod:`app.canvas.lod`), or None for the outlines as built."""
    pad = (g.marker_size + 8) * k * mpp  # markers and wide strokes reach past bounds
    view = (view[0] - pad, view[1] - pad, view[2] + pad, view[3] + pad)
    opacity = painter.opacity()
    if device:
        painter.resetTransform()
        shape = world.map

        def ink(colour: QColor) -> QColor:
            return _over_background(colour, opacity)
    else:
        painter.setTransform(world)

        def shape(path):
            return path

        def ink(colour: QColor) -> QColor:
            return colour
    dash = DASHES[g.dash]
    painter.setPen(Qt.NoPen)
    state = None  # (antialiased, fill) last set: Qt state changes cost more than the check
    screen_mpp = mpp * k  # metres per screen-sized pixel (a printed sheet draws k× finer)
    zoomed_out = not device and k == 1.0 and screen_mpp >= THIN_OUTLINES_FROM_MPP
    stopped = stop if stop is not None else _never
    lod_on = zoomed_out and lod is not None
    for i in _visible(g.polygon_bounds, view):
        chunk = g.polygons[i]
        if chunk.max_mpp < screen_mpp or chunk.fill.alpha() == 0:
            continue
        if stopped():
            return
        # an opaque outline ≥ 1 device px hides the fill's edge: fill without antialiasing
        wanted = (not (chunk.width * k >= 1.0 and chunk.stroke.alpha() == 255), chunk.fill.rgba())
        if wanted != state:
            painter.setRenderHint(QPainter.Antialiasing, wanted[0])
            painter.setBrush(chunk.fill)
            state = wanted
        draw_path(painter, shape(chunk.path))
    painter.setRenderHint(QPainter.Antialiasing, True)
    painter.setBrush(Qt.NoBrush)
    if device:  # the pens carry the layer's opacity (see ``ink``)
        painter.setOpacity(1.0)
        # Qt's PDF writer judges a new pen before a new opacity given with it: draw
        # nothing once so that the opacity of 1 is in force when the first pen comes
        painter.drawRect(QRectF())
    for chunk in (g.lod.get(lod, g.outlines) if lod_on else g.outlines):
        if stopped():
            return
        if chunk.width > 0 and chunk.max_mpp >= screen_mpp and _overlaps(chunk.bounds, view):
            width = chunk.width * k
            if zoomed_out and 1.0 < width <= 1.5:
                width = 1.0  # Qt's 1-px path (see THIN_OUTLINES_FROM_MPP)
            if zoomed_out and dash != Qt.SolidLine:
                # a 1-px dash zoomed out is drawn on whole pixels: antialiased, Qt shades
                # each pixel it passes (the city's service-area outlines at full extent
                # 117 → 76 ms with every point, 49 → 30 ms with fewer: app.canvas.lod)
                painter.setRenderHint(QPainter.Antialiasing, width > 1.0)
            pen = QPen(ink(chunk.stroke), width, dash, Qt.SquareCap, Qt.MiterJoin)
            pen.setCosmetic(not device)
            if chunk.dash_start_m and dash != Qt.SolidLine:  # a piece of a longer ring
                pen.setDashOffset(chunk.dash_start_m * abs(world.m11()) / max(width, 1.0))
            painter.setPen(pen)
            draw_path(painter, shape(chunk.path))
    painter.setRenderHint(QPainter.Antialiasing, True)
    for chunk in g.lines:
        if chunk.max_mpp < screen_mpp or not _overlaps(chunk.bounds, view):
            continue
        if stopped():
            return
        # zoomed out on screen, lines end square and bend mitred: Qt strokes that twice as fast
        # as round (city streets at full extent 120 → 60 ms) and the ends of runs sit on other
        # streets; zoomed in, and on paper, they end and bend round
        ends = (Qt.SquareCap, Qt.MiterJoin) if zoomed_out else (Qt.RoundCap, Qt.RoundJoin)
        pen = QPen(ink(chunk.stroke), chunk.width * k, dash, *ends)
        pen.setCosmetic(not device)
        painter.setPen(pen if chunk.width > 0 else Qt.NoPen)
        painter.setBrush(Qt.NoBrush)
        draw_path(painter, shape(chunk.path))
    painter.setRenderHint(QPainter.Antialiasing)
    size = g.marker_size * k
    cap = Qt.RoundCap if g.marker == "circle" else Qt.SquareCap
    for chunk in g.points:
        if chunk.max_mpp < screen_mpp or not _overlaps(chunk.bounds, view):
            continue
        if g.marker == "triangle":
            fill = QColor(chunk.fill)
            if device:  # the painter's opacity is 1 here: the fill carries the layer's
                fill.setAlphaF(fill.alphaF() * opacity)
            _draw_triangles(painter, chunk, size, world, k, ink(chunk.stroke), fill, device)
            continue
        points = world.map(chunk.points) if device else chunk.points
        for colour, width in ((chunk.stroke, size + 2.0 * k), (chunk.fill, size)):
            pen = QPen(ink(colour), width, Qt.SolidLine, cap)
            pen.setCosmetic(not device)
            painter.setPen(pen)
            painter.drawPoints(points)
    painter.setOpacity(opacity)


def _never() -> bool:
    return False


def _over_background(colour: QColor, opacity: float) -> QColor:
    """``colour`` drawn at ``opacity`` over the map background, as an opaque colour."""
    a = colour.alphaF() * opacity
    if a >= 1.0:
        return colour
    return QColor.fromRgbF(*(c * a + b * (1.0 - a) for c, b in (
        (colour.redF(), BACKGROUND.redF()), (colour.greenF(), BACKGROUND.greenF()),
        (colour.blueF(), BACKGROUND.blueF()))))


def _visible(bounds: np.ndarray, view) -> np.ndarray:
    """Indices of the (n, 4) chunk bounds that meet the view."""
    if not len(bounds):
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero((bounds[:, 2] >= view[0]) & (bounds[:, 0] <= view[2])
                          & (bounds[:, 3] >= view[1]) & (bounds[:, 1] <= view[3]))


def _draw_triangles(painter, chunk: Chunk, size: float, world: QTransform, k: float,
                    stroke: QColor, fill: QColor, device: bool = False) -> None:
    """Triangles are built in device space (a fixed pixel size at every zoom)."""
    sx = chunk.xy[:, 0] * world.m11() + world.dx()
    sy = chunk.xy[:, 1] * world.m22() + world.dy()
    r = size / 2 + k
    offsets = np.array([(0, -r), (r * 0.9, r * 0.6), (-r * 0.9, r * 0.6), (0, -r)])
    corners = np.stack([sx, sy], axis=1)[:, None, :] + offsets[None, :, :]
    starts = np.tile([True, False, False, False], len(sx))
    painter.resetTransform()
    painter.setPen(QPen(stroke, 1.0 * k))
    painter.setBrush(fill)
    draw_path(painter, path_from_arrays(corners.reshape(-1, 2), starts))
    if not device:
        painter.setTransform(world)


def _draw_labels(painter: QPainter, layers, view, world: QTransform, base_font: QFont,
                 k: float, as_text: bool = False) -> None:
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
            baseline = QPointF(rect.left(), rect.top() + metrics.ascent())
            path.addText(baseline, font, text)
            painter.strokePath(path, halo)
            if as_text:  # text a PDF reader can search and copy
                painter.setPen(QColor("#2b2b2b"))
                painter.drawText(baseline, text)
            else:
                painter.fillPath(path, QColor("#2b2b2b"))


def _overlaps(a, b) -> bool:
    return not (a[2] < b[0] or a[0] > b[2] or a[3] < b[1] or a[1] > b[3])


def draw_scale_bar(painter: QPainter, mpp: float, width: float, height: float) -> None:
    """A four-segment scale bar at the bottom left of a widget of ``width`` × ``height``."""
    length = nice_length(mpp * width / 5)
    px = length / mpp
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    x, y = 14.0, height - 22.0
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


def draw_north_arrow(painter: QPainter, width: float, base_font: QFont) -> None:
    """A north arrow at the top right."""
    cx, top = width - 30.0, 16.0
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
    font = QFont(base_font)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(QRectF(cx - 12, top + 31, 24, 18), Qt.AlignCenter, "N")
