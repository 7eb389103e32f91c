"""Community topology check: overlaps and gaps listed in a panel; click one to zoom to
it; fix an overlap by giving it to one side, a gap by giving it to a neighbour
(each fix one undo step). The check runs off the GUI thread."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import Panel
from layers import display
from layers.errors import T
from layers.snapshot import snapshot_layer

TITLE = T("Topology check", "拓扑检查")
TEXTS = {
    "layer": T("Layer", "图层"), "tolerance": T("Gap tolerance", "缝隙容差"),
    "run": T("Check", "检查"), "give": T("Give to", "划给"), "fix": T("Fix", "修复"),
    "overlap": T("overlap", "重叠"), "gap": T("gap", "缝隙"),
    "found": T("{n} problems: {o} overlaps, {g} gaps", "发现 {n} 处问题：重叠 {o} 处，缝隙 {g} 处"),
    "clean": T("No overlaps or gaps found.", "未发现重叠或缝隙。"),
    "running": T("Checking…", "正在检查…"),
    "no_layer": T("The project has no communities layer.", "项目中没有小区图层。"),
    "fixed": T("Fixed: {what}", "已修复：{what}"),
}
HEADERS = (T("Problem", "问题"), T("Communities", "小区"), T("Area m²", "面积（平方米）"))
ISSUE = Qt.UserRole


class TopologyPanel(Panel):
    TITLE = TITLE
    OBJECT_NAME = "topology_panel"

    def __init__(self, window=None, canvas=None) -> None:
        super().__init__(window, canvas)
        self.issues: list = []
        body = QWidget(self)
        layout = QVBoxLayout(body)
        row = QHBoxLayout()
        row.addWidget(QLabel(TEXTS["layer"]()))
        self.layer_box = QComboBox(body)
        row.addWidget(self.layer_box, 1)
        row.addWidget(QLabel(TEXTS["tolerance"]()))
        self.tolerance = QDoubleSpinBox(body)
        self.tolerance.setRange(0.01, 50.0)
        self.tolerance.setDecimals(2)
        self.tolerance.setSuffix(" m")
        row.addWidget(self.tolerance)
        self.run_button = QPushButton(TEXTS["run"](), body)
        self.run_button.clicked.connect(self.run)
        row.addWidget(self.run_button)
        layout.addLayout(row)
        self.table = QTableWidget(0, len(HEADERS), body)
        self.table.setHorizontalHeaderLabels([h() for h in HEADERS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.itemSelectionChanged.connect(self._on_pick)
        layout.addWidget(self.table, 1)
        fix_row = QHBoxLayout()
        fix_row.addWidget(QLabel(TEXTS["give"]()))
        self.give_to = QComboBox(body)
        fix_row.addWidget(self.give_to, 1)
        self.fix_button = QPushButton(TEXTS["fix"](), body)
        self.fix_button.clicked.connect(self.fix_selected)
        self.fix_button.setEnabled(False)
        fix_row.addWidget(self.fix_button)
        layout.addLayout(fix_row)
        self.status = QLabel(body)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.setWidget(body)

    # --- project ----------------------------------------------------------------------
    def subscriptions(self, project) -> list:
        return [project.events]

    def on_event(self, event) -> None:
        if event.type in ("layer_added", "layer_removed") or (
                event.type == "layer_changed" and event.info.get("change") == "name"):
            self.on_project(self.project)

    def on_project(self, project) -> None:
        self.layer_box.clear()
        self.issues = []
        self.table.setRowCount(0)
        if project is None:
            return
        for layer in project.layers_of_kind("communities"):
            self.layer_box.addItem(display.layer_title(layer), layer.id)
        from layers.editing import default_gap_tolerance

        self.tolerance.setValue(default_gap_tolerance(project))
        if self.layer_box.count() == 0:
            self.status.setText(TEXTS["no_layer"]())

    def layer(self):
        layer_id = self.layer_box.currentData()
        if layer_id is None or self.project is None:
            return None
        try:
            return self.project.layer_by_id(layer_id)
        except KeyError:  # removed meanwhile
            return None

    # --- checking ---------------------------------------------------------------------
    def run(self) -> bool:
        """Check a snapshot of the layer off the GUI thread; the table fills when done."""
        layer = self.layer()
        if layer is None or self.busy:
            return False
        from layers.editing import check_topology

        frozen, tolerance = snapshot_layer(layer), self.tolerance.value()

        def failed(exc) -> None:
            self.status.setText(self.report(exc))

        job = self.start_job(TEXTS["running"](),
                             lambda progress, cancelled: check_topology(frozen, tolerance),
                             self.show_issues, on_failed=failed, dialog=False)
        self.run_button.setEnabled(False)
        job.finished.connect(lambda: self.run_button.setEnabled(True))
        self.status.setText(TEXTS["running"]())
        return True

    def show_issues(self, issues) -> None:
        self.issues = list(issues)
        self.table.setRowCount(len(self.issues))
        for r, issue in enumerate(self.issues):
            cells = [TEXTS[issue.kind](), ", ".join(self._name(f) for f in issue.fids),
                     f"{issue.area:,.1f}"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ISSUE, r)
                if c == 2:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(r, c, item)
        overlaps = sum(i.kind == "overlap" for i in self.issues)
        self.status.setText(TEXTS["found"].format(n=len(self.issues), o=overlaps,
                                                  g=len(self.issues) - overlaps)()
                            if self.issues else TEXTS["clean"]())
        self.fix_button.setEnabled(False)
        self.give_to.clear()

    def _name(self, fid: int) -> str:
        layer = self.layer()
        name = layer.gdf.at[fid, "name"] if "name" in layer.gdf.columns else None
        return f"{name} ({fid})" if isinstance(name, str) and name else str(fid)

    def current_issue(self):
        rows = self.table.selectionModel().selectedRows()
        return self.issues[rows[0].row()] if rows else None

    def _on_pick(self) -> None:
        issue = self.current_issue()
        self.give_to.clear()
        self.fix_button.setEnabled(issue is not None)
        if issue is None:
            return
        for fid in issue.fids:
            self.give_to.addItem(self._name(fid), int(fid))
        if self.canvas is not None:
            x0, y0, x1, y1 = issue.geometry.bounds
            pad = max(20.0, 2 * max(x1 - x0, y1 - y0))
            self.canvas.zoom_to_bounds((x0 - pad, y0 - pad, x1 + pad, y1 + pad), margin=0.0)

    def fix_selected(self, give_to: int | None = None) -> bool:
        """Fix the chosen problem in favour of ``give_to`` (default: the chosen community)."""
        from layers.editing import fix_gap_command, fix_overlap_command

        issue, layer = self.current_issue(), self.layer()
        if issue is None or layer is None:
            return False
        fid = int(self.give_to.currentData() if give_to is None else give_to)
        build = fix_overlap_command if issue.kind == "overlap" else fix_gap_command
        if not self.apply(lambda: build(self.project, layer.id, issue, fid)):
            return False
        from layers.editing import check_topology

        self.show_issues(check_topology(layer, self.tolerance.value()))
        self.status.setText(TEXTS["fixed"].format(what=TEXTS[issue.kind]())() + " · " + self.status.text())
        return True
