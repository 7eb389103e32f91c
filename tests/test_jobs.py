"""Work off the GUI thread: results come back on the GUI thread, a progress dialog with
Cancel appears only for work longer than a second, and Cancel stops the work."""

from __future__ import annotations

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt drives the widgets")

from PyQt5.QtCore import Qt  # noqa: E402
from PyQt5.QtWidgets import QProgressDialog, QPushButton, QWidget  # noqa: E402

from app.jobs import run_with_progress  # noqa: E402
from layers.errors import ProjectError, T  # noqa: E402


def test_quick_work_returns_its_result_on_the_gui_thread_without_a_dialog(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    seen = {}

    def work(progress, cancelled):
        seen["worker"] = threading.get_ident()
        progress(0.5, T("half", "一半"))
        return 42

    def done(result):
        seen["result"], seen["done_on"] = result, threading.get_ident()

    run_with_progress(parent, "quick", work, done)
    dialog = parent.findChild(QProgressDialog, "progress_dialog")
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen["result"] == 42
    assert seen["worker"] != threading.get_ident() and seen["done_on"] == threading.get_ident()
    # the dialog never showed (work under a second) and is gone
    qtbot.waitUntil(lambda: parent.findChild(QProgressDialog, "progress_dialog") is None, timeout=2000)


def test_long_work_shows_progress_and_cancel_stops_it(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    steps, finished, ended = [], [], []

    def work(progress, cancelled):
        try:
            for i in range(200):  # up to 10 s unless cancelled
                if cancelled():
                    return "stopped"
                progress(i / 200, f"step {i}")
                steps.append(i)
                time.sleep(0.05)
            return "ran to the end"
        finally:
            ended.append(True)

    run_with_progress(parent, "long", work, finished.append)
    dialog = parent.findChild(QProgressDialog, "progress_dialog")
    qtbot.waitUntil(dialog.isVisible, timeout=5000)  # expected to take over a second: shown
    qtbot.waitUntil(lambda: dialog.value() > 0, timeout=2000)
    cancel = dialog.findChild(QPushButton)
    assert cancel.text() == "Cancel"
    qtbot.mouseClick(cancel, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(ended), timeout=5000)
    qtbot.wait(100)
    assert len(steps) < 200 and finished == []  # cancelled work reports no result


def test_a_project_error_reaches_the_failure_handler(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    failures = []

    def work(progress, cancelled):
        raise ProjectError(T("disk full", "磁盘已满"), "export")

    run_with_progress(parent, "fails", work, lambda r: None, failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert "disk full" in failures[0].message("en")
