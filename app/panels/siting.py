"""Siting dock: which idle parcels or public buildings, for which service, cover most.

Runs :func:`layers.siting.run_siting` (exact and greedy, gap shown), puts the chosen
parcels into the project as one undoable step, and has a what-if box: tick a parcel
and see coverage change at once (:class:`layers.siting.whatif.SitingWhatIf`).
"""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import Panel
from app.problems import guarded
from layers.errors import T
from layers.i18n import current_language
from layers.snapshot import snapshot_project

TITLE = T("Siting", "设施选址")
TX = {
    "service": T("Service", "服务类型"), "objective": T("Objective", "目标"),
    "count": T("New sites (k)", "新增点位数 (k)"), "weight": T("Weight", "权重"),
    "run": T("Run", "运行"), "apply": T("Add chosen sites to the map", "将选址加入地图"),
    "mclp": T("most residents with k sites (MCLP)", "k 个点位覆盖最多居民 (MCLP)"),
    "lscp": T("fewest sites covering all (LSCP)", "覆盖全部的最少点位 (LSCP)"),
    "all": T("all residents", "全部居民"), "60plus": T("residents 60+", "60岁以上居民"),
    "0_3": T("children 0–3", "0–3岁儿童"), "whatif": T("What if a facility stood on …",
                                                       "假如在以下地块设置设施…"),
    "headers": (T("Rank", "序号"), T("Parcel", "地块"), T("Communities newly covered", "新覆盖小区"),
                T("Residents newly covered", "新覆盖居民")),
    "running": T("Choosing sites…", "正在选址…"),
    "summary": T("exact: {exact} residents newly covered; greedy: {greedy} (gap {gap:.1%}); "
                 "coverage {before:.1%} → {after:.1%}",
                 "精确解：新覆盖 {exact} 人；贪心：{greedy} 人（差距 {gap:.1%}）；"
                 "覆盖率 {before:.1%} → {after:.1%}"),
    "whatif_result": T("{n} parcel(s) placed: coverage {before:.1%} → {after:.1%}, "
                       "{new:,.0f} residents newly covered",
                       "已放置 {n} 个地块：覆盖率 {before:.1%} → {after:.1%}，新覆盖 {new:,.0f} 人"),
    "error": T("Siting — problem", "设施选址 — 出现问题"),
}
SERVICES = ("elder_care", "childcare", "meal_point")


class SitingPanel(Panel):
    TITLE = TITLE
    OBJECT_NAME = "siting_panel"

    def __init__(self, window=None, canvas=None) -> None:
        super().__init__(window, canvas)
        self.run = None
        self.whatif = None
        body = QWidget(self)
        layout = QVBoxLayout(body)
        form = QFormLayout()
        self.service = QComboBox()
        self.objective = QComboBox()
        for key in ("mclp", "lscp"):
            self.objective.addItem(TX[key](), key)
        self.count = QSpinBox()
        self.count.setRange(1, 100)
        self.count.setValue(3)
        self.weight = QComboBox()
        for key in ("all", "60plus", "0_3"):
            self.weight.addItem(TX[key](), None if key == "all" else key)
        form.addRow(TX["service"](), self.service)
        form.addRow(TX["objective"](), self.objective)
        form.addRow(TX["count"](), self.count)
        form.addRow(TX["weight"](), self.weight)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.run_button = QPushButton(TX["run"]())
        self.apply_button = QPushButton(TX["apply"]())
        self.apply_button.setEnabled(False)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.apply_button)
        layout.addLayout(buttons)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([h() for h in TX["headers"]])
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        layout.addWidget(self.table)
        layout.addWidget(QLabel(TX["whatif"]()))
        self.parcels = QListWidget()
        layout.addWidget(self.parcels)
        self.whatif_label = QLabel()
        self.whatif_label.setWordWrap(True)
        layout.addWidget(self.whatif_label)
        self.setWidget(body)
        self.run_button.clicked.connect(self.run_now)
        self.apply_button.clicked.connect(self.apply_now)
        self.service.currentIndexChanged.connect(self._reset_whatif)
        self.parcels.itemChanged.connect(self._toggle_parcel)

    # --- project ----------------------------------------------------------------
    def on_project(self, project) -> None:
        self.run = None
        self.whatif = None
        self.service.blockSignals(True)
        self.service.clear()
        if project is not None:
            std = project.standards()
            services = std.table("services")
            column = "label_zh" if current_language() == "zh" else "label_en"
            labels = dict(zip(services["key"], services[column]))
            for key in SERVICES:
                self.service.addItem(str(labels.get(key, key)), key)
        self.service.blockSignals(False)
        self._fill_parcels()
        self.table.setRowCount(0)
        self.summary.clear()
        self.whatif_label.clear()
        self.apply_button.setEnabled(False)

    def _fill_parcels(self) -> None:
        self.parcels.blockSignals(True)
        self.parcels.clear()
        layers = self.project.layers_of_kind("parcels") if self.project is not None else []
        if layers:
            for fid, name in layers[0].gdf["name"].items():
                item = QListWidgetItem(f"{fid} {name}")
                item.setData(Qt.UserRole, int(fid))
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Unchecked)
                self.parcels.addItem(item)
        self.parcels.blockSignals(False)

    # --- actions ------------------------------------------------------------------
    def run_now(self):
        """Solve off the GUI thread on a snapshot (an exact MCLP on a city takes seconds,
        with a progress dialog and Cancel); the table fills when it is done. Returns the job."""
        from layers.siting import run_siting

        if self.project is None:
            return None
        frozen, service = snapshot_project(self.project), self.service.currentData()
        objective, k, weight = self.objective.currentData(), self.count.value(), self.weight.currentData()
        self.run = None
        return self.start_job(
            TX["running"](),
            lambda progress, cancelled: run_siting(frozen, service, objective, k=k, weight=weight),
            self.show_run)

    def show_run(self, run) -> None:
        self.run = run
        result = self.run.result
        table = result.table
        self.table.setRowCount(len(table))
        for row, rec in enumerate(table.itertuples()):
            values = (rec.rank, f"{rec.parcel_fid} {getattr(rec, 'name', '')}",
                      rec.communities_new, f"{rec.residents_new:,.0f}")
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(str(value)))
        exact = result.exact.added if result.exact else float("nan")
        greedy = result.greedy.added if result.greedy else float("nan")
        gap = (exact - greedy) / exact if result.exact and result.greedy and exact else 0.0
        ba = self.run.before_after()
        self.summary.setText(TX["summary"].format(
            exact=f"{exact:,.0f}", greedy=f"{greedy:,.0f}", gap=gap,
            before=ba["share_before"], after=ba["share_after"])())
        self.apply_button.setEnabled(len(table) > 0)

    def apply_now(self) -> None:
        from layers.siting.run import siting_command

        if self.run is not None:
            self.apply(lambda: siting_command(self.project, self.run))

    def _reset_whatif(self) -> None:
        self.whatif = None
        self._fill_parcels()
        self.whatif_label.clear()

    def _toggle_parcel(self, item: QListWidgetItem) -> None:
        from layers.siting.whatif import SitingWhatIf

        def place():
            if self.whatif is None:
                self.whatif = SitingWhatIf(self.project, self.service.currentData(),
                                           self.weight.currentData())
            fid = int(item.data(Qt.UserRole))
            return (self.whatif.place(fid) if item.checkState() == Qt.Checked
                    else self.whatif.remove(fid))

        ok, change = guarded(self, place)
        if not ok:
            return
        self.whatif_label.setText(TX["whatif_result"].format(
            n=len(change.placed), before=change.share_before, after=change.share_after,
            new=change.residents_new)())
        self.last_change = change
