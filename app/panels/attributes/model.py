"""The attribute table's model, filter proxy and cell editor (the dock is in
:mod:`app.panels.attributes.table`).

The model answers ``data()`` from column arrays cached per data change (no per-cell
objects), sorts with pandas and filters with a mask computed on whole columns, so a
100,000-row layer stays responsive. Edits go through the schema check and one
``ChangeAttributes`` command each, so every edit is one undo step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from PyQt5.QtCore import QAbstractProxyModel, QAbstractTableModel, QModelIndex, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtWidgets import QComboBox, QLineEdit, QStyledItemDelegate

from app.event_bridge import EventBridge
from app.field_values import (
    EMPTY,
    NO,
    YES,
    check_values,
    choice_items,
    date_text,
    display_text,
    edit_text,
    field_label,
    plain,
    same_value,
)
from app.panels.attributes.filter import Column, search_texts
from app.problems import guarded
from layers.commands import ChangeAttributes

RAW = Qt.UserRole  # the stored value (key, number, bool) behind a displayed text
FID = Qt.UserRole + 1
NUMERIC = ("int", "float")


class AttributeTableModel(QAbstractTableModel):
    """The rows of one layer: schema fields in schema order, then extra columns.

    ``problem(str)`` carries the bilingual message of a refused edit ("" after a good
    one); ``refreshing`` / ``refreshed(bool rows_changed)`` bracket every change the model
    makes on its own (layer data events, undo / redo, sorting). Rows keep their place
    when values change (as in a spreadsheet) until the next sort."""

    problem = Signal(str)
    refreshing = Signal()
    refreshed = Signal(bool)

    def __init__(self, project=None, layer=None, parent=None) -> None:
        super().__init__(parent)
        self.project = None
        self.layer = None
        self.columns: list[Column] = []
        self.version = 0  # bumped on every data change; the filter proxy recomputes then
        self.sort_column, self.sort_order = -1, Qt.AscendingOrder
        self._bridge = EventBridge(self._on_layer_event, self)
        self._clear()
        if layer is not None:
            self.set_layer(project, layer)

    # --- layer --------------------------------------------------------------------------
    def _clear(self) -> None:
        self._fids = np.empty(0, dtype=np.int64)
        self._fid_index = pd.Index(self._fids)
        self._order = np.empty(0, dtype=np.int64)  # row → position in the layer's frame
        self._row_of = np.empty(0, dtype=np.int64)  # position → row
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._texts: dict[str, pd.Series] = {}

    def set_layer(self, project, layer) -> None:
        self.refreshing.emit()
        self.beginResetModel()
        self.detach()
        self.project, self.layer = project, layer
        if layer is not None:
            layer.events.connect(self._bridge.forward)
        self.sort_column = -1
        self._load()
        self.endResetModel()
        self.refreshed.emit(True)

    def detach(self) -> None:
        if self.layer is not None:
            self.layer.events.disconnect(self._bridge.forward)

    def _load(self) -> None:
        self._clear()
        self.version += 1
        if self.layer is None:
            self.columns = []
            return
        frame = self.layer.gdf
        schema = self.layer.schema
        columns = []
        for name in frame.columns:
            if name == "geometry":
                continue
            field = schema.field(name) if schema.has_field(name) else None
            items = choice_items(self.project, self.layer.kind, field) if field else None
            columns.append(Column(name, field, dict(items) if items is not None else None))
        self.columns = columns
        self._fids = frame.index.to_numpy(dtype=np.int64)
        self._fid_index = pd.Index(self._fids)
        self._set_order(self._sorted_positions())

    def _set_order(self, order: np.ndarray) -> None:
        self._order = np.asarray(order, dtype=np.int64)
        self._row_of = np.empty(len(order), dtype=np.int64)
        self._row_of[self._order] = np.arange(len(order), dtype=np.int64)

    def _on_layer_event(self, event) -> None:
        if event.type != "data" or event.source is not self.layer:
            return
        change = event.info.get("change")
        if change == "geometry":
            return
        frame = self.layer.gdf
        self.refreshing.emit()
        if change == "attributes" and np.array_equal(frame.index.to_numpy(), self._fids):
            fids = event.info.get("fids") or []
            if 0 < len(fids) <= 1000:
                self._patch(fids, event.info.get("fields"))
            else:
                self._cache.clear()
                self._texts.clear()
            self.version += 1
            last = self.columnCount() - 1
            if 0 < len(fids) <= 200:  # the edited rows only: the proxy re-filters just those
                for row in self.rows_of(fids):
                    self.dataChanged.emit(self.index(int(row), 0), self.index(int(row), last))
            elif self.rowCount():
                self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, last))
            self.refreshed.emit(False)
            return
        self.beginResetModel()
        self._load()
        self.endResetModel()
        self.refreshed.emit(True)

    def _patch(self, fids, fields=None) -> None:
        """Bring the cached columns up to date for a few edited features (and, when the
        event names them, only the edited fields: an edit costs milliseconds, not a pass
        over every cached column of 100,000 rows)."""
        wanted = None if fields is None else set(fields)
        for col in list(self._cache):  # column views are cheap to take again (no copies)
            if wanted is None or self.columns[col].name in wanted:
                del self._cache[col]
        for column in self.columns:  # a filter's texts are rebuilt when next searched
            if wanted is None or column.name in wanted:
                self._texts.pop(column.name, None)

    # --- lookups ------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        return self.layer.gdf

    @property
    def order(self) -> np.ndarray:
        """Position in the layer's frame of each row."""
        return self._order

    def fid(self, row: int) -> int:
        return int(self._fids[self._order[row]])

    def fids_at(self, rows: np.ndarray) -> np.ndarray:
        return self._fids[self._order[np.asarray(rows, dtype=np.int64)]]

    def rows_of(self, fids) -> np.ndarray:
        """Rows (sorted) of the given fids; fids the layer lacks are left out."""
        positions = self._fid_index.get_indexer(list(fids))
        return np.sort(self._row_of[positions[positions >= 0]])

    def column_of(self, name: str) -> int:
        return [c.name for c in self.columns].index(name)

    def _column(self, col: int) -> tuple[Any, np.ndarray]:
        """The column's values as stored (a numpy array or pandas' own array, indexed per
        visible cell: no conversion of 100,000 values to Python objects) and its gaps."""
        cached = self._cache.get(col)
        if cached is None:
            series = self.layer.gdf[self.columns[col].name]
            values = series.array
            if isinstance(values, pd.arrays.NumpyExtensionArray):
                values = values.to_numpy()
            cached = (values, series.isna().to_numpy(dtype=bool))
            self._cache[col] = cached
        return cached

    def raw(self, row: int, col: int) -> Any:
        values, missing = self._column(col)
        pos = self._order[row]
        return None if missing[pos] else plain(values[pos])

    def search_texts(self, column: Column):
        """The lower-case text a filter searches in one column (cached per data change)."""
        if column.name not in self._texts:
            self._texts[column.name] = search_texts(self.layer.gdf[column.name], column)
        return self._texts[column.name]

    # --- Qt model -----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802 (Qt name)
        return 0 if parent is not None and parent.isValid() else len(self._order)

    def columnCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if orientation == Qt.Vertical:
            return str(self.fid(section)) if role == Qt.DisplayRole and section < self.rowCount() else None
        if section >= len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.DisplayRole:
            return field_label(column.field) if column.field else column.name
        if role == Qt.ToolTipRole:
            if column.field is None:
                return column.name
            f = column.field
            return f"{column.name} — {f.label_en} / {f.label_zh}" + (f" ({f.unit})" if f.unit else "")
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or self.layer is None:
            return None
        return self.cell(index.row(), index.column(), role)

    def cell(self, row: int, col: int, role=Qt.DisplayRole):
        """What ``data()`` answers for a row and column (the filter proxy calls this
        directly: no index objects per painted cell)."""
        if role == FID:
            return self.fid(row)
        column = self.columns[col]
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter) if column.kind in NUMERIC else None
        if role not in (Qt.DisplayRole, Qt.EditRole, Qt.ToolTipRole, RAW):
            return None
        value = self.raw(row, col)
        if role == RAW:
            return value
        if role == Qt.EditRole:
            return date_text(value) if isinstance(value, pd.Timestamp) else value
        return display_text(value, column.field, column.labels)

    def flags(self, index):
        base = super().flags(index)
        if index.isValid() and self.columns[index.column()].field is not None:
            return base | Qt.ItemIsEditable
        return base

    def setData(self, index, value, role=Qt.EditRole) -> bool:  # noqa: N802
        if role != Qt.EditRole or not index.isValid() or not (self.flags(index) & Qt.ItemIsEditable):
            return False
        return self.set_value(self.fid(index.row()), self.columns[index.column()].name, value)

    def set_value(self, fid: int, name: str, value: Any) -> bool:
        """Check a typed-in value and apply it as one undoable step; False if refused."""
        if self.project is None or self.layer is None:
            return False
        def change() -> None:
            converted, problems = check_values(self.project, self.layer, fid, {name: value})
            if problems:
                raise problems[name]
            if not same_value(converted[name], self.layer.gdf.at[fid, name]):
                self.project.apply(ChangeAttributes(self.layer.id, {fid: {name: converted[name]}}))

        if not guarded(None, change, say=self.problem.emit)[0]:
            return False
        self.problem.emit("")
        return True

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        """Order the rows by the stored values of a column (-1: the layer's order)."""
        self.sort_column, self.sort_order = column, order
        self.refreshing.emit()
        self.beginResetModel()
        self._set_order(self._sorted_positions())
        self.version += 1
        self.endResetModel()
        self.refreshed.emit(True)

    def _sorted_positions(self) -> np.ndarray:
        n = len(self._fids)
        if self.layer is None or not 0 <= self.sort_column < len(self.columns):
            return np.arange(n)
        series = self.layer.gdf[self.columns[self.sort_column].name].reset_index(drop=True)
        ascending = self.sort_order == Qt.AscendingOrder
        if series.dtype.kind in "if":  # numbers: numpy's stable sort, gaps first going up
            values = series.to_numpy(dtype=float, na_value=np.nan)
            gaps = np.isnan(values)
            known = np.flatnonzero(~gaps)
            order = known[np.argsort(values[known] if ascending else -values[known], kind="stable")]
            missing = np.flatnonzero(gaps)
            return np.concatenate((missing, order) if ascending else (order, missing))
        options = dict(ascending=ascending, na_position="first" if ascending else "last", kind="stable")
        try:
            return series.sort_values(**options).index.to_numpy()
        except TypeError:  # mixed values in an extra column: compare as text
            return series.astype(str).where(series.notna()).sort_values(**options).index.to_numpy()


class AttributeDelegate(QStyledItemDelegate):
    """A list of the allowed values (by label) for choice and yes/no fields; text otherwise,
    so anything typed reaches the schema check and a refusal can say why."""

    @staticmethod
    def _column(index) -> Column:
        model = index.model()
        source = model.sourceModel() if isinstance(model, QAbstractProxyModel) else model
        return source.columns[index.column()]

    def createEditor(self, parent, option, index):  # noqa: N802
        column = self._column(index)
        if column.labels is None and column.kind != "bool":
            return QLineEdit(parent)
        combo = QComboBox(parent)
        items = list(column.labels.items()) if column.labels is not None else [(True, YES()), (False, NO())]
        if not (column.field and column.field.required) or index.data(RAW) is None:
            combo.addItem(EMPTY(), None)
        for key, label in items:
            combo.addItem(label, key)
        combo.activated.connect(lambda _i, c=combo: (self.commitData.emit(c), self.closeEditor.emit(c)))
        return combo

    def setEditorData(self, editor, index) -> None:  # noqa: N802
        raw = index.data(RAW)
        if isinstance(editor, QComboBox):
            if raw is not None and editor.findData(raw) < 0:
                editor.addItem(str(raw), raw)  # a stored value outside the list stays visible
            editor.setCurrentIndex(0 if raw is None else max(editor.findData(raw), 0))
        else:
            editor.setText(edit_text(raw))
            editor.selectAll()

    def setModelData(self, editor, model, index) -> None:  # noqa: N802
        value = editor.currentData() if isinstance(editor, QComboBox) else editor.text().strip()
        model.setData(index, value, Qt.EditRole)
