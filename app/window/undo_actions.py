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


SHORT_COLUMNS = 24  # a toolbar button's text: about 24 Latin letters or 12 Chinese characters


def shorten(text: str, columns: int = SHORT_COLUMNS) -> str:
    """``text`` cut to ``columns`` display columns (a CJK character takes two) with "…"."""
    import unicodedata

    def width(char: str) -> int:
        return 2 if unicodedata.east_asian_width(char) in "WF" else 1

    if sum(width(c) for c in text) <= columns:
        return text
    used, out = 0, []
    for char in text:
        if used + width(char) > columns - 1:
            return "".join(out).rstrip() + "…"
        used += width(char)
        out.append(char)
    return text


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
        for action, what, plain, named in (
                (self.undo_action, stack.undo_text() if can_undo else None, UNDO, UNDO_WHAT),
                (self.redo_action, stack.redo_text() if can_redo else None, REDO, REDO_WHAT)):
            # the menu says the whole step; the toolbar button a short form (a long step name
            # pushed the tool row past a laptop's width), the whole in its tooltip
            action.setText(named.format(what=what)() if what else plain())
            action.setIconText(named.format(what=shorten(what))() if what else plain())
            action.setToolTip(action.text().replace("&", ""))
        clean = stack is None or stack.is_clean
        if clean != self._clean:
            self._clean = clean
            self.cleanChanged.emit(clean)
        self.changed.emit()
