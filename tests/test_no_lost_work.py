"""Nothing a person does ends the app or puts results in the wrong project (issue 14),
driven on the real main window."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt drives the widgets")

import app.panels.coverage as coverage_panel  # noqa: E402
import app.problems as problems  # noqa: E402
from app.window.main import MainWindow  # noqa: E402
from conftest import REPO, finish_job  # noqa: E402
from layers.coverage import RESULTS_LAYER, compute_coverage  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("PRECINCT_LOG_DIR", str(tmp_path / "log"))
    win = MainWindow(build_sample_project("small", 0))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.project.undo.set_clean()


@pytest.fixture
def boxes(monkeypatch):
    """Message boxes built for unexpected problems, captured instead of shown."""
    shown = []
    monkeypatch.setattr(problems, "present", lambda box: shown.append(
        (box.text(), box.detailedText())))
    return shown


def state(project):
    return [(layer.name, layer.layer_type != "raster" and len(layer)) for layer in project.layers], \
        len(project.undo)


def test_a_job_that_raises_leaves_the_window_and_project_as_they_were(qtbot, window, boxes,
                                                                      monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("TopologyException: side location conflict at 528000 3397000")

    monkeypatch.setattr(coverage_panel, "compute_coverage", broken)
    before = state(window.project)
    panel = window.open_panel("coverage")
    finish_job(qtbot, panel, panel.run())
    assert window.isVisible() and state(window.project) == before
    assert len(boxes) == 1
    text, details = boxes[0]
    assert "\n" not in text and "RuntimeError: TopologyException" in text
    assert "Traceback" in details and "broken" in details
    log = problems.log_path().read_text(encoding="utf-8")
    assert "TopologyException" in log
    assert panel.run_button.isEnabled()  # and the panel can run again


def test_file_new_during_coverage_leaves_the_new_project_without_results(qtbot, window,
                                                                         monkeypatch):
    release, started, seen = threading.Event(), threading.Event(), {}

    def slow(project, *args, **kwargs):
        seen["input"] = project
        started.set()
        release.wait(30)
        return compute_coverage(project, *args, **kwargs)

    monkeypatch.setattr(coverage_panel, "compute_coverage", slow)
    old = window.project
    panel = window.open_panel("coverage")
    assert panel.run()
    assert started.wait(10)
    assert seen["input"] is not old  # the worker reads a snapshot, never the live project
    import app.dialogs.new_project as new_project

    monkeypatch.setattr(new_project, "ask", lambda dialog: dialog.accept_if_valid() or True)
    assert window.new_project()
    release.set()
    finish_job(qtbot, panel)
    assert RESULTS_LAYER not in window.project.names()
    assert RESULTS_LAYER not in old.names() and not old.undo.can_undo
    assert "not added" in panel.status.text()


def test_the_results_join_the_project_they_were_computed_for(qtbot, window):
    panel = window.open_panel("coverage")
    finish_job(qtbot, panel, panel.run())
    assert RESULTS_LAYER in window.project.names()
    window.project.undo.undo()  # one step
    assert RESULTS_LAYER not in window.project.names()


def test_a_failing_command_is_reported_and_changes_nothing(window, boxes):
    class Broken:
        def apply(self, project):
            raise ValueError("GEOSException: IllegalArgumentException")

        def revert(self, project):  # pragma: no cover - never applied
            raise AssertionError

    before = state(window.project)
    assert not problems.apply_command(window, window.project, Broken())
    assert state(window.project) == before
    assert len(boxes) == 1 and "ValueError" in boxes[0][0]


def test_an_exception_in_a_slot_does_not_end_the_process(tmp_path):
    """PyQt5 aborts (exit 134) on an exception escaping a slot unless sys.excepthook is ours."""
    script = textwrap.dedent(
        """
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PyQt5.QtCore import QTimer
        from PyQt5.QtWidgets import QApplication, QWidget
        import app.problems as problems
        app = QApplication([])
        window = QWidget()
        problems.present = lambda box: print("SHOWN:", box.text(), flush=True)
        problems.install_exception_hooks(lambda: window)
        def boom():
            raise KeyError("a bug in a slot")
        QTimer.singleShot(0, boom)
        QTimer.singleShot(200, app.quit)
        sys.exit(app.exec_())
        """)
    env = {**os.environ, "PRECINCT_LOG_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "SHOWN:" in result.stdout and "KeyError" in result.stdout
    assert "a bug in a slot" in (tmp_path / problems.LOG_NAME).read_text(encoding="utf-8")


def test_the_problem_box_speaks_chinese_buttons_included(qtbot, boxes, monkeypatch):
    from PyQt5.QtWidgets import QApplication

    from app.window.translations import install_qt_translations
    from layers import i18n

    built = []
    monkeypatch.setattr(problems, "present", lambda box: built.append(
        [b.text() for b in box.buttons()]))
    old = i18n.current_language()
    try:
        i18n.set_language("zh")
        assert install_qt_translations(QApplication.instance(), "zh")
        problems.show_problem(None, OSError(28, "No space left on device"))
    finally:
        install_qt_translations(QApplication.instance(), "en")
        i18n.set_language(old)
    assert "确定" in built[0] and any("详" in text for text in built[0])
