"""The attribute table dock: every feature of one vector layer or table, one row each,
edited in place through undoable commands, sorted, filtered, and selected in step with
the map. The project's selection (:mod:`layers.selection`) is the one source of truth:
the view shows it and writes to it.
"""

from __future__ import annotations

from contextlib import contextmanager

from PyQt5.QtCore import QItemSelectionModel, Qt, QTimer
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.event_bridge import EventBridge
from app.panels.attributes.filter import HELP
from app.panels.attributes.model import FID, RAW, AttributeDelegate, AttributeTableModel
from app.panels.attributes.proxy import AttributeFilterProxy
from app.panels.attributes.view import FeatureTableView
from layers import display
from layers.errors import T

__all__ = ["FID", "RAW", "AttributeDelegate", "AttributeFilterProxy", "AttributeTableDock",
           "AttributeTableModel"]

TITLE = T("Attribute table", "属性表")
TEXTS = {
    "layer": T("Layer", "图层"), "filter": T("Filter… (e.g. population>500)", "筛选…（如 人口>500）"),
    "selected_only": T("Selected only", "仅显示已选"),
    "selected_tip": T("Show only the features selected now (on the map or here)",
                      "只显示当前已选的要素（在地图上或本表中选择）"),
    "count": T("{shown} of {total} rows, {selected} selected", "显示 {shown} / 共 {total} 行，已选 {selected} 行"),
    "none": T("No vector layer or table", "没有矢量图层或表格"),
    "header_tip": T("Double-click a row number to zoom the map to the feature",
                    "双击行号可在地图上缩放至该要素"),
}


class AttributeTableDock(QDockWidget):
    """Layer choice, filter box, "selected only", the table, and a status line.

    Selecting rows replaces the layer's selection in the project (features the filter
    hides drop out of it); a selection made elsewhere selects its rows here and scrolls
    to the first. "Selected only" shows the selection as it was when ticked or when it
    last changed elsewhere, so clicking rows does not make them vanish. Double-clicking
    a row number emits ``zoomToFeatures(layer_id, [fid])`` (vector layers only)."""

    zoomToFeatures = Signal(str, list)  # layer id, fids

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TITLE(), parent)
        self.setObjectName("attribute_table_dock")
        self.project = None
        self.model = AttributeTableModel(parent=self)
        self.proxy = AttributeFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self._quiet_depth = 0  # > 0 while the view's selection follows the project's
        self._pushing = False  # True while the view writes the project's selection
        self._edit_problem = ""
        self._shown_rows = 0
        self._project_bridge = EventBridge(self._on_project_event, self)
        self._selection_bridge = EventBridge(self._on_selection_event, self)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(self.apply_filter)
        self._build()

    def _build(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        bar = QHBoxLayout()
        self.layer_combo = QComboBox(body)
        self.layer_combo.setToolTip(TEXTS["layer"]())
        self.filter_edit = QLineEdit(body)
        self.filter_edit.setPlaceholderText(TEXTS["filter"]())
        self.filter_edit.setToolTip(HELP())
        self.filter_edit.setClearButtonEnabled(True)
        self.selected_only = QCheckBox(TEXTS["selected_only"](), body)
        self.selected_only.setToolTip(TEXTS["selected_tip"]())
        bar.addWidget(self.layer_combo)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.selected_only)
        layout.addLayout(bar)
        self.table = FeatureTableView(body)  # selection painted from the project's
        self.table.setModel(self.proxy)
        self.table.rows_of_selection = lambda: self.proxy.proxy_rows(
            self.model.rows_of(self._project_fids()))
        self.table.mask_key = lambda: (self._project_fids(), self.proxy.source_rows())
        self.table.on_gesture = self._on_gesture
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.AscendingOrder)  # the layer's order until asked
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed
                                   | QAbstractItemView.AnyKeyPressed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setResizeContentsPrecision(100)  # widths from 100 rows
        header = self.table.verticalHeader()
        header.setSectionResizeMode(QHeaderView.Fixed)
        header.setDefaultSectionSize(self.table.fontMetrics().height() + 8)  # compact rows: more
        # of them fit a laptop's short bottom dock
        header.setToolTip(TEXTS["header_tip"]())
        header.sectionDoubleClicked.connect(self._on_header_double_click)
        layout.addWidget(self.table, 1)
        self.status_label = QLabel(body)
        self.problem_label = QLabel(body)
        self.problem_label.setStyleSheet("color: #c0392b;")
        self.problem_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        layout.addWidget(self.problem_label)
        self.setWidget(body)
        self.layer_combo.currentIndexChanged.connect(self._on_combo_changed)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self.apply_filter)
        self.selected_only.toggled.connect(self._on_selected_only)
        self.model.problem.connect(self._on_problem)
        self.model.refreshing.connect(self._begin_quiet)
        self.model.refreshed.connect(self._end_quiet)
        self._update_status()

    # --- project wiring -------------------------------------------------------------------
    def set_project(self, project) -> None:
        self.detach()
        self.project = project
        if project is not None:
            project.events.connect(self._project_bridge.forward)
            project.selection.events.connect(self._selection_bridge.forward)
        self.model.set_layer(project, None)
        self._fill_combo()

    def detach(self) -> None:
        if self.project is not None:
            self.project.events.disconnect(self._project_bridge.forward)
            self.project.selection.events.disconnect(self._selection_bridge.forward)
        self.model.detach()

    def layers(self) -> list:
        return [] if self.project is None else [
            layer for layer in self.project if layer.layer_type in ("vector", "table")]

    def set_layer(self, layer) -> None:
        """Show this layer (a vector layer or table of the project)."""
        pos = self.layer_combo.findData(layer.id) if layer is not None else -1
        if pos >= 0:
            self.layer_combo.setCurrentIndex(pos)
            self._show_layer(layer)

    def _fill_combo(self) -> None:
        layers = self.layers()
        current = self.model.layer if self.model.layer in layers else None
        if current is None and layers:
            current = next((la for la in layers if la.kind == "communities"), layers[0])
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for layer in layers:
            self.layer_combo.addItem(display.layer_title(layer), layer.id)
        self.layer_combo.setCurrentIndex(self.layer_combo.findData(current.id) if current else -1)
        self.layer_combo.blockSignals(False)
        self._show_layer(current)

    def _on_combo_changed(self, _index: int) -> None:
        layer_id = self.layer_combo.currentData()
        self._show_layer(next((la for la in self.layers() if la.id == layer_id), None))

    def _show_layer(self, layer) -> None:
        if layer is self.model.layer and (layer is None or self.model.project is self.project):
            self._update_status()
            return
        self._edit_problem = ""
        header = self.table.horizontalHeader()
        header.blockSignals(True)  # a new layer starts in its own order
        header.setSortIndicator(-1, Qt.AscendingOrder)
        header.blockSignals(False)
        if self.selected_only.isChecked():
            self.proxy.selected_only = self._project_fids(layer)
        self.model.set_layer(self.project, layer)
        self.fit_columns()

    def fit_columns(self, sample: int = 40, cap: int = 320) -> None:
        """Widths from the header and the first rows' texts, measured here: Qt's
        resizeColumnsToContents asks the model for thousands of cells (0.3 s at 100k rows)."""
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        rows = min(sample, self.proxy.rowCount())
        for col in range(self.proxy.columnCount()):
            texts = [str(self.proxy.headerData(col, Qt.Horizontal) or "")]
            texts += [str(self.proxy.index(r, col).data() or "") for r in range(rows)]
            width = max(metrics.horizontalAdvance(t) for t in texts) + 24
            header.resizeSection(col, min(width, cap))

    def _on_project_event(self, event) -> None:
        if event.type in ("layer_added", "layer_removed") or (
                event.type == "layer_changed" and event.info.get("change") == "name"):
            self._fill_combo()

    # --- selection, both ways -------------------------------------------------------------
    def _project_fids(self, layer=None) -> frozenset[int]:
        layer = layer if layer is not None else self.model.layer
        if self.project is None or layer is None:
            return frozenset()
        return self.project.selection.fids(layer.id)

    @contextmanager
    def _quiet(self):
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    def _begin_quiet(self) -> None:
        self._quiet_depth += 1

    def _end_quiet(self, rows_changed: bool = True) -> None:
        self._quiet_depth = max(0, self._quiet_depth - 1)
        if not self._quiet_depth:
            if rows_changed or self.proxy.rowCount() != self._shown_rows:
                self.show_project_selection(scroll=False)  # an edit alone keeps the rows selected
            self._update_status()

    def show_project_selection(self, scroll: bool = True) -> None:
        """Paint the rows of the project's selection (and scroll to the first one)."""
        self.table.viewport().update()
        self.table.verticalHeader().viewport().update()
        if scroll:
            rows = self.table.selected_rows()
            if len(rows):
                first = self.proxy.index(int(rows[0]), 0)
                with self._quiet():
                    self.table.selectionModel().setCurrentIndex(first, QItemSelectionModel.NoUpdate)
                self.table.anchor = int(rows[0])
                self.table.scrollTo(first, QAbstractItemView.PositionAtCenter)

    def selected_fids(self) -> list[int]:
        """The fids of the shown rows that are selected, in view order."""
        rows = self.table.selected_rows()
        if not len(rows):
            return []
        return [int(f) for f in self.model.fids_at(self.proxy.source_rows()[rows])]

    def _on_gesture(self, rows, mode: str) -> None:
        """A selection made in the table (click, ctrl/shift-click, drag, arrows, Ctrl+A)."""
        if self._quiet_depth or self.project is None or self.model.layer is None:
            return
        fids = self.model.fids_at(self.proxy.source_rows()[rows]) if len(rows) else []
        self._pushing = True
        try:
            self.project.selection.select(self.model.layer.id, [int(f) for f in fids], mode)
        finally:
            self._pushing = False
        self.show_project_selection(scroll=False)
        self._update_status()

    def _on_selection_event(self, event) -> None:
        if self.model.layer is None or event.info.get("layer_id") != self.model.layer.id:
            return
        if not self._pushing:
            if self.selected_only.isChecked():
                with self._quiet():
                    self.proxy.set_selected_only(self._project_fids())
            self.show_project_selection(scroll=True)
        self._update_status()

    def _on_selected_only(self, checked: bool) -> None:
        with self._quiet():
            self.proxy.set_selected_only(self._project_fids() if checked else None)
        self.show_project_selection(scroll=False)
        self._update_status()

    def _on_header_double_click(self, section: int) -> None:
        layer = self.model.layer
        if layer is None or layer.layer_type != "vector" or section >= self.proxy.rowCount():
            return
        self.zoomToFeatures.emit(layer.id, [int(self.proxy.index(section, 0).data(FID))])

    # --- filter and status ----------------------------------------------------------------
    def apply_filter(self) -> None:
        self._filter_timer.stop()
        with self._quiet():
            self.proxy.set_filter_text(self.filter_edit.text())
            self.proxy.source_rows()  # evaluates the filter even when no row is left
        self.show_project_selection(scroll=False)
        self._update_status()

    def _on_problem(self, message: str) -> None:
        self._edit_problem = message
        self._update_status()

    def _update_status(self) -> None:
        self._shown_rows = self.proxy.rowCount()
        if self.model.layer is None:
            self.status_label.setText(TEXTS["none"]())
        else:
            self.status_label.setText(TEXTS["count"].format(
                shown=self.proxy.rowCount(), total=self.model.rowCount(),
                selected=len(self._project_fids()))())
        problems = [*self.proxy.problems, *([self._edit_problem] if self._edit_problem else [])]
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))
