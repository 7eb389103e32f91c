"""One job runner: analyses and exports run off the GUI thread, and nothing they raise
ends the app or lands in the wrong project.

The pattern (QGIS's QgsTask and napari's thread_worker are the examples):

1. on the GUI thread the caller snapshots what the work reads
   (:func:`layers.snapshot.snapshot_project`), so the worker never reads a layer the
   person is editing;
2. ``work(progress, cancelled)`` runs in a :class:`Job` (a QThread); it reports
   ``progress(fraction, text)`` and polls ``cancelled()``;
3. the result comes back on the GUI thread to ``on_done`` — only if the job was not
   cancelled and the window still shows the project the job was started for (File → New
   or Open meanwhile drops it, with a word in the status bar);
4. every exception is caught in the worker: a :class:`ProjectError` is shown as its one
   line, anything else as one line with the traceback under "Show Details…" and in the log
   (:func:`app.problems.show_problem`), unless the caller handles failures itself.

A modal progress dialog with Cancel appears when the work takes longer than a second
(QProgressDialog's minimum duration); panels with a progress bar of their own pass
``dialog=False`` and listen to ``job.progressed``.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from PyQt5.QtCore import Qt, QThread
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtWidgets import QProgressDialog, QWidget

from app.problems import show_problem
from layers.errors import T

CANCEL = T("Cancel", "取消")
CANCELLED = T("cancelled", "已取消")
DROPPED = T("“{title}” finished for a project that is no longer open; its results were not added.",
            "“{title}”完成时所属项目已关闭，结果未加入当前项目。")
SHOW_AFTER_MS = 1000


class Job(QThread):
    """``fn(progress, cancelled)`` in a worker thread; every exception is caught."""

    progressed = Signal(float, str)
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable, parent=None) -> None:
        super().__init__(parent)
        self.fn = fn
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    @property
    def is_cancelled(self) -> bool:
        return self._cancel

    def _progress(self, fraction: float, text=None) -> None:
        self.progressed.emit(float(fraction), text() if callable(text) else str(text or ""))

    def run(self) -> None:  # in the worker thread
        try:
            result = self.fn(self._progress, lambda: self._cancel)
        except Exception as exc:  # noqa: BLE001 - reported on the GUI thread, never fatal
            exc.traceback_text = traceback.format_exc()
            self.failed.emit(exc)
            return
        self.done.emit(result)


Task = Job  # the name the first panels used


def _stop(job: Job, timeout_s: float = 30.0) -> None:
    """Cancel and let the thread end (sleeping releases the GIL the work needs; QThread.wait
    would hold it)."""
    from PyQt5 import sip

    if sip.isdeleted(job):
        return  # it finished and was cleaned up already
    job.cancel()
    end = time.monotonic() + timeout_s
    while job.isRunning() and time.monotonic() < end:
        time.sleep(0.01)


def _window_project(parent: QWidget) -> Callable[[], Any]:
    def current():
        from PyQt5 import sip

        if sip.isdeleted(parent):
            return None
        holder = parent.window()
        if hasattr(holder, "project"):
            return holder.project
        return getattr(parent, "project", None)

    return current


def _say_dropped(parent: QWidget, title: str) -> None:
    from PyQt5 import sip

    if sip.isdeleted(parent):
        return
    window = parent.window()
    bar = getattr(window, "statusBar", None)
    if callable(bar):
        bar().showMessage(DROPPED.format(title=title)(), 10000)


def start_job(parent: QWidget, title: str, work: Callable, on_done: Callable[[Any], None],
              *, project: Any = None, current: Callable[[], Any] | None = None,
              on_failed: Callable[[BaseException], None] | None = None,
              on_cancelled: Callable[[], None] | None = None,
              on_dropped: Callable[[Any], None] | None = None,
              on_settled: Callable[[], None] | None = None,
              dialog: bool = True) -> Job:
    """Run ``work`` off the GUI thread (see the module text). ``project`` is the project the
    result belongs to: when ``current()`` (default: the project the parent's window shows)
    is another one by the time it is done, the result is dropped, not applied.
    ``on_settled()`` runs last, whatever the outcome."""
    # no Qt parent: a thread must never be destroyed with its widget while it runs; the
    # module keeps it alive until it ends, and a result for a widget that is gone is dropped
    job = Job(work)
    job.owner = parent
    _RUNNING.add(job)
    current = current or _window_project(parent)
    box = _progress_dialog(parent, title, job) if dialog else None

    def close_box() -> None:
        from PyQt5 import sip

        if box is None or sip.isdeleted(box):
            return
        box.canceled.disconnect(job.cancel)  # closing a progress dialog emits canceled
        box.close()
        box.deleteLater()

    def settled(handler):
        """Close the dialog, then: cancelled → on_cancelled; else the handler; on_settled last."""
        def run(value) -> None:
            from PyQt5 import sip

            close_box()
            if sip.isdeleted(parent):
                return  # its window was closed meanwhile
            try:
                if job.is_cancelled:
                    if on_cancelled is not None:
                        on_cancelled()
                else:
                    handler(value)
            finally:
                if on_settled is not None:
                    on_settled()
        return run

    def finished(result) -> None:
        if project is not None and current() is not project:
            (on_dropped or (lambda _r: _say_dropped(parent, title)))(result)
            return
        on_done(result)

    def failed(exc) -> None:
        (on_failed or (lambda e: show_problem(parent, e)))(exc)

    job.done.connect(settled(finished))
    job.failed.connect(settled(failed))
    job.finished.connect(lambda: _ended(job))
    job.start()
    return job


_RUNNING: set[Job] = set()


def _ended(job: Job) -> None:
    _RUNNING.discard(job)
    job.deleteLater()


def stop_jobs(window: QWidget | None = None, timeout_s: float = 30.0) -> None:
    """Cancel the running jobs started from ``window`` (all when None) and let them end:
    a window closes, or the app quits."""
    from PyQt5 import sip

    for job in list(_RUNNING):
        owner = getattr(job, "owner", None)
        mine = window is None or owner is None or sip.isdeleted(owner) or owner is window \
            or window.isAncestorOf(owner)
        if mine:
            _stop(job, timeout_s)


def _progress_dialog(parent: QWidget, title: str, job: Job) -> QProgressDialog:
    box = QProgressDialog(title, CANCEL(), 0, 1000, parent)
    box.setObjectName("progress_dialog")
    box.setWindowTitle(title)
    box.setWindowModality(Qt.WindowModal)
    box.setMinimumDuration(SHOW_AFTER_MS)
    box.setAutoClose(False)
    box.setAutoReset(False)
    box.canceled.connect(job.cancel)

    def progressed(fraction: float, text: str) -> None:
        from PyQt5 import sip

        if sip.isdeleted(box):
            return
        box.setValue(int(1000 * min(max(fraction, 0.0), 1.0)))
        if text:
            box.setLabelText(text)

    job.progressed.connect(progressed)
    return box


def run_with_progress(parent: QWidget, title: str, fn: Callable, on_done: Callable,
                      on_failed: Callable | None = None, **options: Any) -> Job:
    """:func:`start_job` with a progress dialog (the first panels' spelling)."""
    return start_job(parent, title, fn, on_done, on_failed=on_failed, **options)
