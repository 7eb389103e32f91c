"""Opening a project (offering a newer recovery file), recent projects (File → Open recent)
and the interface language setting, both kept in the user's Qt settings."""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QSettings
from PyQt5.QtWidgets import QAction, QActionGroup, QMessageBox, QWidget

from app.problems import guarded
from app.window.texts import RECOVERY_TEXT, RECOVERY_TITLE
from layers.errors import T
from layers.i18n import LANGUAGES, current_language
from layers.project import Project

MAX_RECENT = 8
NO_RECENT = T("(none yet)", "（暂无）")
LANGUAGE_NAMES = {"zh": "简体中文", "en": "English"}
LANGUAGE_SET = T("Interface language set to {name}; it applies the next time Precinct Planner starts.",
                 "界面语言已设为{name}，下次启动片区规划时生效。")
SYSTEM = T("Follow the system", "跟随系统")


def settings() -> QSettings:
    return QSettings("precinct-planner", "Precinct Planner")


def saved_language() -> str | None:
    """The language chosen in View → Language, or None to follow the system locale."""
    value = settings().value("language", "", type=str)
    return value if value in LANGUAGES else None


def recent_paths() -> list[str]:
    """Recently opened or saved projects, newest first."""
    value = settings().value("recent_files", [], type=list)
    return [str(p) for p in value if p]


class RecentFiles:
    """The list of recently opened or saved projects, newest first."""

    def __init__(self, window) -> None:
        self.window = window
        self.menu = None

    def paths(self) -> list[str]:
        return recent_paths()

    def add(self, path) -> None:
        from layers.store import location_of
        from layers.store.pglocation import is_pg_location

        # a server's project by its location as shown (a password in it never is)
        text = str(location_of(path)) if is_pg_location(path) else str(Path(path).resolve())
        paths = [text] + [p for p in self.paths() if p != text]
        settings().setValue("recent_files", paths[:MAX_RECENT])
        self.refresh()

    def refresh(self) -> None:
        from layers.store.pglocation import is_pg_location

        if self.menu is None:
            return
        self.menu.clear()
        paths = self.paths()
        if not paths:
            self.menu.addAction(NO_RECENT()).setEnabled(False)
        for i, path in enumerate(paths, start=1):
            action = self.menu.addAction(f"&{i} {path}")
            action.setEnabled(is_pg_location(path) or Path(path).exists())
            action.triggered.connect(lambda _checked=False, p=path: self.open(p))

    def open(self, path: str) -> bool:
        if not self.window.confirm_discard():
            return False
        return self.window.open_path(path, wait=False)


def language_menu(menu, window) -> QActionGroup:
    """Follow the system / 简体中文 / English; the choice is saved and used at the next start."""
    group = QActionGroup(menu)
    chosen = saved_language()
    for code, name in ((None, SYSTEM()), ("zh", LANGUAGE_NAMES["zh"]), ("en", LANGUAGE_NAMES["en"])):
        action = QAction(name, menu)
        action.setObjectName(f"language_{code or 'system'}")
        action.setCheckable(True)
        action.setChecked(code == chosen)
        action.triggered.connect(lambda _checked=False, c=code, n=name: choose(window, c, n))
        group.addAction(action)
        menu.addAction(action)
    return group


def choose(window, code: str | None, name: str) -> None:
    settings().setValue("language", code or "")
    window.show_problem(LANGUAGE_SET.format(name=name)(current_language()))


def load_project_interactively(path: str | Path, parent: QWidget | None = None) -> Project | None:
    """Open a project, offering a newer recovery file; errors are shown, None returned."""
    from layers.store import open_project

    return guarded(parent, open_project, target_to_open(path, parent))[1]


def target_to_open(path: str | Path, parent: QWidget | None = None):
    """Where to read ``path`` from: itself, or its newer recovery file if the person wants."""
    from layers.store import find_recovery, location_of

    target = location_of(path)  # a file, or a schema on a PostGIS server
    recovery = find_recovery(target)
    if recovery is not None:
        answer = QMessageBox.question(parent, RECOVERY_TITLE(),
                                      RECOVERY_TEXT.format(path=str(recovery))(),
                                      QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        if answer == QMessageBox.Yes:
            target = recovery
    return target
