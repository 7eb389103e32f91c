"""The attribute table's view: rows are selected by the project's selection, not Qt's.

Qt's selection model keeps a selection as ranges of rows and compares ranges pairwise; the
10,000 scattered features a polygon selects on the city's map are ~9,000 ranges, and
handing them to Qt froze the window for seconds (3 million calls back into the model for
each range's parent, then a quadratic merge and a repaint asking every range of every
cell). QGIS's attribute table keeps its own feature selection for the same reason. Here:

* the view paints a row as selected when its feature is in the project's selection (a
  boolean mask over the shown rows, recomputed only when the selection or the rows change);
* a click, ctrl-click, shift-click, drag or arrow key is read from the event
  (:meth:`FeatureTableView.selectionCommand`) and turned into a change of the project's
  selection; Qt's own selection model stays empty.
"""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QEvent, QItemSelectionModel, Qt
from PyQt5.QtWidgets import QStyle, QTableView

from app.panels.attributes.model import AttributeDelegate

NAVIGATION = {Qt.Key_Up, Qt.Key_Down, Qt.Key_PageUp, Qt.Key_PageDown, Qt.Key_Home, Qt.Key_End}


class SelectionDelegate(AttributeDelegate):
    """Paints the rows of the selected features as selected."""

    def __init__(self, view: FeatureTableView) -> None:
        super().__init__(view)
        self.view = view

    def initStyleOption(self, option, index) -> None:  # noqa: N802 (Qt name)
        super().initStyleOption(option, index)
        if self.view.row_selected(index.row()):
            option.state |= QStyle.State_Selected
        else:
            option.state &= ~QStyle.State_Selected


class FeatureTableView(QTableView):
    """A table whose selection is the dock's (the project's) feature selection.

    ``rows_of_selection()`` gives the shown rows of the selected features; ``on_gesture``
    (set by the dock) is called with ``(rows, mode)`` — mode ``replace``, ``add`` or
    ``toggle`` — when the person selects in the table."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows_of_selection = lambda: np.empty(0, dtype=np.int64)
        self.on_gesture = lambda rows, mode: None
        self.anchor: int | None = None
        self._mask = np.zeros(0, dtype=bool)
        self._mask_key: tuple | None = None
        self.mask_key = lambda: None  # what the mask depends on (selection, rows shown)
        self.setItemDelegate(SelectionDelegate(self))

    # --- painting -------------------------------------------------------------------------
    def selection_mask(self) -> np.ndarray:
        key = self.mask_key()  # objects (compared by identity: a new one means a change)
        old = self._mask_key
        if key is None or old is None or len(key) != len(old) or \
                any(a is not b for a, b in zip(key, old, strict=True)):
            rows = self.rows_of_selection()
            mask = np.zeros(self.model().rowCount() if self.model() is not None else 0, bool)
            mask[rows[(rows >= 0) & (rows < len(mask))]] = True
            self._mask, self._mask_key = mask, key
        return self._mask

    def row_selected(self, row: int) -> bool:
        mask = self.selection_mask()
        return 0 <= row < len(mask) and bool(mask[row])

    def selected_rows(self) -> np.ndarray:
        return np.flatnonzero(self.selection_mask())

    # --- gestures -------------------------------------------------------------------------
    def selectionCommand(self, index, event=None):  # noqa: N802 (Qt name)
        """Read the gesture; Qt's selection model is never asked to change."""
        if index.isValid() and event is not None:
            self._gesture(index.row(), event)
        return QItemSelectionModel.NoUpdate

    def _gesture(self, row: int, event) -> None:
        kind = event.type()
        mods = event.modifiers()
        ctrl, shift = bool(mods & Qt.ControlModifier), bool(mods & Qt.ShiftModifier)
        if kind == QEvent.MouseButtonPress:
            if event.button() != Qt.LeftButton:
                if not self.row_selected(row):  # a right click on another row selects it
                    self._emit([row], "replace", anchor=row)
                return
            if shift and self.anchor is not None:
                self._emit(self._span(row), "add" if ctrl else "replace")
            elif ctrl:
                self._emit([row], "toggle", anchor=row)
            else:
                self._emit([row], "replace", anchor=row)
        elif kind == QEvent.MouseMove and event.buttons() & Qt.LeftButton:
            if self.anchor is not None:
                self._emit(self._span(row), "add" if ctrl else "replace")
        elif kind == QEvent.KeyPress and event.key() in NAVIGATION:
            if shift and self.anchor is not None:
                self._emit(self._span(row), "replace")
            else:
                self._emit([row], "replace", anchor=row)
        elif kind == QEvent.KeyPress and event.key() == Qt.Key_Space and ctrl:
            self._emit([row], "toggle", anchor=row)

    def _span(self, row: int) -> np.ndarray:
        low, high = sorted((self.anchor, row))
        return np.arange(low, high + 1)

    def _emit(self, rows, mode: str, anchor: int | None = None) -> None:
        if anchor is not None:
            self.anchor = anchor
        self.on_gesture(np.asarray(rows, dtype=np.int64), mode)

    def selectAll(self) -> None:  # noqa: N802 (Qt name): Ctrl+A selects every shown row
        model = self.model()
        if model is not None and model.rowCount():
            self.on_gesture(np.arange(model.rowCount()), "replace")
