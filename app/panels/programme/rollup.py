"""The programme panel's precinct roll-up: who pays what per precinct, as a chart (the
precincts with the largest totals, stacked by payer) over the full table."""

from __future__ import annotations

from PyQt5.QtWidgets import QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.panels.bars import StackedBars
from app.panels.programme.chart import COLORS
from layers import display
from layers.errors import ProjectError, T
from layers.programme import PAYER_LABELS, PAYERS, precinct_splits

TOP = 8


class PrecinctRollup(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.chart = StackedBars(self)
        self.chart.setObjectName("funding_by_payer_chart")
        layout.addWidget(self.chart)
        self.table = QTableWidget(0, 2 + len(PAYERS), self)
        self.table.setHorizontalHeaderLabels(
            [T("Precinct", "片区")(), T("Total (yuan)", "合计（元）")()] + [PAYER_LABELS[p]() for p in PAYERS])
        layout.addWidget(self.table, 1)

    def fill(self, project) -> None:
        try:
            splits = precinct_splits(project)
        except ProjectError as exc:
            self.table.setRowCount(0)
            self.table.setToolTip(exc.message())
            self.chart.set_data([], [])
            return
        self.table.setRowCount(len(splits))
        for r, (name, s) in enumerate(splits.items()):
            for c, value in enumerate([name, s.total] + [s.amounts[p] for p in PAYERS]):
                text = value if isinstance(value, str) else display.yuan(value, unit=False)
                self.table.setItem(r, c, QTableWidgetItem(text))
        biggest = sorted(splits.items(), key=lambda kv: -kv[1].total)[:TOP]
        rows = [(name, {p: s.amounts[p] for p in PAYERS}) for name, s in biggest if s.total > 0]
        series = [(p, PAYER_LABELS[p](), COLORS[i % len(COLORS)]) for i, p in enumerate(PAYERS)]
        self.chart.set_data(rows, series)
