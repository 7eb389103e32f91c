"""The automatic-grouping part of the precinct panel: floor, ceiling, nesting, seed, the
adjacency rule (a walk on the streets, or the strict touch rule), and after a run who
was left unassigned and why (one line per community; clicking selects it on the map).
"""

from __future__ import annotations

import pandas as pd
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from layers import display
from layers.errors import ProjectError, T
from layers.precincts import default_rule, default_walk_m

TEXTS = {
    "floor": T("Floor", "下限"), "ceiling": T("Ceiling (0 = none)", "上限（0 为不限）"),
    "within": T("Within sub-district", "不跨街道"), "seed": T("Seed", "随机种子"),
    "auto": T("Group automatically", "自动分组"),
    "neighbours": T("Neighbours", "相邻判定"),
    "walk": T("within a walk on the streets", "道路步行可达"),
    "touch": T("touching or across a narrow street (strict)", "相接或隔窄路（严格）"),
    "metres": T(" m", " 米"),
    "walk_tip": T("Walking distance between neighbouring communities' street frontages "
                  "(300 m: the 5-minute circle; 500 m: the 10-minute circle)",
                  "相邻小区临街处之间的步行距离（300 米：5 分钟生活圈；500 米：10 分钟生活圈）"),
    "summary": T("{k} precincts; {placed} of {n} communities in a precinct; {left} unassigned",
                 "{k} 个片区；{n} 个小区中 {placed} 个已划入片区，{left} 个未划分"),
    "why": T("Left unassigned: {counts}", "未划分原因：{counts}"),
    "list_tip": T("Communities the automatic grouping left out, with the reason; click to "
                  "select them on the map", "自动分组未划入片区的小区及原因；单击可在地图上选中"),
}
RULES = ("walk", "touch")


def spin(parent: QWidget, value: int, step: int = 500, maximum: int = 10_000_000) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(0, maximum)
    box.setSingleStep(step)
    box.setValue(value)
    return box


class AutoGroupControls:
    """The widgets of the automatic grouping, added to ``layout`` of ``body``."""

    def __init__(self, body: QWidget, layout: QVBoxLayout) -> None:
        rule_row = QHBoxLayout()
        rule_row.addWidget(QLabel(TEXTS["neighbours"](), body))
        self.rule = QComboBox(body)
        for key in RULES:
            self.rule.addItem(TEXTS[key](), key)
        rule_row.addWidget(self.rule, 1)
        self.walk = spin(body, 300, step=50, maximum=5000)
        self.walk.setMinimum(10)
        self.walk.setSuffix(TEXTS["metres"]())
        self.walk.setToolTip(TEXTS["walk_tip"]())
        rule_row.addWidget(self.walk)
        layout.addLayout(rule_row)
        self.rule.currentIndexChanged.connect(
            lambda _i: self.walk.setEnabled(self.rule_key() == "walk"))
        limits = QHBoxLayout()  # rows, so the dock can stay narrow beside the map
        limits.addWidget(QLabel(TEXTS["floor"](), body))
        self.floor = spin(body, 5000)
        limits.addWidget(self.floor)
        limits.addWidget(QLabel(TEXTS["ceiling"](), body))
        self.ceiling = spin(body, 0)
        limits.addWidget(self.ceiling)
        layout.addLayout(limits)
        run = QHBoxLayout()
        self.within = QCheckBox(TEXTS["within"](), body)
        run.addWidget(self.within)
        run.addWidget(QLabel(TEXTS["seed"](), body))
        self.seed = spin(body, 0, step=1)
        run.addWidget(self.seed)
        run.addStretch(1)
        self.button = QPushButton(TEXTS["auto"](), body)
        run.addWidget(self.button)
        layout.addLayout(run)
        self.status = QLabel("", body)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.unassigned = QListWidget(body)
        self.unassigned.setObjectName("precinct_unassigned")
        self.unassigned.setToolTip(TEXTS["list_tip"]())
        self.unassigned.setMaximumHeight(120)
        self.unassigned.setWordWrap(True)
        self.unassigned.setVisible(False)
        layout.addWidget(self.unassigned)
        self.result = None
        self.problem = ""  # a project setting the panel could not follow
        self.notes: list[str] = []  # what the adjacency says (no streets: the touch rule)

    def rule_key(self) -> str:
        return str(self.rule.currentData())

    def set_defaults(self, standards) -> None:
        """The adjacency rule and walk of the project's standards."""
        self.problem = ""
        try:
            rule = default_rule(standards)
        except ProjectError as exc:  # a project setting no rule knows: say so, walk
            rule = "walk"
            self.problem = exc.message()
        self.rule.blockSignals(True)
        self.rule.setCurrentIndex(RULES.index(rule))
        self.rule.blockSignals(False)
        self.walk.blockSignals(True)
        self.walk.setValue(round(default_walk_m(standards)))
        self.walk.blockSignals(False)
        self.walk.setEnabled(self.rule_key() == "walk")

    def show_result(self, result, comm) -> None:
        """Keep ``result`` and show it against the communities as they are now."""
        self.result = result
        self.update(comm)

    def update(self, comm) -> None:
        """The summary and the list of unassigned communities, for the layer as it is now:
        a community placed by hand since leaves the list; an undone grouping clears it."""
        result = self.result
        self.unassigned.clear()
        if result is None or comm is None:
            self.status.setText(" ".join(t for t in (self.problem, *self.notes) if t))
            self.unassigned.setVisible(False)
            return
        precinct = comm["precinct"].astype(object) if "precinct" in comm.columns else \
            pd.Series(None, index=comm.index, dtype=object)
        named = precinct.notna() & (precinct.astype(str).str.strip() != "")
        grouped = result.labels.index[result.labels.to_numpy() >= 0]
        still = named.reindex(grouped, fill_value=False)
        if len(grouped) and still.mean() < 0.5:  # the grouping was undone (or redone by hand)
            self.result = None
            self.update(None)
            return
        k = int(precinct[named].nunique())
        left = result.reasons.loc[result.reasons.index.isin(comm.index[~named])]
        n = len(comm)
        self.status.setText(TEXTS["summary"].format(
            k=display.number(k), placed=display.number(int(named.sum())), n=display.number(n),
            left=display.number(len(left)))())
        if len(left):
            counts = left["reason"].value_counts()
            from layers.precincts.leftovers import reason_label

            text = display.join(f"{reason_label(str(code))()} {int(v)}" for code, v in counts.items())
            self.status.setText(self.status.text() + "\n" + TEXTS["why"].format(counts=text)())
        for fid, row in left.iterrows():
            item = QListWidgetItem(f"{display.text(row['name'])} — {result.why(fid)()}")
            item.setData(Qt.UserRole, int(fid))
            item.setToolTip(item.text())
            self.unassigned.addItem(item)
        self.unassigned.setVisible(bool(len(left)))
