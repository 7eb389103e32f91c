"""Canvas redraws as cancellable jobs in a worker thread (the model: QGIS's map renderer jobs).

On the GUI thread a redraw takes a snapshot: the view (centre, metres per pixel, size, pixel
ratio) and, for every visible layer that meets it, its prepared graphics (world paths and
colours, built once per data or style change and never changed afterwards: a change builds
new ones), its opacity, bounds and raster placement. A :class:`RenderJob` paints that
snapshot into a QImage on a QThreadPool thread (QPainter on a QImage is allowed off the GUI
thread) and reports back through a queued signal. A newer view cancels the older job (the
flag is checked between layers and between chunks) and a finished job whose view is no longer
wanted is dropped. Meanwhile the canvas shows its last image moved and scaled to the new
view at once, so the GUI thread never waits for a render.

PyQt5 keeps Python's GIL through every Qt call (measured: a QPainter.drawPath in one thread
stalls Python in every other for its whole length), so the painter's heavy calls go through
:mod:`app.canvas.gil_free`, which releases it; where that is not available the painter still
draws in small pieces (chunks of features, wide outlines in pieces of about a thousand
vertices, see :mod:`app.canvas.paths`), between which the GUI thread takes the GIL back.
One job runs at a time.

A basemap's tiles are fetched (and warped) while the snapshot is taken: its projections may
not be used from another thread (pyproj crashed there), so only drawing the mosaic is left
to the job.

Tests, grabs and exports that need the finished picture call :meth:`RenderScheduler.wait_rendered`.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from dataclasses import dataclass

from PyQt5.QtCore import QObject, QPointF, QRunnable, QThreadPool
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QFont, QImage, QPainter, QTransform

from app.canvas.lod import outlines_band, simplify_outlines
from app.canvas.paint import BACKGROUND, LABEL_MAX_MPP, paint_labels, paint_layers
from app.canvas.parallel import paint_whole
from app.canvas.paths import build_graphics
from app.canvas.reuse import ImageStore, copy_kept, signature
from app.canvas.tiles import TileGraphics


@dataclass(frozen=True)
class RenderView:
    """What a job draws: the view centre (world metres), metres per pixel, widget size and
    device pixel ratio."""

    centre: tuple[float, float]
    mpp: float
    width: int
    height: int
    ratio: float

    def key(self) -> tuple:
        return (self.centre, self.mpp, self.width, self.height, self.ratio)

    def world(self) -> QTransform:
        k, (cx, cy) = 1.0 / self.mpp, self.centre
        return QTransform(k, 0.0, 0.0, -k, self.width / 2 - cx * k, self.height / 2 + cy * k)

    def extent(self) -> tuple[float, float, float, float]:
        (cx, cy), half_w, half_h = self.centre, self.width / 2 * self.mpp, self.height / 2 * self.mpp
        return cx - half_w, cy - half_h, cx + half_w, cy + half_h

    def placement(self, now: RenderView, offset: QPointF | None = None) -> QTransform:
        """Where an image of this view goes on a widget showing ``now`` (moved by ``offset``
        pixels, a pan being dragged): scaled about the world points both views share."""
        s = self.mpp / now.mpp
        dx = (self.centre[0] - now.centre[0]) / now.mpp + now.width / 2 - self.width / 2 * s
        dy = (now.centre[1] - self.centre[1]) / now.mpp + now.height / 2 - self.height / 2 * s
        if offset is not None:
            dx, dy = dx + offset.x(), dy + offset.y()
        return QTransform(s, 0.0, 0.0, s, dx, dy)


class GraphicsRecipe:
    """A vector layer's graphics still to build (by the job): a copy of the geometry and
    label columns and the style resolved on the GUI thread."""

    __slots__ = ("frame", "resolved")

    def __init__(self, frame, resolved) -> None:
        columns = [frame.geometry.name]
        if resolved.label_field and resolved.label_field in frame.columns:
            columns.append(resolved.label_field)
        self.frame, self.resolved = frame[columns].copy(), resolved

    def build(self):
        return build_graphics(self.frame, self.resolved)


class LayerSnapshot:
    """One layer as a render job sees it: read-only values taken on the GUI thread."""

    __slots__ = ("id", "name", "visible", "opacity", "transform", "graphics", "_bounds", "lod")

    def __init__(self, layer, graphics, lod: int | None = None) -> None:
        self.lod = lod  # the scale band whose simpler paths to draw (app.canvas.lod), or None
        self.id, self.name = layer.id, layer.name
        self.visible, self.opacity = True, float(layer.opacity)
        self.transform = getattr(layer, "transform", None)  # rasters: pixel → world
        self.graphics = graphics
        self._bounds = layer.bounds()

    def bounds(self):
        return self._bounds


def render_image(view: RenderView, layers: list[LayerSnapshot], font: QFont, stop=None,
                 sources=()) -> tuple[QImage, QImage]:
    """The layers drawn over the map background at ``view`` (any thread): the image with its
    labels and the one without (the same image when none are shown). ``sources``: kept images
    of this view's scale and content with their offsets (:mod:`app.canvas.reuse`); only what
    they do not show is drawn."""
    # opaque (the background is filled): the GUI thread's scaled copy of it needs no blending
    base = QImage(max(1, int(view.width * view.ratio)), max(1, int(view.height * view.ratio)),
                  QImage.Format_RGB32)
    base.setDevicePixelRatio(view.ratio)
    base.fill(BACKGROUND)
    if not layers:
        return base, base
    world, extent = view.world(), view.extent()

    def graphics_for(layer):
        return layer.graphics

    missing = None
    if sources:
        painter = QPainter(base)
        missing = copy_kept(painter, sources, view.width, view.height)
        # a painter of its own for the strip: after drawing the copies, Qt's raster engine
        # stroked antialiased lines through a newly set clip region as if it were not there
        painter.end()
    if missing is None:
        paint_whole(base, layers, world, extent, view.mpp, font, stop)  # on two threads if worth it
    elif not missing.isEmpty():
        painter = QPainter(base)
        painter.setClipRegion(missing)  # in device pixels: paint_layers keeps a clip it is given
        box = missing.boundingRect()
        x0, y1 = extent[0] + (box.left() - 1) * view.mpp, extent[3] - (box.top() - 1) * view.mpp
        x1, y0 = extent[0] + (box.right() + 2) * view.mpp, extent[3] - (box.bottom() + 2) * view.mpp
        paint_layers(painter, layers, world, (x0, y0, x1, y1), view.mpp, graphics_for, font,
                     stop=stop, labels=False)
        painter.end()
    if (stop is not None and stop()) or view.mpp > LABEL_MAX_MPP or not any(
            getattr(layer.graphics, "label_xy", None) is not None for layer in layers):
        return base, base
    image = base.copy()
    painter = QPainter(image)
    paint_labels(painter, layers, world, extent, view.mpp, graphics_for, font)
    painter.end()
    return image, base


class _Dispatcher(QObject):
    finished = Signal(object)  # the RenderJob; emitted in the worker, delivered on the GUI thread


#: one pool, one dispatcher and the jobs not yet collected, for every canvas: they live as long
#: as the process (a job may outlive its canvas by one chunk; nothing waits for it then)
_POOL: QThreadPool | None = None
_DISPATCHER: _Dispatcher | None = None
_ALIVE: set[RenderJob] = set()


def _start(job: RenderJob) -> None:
    global _POOL, _DISPATCHER
    if _POOL is None:  # first use, on the GUI thread
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(1)  # see the module text: one job at a time
        _DISPATCHER = _Dispatcher()
        _DISPATCHER.finished.connect(_collect)
        atexit.register(stop_all)  # before Python tears down what a running job still uses
    job.dispatcher = _DISPATCHER
    _ALIVE.add(job)
    _POOL.start(job)


def _collect(job: RenderJob) -> None:
    from PyQt5 import sip

    _ALIVE.discard(job)
    owner = job.owner() if job.owner is not None else None
    if owner is not None and not sip.isdeleted(owner):
        owner._job_finished(job)


def stop_all(timeout: float = 10.0) -> bool:
    """Cancel every render job and wait for them to end (the app quits)."""
    for job in list(_ALIVE):
        job.cancel()
    return wait_idle(timeout)


def wait_idle(timeout: float = 30.0) -> bool:
    """Wait (releasing the GIL) until no render job runs; True if none is left."""
    end = time.monotonic() + timeout
    while any(not job.wait(0) for job in list(_ALIVE)):
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


class RenderJob(QRunnable):
    """One redraw of a snapshot, run on a pool thread; cancel() stops it at the next chunk."""

    def __init__(self, view: RenderView, layers: list[LayerSnapshot], font: QFont,
                 owner=None) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns the job (the scheduler keeps it until it ends)
        self.view, self.layers, self.font = view, layers, font
        self.key = view.key()
        self.generation = 0  # the canvas's graphics generation when the snapshot was taken
        self.built: dict[str, object] = {}  # layer id → graphics this job built
        self.shared: dict[tuple, object] = {}  # (layer id, generation) → graphics, across jobs
        self.image: QImage | None = None
        self.base: QImage | None = None  # the image without labels (kept for reuse)
        self.sources: list = []  # kept images to copy from (app.canvas.reuse)
        self.copied = 0  # how many of them it copied (the sources go when it ends)
        self.signature: tuple | None = None  # what it drew, once its graphics are built
        self.error: BaseException | None = None
        self.seconds: float | None = None  # painting time, in the worker
        self.started_at = time.perf_counter()  # when the GUI thread asked for it
        self.owner = weakref.ref(owner) if owner is not None else None  # told on the GUI thread
        self.dispatcher: _Dispatcher | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (True) or ``timeout`` seconds passed."""
        return self._done.wait(timeout)

    def run(self) -> None:  # on a pool thread
        t0 = time.perf_counter()
        try:
            for layer in self.layers:
                if isinstance(layer.graphics, GraphicsRecipe) and not self.cancelled:
                    key = (layer.id, self.generation)  # an earlier, cancelled job may have built it
                    graphics = self.shared.get(key)
                    if graphics is None:
                        graphics = self.shared[key] = layer.graphics.build()
                    layer.graphics = self.built[layer.id] = graphics
                    layer.lod = outlines_band(graphics, self.view.mpp, self.view.ratio)
                if layer.lod is not None and not self.cancelled:  # made once a band
                    simplify_outlines(layer.graphics, layer.lod)
            if not self.cancelled:
                self.signature = signature(self.layers)
                self.copied = len(self.sources)
                image, base = render_image(self.view, self.layers, self.font, self._cancel.is_set,
                                           self.sources)
                if not self.cancelled:
                    self.image, self.base = image, base
        except BaseException as exc:  # noqa: BLE001 (handed to the GUI thread, raised there)
            self.error = exc
        finally:
            self.seconds = time.perf_counter() - t0
            self.layers = []  # the graphics may go as soon as the canvas lets them
            self.sources = []
            try:
                self.dispatcher.finished.emit(self)  # queued: collected on the GUI thread
            except RuntimeError:  # the application is being torn down: nobody to tell
                pass
            self._done.set()


class RenderScheduler:
    """Mixed into :class:`app.canvas.view.MapCanvas`: starts, cancels and collects jobs."""

    def _init_rendering(self) -> None:
        self._job: RenderJob | None = None
        self._built_meanwhile: dict[tuple, object] = {}  # by jobs, not yet adopted
        self.last_render: RenderJob | None = None  # the job whose image is shown
        self._kept = ImageStore()  # the last finished images, for pans (app.canvas.reuse)

    def render_view(self) -> RenderView:
        return RenderView(self._centre, self._mpp, self.width(), self.height(), self.devicePixelRatioF())

    def _snapshot(self, view: RenderView) -> list[LayerSnapshot]:
        if self.project is None:
            return []
        x0, y0, x1, y1 = view.extent()
        out = []
        for layer in self.project.layers:
            b = layer.bounds()
            if layer.visible and b is not None and not (b[2] < x0 or b[0] > x1 or b[3] < y0 or b[1] > y1):
                graphics = self._graphics_for(layer, defer=True)
                if isinstance(graphics, TileGraphics):  # fetched here, drawn by the job
                    graphics = graphics.prepared(view.world(), view.extent(), view.ratio)
                # zoomed out, a heavy layer's outlines with fewer points (app.canvas.lod)
                out.append(LayerSnapshot(layer, graphics, outlines_band(graphics, view.mpp, view.ratio)))
        return out

    def _start_render(self) -> RenderJob:
        self._cancel_render()
        view = self.render_view()
        layers = self._snapshot(view)
        job = RenderJob(view, layers, QFont(self.font()), self)
        job.sources = self._kept.sources(view, signature(layers))
        job.generation = self._graphics_gen
        job.shared = self._built_meanwhile
        self._job = job
        _start(job)
        return job

    def _cancel_render(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def render_pending(self) -> bool:
        """True while the image shown is not yet the one of the current view and data."""
        return self._image is None or self._image_key != self._key()

    def _adopt_built(self, job: RenderJob) -> None:
        """Keep the graphics a job built (also a cancelled one) unless the data changed since."""
        if job.generation == self._graphics_gen:
            for layer_id, graphics in job.built.items():
                self._graphics.setdefault(layer_id, graphics)
        job.built = {}
        for key in list(self._built_meanwhile):  # list(): one step, a worker may add meanwhile
            if key[1] != self._graphics_gen:
                self._built_meanwhile.pop(key, None)  # of data since changed

    def _job_finished(self, job: RenderJob) -> None:
        self._adopt_built(job)
        if job.error is not None:
            if job is self._job:
                self._job = None
            raise job.error
        if job is self._job and job.image is not None:
            self._take(job)

    def _take(self, job: RenderJob) -> None:
        self._job = None
        self._image, self._image_key = job.image, job.key
        self._image_view = job.view
        self.last_render = job
        self._kept.add(job.view, job.signature, job.base)
        job.base = None
        self.update()

    def wait_rendered(self, timeout: float | None = None) -> bool:
        """Block until the image of the current view is complete and shown (tests, grabs and
        exports; the canvas itself never waits). False if ``timeout`` seconds passed first."""
        if not self.render_pending() or getattr(self, "preview", None) is not None:
            return True
        job = self._job if self._job is not None and self._job.key == self._key() else self._start_render()
        if not job.wait(timeout):
            return False
        self._adopt_built(job)
        if job.error is not None:
            self._job = None
            raise job.error
        if job is self._job:
            self._take(job)
        return not self.render_pending()

    def grab(self, *args):  # noqa: D102 (QWidget.grab of the finished map)
        self.wait_rendered()
        return super().grab(*args)
