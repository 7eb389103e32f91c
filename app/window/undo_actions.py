"""Undo and redo for the window: Qt actions that follow the project's undo stack.

The stack itself is GUI-free (:class:`layers.undo.UndoStack`), because the CLI,
the analysis panels and the map tools all push the same core commands onto it.
Wrapping each command in a ``QUndoCommand`` inside a ``QUndoStack`` would keep
two histories that must never disagree; instead this adapter gives Qt what it
needs from the one history: actions whose enabled state and text ("Undo move
vertex") follow it, and a signal when the clean (saved) state changes.
"""

from __future__ import annotations

from PyQt5.QtCore import QObject
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction

from app.event_bridge import EventBridge
from app.problems import guarded
from layers.errors import T

UNDO, REDO = T("&Undo", "撤销(&U)"), T("&Redo", "重做(&R)")
UNDO_WHAT, REDO_WHAT = T("&Undo {what}", "撤销{what}(&U)"), T("&Redo {what}", "重做{what}(&R)")


class UndoActions(QObject):
    """``undo_action`` and ``redo_action`` bound to whichever project is set."""

    changed = Signal()
    cleanChanged = Signal(bool)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.stack = None
        self._bridge = EventBridge(self._refresh, self)
        self.undo_action = QAction(UNDO(), parent)
        self.undo_action.setObjectName("action_undo")
        self.undo_action.setShortcut(QKeySequence.Undo)
        self.undo_action.triggered.connect(self.undo)
        self.redo_action = QAction(REDO(), parent)
        self.redo_action.setObjectName("action_redo")
        self.redo_action.setShortcuts([QKeySequence.Redo, QKeySequence("Ctrl+Y")])
        self.redo_action.triggered.connect(self.redo)
        self._clean = True
        self._refresh()

    def set_project(self, project) -> None:
        if self.stack is not None:
            self.stack.events.disconnect(self._bridge.forward)
        self.stack = None if project is None else project.undo
        if self.stack is not None:
            self.stack.events.connect(self._bridge.forward)
        self._refresh()

    def undo(self) -> None:
        """Undo the last step; a step that cannot be undone stays, and the reason is shown."""
        if self.stack is not None:
            guarded(self.parent(), self.stack.undo)

    def redo(self) -> None:
        if self.stack is not None:
            guarded(self.parent(), self.stack.redo)

    def _refresh(self, _event=None) -> None:
        stack = self.stack
        can_undo = stack is not None and stack.can_undo
        can_redo = stack is not None and stack.can_redo
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)
        self.undo_action.setText(UNDO_WHAT.format(what=stack.undo_text())() if can_undo else UNDO())
        self.redo_action.setText(REDO_WHAT.format(what=stack.redo_text())() if can_redo else REDO())
        clean = stack is None or stack.is_clean
        if clean != self._clean:
            self._clean = clean
            self.cleanChanged.emit(clean)
        self.changed.emit()
