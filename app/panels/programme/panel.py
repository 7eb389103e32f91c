"""The renovation programme panel: eligibility and pilot check, the items checklist with
costs, the ranking explained term by term, the funding inputs and chart, status with dates,
the precinct roll-up and the numbers the plan leaves to the user. Every change goes through
the core as an undoable command."""

from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QDate, Qt
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import Panel
from app.panels.programme.chart import FundingChart, totals_text
from app.panels.programme.inputs import FundingInputs
from app.panels.programme.numbers import NumbersPage
from app.panels.programme.rollup import PrecinctRollup
from app.problems import guarded
from layers import display
from layers.commands import ChangeAttributes
from layers.errors import ProjectError, T
from layers.programme import (
    STATE_LABELS,
    advance,
    checklist,
    community_split,
    cost_summary,
    eligibility,
    history,
    next_status,
    pilot_check,
    prefill_command,
    rank,
    set_exemplary,
    set_weight,
    weights,
)
from layers.programme.data import clean, communities_layer, community_setting
from layers.programme.eligibility import RESULT_LABELS, STATUS_LABELS
from layers.programme.items import items_layer
from layers.programme.ranking import TERMS
from layers.programme.report import confidence_label, provenance_label, provenance_value, source_text
from layers.programme.settings import community_value, set_community_values

TITLE = T("Renovation programme", "改造计划")
TX = {
    "community": T("Community", "小区"), "eligibility": T("Eligibility", "对象范围"),
    "pilot": T("Pilot conditions", "试点条件"), "items": T("Items", "改造项目"),
    "ranking": T("Ranking", "排序"), "funding": T("Funding", "资金"), "status": T("Status", "进度"),
    "precincts": T("Precincts", "片区汇总"), "prefill": T("Pre-fill from data", "按数据预填"),
    "numbers": T("Numbers", "取值"),
    "admit": T("Reason to plan it although eligibility is unknown", "对象范围无法判定仍纳入计划的理由"),
    "exemplary": T("Typical and exemplary (planner's judgement)", "典型意义强（规划人员判断）"),
    "central": T("Central subsidy (yuan)", "中央财政补助（元）"), "record": T("Record", "记录"),
    "signed": T("Signed by (owners' committee / residents' group)", "签字（业委会/居民自治小组）"),
    "error": T("Precinct Planner — problem", "片区规划 — 出现问题"),
    "none": T("No communities layer.", "没有小区图层。"),
}
ITEM_COLS = (T("Item", "项目"), T("Level", "类别"), T("Unit", "单位"), T("Selected", "已选"),
             T("Quantity", "数量"), T("Unit cost (yuan)", "单价（元）"), T("Cost (yuan)", "费用（元）"),
             T("Unit cost source", "单价来源"))


def _fmt(value: Any) -> str:
    """A quantity or amount as read (2.5 stays 2.5; never a share: those use rates)."""
    value = clean(value)
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else display.number(value)
    return str(value)


class ProgrammePanel(Panel):
    """Dock with one tab per part of the programme for the chosen community."""

    TITLE = TITLE
    OBJECT_NAME = "programme_panel"

    def __init__(self, window=None, canvas=None) -> None:
        super().__init__(window, canvas)
        self._filling = False
        self._build()

    # --- building ---------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        row = QHBoxLayout()
        row.addWidget(QLabel(TX["community"](), body))
        self.community_combo = QComboBox(body)
        self.community_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        row.addWidget(self.community_combo, 1)
        layout.addLayout(row)
        self.tabs = QTabWidget(body)
        layout.addWidget(self.tabs, 1)
        # eligibility and pilot
        page = QWidget()
        v = QVBoxLayout(page)
        self.eligibility_tree = QTreeWidget(page)
        self.eligibility_tree.setHeaderLabels([T("Condition", "条件")(), T("Result", "结果")(),
                                               T("Why / data", "依据/数据")()])
        self.exemplary_box = QCheckBox(TX["exemplary"](), page)
        self.exemplary_box.setTristate(True)
        self.exemplary_box.stateChanged.connect(self._exemplary_changed)
        v.addWidget(self.eligibility_tree, 1)
        v.addWidget(self.exemplary_box)
        admit = QFormLayout()
        self.admit_edit = QLineEdit(page)
        self.admit_edit.setPlaceholderText(T("e.g. the district confirmed it is in the urban centre",
                                             "例如：区里已确认位于中心城区")())
        self.admit_edit.editingFinished.connect(self._admit_changed)
        admit.addRow(TX["admit"](), self.admit_edit)
        v.addLayout(admit)
        self.tabs.addTab(page, TX["eligibility"]())
        # items
        page = QWidget()
        v = QVBoxLayout(page)
        self.prefill_button = QPushButton(TX["prefill"](), page)
        self.prefill_button.clicked.connect(self.prefill)
        self.items_table = QTableWidget(0, len(ITEM_COLS), page)
        self.items_table.setHorizontalHeaderLabels([c() for c in ITEM_COLS])
        self.items_table.itemChanged.connect(self._item_edited)
        self.totals_label = QLabel(page)
        self.totals_label.setWordWrap(True)
        v.addWidget(self.prefill_button)
        v.addWidget(self.items_table, 1)
        v.addWidget(self.totals_label)
        self.tabs.addTab(page, TX["items"]())
        # ranking
        page = QWidget()
        v = QVBoxLayout(page)
        form = QFormLayout()
        self.weight_boxes: dict[str, QDoubleSpinBox] = {}
        for term in TERMS:
            box = QDoubleSpinBox(page)
            box.setRange(0, 1000)
            box.setDecimals(1)
            box.editingFinished.connect(lambda t=term: self._weight_changed(t))
            self.weight_boxes[term] = box
            form.addRow(display.code("ranking_weights", term), box)
        v.addLayout(form)
        self.ranking_table = QTableWidget(0, 6, page)
        self.ranking_table.setHorizontalHeaderLabels(
            [T(en, zh)() for en, zh in (("Rank", "排名"), ("Community", "小区"), ("Score", "得分"),
                                        ("Ready", "就绪"), ("Cost (yuan)", "费用（元）"),
                                        ("Explanation", "得分说明"))])
        v.addWidget(self.ranking_table, 1)
        self.tabs.addTab(page, TX["ranking"]())
        # funding
        page = QWidget()
        v = QVBoxLayout(page)
        self.inputs = FundingInputs(self, page)
        self.central_box = self.inputs.money["central_subsidy_yuan"]
        v.addWidget(self.inputs)
        self.chart = FundingChart(page)
        v.addWidget(self.chart)
        self.sources_table = QTableWidget(0, 4, page)
        self.sources_table.setHorizontalHeaderLabels(
            [T(en, zh)() for en, zh in (("Number", "数值"), ("Value", "值"), ("Source", "来源"),
                                        ("Confidence", "可信度"))])
        v.addWidget(self.sources_table, 1)
        self.funding_notes = QLabel(page)
        self.funding_notes.setWordWrap(True)
        v.addWidget(self.funding_notes)
        self.tabs.addTab(page, TX["funding"]())
        # status
        page = QWidget()
        v = QVBoxLayout(page)
        self.status_table = QTableWidget(0, 4, page)
        self.status_table.setHorizontalHeaderLabels(
            [T(en, zh)() for en, zh in (("Status", "状态"), ("Date", "日期"), ("Year", "年度"),
                                        ("Signed by", "签字"))])
        v.addWidget(self.status_table, 1)
        form = QFormLayout()
        self.next_label = QLabel(page)
        self.date_edit = QDateEdit(QDate.currentDate(), page)
        self.date_edit.setCalendarPopup(True)
        self.signed_edit = QLineEdit(page)
        self.record_button = QPushButton(TX["record"](), page)
        self.record_button.clicked.connect(self.record_next)
        form.addRow(T("Next step", "下一步")(), self.next_label)
        form.addRow(T("Date", "日期")(), self.date_edit)
        form.addRow(TX["signed"](), self.signed_edit)
        v.addLayout(form)
        v.addWidget(self.record_button)
        self.tabs.addTab(page, TX["status"]())
        # precinct roll-up
        self.rollup = PrecinctRollup()
        self.precinct_table = self.rollup.table
        self.tabs.addTab(self.rollup, TX["precincts"]())
        self.numbers = NumbersPage(self)
        self.tabs.addTab(self.numbers, TX["numbers"]())
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        self.setWidget(body)

    # --- project wiring ---------------------------------------------------------------
    def subscriptions(self, project) -> list:
        return [project.events]

    def on_event(self, event) -> None:
        self.refresh()

    def on_project(self, project) -> None:
        self.community_combo.blockSignals(True)
        self.community_combo.clear()
        if project is not None:
            try:
                gdf = communities_layer(project).gdf
            except ProjectError:
                gdf = None
            if gdf is not None:
                for fid, name in gdf["name"].items():
                    self.community_combo.addItem(f"{fid} {name}", int(fid))
        self.community_combo.blockSignals(False)
        self.refresh()


    def fid(self) -> int | None:
        return self.community_combo.currentData()

    def select(self, fid: int) -> None:
        self.community_combo.setCurrentIndex(self.community_combo.findData(int(fid)))

    def _guard(self, action) -> bool:
        return guarded(self, action)[0]

    def refresh(self) -> None:
        if self.project is None or self.fid() is None or self._filling:
            return
        self._filling = True
        try:
            page = self.tabs.currentIndex()
            (self._fill_eligibility, self._fill_items, self._fill_ranking, self._fill_funding,
             self._fill_status, self._fill_precincts, self.numbers.refresh)[page]()
        finally:
            self._filling = False

    # --- tabs -------------------------------------------------------------------------
    def _fill_eligibility(self) -> None:
        fid, tree = self.fid(), self.eligibility_tree
        tree.clear()
        elig = eligibility(self.project, [fid])[fid]
        top = QTreeWidgetItem([TX["eligibility"](), RESULT_LABELS[elig.status](), "; ".join(elig.reasons)])
        for c in elig.checks:
            top.addChild(QTreeWidgetItem([c.label(), STATUS_LABELS[c.status](), c.reason()]))
        pilot = pilot_check(self.project, [fid])[fid]
        ptop = QTreeWidgetItem([TX["pilot"](), STATUS_LABELS[pilot.status](), ""])
        for c in pilot.checks:
            ptop.addChild(QTreeWidgetItem([c.label(), STATUS_LABELS[c.status](), c.reason()]))
        tree.addTopLevelItems([top, ptop])
        tree.expandAll()
        admitted = community_value(self.project, "admit_unknown", fid)
        self.admit_edit.setText(str(admitted or ""))
        self.admit_edit.setEnabled(elig.status == "unknown" or bool(admitted))
        judged = community_setting(self.project, "exemplary", fid)
        self.exemplary_box.setCheckState(Qt.PartiallyChecked if judged is None else
                                         (Qt.Checked if judged else Qt.Unchecked))

    def _exemplary_changed(self, state: int) -> None:
        if self._filling or self.fid() is None:
            return
        set_exemplary(self.project, self.fid(), None if state == Qt.PartiallyChecked else state == Qt.Checked)

    def _admit_changed(self) -> None:
        fid = self.fid()
        text = self.admit_edit.text().strip() or None
        if self._filling or fid is None or text == community_value(self.project, "admit_unknown", fid):
            return
        self._guard(lambda: set_community_values(self.project, fid, {"admit_unknown": text}))
        self.refresh()

    def _fill_items(self) -> None:
        lines = checklist(self.project, self.fid())
        table = self.items_table
        table.setRowCount(len(lines))
        for r, line in enumerate(lines.itertuples(index=False)):
            cells = [line.label, display.choice("renovation_items", "level", line.level), line.unit,
                     "", line.quantity, line.unit_cost, line.cost,
                     f"{line.unit_cost_source} ({line.unit_cost_confidence})"]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(_fmt(value) if c != 3 else "")
                item.setData(Qt.UserRole, int(line.row_fid))
                flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
                if c == 3:
                    flags |= Qt.ItemIsUserCheckable
                    item.setCheckState(Qt.Checked if line.selected else Qt.Unchecked)
                elif c in (4, 5):
                    flags |= Qt.ItemIsEditable
                item.setFlags(flags)
                table.setItem(r, c, item)
        self.totals_label.setText(totals_text(cost_summary(lines), self.project.standards()))

    def _item_edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() not in (3, 4, 5):
            return
        layer = items_layer(self.project)
        row_fid = int(item.data(Qt.UserRole))
        if item.column() == 3:
            change = {"selected": item.checkState() == Qt.Checked}
        else:
            field = "quantity" if item.column() == 4 else "unit_cost_yuan"
            raw = item.text().replace(",", "").strip()
            change = {field: None if raw in ("", "—") else raw}
        if not self.apply(ChangeAttributes(layer.id, {row_fid: change})):
            self.refresh()

    def prefill(self) -> bool:
        ok, command = guarded(self, prefill_command, self.project, [self.fid()])
        if ok and command is not None:
            ok = self.apply(command)
        self.refresh()
        return ok and command is not None

    def _fill_ranking(self) -> None:
        for term, w in weights(self.project.standards()).items():
            self.weight_boxes[term].setValue(w.value or 0.0)
            self.weight_boxes[term].setToolTip(f"{w.source} ({w.confidence})")
        ranked = rank(self.project)
        table = self.ranking_table
        table.setRowCount(len(ranked))
        for r, row in enumerate(ranked.itertuples(index=False)):
            ready = T("yes", "是")() if row.ready else "; ".join(row.not_ready_because)
            for c, value in enumerate((row.rank, row.name, f"{row.score:g}", ready, _fmt(row.cost_yuan),
                                       row.explanation)):
                cell = QTableWidgetItem(str(value))
                cell.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                cell.setToolTip(row.explanation)
                table.setItem(r, c, cell)

    def _weight_changed(self, term: str) -> None:
        if not self._filling:
            self._guard(lambda: set_weight(self.project, term, self.weight_boxes[term].value()))
            self.refresh()

    def _fill_funding(self) -> None:
        fid = self.fid()
        self.inputs.show_community(fid)
        try:
            split = community_split(self.project, fid)
        except ProjectError as exc:
            self.funding_notes.setText(exc.message())
            return
        self.chart.set_amounts(split.amounts)
        table = self.sources_table
        table.setRowCount(len(split.provenance))
        for r, d in enumerate(split.provenance):
            cells = (provenance_label(d), provenance_value(d), source_text(d["source"]),
                     confidence_label(d["confidence"]))
            for c, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                item.setToolTip(str(d["ref"]))
                table.setItem(r, c, item)
        self.funding_notes.setText(T(f"Total {split.total:,.0f} yuan", f"合计 {split.total:,.0f} 元")() +
                                   "".join(f"\n• {n}" for n in split.notes))

    def _central_changed(self) -> None:
        if not self._filling:
            self.inputs._money_changed("central_subsidy_yuan")

    def _fill_status(self) -> None:
        log = history(self.project, self.fid())
        table = self.status_table
        table.setRowCount(len(log))
        for r, row in enumerate(log.itertuples(index=False)):
            date = clean(row.date)
            for c, value in enumerate((STATE_LABELS[row.status](), display.date(date),
                                       _fmt(row.year), _fmt(row.signed_by))):
                table.setItem(r, c, QTableWidgetItem(str(value)))
        current = clean(communities_layer(self.project).gdf.at[self.fid(), "programme_status"]) or "none"
        nxt = next_status(current)
        self.next_label.setText(STATE_LABELS[nxt]() if nxt else T("done (accepted)", "已完成（已验收）")())
        self.record_button.setEnabled(nxt is not None)

    def record_next(self) -> bool:
        """Record the next step for the chosen community on the date shown (undoable)."""
        current = clean(communities_layer(self.project).gdf.at[self.fid(), "programme_status"]) or "none"
        nxt = next_status(current)
        if nxt is None:
            return False
        date = self.date_edit.date().toPyDate()
        signed = self.signed_edit.text().strip() or None
        ok = self._guard(lambda: advance(self.project, self.fid(), nxt, date, signed_by=signed))
        self.refresh()
        return ok

    def _fill_precincts(self) -> None:
        self.rollup.fill(self.project)
