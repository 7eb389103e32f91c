"""Work longer than a second runs off the GUI thread, with a progress bar and Cancel.

``Task`` runs ``fn(progress, cancelled)`` in a QThread: the function reports
``progress(fraction, text)`` (text a ``T`` or str) and polls ``cancelled()``.
Results come back on the GUI thread through ``done``; a ``ProjectError`` through
``failed``. ``run_with_progress`` adds a progress dialog that appears only when the
work takes, or by its progress so far is expected to take, longer than a second
(QProgressDialog's minimum duration).
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import Qt, QThread
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtWidgets import QProgressDialog, QWidget

from layers.errors import ProjectError, T

CANCEL = T("Cancel", "取消")
CANCELLED = T("cancelled", "已取消")
SHOW_AFTER_MS = 1000


class Task(QThread):
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
        except ProjectError as exc:
            self.failed.emit(exc)
            return
        self.done.emit(result)


def _stop(task: Task, timeout_s: float = 30.0) -> None:
    """Cancel and let the thread end (sleeping releases the GIL the work needs; QThread.wait
    would hold it)."""
    import time

    from PyQt5 import sip

    if sip.isdeleted(task):
        return  # it finished and was cleaned up already
    task.cancel()
    end = time.monotonic() + timeout_s
    while task.isRunning() and time.monotonic() < end:
        time.sleep(0.01)


def run_with_progress(parent: QWidget, title: str, fn: Callable, on_done: Callable,
                      on_failed: Callable | None = None) -> Task:
    """Start ``fn`` in a Task; a modal progress dialog with Cancel shows after one second.
    ``on_done(result)`` runs on the GUI thread unless the user cancelled."""
    dialog = QProgressDialog(title, CANCEL(), 0, 1000, parent)
    dialog.setObjectName("progress_dialog")
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    task = Task(fn, parent)
    dialog.canceled.connect(task.cancel)

    def progressed(fraction: float, text: str) -> None:
        dialog.setValue(int(1000 * min(max(fraction, 0.0), 1.0)))
        if text:
            dialog.setLabelText(text)

    def close_dialog() -> None:
        from PyQt5 import sip

        if sip.isdeleted(dialog):  # its window went away first
            return
        dialog.canceled.disconnect(task.cancel)  # closing a progress dialog emits canceled
        dialog.close()
        dialog.deleteLater()

    def finished(result) -> None:
        cancelled = task.is_cancelled
        close_dialog()
        if not cancelled:
            on_done(result)

    def failed(exc) -> None:
        close_dialog()
        if on_failed is not None:
            on_failed(exc)

    task.progressed.connect(progressed)
    task.done.connect(finished)
    task.failed.connect(failed)
    task.finished.connect(task.deleteLater)
    # a window closed mid-task: stop the work and wait, never destroy a running thread
    parent.destroyed.connect(lambda *_: _stop(task))
    task.start()
    return task
