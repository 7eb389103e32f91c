"""The pipeline conflict panel: the project's conflicts layer as a table to sort,
filter, zoom to and decide on (open / accepted / resolved, undoable). It leads with the
clearance violations, then the pairs to check (the rule's value not confirmed) and the
coordination notices (:mod:`layers.pipelines.summary`)."""

from __future__ import annotations

import html

import numpy as np
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.panels.bars import StackedBars
from app.panels.base import Panel
from app.panels.conflict_table import (  # noqa: F401 (COLUMNS, FID, RAW: the panel's API)
    COLUMNS,
    FID,
    RAW,
    ConflictFilter,
    ConflictTableModel,
    StatusDelegate,
)
from app.problems import guarded
from layers import display
from layers.errors import T
from layers.exports.reports import write_report
from layers.i18n import current_language
from layers.kinds import CONFLICT_CATEGORIES, CONFLICT_STATUS, CONFLICT_TYPES
from layers.pipelines import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    counts_by_category,
    find_conflicts,
    headline,
    update_conflicts_layer,
)
from layers.pipelines.conflicts import LAYER_NAME
from layers.snapshot import snapshot_project

TITLE = T("Pipeline conflicts", "管线冲突")
TEXTS = {
    "run": T("Run", "运行"), "export": T("Export…", "导出…"),
    "running": T("Finding pipeline conflicts…", "正在查找管线冲突…"),
    "all_categories": T("All categories", "全部类别"),
    "all_types": T("All types", "全部类型"), "all_status": T("All statuses", "全部状态"),
    "search": T("Search…", "搜索…"), "set_status": T("Set status", "设置状态"),
    "zoom": T("Zoom to conflict", "缩放至冲突"),
    "count": T("{shown} of {total} rows shown", "显示 {shown} / 共 {total} 条"),
    "none": T("No conflicts layer yet: press Run.", "尚无冲突图层：请点击“运行”。"),
    "error": T("Precinct Planner — problem", "片区规划 — 出现问题"),
    "filter": T("CSV (*.csv);;Excel (*.xlsx)", "CSV 文件 (*.csv);;Excel 文件 (*.xlsx)"),
}
MIN_ZOOM_M = 40.0  # a conflict is shown at least this wide, so its surroundings are visible
VIOLATION_COLOUR = "#c0392b"
#: the map style's colours per category (styles/defaults/conflicts.toml)
CHART_COLOURS = {"violation": "#e31a1c", "unchecked": "#ff7f00", "notice": "#1f78b4"}


class ConflictPanel(Panel):
    """Dock with the conflicts table, its filters and the Run / Export buttons."""

    TITLE = TITLE
    OBJECT_NAME = "conflict_panel"

    def __init__(self, window=None, canvas=None) -> None:
        super().__init__(window, canvas)
        self.model = ConflictTableModel(self)
        self.proxy = ConflictFilter(self)
        self.proxy.setSourceModel(self.model)
        self._build()

    # --- building ---------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        bar = QHBoxLayout()
        self.run_button = QPushButton(TEXTS["run"](), body)
        self.run_button.clicked.connect(self.run)
        self.export_button = QPushButton(TEXTS["export"](), body)
        self.export_button.clicked.connect(self.export_dialog)
        self.category_combo = QComboBox(body)
        self.category_combo.setObjectName("conflict_category")
        self.category_combo.addItem(TEXTS["all_categories"](), None)
        for key in CONFLICT_CATEGORIES:
            self.category_combo.addItem(CATEGORY_LABELS[key](), key)
        self.type_combo = QComboBox(body)
        self.type_combo.addItem(TEXTS["all_types"](), None)
        for key in CONFLICT_TYPES:
            self.type_combo.addItem(TYPE_LABELS[key](), key)
        self.status_combo = QComboBox(body)
        self.status_combo.addItem(TEXTS["all_status"](), None)
        for key in CONFLICT_STATUS:
            self.status_combo.addItem(STATUS_LABELS[key](), key)
        self.search = QLineEdit(body)
        self.search.setPlaceholderText(TEXTS["search"]())
        self.search.setClearButtonEnabled(True)
        for widget in (self.run_button, self.export_button, self.category_combo, self.type_combo,
                       self.status_combo):
            bar.addWidget(widget)
        bar.addWidget(self.search, 1)
        layout.addLayout(bar)
        self.summary = QLabel(body)  # violations first, then the pairs to check and the notices
        self.summary.setObjectName("conflict_summary")
        self.summary.setTextFormat(Qt.RichText)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.pairs_chart = StackedBars(body)  # by utility pair: violations, to check, notices
        self.pairs_chart.setObjectName("conflict_pairs_chart")
        layout.addWidget(self.pairs_chart)
        self.table = QTableView(body)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.AscendingOrder)  # keep the layer's order until asked
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.SelectedClicked)
        self.table.setItemDelegateForColumn(COLUMNS.index("status"), StatusDelegate(self.table))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.verticalHeader().setVisible(False)
        self.table.setContextMenuPolicy(Qt.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.clicked.connect(self.zoom_to_index)
        layout.addWidget(self.table, 1)
        self.count_label = QLabel(body)
        layout.addWidget(self.count_label)
        self.setWidget(body)
        self.category_combo.currentIndexChanged.connect(self._apply_filters)
        self.type_combo.currentIndexChanged.connect(self._apply_filters)
        self.status_combo.currentIndexChanged.connect(self._apply_filters)
        self.search.textChanged.connect(self._apply_filters)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)

    # --- project wiring ---------------------------------------------------------------
    def subscriptions(self, project) -> list:
        return [project.events]

    def on_project(self, project) -> None:
        self._show_layer()

    def on_event(self, event) -> None:
        if event.type in ("layer_added", "layer_removed"):
            self._show_layer()
        elif event.type == "layer_changed" and event.info.get("layer") is self.model.layer:
            if event.info.get("change") == "data":
                if len(self.model.layer) == self.model.rowCount() and np.array_equal(
                        self.model.layer.gdf.index.to_numpy(), self.model._fids):
                    self.model.refresh_values()
                    self.proxy.invalidateFilter()
                else:
                    self.model.set_layer(self.project, self.model.layer)
                self._update_count()

    def conflicts_layer(self):
        if self.project is None or LAYER_NAME not in self.project.names():
            return None
        layer = self.project.layer(LAYER_NAME)
        return layer if layer.kind == "conflicts" else None

    def _show_layer(self) -> None:
        self.model.set_layer(self.project, self.conflicts_layer())
        self.table.resizeColumnsToContents()
        self._update_count()

    def _update_count(self, *args) -> None:
        if self.model.layer is None:
            self.count_label.setText(TEXTS["none"]())
            self.summary.setText("")
            self.summary.setVisible(False)
        else:
            self.count_label.setText(TEXTS["count"].format(
                shown=self.proxy.rowCount(), total=self.model.rowCount())())
            self.summary.setText(self.summary_html())
            self.summary.setVisible(True)
        self._update_chart()

    def _update_chart(self, top: int = 6) -> None:
        """The utility pairs with most findings, each bar split by category."""
        layer = self.model.layer
        if layer is None or not len(layer.gdf) or not {"utility_a", "utility_b", "category"} <= set(layer.gdf):
            self.pairs_chart.set_data([], [])
            return
        std = self.project.standards() if self.project is not None else None
        frame = layer.gdf
        pairs = [f"{display.utility(a, standards=std)}–{display.utility(b, standards=std)}"
                 for a, b in zip(frame["utility_a"], frame["utility_b"])]
        counts = (frame.assign(pair=pairs).groupby(["pair", "category"]).size().unstack(fill_value=0))
        counts = counts.loc[counts.sum(axis=1).sort_values(ascending=False).index[:top]]
        rows = [(pair, {k: float(v) for k, v in row.items()}) for pair, row in counts.iterrows()]
        series = [(k, CATEGORY_LABELS[k](), CHART_COLOURS[k]) for k in CONFLICT_CATEGORIES]
        self.pairs_chart.set_data(rows, series)

    def summary_lines(self) -> list[str]:
        """The headline of the conflicts layer: violations, to check, notices."""
        if self.model.layer is None:
            return []
        std = self.project.standards() if self.project is not None else None
        return headline(self.model.layer.gdf, standards=std)

    def summary_html(self) -> str:
        lines = [html.escape(line).replace("  ", "&nbsp;&nbsp;") for line in self.summary_lines()]
        if not lines:
            return ""
        violations = counts_by_category(self.model.layer.gdf)["violation"]
        style = f' style="color:{VIOLATION_COLOUR}"' if violations else ""
        lines[0] = f"<b{style}>{lines[0]}</b>"
        return "<br>".join(lines)

    def _apply_filters(self, *args) -> None:
        self.proxy.set_filters(self.type_combo.currentData(), self.status_combo.currentData(),
                               self.search.text(), self.category_combo.currentData())
        self._update_count()

    # --- actions ----------------------------------------------------------------------
    def run(self) -> bool:
        """Find the conflicts of a snapshot of the pipelines off the GUI thread; they replace
        the project's conflicts layer as one undo step (a person's statuses are kept)."""
        if self.project is None or self.busy:
            return False
        frozen = snapshot_project(self.project)

        def done(found) -> None:
            if guarded(self, update_conflicts_layer, self.project, found)[0]:
                self._show_layer()

        job = self.start_job(TEXTS["running"](),
                             lambda progress, cancelled: find_conflicts(
                                 frozen, progress=progress, cancel=cancelled), done)
        if job is None:
            return False
        self.run_button.setEnabled(False)
        job.finished.connect(lambda: self.run_button.setEnabled(True))
        return True

    def selected_fids(self) -> list[int]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return [int(self.proxy.index(r, 0).data(FID)) for r in sorted(rows)]

    def set_status(self, status: str, fids: list[int] | None = None) -> bool:
        """Set the status of the selected (or given) conflicts: one undoable step."""
        return self.model.set_status(self.selected_fids() if fids is None else fids, status)

    def zoom_to_index(self, index) -> None:
        if not index.isValid() or self.model.layer is None or self.canvas is None:
            return
        fid = int(index.data(FID))
        geometry = self.model.layer.gdf.geometry.loc[fid]
        if geometry is None or geometry.is_empty:
            return
        x0, y0, x1, y1 = geometry.bounds
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half_w, half_h = max(x1 - x0, MIN_ZOOM_M) / 2, max(y1 - y0, MIN_ZOOM_M) / 2
        self.canvas.zoom_to_bounds((cx - half_w, cy - half_h, cx + half_w, cy + half_h))

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        menu = self.build_context_menu(index)
        menu.exec_(self.table.viewport().mapToGlobal(pos))

    def build_context_menu(self, index) -> QMenu:
        menu = QMenu(self.table)
        menu.addAction(TEXTS["zoom"](), lambda: self.zoom_to_index(index))
        sub = menu.addMenu(TEXTS["set_status"]())
        for key in CONFLICT_STATUS:
            action = sub.addAction(STATUS_LABELS[key]())
            action.setObjectName(f"status_{key}")
            action.triggered.connect(lambda _checked=False, k=key: self.set_status(k))
        return menu

    def visible_conflicts(self):
        """The conflicts the table shows (filters applied), in the table's order."""
        fids = [int(self.proxy.index(r, 0).data(FID)) for r in range(self.proxy.rowCount())]
        return self.model.layer.gdf.loc[fids]

    def export_dialog(self) -> bool:
        """Write the rows shown (filters applied) as CSV or XLSX."""
        if self.model.layer is None:
            return False
        path, chosen = QFileDialog.getSaveFileName(self, TEXTS["export"]().rstrip("…"), "",
                                                   TEXTS["filter"]())
        if not path:
            return False
        if not path.lower().endswith((".csv", ".xlsx")):
            path += ".xlsx" if "xlsx" in chosen else ".csv"
        return guarded(self, write_report, self.visible_conflicts(), path, current_language())[0]
