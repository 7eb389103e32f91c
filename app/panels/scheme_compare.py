"""The compare part of the schemes panel: scheme A ↔ scheme B (or the current project),
the diff as one table per part — the same tables as ``precinct schemes --diff --out``
(:func:`layers.schemes.report.frames`) — shown on the map under the "scheme changes"
theme, or exported as XLSX with the CLI's writer."""

from __future__ import annotations

from typing import Any

from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.problems import guarded
from layers import display
from layers.errors import T

TEXTS = {
    "group": T("Compare schemes", "方案比较"), "a": T("A", "A"), "b": T("B", "B"),
    "compare": T("Compare", "比较"), "map": T("Show on map", "在地图上显示"),
    "export": T("Export XLSX…", "导出 XLSX…"),
    "export_title": T("Export the comparison", "导出方案比较"),
    "xlsx": T("Excel workbook (*.xlsx)", "Excel 工作簿 (*.xlsx)"),
    "what": T("scheme comparison", "方案比较"),
    "same": T("Pick two different schemes", "请选择两个不同的方案"),
    "summary": T("{a} → {b}: {moved} communities moved; precincts added {added}, removed {removed}",
                 "{a} → {b}：{moved} 个小区调整片区；新增片区 {added} 个，取消 {removed} 个"),
    "exported": T("Comparison written to {path}", "比较结果已写出：{path}"),
    "shown": T("Shown on the map under the theme “scheme changes” (undo takes it back)",
               "已按专题图“方案变化”显示在地图上（可撤销）"),
    "tip": T("The current project or a saved scheme", "当前项目或已保存的方案"),
}


def cell_text(value: Any) -> str:
    """A frame value as a reader sees it (frames hold display texts, counts and yuan)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return display.number(value, 2)
    return display.number(value)


class CompareBox:
    """A ↔ B combo boxes, Compare, the tables, Show on map and Export XLSX…"""

    def __init__(self, panel, body: QWidget, layout: QVBoxLayout) -> None:
        self.panel = panel
        self.diff = None
        self.pair: tuple[str, str] | None = None
        group = QGroupBox(TEXTS["group"](), body)
        inner = QVBoxLayout(group)
        row = QHBoxLayout()
        self.combo_a, self.combo_b = QComboBox(group), QComboBox(group)
        for key, combo in (("a", self.combo_a), ("b", self.combo_b)):
            combo.setObjectName(f"scheme_compare_{key}")
            combo.setToolTip(TEXTS["tip"]())
            combo.setMinimumContentsLength(8)
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            row.addWidget(QLabel(TEXTS[key](), group))
            row.addWidget(combo, 1)
        inner.addLayout(row)
        buttons = QHBoxLayout()  # a row of their own: the dock stays narrow beside the map
        self.compare_button = QPushButton(TEXTS["compare"](), group)
        self.compare_button.setObjectName("scheme_compare_run")
        self.compare_button.clicked.connect(self.run)
        self.map_button = QPushButton(TEXTS["map"](), group)
        self.map_button.setObjectName("scheme_compare_map")
        self.map_button.clicked.connect(self.show_on_map)
        self.export_button = QPushButton(TEXTS["export"](), group)
        self.export_button.setObjectName("scheme_compare_export")
        self.export_button.clicked.connect(lambda: self.export())
        for button in (self.compare_button, self.map_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        inner.addLayout(buttons)
        self.summary = QLabel("", group)
        self.summary.setWordWrap(True)
        inner.addWidget(self.summary)
        self.tabs = QTabWidget(group)
        self.tabs.setMinimumHeight(180)
        self.tables: dict[str, QTableWidget] = {}
        inner.addWidget(self.tabs, 1)
        layout.addWidget(group, 1)
        self._enable()

    # --- choices ------------------------------------------------------------------------
    def fill_choices(self, names: list[str]) -> None:
        """"current project" and every scheme, keeping what was chosen where it still is."""
        from layers.schemes.changes import CURRENT

        for index, combo in enumerate((self.combo_a, self.combo_b)):
            was = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(CURRENT(), "current")
            for name in names:
                combo.addItem(name, name)
            at = combo.findData(was) if was is not None else -1
            if at < 0:  # A: the newest scheme but one, B: the current project
                at = max(0, len(names)) if index == 0 else 0
            combo.setCurrentIndex(at)
            combo.blockSignals(False)
        self._enable()

    def choose(self, a: str, b: str) -> None:
        for combo, key in ((self.combo_a, a), (self.combo_b, b)):
            at = combo.findData(key)
            if at < 0:
                raise ValueError(key)
            combo.setCurrentIndex(at)

    def _enable(self) -> None:
        project = self.panel.project
        self.compare_button.setEnabled(project is not None and self.combo_a.count() > 1)
        self.map_button.setEnabled(self.diff is not None and project is not None)
        self.export_button.setEnabled(self.diff is not None)

    def clear(self) -> None:
        self.diff, self.pair = None, None
        self.tabs.clear()
        self.tables = {}
        self.summary.setText("")
        self._enable()

    # --- comparing ----------------------------------------------------------------------
    def run(self) -> bool:
        """Compare A with B off the GUI thread (the current project frozen first)."""
        from layers.schemes.book import find_scheme
        from layers.schemes.changes import is_current, label
        from layers.snapshot import snapshot_project

        project = self.panel.project
        if project is None or self.panel.busy:
            return False
        a, b = str(self.combo_a.currentData()), str(self.combo_b.currentData())
        if a == b:
            self.summary.setText(TEXTS["same"]())
            return False
        ok, sides = guarded(self.panel, lambda: [
            snapshot_project(project) if is_current(n) else find_scheme(project, n) for n in (a, b)])
        if not ok:
            return False
        names = (label(a), label(b))

        def work(progress, cancelled):
            from layers.schemes import scheme_project
            from layers.schemes.diff import diff_projects
            from layers.store.schemetable import Scheme

            a_side, b_side = (scheme_project(s) if isinstance(s, Scheme) else s for s in sides)
            return diff_projects(a_side, b_side, *names)

        def done(diff) -> None:
            self.show(diff, (a, b))

        return self.panel.start_job(TEXTS["group"](), work, done, on_settled=self._enable) is not None

    def show(self, diff, pair: tuple[str, str]) -> None:
        """Fill one table per part of ``diff``."""
        from layers.schemes.report import frames

        self.diff, self.pair = diff, pair
        project = self.panel.project
        parts = frames(diff, project.standards() if project is not None else None)
        index = self.tabs.currentIndex()
        self.tabs.clear()
        self.tables = {}
        for title, frame in parts.items():
            table = QTableWidget(len(frame), len(frame.columns), self.tabs)
            table.setEditTriggers(QAbstractItemView.NoEditTriggers)
            table.setSelectionBehavior(QAbstractItemView.SelectRows)
            table.verticalHeader().setVisible(False)
            table.setHorizontalHeaderLabels([str(c) for c in frame.columns])
            for r, values in enumerate(frame.itertuples(index=False)):
                for c, value in enumerate(values):
                    table.setItem(r, c, QTableWidgetItem(cell_text(value)))
            table.resizeColumnsToContents()
            self.tables[title] = table
            self.tabs.addTab(table, title)
        self.tabs.setCurrentIndex(max(0, index))
        self.summary.setText(TEXTS["summary"].format(
            a=diff.a, b=diff.b, moved=display.number(len(diff.moved)),
            added=display.number(len(diff.precincts_added)),
            removed=display.number(len(diff.precincts_removed)))())
        self._enable()

    def show_on_map(self) -> bool:
        """The compared pair under the "scheme changes" theme (one undo step)."""
        from layers.schemes.changes import show_command

        project = self.panel.project
        if self.diff is None or project is None:
            return False
        a, b = self.pair
        ok = self.panel.apply(lambda: show_command(project, self.diff, a, b))
        if ok:
            self.summary.setText(self.summary.text().split("\n")[0] + "\n" + TEXTS["shown"]())
            menu = getattr(self.panel.main_window, "theme_menu", None)
            if menu is not None:
                menu.sync()
        return ok

    def export(self, path: str | None = None) -> str | None:
        """Write the comparison as XLSX, one sheet per part (asks where without ``path``)."""
        from layers.exports.table_writer import write_table
        from layers.schemes.report import frames

        if self.diff is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.panel, TEXTS["export_title"](),
                                                  "", TEXTS["xlsx"]())
            if not path:
                return None
            if not path.lower().endswith(".xlsx"):
                path += ".xlsx"
        project = self.panel.project
        std = project.standards() if project is not None else None
        ok, _ = guarded(self.panel, write_table, frames(self.diff, std), path, what=TEXTS["what"])
        if not ok:
            return None
        self.summary.setText(self.summary.text().split("\n")[0] + "\n"
                             + TEXTS["exported"].format(path=str(path))())
        return str(path)
