"""The life-circle coverage panel: choose services and levels, run off the GUI thread
(progress, Cancel), read coverage by service and level as a table and a bar chart,
click a gap to zoom the map to that community."""

from __future__ import annotations

import math

from PyQt5.QtCore import QRectF, Qt
from PyQt5.QtGui import QColor, QPainter, QPen
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import Panel
from layers import display
from layers.coverage import CoverageCancelled, compute_coverage, coverage_command
from layers.coverage.options import DEFAULT_SERVICES
from layers.errors import T
from layers.kinds import COVERAGE_RESULTS
from layers.snapshot import snapshot_project
from layers.standards import service_keys

TITLE = T("Life-circle coverage", "生活圈覆盖分析")
TEXTS = {
    "run": T("Run", "运行"), "cancel": T("Cancel", "取消"),
    "levels": T("Levels (m)", "层级（米）"), "mode": T("Distance", "距离"),
    "network": T("walking network", "沿路网步行"), "euclidean": T("straight line", "直线"),
    "service": T("Service", "服务"), "level": T("Level", "层级"),
    "communities": T("Communities covered", "覆盖小区"), "pop": T("Residents", "居民"),
    "pop60": T("Aged 60+", "60岁以上"), "pop03": T("Aged 0–3", "0–3岁"),
    "community": T("Community", "小区"), "nearest": T("Nearest (m)", "最近距离（米）"),
    "required": T("Required (m)", "要求（米）"), "flag": T("Flag", "标记"),
    "gaps": T("{n} gaps — click one to zoom to it", "缺口 {n} 处 — 点击可缩放至该小区"),
    "partial": T("Partial result: ", "部分结果："),
    "error": T("Precinct Planner — problem", "片区规划 — 出现问题"),
    "idle": T("Choose services and levels, then Run.", "请选择服务和层级，然后点击“运行”。"),
    "cancelled": T("Cancelled.", "已取消。"),
    "dropped": T("The project changed while coverage ran; the results were not added.",
                 "分析期间项目已更换，结果未加入。"),
}
SERVICE_COLOURS = ("#d73027", "#4575b4", "#fdae61", "#1a9850", "#762a83", "#8c510a")
MIN_ZOOM_M = 700.0  # m: a gap is shown with its neighbourhood
GAP_FIELDS = ("community", "service", "nearest_m", "required_m", "population", "flag")


def _share(value) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{100 * float(value):.1f}%"


class CoverageChart(QWidget):
    """Bars: share of residents covered per service (groups) and level (bars)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(190)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.rows: list[tuple[str, float, float]] = []  # service, level_m, share
        self.level_labels: dict[float, str] = {}

    def set_rows(self, rows, level_labels: dict[float, str] | None = None) -> None:
        """``rows``: (service name, level in m, share of residents); ``level_labels`` name the
        levels in the legend ("5-minute circle / 300 m")."""
        self.rows = list(rows)
        self.level_labels = dict(level_labels or {})
        self.update()

    def layout_boxes(self) -> dict[str, float]:
        """Where the parts go: the axis labels' width fits "100%" in the widget's font."""
        metrics = self.fontMetrics()
        left = float(metrics.horizontalAdvance("100%") + 8)
        legend_h = float(metrics.height() + 6)
        return {"left": left, "legend_h": legend_h, "axis_h": float(metrics.height() + 4), "right": 10.0}

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if not self.rows:
            painter.end()
            return
        box = self.layout_boxes()
        services = list(dict.fromkeys(r[0] for r in self.rows))
        levels = sorted({r[1] for r in self.rows})
        x, y = box["left"], 0.0  # the legend: a grey swatch per level (darker = nearer), wrapped
        for li, level in enumerate(levels):
            text = self.level_labels.get(level, f"{level:g} m")
            width = self.fontMetrics().horizontalAdvance(text)
            if x > box["left"] and x + 16 + width > self.width() - box["right"]:
                x, y = box["left"], y + box["legend_h"]
            shade = QColor("#555555")
            shade.setAlpha(int(255 * (0.45 + 0.55 * (len(levels) - li) / len(levels))))
            painter.fillRect(QRectF(x, y + 4, 12, 12), shade)
            painter.setPen(QPen(QColor("black")))
            painter.drawText(QRectF(x + 16, y, width + 4, box["legend_h"]), Qt.AlignVCenter, text)
            x += 16 + width + 14
        margin, axis_h, top0 = box["left"], box["axis_h"], y + box["legend_h"] + 8
        w = self.width() - margin - box["right"]
        h = max(self.height() - top0 - axis_h - 4, 20.0)
        group_w = w / max(len(services), 1)
        bar_w = group_w * 0.8 / max(len(levels), 1)
        painter.setPen(QPen(QColor("#888888")))
        for frac in (0.0, 0.5, 1.0):
            y = top0 + h * (1 - frac)
            painter.drawLine(int(margin), int(y), int(margin + w), int(y))
            painter.drawText(QRectF(0, y - 8, margin - 4, 16), Qt.AlignRight | Qt.AlignVCenter,
                             f"{frac * 100:.0f}%")
        for gi, service in enumerate(services):
            colour = QColor(SERVICE_COLOURS[gi % len(SERVICE_COLOURS)])
            for li, level in enumerate(levels):
                share = next((r[2] for r in self.rows if r[0] == service and r[1] == level), 0.0)
                share = 0.0 if share != share else share
                x = margin + gi * group_w + group_w * 0.1 + li * bar_w
                shade = QColor(colour)
                shade.setAlpha(int(255 * (0.45 + 0.55 * (len(levels) - li) / len(levels))))
                top = top0 + h * (1 - share)
                painter.fillRect(QRectF(x, top, bar_w * 0.9, h * share), shade)
            painter.setPen(QPen(QColor("black")))
            painter.drawText(QRectF(margin + gi * group_w, top0 + h + 2, group_w, axis_h),
                             Qt.AlignCenter, service)
        painter.end()


class CoveragePanel(Panel):
    """Dock: services, levels, mode, Run/Cancel, coverage table and chart, gap list."""

    TITLE = TITLE
    OBJECT_NAME = "coverage_panel"

    def __init__(self, window=None, canvas=None) -> None:
        super().__init__(window, canvas)
        self.result = None
        self._build()
        self.set_project(getattr(window, "project", None))

    # --- building ---------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.services = QListWidget(body)
        self.services.setMaximumHeight(110)
        layout.addWidget(self.services)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(TEXTS["levels"](), body))
        self.levels = QLineEdit("300,500,1000", body)
        self.levels.setMinimumWidth(self.levels.fontMetrics().horizontalAdvance("300,500,1000") + 16)
        bar.addWidget(self.levels, 1)
        bar.addWidget(QLabel(TEXTS["mode"](), body))
        self.mode = QComboBox(body)
        for key in ("network", "euclidean"):
            self.mode.addItem(TEXTS[key](), key)
        bar.addWidget(self.mode)
        layout.addLayout(bar)
        bar = QHBoxLayout()  # the buttons on their own row: nothing is cut in a narrow dock
        bar.addStretch(1)
        self.run_button = QPushButton(TEXTS["run"](), body)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton(TEXTS["cancel"](), body)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        bar.addWidget(self.run_button)
        bar.addWidget(self.cancel_button)
        layout.addLayout(bar)
        self.progress = QProgressBar(body)
        self.progress.setRange(0, 100)
        layout.addWidget(self.progress)
        self.status = QLabel(TEXTS["idle"](), body)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.table = QTableWidget(0, 6, body)
        self.table.setHorizontalHeaderLabels([TEXTS[k]() for k in
                                              ("service", "level", "communities", "pop", "pop60",
                                               "pop03")])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        self.chart = CoverageChart(body)
        layout.addWidget(self.chart)
        self.gap_label = QLabel(body)
        layout.addWidget(self.gap_label)
        self.gaps = QTableWidget(0, len(GAP_FIELDS), body)
        self.gaps.setHorizontalHeaderLabels([TEXTS[k]() for k in
                                             ("community", "service", "nearest", "required", "pop",
                                              "flag")])
        self.gaps.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.gaps.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.gaps.verticalHeader().setVisible(False)
        self.gaps.cellClicked.connect(lambda row, _col: self.zoom_to_gap(row))
        layout.addWidget(self.gaps, 1)
        self.setWidget(body)

    def on_project(self, project) -> None:
        self.services.clear()
        if project is None:
            return
        std = project.standards()
        for key in service_keys(std):
            item = QListWidgetItem(display.service(key, standards=std))
            item.setData(Qt.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if key in DEFAULT_SERVICES else Qt.Unchecked)
            self.services.addItem(item)

    def chosen_services(self) -> list[str]:
        return [self.services.item(i).data(Qt.UserRole) for i in range(self.services.count())
                if self.services.item(i).checkState() == Qt.Checked]

    # --- running ----------------------------------------------------------------------
    def run(self) -> bool:
        """Start a run off the GUI thread on a snapshot of the project; False when one is
        running or there is no project. The results join the project they were computed
        for, as one undo step — or are dropped if another project was opened meanwhile."""
        if self.project is None or self.busy:
            return False
        frozen = snapshot_project(self.project)
        services, levels, mode = self.chosen_services(), self.levels.text(), self.mode.currentData()

        def work(progress, cancelled):
            result = compute_coverage(frozen, services, levels, mode, progress=progress,
                                      cancel=cancelled)
            if cancelled():
                raise CoverageCancelled()
            return result

        job = self.start_job(TITLE(), work, self._on_done, on_failed=self._on_failed,
                             on_cancelled=self._on_cancelled, on_dropped=self._on_dropped,
                             dialog=False)
        job.progressed.connect(self._on_progress)
        job.finished.connect(self._finish)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        return True

    def cancel(self) -> None:
        if self.busy:
            self.job.cancel()

    def _finish(self) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(100 * fraction))
        self.status.setText(text)

    def _on_cancelled(self) -> None:
        self._finish()
        self.status.setText(TEXTS["cancelled"]())

    def _on_dropped(self, _result) -> None:
        self._finish()
        self.status.setText(TEXTS["dropped"]())

    def _on_failed(self, exc) -> None:
        self._finish()
        if isinstance(exc, CoverageCancelled):
            self._on_cancelled()
            return
        self.status.setText(self.report(exc))

    def _on_done(self, result) -> None:
        self._finish()
        if self.apply(lambda: coverage_command(self.project, result)):
            self.show_result(result)

    # --- showing ----------------------------------------------------------------------
    def show_result(self, result) -> None:
        self.result = result
        city = result.summary[result.summary["unit_type"] == "city"]
        self.table.setRowCount(len(city))
        for r, rec in enumerate(city.to_dict("records")):
            cells = [self._service(rec["service"]), result.options.level_label(rec["level_m"]),
                     f"{rec['covered_communities']}/{rec['communities']}",
                     _share(rec["population_share"]), _share(rec["pop_60plus_share"]),
                     _share(rec["pop_0_3_share"])]
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(str(text)))
        self.table.resizeColumnsToContents()
        self.chart.set_rows([(self._service(rec["service"]), float(rec["level_m"]),
                              float(rec["population_share"]) if rec["population_share"] ==
                              rec["population_share"] else 0.0)
                             for rec in city.to_dict("records")],
                            {float(m): result.options.level_label(m) for m in result.options.levels_m})
        gaps = result.gaps
        self.gaps.setRowCount(len(gaps))
        for r, rec in enumerate(gaps.to_dict("records")):
            for c, name in enumerate(GAP_FIELDS):
                item = QTableWidgetItem(self._gap_text(name, rec[name]))
                item.setData(Qt.UserRole, r)
                self.gaps.setItem(r, c, item)
        self.gaps.resizeColumnsToContents()
        self.gap_label.setText(TEXTS["gaps"].format(n=len(gaps))())
        note = " ".join(n() for n in result.notes)
        self.status.setText((TEXTS["partial"]() + note) if result.partial else note)

    def _service(self, key: str) -> str:
        std = self.project.standards() if self.project is not None else None
        return display.service(key, standards=std)

    @staticmethod
    def _gap_text(name: str, value) -> str:
        """A gap cell as :mod:`layers.display` says it (services and flags by their labels)."""
        if name in ("nearest_m", "required_m") and not display.is_missing(value):
            return f"{float(value):,.0f}"
        field = COVERAGE_RESULTS.field(name) if COVERAGE_RESULTS.has_field(name) else None
        return display.text(value, field, COVERAGE_RESULTS.kind)

    def zoom_to_gap(self, row: int) -> None:
        if self.result is None or self.canvas is None or not 0 <= row < len(self.result.gaps):
            return
        rec = self.result.gaps.iloc[row]
        x0, y0, x1, y1 = (float(rec[k]) for k in ("minx", "miny", "maxx", "maxy"))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        # the community with its surroundings (its walking circle), not a 1:20 close-up
        half_w, half_h = max(3 * (x1 - x0), MIN_ZOOM_M) / 2, max(3 * (y1 - y0), MIN_ZOOM_M) / 2
        self.canvas.zoom_to_bounds((cx - half_w, cy - half_h, cx + half_w, cy + half_h))
        self._highlight(int(rec["community_fid"]))

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt name): the outline goes with the panel
        if self.canvas is not None:
            self.canvas.set_overlay("coverage_gap", None)
        super().hideEvent(event)

    def _highlight(self, fid: int) -> None:
        """Outline the gap's community on the map (the identify highlight)."""
        from app.canvas.overlays import highlight_overlay

        layer = next(iter(self.project.layers_of_kind("communities")), None)
        geoms = [layer.gdf.geometry.loc[fid]] if layer is not None and fid in layer.gdf.index else []
        self.canvas.set_overlay("coverage_gap", highlight_overlay(geoms) if geoms else None)
