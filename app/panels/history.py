"""The undo history (after QGIS's Undo panel): every step by name; click one to go back
to just after it (or forward again); the first row is the project as opened."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.panels.base import Panel
from app.problems import guarded
from layers.errors import T

TITLE = T("Undo history", "操作历史")
START = T("(project as opened)", "（打开时的项目）")


class HistoryPanel(Panel):
    TITLE = TITLE
    OBJECT_NAME = "history_panel"

    def __init__(self, window=None, canvas=None) -> None:
        super().__init__(window, canvas)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.list = QListWidget(body)
        self.list.itemClicked.connect(self._go)
        layout.addWidget(self.list)
        self.setWidget(body)
        self._filling = False

    def subscriptions(self, project) -> list:
        return [project.undo.events]

    def on_project(self, project) -> None:
        self.refresh()

    def on_event(self, event) -> None:
        self.refresh()

    def refresh(self) -> None:
        self._filling = True
        self.list.clear()
        if self.project is not None:
            steps = self.project.undo.history()
            done = sum(1 for _cmd, is_done in steps if is_done)
            rows = [START()] + [cmd.text() for cmd, _ in steps]
            for row, text in enumerate(rows):
                item = QListWidgetItem(text)
                item.setData(Qt.UserRole, row)
                if row > done:
                    item.setForeground(Qt.gray)  # undone: redo brings it back
                self.list.addItem(item)
            self.list.setCurrentRow(done)
        self._filling = False

    def _go(self, item: QListWidgetItem) -> None:
        if self.project is not None and not self._filling:
            guarded(self, self.project.undo.go_to, int(item.data(Qt.UserRole)))
            self.refresh()
