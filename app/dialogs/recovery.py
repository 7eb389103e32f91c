"""Start-up: unsaved work from an earlier session (or a window that crashed) is offered back.

Every never-saved project autosaves to its own recovery file, and a saved project to
``NAME.recovery.gpkg`` beside it (:mod:`layers.store.recovery`). At start-up this dialog
lists them, newest first: open one, discard one (after asking), or decide later (the files
stay). A recovered project is never saved into its recovery file: an untitled one asks for
a name, a saved one goes back to its own file.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from pathlib import Path

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.problems import guarded
from layers.errors import T
from layers.i18n import current_language

TITLE = T("Recover unsaved work", "恢复未保存的工作")
INTRO = T("Precinct Planner closed before this work was saved. Open a version to go on with it.",
          "片区规划在以下工作保存前关闭。请选择要继续的版本。")
UNTITLED = T("Untitled project", "未命名项目")
NEVER_SAVED = T("never saved", "从未保存")
OF = T("recovers {path}", "恢复 {path}")
LAYERS = T("{n} layers", "{n} 个图层")
IN_USE = T("open in another window", "正在另一个窗口中使用")
OPEN = T("Open", "打开")
DISCARD = T("Discard…", "丢弃…")
LATER = T("Not now", "以后再说")
DISCARD_ASK = T("Delete this recovery file? The unsaved work in it is lost.\n{path}",
                "删除此恢复文件？其中未保存的工作将丢失。\n{path}")


def when(saved: _dt.datetime, lang: str | None = None) -> str:
    """A local date and time as a person writes it (zh: 2026年12月2日 15:04)."""
    local = saved.astimezone()
    if (lang or current_language()) == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def describe(info, lang: str | None = None) -> str:
    """Two lines: the title and when; then what it recovers (and whether it is in use)."""
    title = info.title or UNTITLED(lang)
    first = " · ".join([title, when(info.saved, lang), LAYERS.format(n=info.layer_count)(lang)])
    origin = OF.format(path=str(info.recovery_of))(lang) if info.recovery_of else NEVER_SAVED(lang)
    second = "    " + origin + (f" · {IN_USE(lang)}" if info.in_use else "")
    return f"{first}\n{second}"


class RecoveryDialog(QDialog):
    """Lists recovery files; ``chosen`` is the one to open after Open."""

    def __init__(self, infos: Iterable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recovery_dialog")
        self.setWindowTitle(TITLE())
        self.infos = list(infos)
        self.chosen = None
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO(), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        for info in self.infos:
            item = QListWidgetItem(describe(info))
            item.setData(Qt.UserRole, str(info.path))
            item.setToolTip(str(info.path))
            if info.in_use:
                item.setFlags(item.flags() & ~Qt.ItemIsEnabled)
            self.list.addItem(item)
        layout.addWidget(self.list, 1)
        buttons = QDialogButtonBox(self)
        self.open_button = QPushButton(OPEN(), self)
        self.discard_button = QPushButton(DISCARD(), self)
        self.later_button = QPushButton(LATER(), self)
        buttons.addButton(self.open_button, QDialogButtonBox.AcceptRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.later_button, QDialogButtonBox.RejectRole)
        self.open_button.clicked.connect(self.open_chosen)
        self.discard_button.clicked.connect(self.discard_chosen)
        self.later_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._update_buttons)
        first = next((i for i, info in enumerate(self.infos) if not info.in_use), None)
        if first is not None:
            self.list.setCurrentRow(first)
        self._update_buttons()
        self.resize(640, 320)

    def current(self):
        row = self.list.currentRow()
        return self.infos[row] if 0 <= row < len(self.infos) else None

    def _update_buttons(self, *_args) -> None:
        info = self.current()
        usable = info is not None and not info.in_use
        self.open_button.setEnabled(usable)
        self.discard_button.setEnabled(usable)

    def open_chosen(self) -> None:
        info = self.current()
        if info is not None and not info.in_use:
            self.chosen = info
            self.accept()

    def discard_chosen(self, confirm: bool = True) -> bool:
        from layers.store.recovery import discard_recovery_file

        info = self.current()
        if info is None or info.in_use:
            return False
        if confirm and QMessageBox.question(
                self, TITLE(), DISCARD_ASK.format(path=str(info.path))(),
                QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
            return False
        if not guarded(self, discard_recovery_file, info.path)[0]:
            return False
        row = self.list.currentRow()
        self.infos.pop(row)
        self.list.takeItem(row)
        if not self.infos:
            self.reject()
        return True


def ask(dialog: RecoveryDialog) -> bool:
    """Show the dialog modally (tests replace this)."""
    return dialog.exec_() == QDialog.Accepted


def offer_recovery(parent: QWidget | None, recent: Iterable[str | Path] = ()):
    """At start-up: offer the recoverable work; the opened project, or None."""
    from layers.store import open_project
    from layers.store.recovery import list_recoverable

    ok, infos = guarded(parent, list_recoverable, [Path(p) for p in recent])
    if not ok or not infos:
        return None
    dialog = RecoveryDialog(infos, parent)
    if not ask(dialog) or dialog.chosen is None:
        return None
    return guarded(parent, open_project, dialog.chosen.path)[1]
