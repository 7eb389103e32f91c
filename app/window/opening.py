"""Opening a project without freezing the window (File → Open, recent files, the command line).

At once, on the GUI thread (a few ms: SQLite only, :func:`layers.store.overview.read_preview`)
the window shows the new project's title with "opening…", the canvas its picture as last
saved at that view (or the frame of its stored extent), and a busy bar in the status bar;
editing and analysis are switched off. The project is read in a worker thread: the store
reads with its own SQLite connection and its own GDAL datasets (pyogrio), builds the layers
and the Project there (pyproj CRS objects may be used from any thread since pyproj 3.1;
nothing in ``layers`` touches Qt), and hands the finished Project back through a queued
signal. Only then, on the GUI thread, ``set_project`` runs as after a synchronous open.

A newer open, or closing the window, makes a pending load's result be ignored (a read
cannot be stopped half-way; the thread ends on its own and its project is dropped). A load
that fails shows its one-line message and the project that was open stays, untouched.
A project on a PostgreSQL server is opened synchronously as before.
"""

from __future__ import annotations

import gc
import threading
import time
import traceback
from pathlib import Path
from types import SimpleNamespace

from PyQt5.QtCore import QObject, QTimer
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtWidgets import QAction, QLabel, QProgressBar

from layers.errors import T
from layers.i18n import current_language

OPENING = T("opening…", "正在打开…")
STATUS_OPENING = T("Opening {name}… the map shows as soon as the layers are read.",
                   "正在打开“{name}”…图层读取完毕后即显示地图。")
#: what stays usable while a project loads (by QAction object name)
KEEP = {"action_open", "action_quit", "action_about", "action_open_server"}


_PAUSE = {"loads": 0, "was_enabled": True}
_PAUSE_LOCK = threading.Lock()


def _collector_paused(paused: bool) -> None:
    """Python's cycle collector waits while projects load. Measured on the city: its full
    passes over the growing heap, run in the loading thread, held the lock for 150-320 ms
    at a time (the window froze that long); without them the longest hold was ~25 ms. It
    runs again, as before, once the last load has ended (it never stays off)."""
    with _PAUSE_LOCK:
        if paused:
            if _PAUSE["loads"] == 0:
                _PAUSE["was_enabled"] = gc.isenabled()
                gc.disable()
            _PAUSE["loads"] += 1
        else:
            _PAUSE["loads"] -= 1
            if _PAUSE["loads"] == 0 and _PAUSE["was_enabled"]:
                gc.enable()


class ProjectOpener(QObject):
    """Loads projects for one window in a worker thread (see the module text)."""

    _loaded = Signal(int, object)  # token, Project — emitted in the worker
    _failed = Signal(int, object)  # token, exception

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self._token = 0
        self._pending: dict | None = None  # the open being waited for
        self._disabled: dict[object, bool] = {}  # what was switched off, and how it was
        self.thread: threading.Thread | None = None
        self.timings: dict[str, float] = {}  # perf_counter() of request / loaded (benchmarks)
        self._loaded.connect(self._on_loaded)
        self._failed.connect(self._on_failed)

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def open(self, path, *, template: bool = False) -> bool:
        """Start opening ``path``; True when a load started (the recovery question, if any,
        is asked first). ``template``: the bundled sample, saved only with Save As."""
        from app.window.files import target_to_open
        from layers.store.overview import read_preview
        from layers.store.pglocation import is_pg_location

        if is_pg_location(path):
            self.cancel()
            return self.window.open_path(path, wait=True)
        requested = time.perf_counter()
        target = target_to_open(path, self.window)
        self._token += 1
        token = self._token
        preview = read_preview(target) if isinstance(target, Path) else None
        self._pending = {"path": path, "template": template, "preview": preview}
        self.timings = {"requested": requested}
        self._enter_busy(path, preview)
        if self.window.canvas.isVisible():
            self.window.canvas.repaint()  # the picture is drawn before the read competes
        # one turn of the event loop first: the picture reaches the screen
        QTimer.singleShot(0, lambda: self._start(token, target))
        return True

    def _start(self, token: int, target) -> None:
        if token != self._token:
            return  # a newer open came first
        self.thread = threading.Thread(target=self._run, args=(token, target), daemon=True,
                                       name="project-open")
        _collector_paused(True)
        self.thread.start()

    def cancel(self) -> None:
        """Forget a pending load (a newer open, the window closing): its result is dropped."""
        self._token += 1
        if self._pending is not None:
            self._pending = None
            self._leave_busy()

    # --- the worker ---------------------------------------------------------------
    def _run(self, token: int, target) -> None:  # in the worker thread
        from layers.store import open_project

        try:
            try:
                # (its standards are built later on the GUI thread: measured, building them
                # here held Python's lock for ~320 ms at a time against the window, there ~60)
                project = open_project(target)
            finally:
                _collector_paused(False)
        except Exception as exc:  # noqa: BLE001 - told on the GUI thread, never fatal
            exc.traceback_text = traceback.format_exc()
            self._emit("_failed", token, exc)
            return
        self._emit("_loaded", token, project)

    def _emit(self, name: str, token: int, value) -> None:
        try:
            getattr(self, name).emit(token, value)
        except RuntimeError:  # the window (and this object) was deleted meanwhile
            pass

    # --- back on the GUI thread -----------------------------------------------------
    def _on_loaded(self, token: int, project) -> None:
        if token != self._token or self._pending is None:
            return  # a newer open, or the window closed: dropped
        self.timings["arrived"] = time.perf_counter()  # the project is back on the GUI thread
        pending, self._pending = self._pending, None
        canvas = self.window.canvas
        shown = canvas.preview
        view = (canvas.centre, canvas.metres_per_pixel)
        self._leave_busy()
        if pending["template"]:
            project.path = None  # the bundled sample is a template: Save asks where to write
        self.window.set_project(project)
        if shown is not None and shown.image is not None:
            canvas._navigated = True  # the map replaces its picture where it was
            canvas.set_view(*view[0], view[1])
            canvas.stand_in(shown.image, shown.view)  # until the first render is done
        if not pending["template"]:
            self.window.recent.add(pending["path"])
        self.timings["loaded"] = time.perf_counter()

    def _on_failed(self, token: int, exc) -> None:
        if token != self._token or self._pending is None:
            return
        self._pending = None
        self._leave_busy()
        from app.problems import show_problem

        show_problem(self.window, exc)  # the one line; the open project is as it was

    # --- what the window shows meanwhile ---------------------------------------------------
    def _enter_busy(self, path, preview) -> None:
        from app.canvas.preview import CanvasPreview
        from app.window.texts import APP_NAME, project_title

        window = self.window
        if not self._disabled:
            self._previous_view = (window.canvas.centre, window.canvas.metres_per_pixel,
                                   window.canvas._navigated)
            for item in self._switched_off():
                self._disabled[item] = item.isEnabled()
                item.setEnabled(False)
            self.bar = QProgressBar(window)
            self.bar.setObjectName("opening_progress")
            self.bar.setRange(0, 0)  # busy: a read has no fraction to tell
            self.bar.setMaximumWidth(140)
            self.label = QLabel(window)  # beside the bar (a status message would run under it)
            self.label.setObjectName("opening_text")
            window.statusBar().clearMessage()
            window.statusBar().addWidget(self.bar)
            window.statusBar().addWidget(self.label, 1)
        stand_in = SimpleNamespace(metadata=preview.metadata if preview else {},
                                   path=Path(str(path)))
        title = project_title(stand_in)
        lang = current_language()
        window.setWindowTitle(f"{title} — {OPENING(lang)} — {APP_NAME(lang)}")
        self.label.setText(STATUS_OPENING.format(name=title)(lang))
        window.canvas.show_preview(CanvasPreview(preview))

    def _leave_busy(self) -> None:
        window = self.window
        for item, enabled in self._disabled.items():
            item.setEnabled(enabled)
        self._disabled = {}
        for name in ("bar", "label"):
            widget = getattr(self, name, None)
            if widget is not None:
                window.statusBar().removeWidget(widget)
                widget.deleteLater()
                setattr(self, name, None)
        if window.canvas.preview is not None:
            window.canvas.clear_preview()
            (cx, cy), mpp, navigated = self._previous_view
            window.canvas.set_view(cx, cy, mpp)  # the open project's map, where it was
            window.canvas._navigated = navigated
        window._update_title()

    def _switched_off(self) -> list:
        """Every action and panel that reads or changes the project (not menus, docks'
        show/hide, language, recent files, Open and Quit)."""
        window = self.window
        recent = window.recent.menu
        toggles = {dock.toggleViewAction() for dock in (window.layer_panel, window.attribute_table,
                                                          window.identify_dock, window.history_panel)}
        items: list = []
        for action in window.findChildren(QAction):
            if (action.menu() is not None or action.objectName() in KEEP or action in toggles
                    or action.objectName().startswith("language_") or action.isSeparator()
                    or (recent is not None and action in recent.actions())):
                continue
            items.append(action)
        items += [window.canvas, window.layer_panel.widget(), window.attribute_table.widget(),
                  window.history_panel.widget()]
        items += [panel.widget() for panel in window.panels.values()]
        return [item for item in items if item is not None]
