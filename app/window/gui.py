"""Start the desktop app: ``run_gui(path)`` opens a project (or the sample city)."""

from __future__ import annotations

import os
import sys

from PyQt5.QtWidgets import QApplication, QMessageBox

from layers.errors import T
from layers.i18n import set_language

OPENING = T("Precinct Planner — opening {name}…", "片区规划 — 正在打开 {name}…")
NO_SAMPLE = T("The sample city could not be opened; starting with an empty project.",
              "无法打开示例城区，已新建空项目。")


def run_gui(path: str | None, lang: str | None = None, screenshot: str | None = None) -> int:
    """Show the main window on ``path`` (the bundled sample when None); return the exit code.

    With ``screenshot`` the window is drawn once, saved as a PNG there, and closed
    (for documentation, bug reports and the offscreen tests of the real entry point).
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Precinct Planner")
    app.setOrganizationName("precinct-planner")
    from app.dialogs.recovery import offer_recovery
    from app.window.files import recent_paths, saved_language

    lang = lang or (None if os.environ.get("PRECINCT_LANG") else saved_language())
    if lang:
        set_language(lang)
    from app.window.translations import install_qt_translations
    from layers.i18n import current_language

    install_qt_translations(app, current_language())
    splash = _splash(path, screenshot)

    from app.problems import show_problem
    from app.window.main import load_project_interactively
    from layers.project import Project
    from layers.resources import sample_project_path

    # unsaved work from an earlier session comes first (not for a one-off screenshot)
    recovered = None if screenshot is not None else offer_recovery(None, recent_paths())
    target = path if path is not None else str(sample_project_path())
    project = recovered
    if project is None and screenshot is None and _opens_at_once(target):
        # a project file: the window is up at once with its stored picture, the layers load
        # beside it (app.window.opening); a failure is told there and the window stays
        window = _show_window(app, Project(), splash)
        window.opener.open(target, template=path is None)
        return int(app.exec_())
    if project is None:
        try:
            project = load_project_interactively(target)
        except Exception as exc:  # noqa: BLE001 - e.g. the recovery check itself failed
            if splash is not None:
                splash.close()
            show_problem(None, exc)
            project = None
        if project is not None and path is None:
            project.path = None  # the bundled sample is a template: Save asks where to write
    if project is None:
        if splash is not None:
            splash.close()
        if path is not None:
            return 1  # the message box has told the person what is wrong
        QMessageBox.information(None, "Precinct Planner", NO_SAMPLE())
        project = Project()
    window = _show_window(app, project, splash)
    if screenshot is not None:
        app.processEvents()
        saved = window.grab().save(str(screenshot), "PNG")
        window.close()
        return 0 if saved else 1
    return int(app.exec_())


def _opens_at_once(target: str) -> bool:
    """A readable project file (a missing or foreign one is opened, and refused, as before)."""
    from layers.store.overview import read_preview
    from layers.store.pglocation import is_pg_location

    return not is_pg_location(target) and read_preview(target) is not None


def _show_window(app, project, splash):
    from app.jobs import stop_jobs
    from app.problems import install_exception_hooks
    from app.window.main import MainWindow

    window = MainWindow(project)
    # an exception escaping a slot is shown and logged; it never ends the app
    install_exception_hooks(lambda: window)
    app.aboutToQuit.connect(stop_jobs)
    window.show()
    if splash is not None:  # after the window is up: never a moment with no window shown
        splash.close()
    return window


def _splash(path: str | None, screenshot: str | None):
    """A small window saying what is being opened, shown at once while the rest of the app
    loads (3-4 s on a laptop showed nothing). Showing a window lets Qt deliver events that
    were queued before ``exec_`` (on X11 a zero timer fires then), which is also true of the
    main window itself; nothing here depends on their order."""
    if screenshot is not None or QApplication.platformName() in ("offscreen", "minimal"):
        return None
    from pathlib import Path

    from PyQt5.QtCore import Qt
    from PyQt5.QtWidgets import QLabel

    from layers.i18n import current_language

    name = Path(path).name if path else T("the sample city", "示例城区")(current_language())
    splash = QLabel(OPENING.format(name=name)(current_language()))
    splash.setWindowFlags(Qt.FramelessWindowHint)  # not kept on top: a dialog shows above it
    splash.setAlignment(Qt.AlignCenter)
    splash.setStyleSheet("background: #fbfaf7; color: #1a1a1a; padding: 24px; border: 1px solid #999;")
    splash.resize(460, 90)
    splash.show()
    splash.repaint()
    QApplication.flush()
    return splash
