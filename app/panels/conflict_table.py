"""The table behind the pipeline conflict panel: the conflicts layer's rows as a Qt model
(category first), a filter by category, type, status and text, and the status editor."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from PyQt5.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PyQt5.QtWidgets import QComboBox, QStyledItemDelegate

from app.problems import apply_command
from layers import display
from layers.commands import ChangeAttributes
from layers.kinds import CONFLICT_STATUS, CONFLICTS
from layers.pipelines import STATUS_LABELS, categories_of

COLUMNS = ("category", "conflict_type", "status", "utility_a", "utility_b", "length_m",
           "distance_m", "required_m", "checked", "note", "basis", "confidence", "street",
           "saving_yuan", "layer_a", "fid_a", "layer_b", "fid_b", "conflict_id")
RAW = Qt.UserRole  # the stored value (key, number) behind a displayed text
FID = Qt.UserRole + 1


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class ConflictTableModel(QAbstractTableModel):
    """Rows of a conflicts layer; the status column edits through ChangeAttributes."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.project = None
        self.layer = None
        self._fids: np.ndarray = np.empty(0, dtype=np.int64)
        self._categories: np.ndarray = np.empty(0, dtype=object)

    def set_layer(self, project, layer) -> None:
        self.beginResetModel()
        self.project, self.layer = project, layer
        self._fids = (layer.gdf.index.to_numpy(dtype=np.int64) if layer is not None
                      else np.empty(0, dtype=np.int64))
        self._read_categories()
        self.endResetModel()

    def _read_categories(self) -> None:
        """Each row's category (a layer found before categories existed gets them derived)."""
        self._categories = (categories_of(self.layer.gdf.loc[self._fids]).to_numpy()
                            if self.layer is not None else np.empty(0, dtype=object))

    def refresh_values(self) -> None:
        self._read_categories()
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self.rowCount() - 1, self.columnCount() - 1))

    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802 (Qt name)
        return 0 if parent is not None and parent.isValid() else len(self._fids)

    def columnCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role != Qt.DisplayRole or orientation != Qt.Horizontal:
            return None
        return display.field_label(CONFLICTS.field(COLUMNS[section]))

    def fid(self, row: int) -> int:
        return int(self._fids[row])

    def raw(self, row: int, column: str) -> Any:
        if column == "category":
            return self._categories[row]
        value = self.layer.gdf.at[self.fid(row), column]
        return None if _missing(value) else value

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or self.layer is None:
            return None
        column = COLUMNS[index.column()]
        if role == FID:
            return self.fid(index.row())
        if role not in (Qt.DisplayRole, Qt.EditRole, Qt.ToolTipRole, RAW):
            return None
        value = self.raw(index.row(), column)
        if role == RAW:
            return value.item() if hasattr(value, "item") else value
        if value is None:
            return ""
        if isinstance(value, (float, np.floating)) and column != "saving_yuan":
            return f"{float(value):,.2f}"
        std = self.project.standards() if self.project is not None else None
        return display.text(value, CONFLICTS.field(column), CONFLICTS.kind, standards=std)

    def flags(self, index):
        base = super().flags(index)
        if index.isValid() and COLUMNS[index.column()] == "status":
            return base | Qt.ItemIsEditable
        return base

    def setData(self, index, value, role=Qt.EditRole) -> bool:  # noqa: N802
        if role != Qt.EditRole or COLUMNS[index.column()] != "status":
            return False
        return self.set_status([self.fid(index.row())], str(value))

    def set_status(self, fids: list[int], status: str) -> bool:
        """Set the status of some conflicts as one undoable command."""
        if self.layer is None or status not in CONFLICT_STATUS or not fids:
            return False
        changes = {int(f): {"status": status} for f in fids
                   if self.layer.gdf.at[int(f), "status"] != status}
        if not changes:
            return True
        return apply_command(None, self.project, ChangeAttributes(self.layer.id, changes))


class ConflictFilter(QSortFilterProxyModel):
    """Sorts on stored values; filters by category, type, status and a text in any column."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(RAW)
        self.category: str | None = None
        self.conflict_type: str | None = None
        self.status: str | None = None
        self.text = ""

    def set_filters(self, conflict_type: str | None, status: str | None, text: str,
                    category: str | None = None) -> None:
        self.conflict_type, self.status, self.text = conflict_type, status, text.strip().lower()
        self.category = category
        self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802 (Qt name)
        model: ConflictTableModel = self.sourceModel()
        if model.layer is None:
            return False
        if self.category and model.raw(row, "category") != self.category:
            return False
        if self.conflict_type and model.raw(row, "conflict_type") != self.conflict_type:
            return False
        if self.status and model.raw(row, "status") != self.status:
            return False
        if self.text:
            shown = [str(model.data(model.index(row, c))) for c in range(len(COLUMNS))]
            keys = [str(model.raw(row, c)) for c in ("utility_a", "utility_b")]  # codes too
            return any(self.text in t.lower() for t in shown + keys)
        return True

    def lessThan(self, left, right) -> bool:  # noqa: N802
        a, b = left.data(RAW), right.data(RAW)
        if a is None or b is None:
            return a is None and b is not None  # missing values first
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)


class StatusDelegate(QStyledItemDelegate):
    """A combo box to pick open / accepted / resolved in the status column."""

    def createEditor(self, parent, option, index):  # noqa: N802
        combo = QComboBox(parent)
        for key in CONFLICT_STATUS:
            combo.addItem(STATUS_LABELS[key](), key)
        combo.activated.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor, index) -> None:  # noqa: N802
        pos = editor.findData(index.data(RAW))
        editor.setCurrentIndex(max(pos, 0))

    def setModelData(self, editor, model, index) -> None:  # noqa: N802
        model.setData(index, editor.currentData(), Qt.EditRole)


