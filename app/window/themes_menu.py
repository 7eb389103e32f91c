"""View → Map theme: the named presets of :mod:`styles.themes` as checkable actions. Picking
one is one undoable step (each layer's style and visibility); "layers' own styles" goes back
to every layer's default style."""

from __future__ import annotations

from PyQt5.QtWidgets import QAction, QActionGroup

from app.problems import guarded
from layers.errors import T
from layers.themes import active, apply_theme
from styles.themes import THEMES

TITLE = T("Map &theme", "专题图(&T)")
NONE = T("Layers' own styles", "图层自身样式")


class ThemeMenu:
    """Keeps the menu's tick on the project's theme (undo and reload included)."""

    def __init__(self, menu, window) -> None:
        self.window = window
        self.group = QActionGroup(menu)
        self.actions: dict[str | None, QAction] = {}
        for key, label in [(None, NONE)] + [(k, t.label) for k, t in THEMES.items()]:
            action = QAction(label(), menu)
            action.setObjectName(f"theme_{key or 'none'}")
            action.setCheckable(True)
            if key is not None:
                action.setToolTip(THEMES[key].description())
                action.setStatusTip(THEMES[key].description())
            action.triggered.connect(lambda _checked=False, k=key: self.choose(k))
            self.group.addAction(action)
            menu.addAction(action)
            self.actions[key] = action
        self.sync()

    def choose(self, key: str | None) -> bool:
        project = self.window.project
        ok = project is not None and guarded(self.window, apply_theme, project, key)[0]
        self.sync()
        return ok

    def sync(self) -> None:
        project = getattr(self.window, "project", None)
        key = active(project) if project is not None else None
        self.actions[key].setChecked(True)
