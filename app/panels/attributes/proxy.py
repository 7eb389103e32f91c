"""The attribute table's filter proxy: the rows the filter lets through, as one array of
source rows (the model is :mod:`app.panels.attributes.model`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PyQt5.QtCore import QAbstractProxyModel, QModelIndex, Qt

from app.panels.attributes.filter import parse, row_mask

if TYPE_CHECKING:  # pragma: no cover
    from app.panels.attributes.model import AttributeTableModel


class AttributeFilterProxy(QAbstractProxyModel):
    """The rows the filter lets through, in the source's order (sorting is the source's).

    The mapping is one array of source rows computed from a mask over whole columns (see
    :mod:`app.panels.attributes.filter`); Qt never asks Python about each row, so filtering
    or sorting 100,000 rows costs a few vectorised passes, not 100,000 callbacks
    (QSortFilterProxyModel's ``filterAcceptsRow`` took 0.5 s of every sort there)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.text = ""
        self.selected_only: frozenset[int] | None = None
        self.problems: list[str] = []
        self._version = None
        self._accept = np.empty(0, dtype=bool)  # per source row
        self._rows = np.empty(0, dtype=np.int64)  # proxy row → source row
        self._columns = 0
        self._flags: list = []

    # --- wiring -------------------------------------------------------------------------
    def setSourceModel(self, model) -> None:  # noqa: N802 (Qt name)
        old = self.sourceModel()
        if old is not None:
            for signal, slot in self._links(old):
                signal.disconnect(slot)
        self.beginResetModel()
        super().setSourceModel(model)
        for signal, slot in self._links(model):
            signal.connect(slot)
        self._version = None
        self._mask()
        self.endResetModel()

    def _links(self, model):
        return ((model.modelAboutToBeReset, self.beginResetModel), (model.modelReset, self._source_reset),
                (model.dataChanged, self._source_changed),
                (model.headerDataChanged, self.headerDataChanged))

    def _source_reset(self) -> None:
        self._version = None
        self._mask()
        self.endResetModel()

    def _source_changed(self, top_left, bottom_right, roles=()) -> None:
        before = self._rows
        self._mask()
        if not np.array_equal(before, self._rows):  # an edit moved rows in or out of the filter
            self.beginResetModel()
            self.endResetModel()
            return
        rows = self.proxy_rows(np.arange(top_left.row(), bottom_right.row() + 1))
        if len(rows):
            self.dataChanged.emit(self.index(int(rows[0]), top_left.column()),
                                  self.index(int(rows[-1]), bottom_right.column()), list(roles))

    # --- filter -------------------------------------------------------------------------
    def set_filter_text(self, text: str) -> None:
        self.text = text
        self._refilter()

    def set_selected_only(self, fids) -> None:
        """Show only these fids (None: all rows)."""
        self.selected_only = None if fids is None else frozenset(int(f) for f in fids)
        self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        self._version = None
        self._mask()
        self.endResetModel()

    def _mask(self) -> np.ndarray:
        model: AttributeTableModel = self.sourceModel()
        if model is None:
            return self._accept
        if self._version == model.version:
            return self._accept
        self._version = model.version
        if model.layer is None:
            self._accept, self.problems = np.zeros(0, dtype=bool), []
        else:
            spec = parse(self.text, model.columns)
            frame = model.frame()
            mask = (np.ones(len(frame), dtype=bool) if spec.empty
                    else row_mask(frame, spec, model.search_texts, model.columns))
            if self.selected_only is not None:
                mask &= np.isin(frame.index.to_numpy(), np.fromiter(self.selected_only, np.int64))
            self._accept = mask[model.order]
            self.problems = [p() for p in spec.problems]
        self._rows = np.flatnonzero(self._accept)
        self._columns = model.columnCount()
        base = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        self._flags = [base | Qt.ItemIsEditable if c.field is not None else base for c in model.columns]
        return self._accept

    # --- Qt proxy -----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802 (Qt name)
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802
        model = self.sourceModel()
        return 0 if model is None or (parent is not None and parent.isValid()) else model.columnCount()

    def index(self, row: int, column: int, parent: QModelIndex | None = None) -> QModelIndex:
        # called per cell by Qt's selection model (60,000 times for 10,000 rows): kept lean
        if row < 0 or row >= len(self._rows) or column < 0 or column >= self._columns:
            return QModelIndex()
        return self.createIndex(row, column)

    def flags(self, index):
        """Per column (editable where the column is a schema field): no mapping to the
        source per call, as Qt asks this of every cell of a selection."""
        column = index.column()
        if not index.isValid() or column >= len(self._flags):
            return Qt.NoItemFlags
        return self._flags[column]

    def parent(self, index=None) -> QModelIndex:
        return QModelIndex()

    def mapToSource(self, index) -> QModelIndex:  # noqa: N802
        if not index.isValid() or index.row() >= len(self._rows):
            return QModelIndex()
        return self.sourceModel().index(int(self._rows[index.row()]), index.column())

    def mapFromSource(self, index) -> QModelIndex:  # noqa: N802
        if not index.isValid():
            return QModelIndex()
        rows = self.proxy_rows(np.array([index.row()]))
        return self.index(int(rows[0]), index.column()) if len(rows) else QModelIndex()

    def data(self, index, role=Qt.DisplayRole):
        row = index.row()
        if not index.isValid() or row >= len(self._rows):
            return None
        model = self.sourceModel()
        if model.layer is None:
            return None
        return model.cell(int(self._rows[row]), index.column(), role)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        model = self.sourceModel()
        if orientation == Qt.Vertical:
            if not 0 <= section < len(self._rows):
                return None
            section = int(self._rows[section])
        return model.headerData(section, orientation, role)

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)

    def source_rows(self) -> np.ndarray:
        """Source row of every proxy row (the proxy never reorders: it only filters)."""
        self._mask()
        return self._rows

    def proxy_rows(self, source_rows: np.ndarray) -> np.ndarray:
        """Proxy rows (sorted) of those source rows the filter lets through."""
        rows, wanted = self.source_rows(), np.asarray(source_rows, dtype=np.int64)
        pos = np.searchsorted(rows, wanted)
        inside = pos < len(rows)
        inside[inside] = rows[pos[inside]] == wanted[inside]
        return pos[inside]
