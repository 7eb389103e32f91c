"""The programme panel's precinct roll-up: who pays what per precinct, as a chart (the
precincts with the largest totals, stacked by payer) over the full table.

The splits of a city's 3,000 communities take seconds (16 s on a loaded 2-core machine;
76 s before the checklist was read in one pass): from ``BACKGROUND_FROM`` communities
they are worked out off the GUI thread on a snapshot, the table saying so meanwhile."""

from __future__ import annotations

from PyQt5.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.panels.bars import StackedBars
from app.panels.programme.chart import COLORS
from layers import display
from layers.errors import ProjectError, T
from layers.programme import PAYER_LABELS, PAYERS, precinct_splits

TOP = 8
BACKGROUND_FROM = 300  # communities (the small sample's 60 take well under a second)
WORKING = T("Working out the funding of {n:,} communities…", "正在计算 {n:,} 个小区的资金分担…")


class PrecinctRollup(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.status = QLabel("", self)  # "working out …" or why nothing can be shown
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        layout.addWidget(self.status)
        self.chart = StackedBars(self)
        self.chart.setObjectName("funding_by_payer_chart")
        layout.addWidget(self.chart)
        self.table = QTableWidget(0, 2 + len(PAYERS), self)
        self.table.setHorizontalHeaderLabels(
            [T("Precinct", "片区")(), T("Total (yuan)", "合计（元）")()] + [PAYER_LABELS[p]() for p in PAYERS])
        layout.addWidget(self.table, 1)

        self.job = None
        self._asked = None

    def fill(self, project) -> None:
        from layers.precincts import communities_layer

        try:
            n = len(communities_layer(project).gdf)
        except ProjectError:
            n = 0
        if n < BACKGROUND_FROM:
            try:
                self.show(precinct_splits(project))
            except ProjectError as exc:
                self.show_problem(exc)
            return
        self._start(project, n)

    def _start(self, project, n: int) -> None:
        from app.jobs import start_job
        from layers.snapshot import snapshot_project

        if self.job is not None:
            self.job.cancel()
        frozen = snapshot_project(project, [layer.name for layer in project.layers
                                            if layer.layer_type in ("vector", "table")
                                            and layer.kind != "streets"])
        asked = self._asked = object()
        self.table.setRowCount(0)
        self._say(WORKING.format(n=n)())
        self.chart.set_data([], [])

        def done(splits) -> None:
            if self._asked is asked:
                self.show(splits)

        def failed(exc) -> None:
            if self._asked is asked and isinstance(exc, ProjectError):
                self.show_problem(exc)

        def settled() -> None:
            if self._asked is asked:
                self.job = None

        self.job = start_job(self, WORKING.format(n=n)(),
                             lambda progress, cancelled: precinct_splits(frozen), done,
                             project=project, on_failed=failed, on_settled=settled, dialog=False)

    def show_problem(self, exc: ProjectError) -> None:
        self.table.setRowCount(0)
        self._say(exc.message())
        self.chart.set_data([], [])

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self.table.setToolTip(text)

    def show(self, splits) -> None:
        self._say("")
        self.table.setRowCount(len(splits))
        for r, (name, s) in enumerate(splits.items()):
            for c, value in enumerate([name, s.total] + [s.amounts[p] for p in PAYERS]):
                text = value if isinstance(value, str) else display.yuan(value, unit=False)
                self.table.setItem(r, c, QTableWidgetItem(text))
        biggest = sorted(splits.items(), key=lambda kv: -kv[1].total)[:TOP]
        rows = [(name, {p: s.amounts[p] for p in PAYERS}) for name, s in biggest if s.total > 0]
        series = [(p, PAYER_LABELS[p](), COLORS[i % len(COLORS)]) for i, p in enumerate(PAYERS)]
        self.chart.set_data(rows, series)
