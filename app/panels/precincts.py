"""The precinct panel (片区): live statistics and warnings per precinct, assign the
selected communities to a new or existing precinct, automatic grouping, undo.

Every change goes through :mod:`layers.precincts` commands on the project's undo
stack, so the panel, the CLI and the tests drive the same edits. The panel
refreshes whenever the undo stack changes. Neighbours are by the project's rule (a
walk on the streets by default, or the strict touch rule), chosen in the panel;
automatic grouping runs off the GUI thread and the panel then lists who was left
unassigned and why (:mod:`app.panels.precinct_auto`).
"""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.bars import StackedBars
from app.panels.base import Panel
from app.panels.precinct_auto import AutoGroupControls
from app.panels.precinct_neighbours import WORKING, Neighbours
from app.problems import guarded
from layers import display
from layers.errors import T
from layers.i18n import current_language
from layers.precincts import (
    Limits,
    apply_grouping,
    assign,
    communities_layer,
    group_communities,
    locked_precincts,
    precinct_stats,
)
from layers.precincts.stats import WARNING_TEXT

TITLE = T("Precincts", "片区")
TEXTS = {
    "precinct": T("Precinct", "片区"), "communities": T("Communities", "小区数"),
    "population": T("Residents", "人口"), "households": T("Households", "户数"),
    "pop60": T("Aged 60+", "60岁以上"), "pop03": T("Aged 0–3", "0–3岁"),
    "area": T("Area (ha)", "面积（公顷）"), "old": T("Built before 2000", "2000年前建成"),
    "missing": T("Missing services", "缺失服务"), "warnings": T("Warnings", "提示"),
    "floor_mark": T("floor", "下限"), "ceiling_mark": T("ceiling", "上限"),
    "assign": T("Assign selected", "划入所选"), "name": T("Precinct name", "片区名称"),
    "auto": T("Group automatically", "自动分组"), "undo": T("Undo", "撤销"),
    "limits": T("Limits", "人口范围"),
    "error": T("Precinct Planner — problem", "片区规划 — 出现问题"),
    "none": T("(none)", "（未划分）"),
    "brush": T("Paint with brush", "画笔选择"), "adjacency": T("Show adjacency", "显示邻接关系"),
    "selection": T("Selected: {n} communities · {p:,.0f} residents · {h:,.0f} households",
                   "已选：{n} 个小区 · {p:,.0f} 人 · {h:,.0f} 户"),
}
COLUMNS = ("precinct", "communities", "population", "households", "pop60", "pop03", "area",
           "old", "missing", "warnings")


class PrecinctPanel(Panel):
    """Dock: precinct statistics table, community list, assign, automatic grouping, undo."""

    TITLE = TITLE
    OBJECT_NAME = "precinct_panel"

    def __init__(self, window=None, canvas=None) -> None:
        super().__init__(window, canvas)
        canvas = self.canvas
        self.stats = None
        self.adjacency = None
        self.neighbours = Neighbours(self)
        self.neighbours.ready.connect(self.refresh)
        self._syncing = False
        self._previous_tool = None
        self._build()
        self.brush = None
        if canvas is not None:
            from app.canvas.map_tools import BrushSelectTool

            self.brush = BrushSelectTool(canvas)
            canvas.toolChanged.connect(lambda tool: self.brush_button.setChecked(tool is self.brush))

    # --- building ---------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.table = QTableWidget(0, len(COLUMNS), body)
        self.table.setHorizontalHeaderLabels([TEXTS[k]() for k in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 2)
        self.population_chart = StackedBars(body)  # residents per precinct against the limits
        self.population_chart.setObjectName("precinct_population_chart")
        layout.addWidget(self.population_chart)
        self.communities = QListWidget(body)
        self.communities.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.communities.itemSelectionChanged.connect(self._list_selection_changed)
        layout.addWidget(self.communities, 2)
        tools = QHBoxLayout()
        self.brush_button = QPushButton(TEXTS["brush"](), body)
        self.brush_button.setCheckable(True)
        self.brush_button.setEnabled(self.canvas is not None)
        self.brush_button.toggled.connect(self.use_brush)
        tools.addWidget(self.brush_button)
        self.show_adjacency = QCheckBox(TEXTS["adjacency"](), body)
        self.show_adjacency.setEnabled(self.canvas is not None)
        self.show_adjacency.toggled.connect(self._draw_adjacency)
        tools.addWidget(self.show_adjacency)
        tools.addStretch(1)
        layout.addLayout(tools)
        self.selection_label = QLabel("", body)
        layout.addWidget(self.selection_label)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(TEXTS["name"](), body))
        self.name = QComboBox(body)
        self.name.setEditable(True)
        bar.addWidget(self.name, 1)
        self.assign_button = QPushButton(TEXTS["assign"](), body)
        self.assign_button.clicked.connect(self.assign_selected)
        bar.addWidget(self.assign_button)
        self.undo_button = QPushButton(TEXTS["undo"](), body)
        self.undo_button.clicked.connect(self.undo)
        bar.addWidget(self.undo_button)
        layout.addLayout(bar)
        self.auto = AutoGroupControls(body, layout)
        a = self.auto
        self.floor, self.ceiling, self.within, self.seed = a.floor, a.ceiling, a.within, a.seed
        self.auto_button, self.status, self.unassigned = a.button, a.status, a.unassigned
        self.auto_button.clicked.connect(self.run_auto)
        a.rule.currentIndexChanged.connect(lambda _i: self.refresh())
        a.walk.editingFinished.connect(self.refresh)
        self.unassigned.itemSelectionChanged.connect(self._unassigned_selected)
        self.setWidget(body)

    # --- project ----------------------------------------------------------------------
    def subscriptions(self, project) -> list:
        return [project.selection.events, project.undo.events]

    def on_project(self, project) -> None:
        self.auto.result = None
        self.neighbours.forget()
        if project is not None:
            limits = Limits.from_standards(project.standards())
            self.floor.setValue(int(limits.minimum or 0))
            self.ceiling.setValue(int(limits.maximum or 0))
            self.auto.set_defaults(project.standards())
        self.refresh()

    def on_event(self, event) -> None:
        if event.type == "selection":
            self._on_selection(event)
        elif event.type == "changed":  # an edit, undo or redo
            self.refresh()

    def limits(self) -> Limits:
        ceiling = self.ceiling.value()
        return Limits(self.floor.value(), ceiling if ceiling > 0 else None)

    def refresh(self) -> None:
        """Recompute the statistics and refill the table and the community list."""
        self.table.setRowCount(0)
        if self.project is None or not self.project.layers_of_kind("communities"):
            self.communities.clear()
            self.stats = None
            self.auto.update(None)
            return
        comm = communities_layer(self.project).gdf
        self.adjacency = self.neighbours.get(self.project, self.auto.rule_key(),
                                             self.auto.walk.value(), comm)
        if self.adjacency is None:  # a city: worked out off the GUI thread, then refreshed
            self.stats = None
            self.auto.status.setText(WORKING.format(n=len(comm))())
            self.auto_button.setEnabled(False)
            return
        self.auto_button.setEnabled(not self.busy)
        self.stats = precinct_stats(self.project, self.adjacency, self.limits())
        self._fill_table()
        self._fill_chart()
        self._fill_communities(comm)
        self.auto.notes = [note() for note in self.adjacency.notes]
        self.auto.update(comm)
        self._draw_adjacency()
        self._show_selection()

    def _fill_table(self) -> None:
        zh = current_language() == "zh"
        std = self.project.standards() if self.project is not None else None
        self.table.setRowCount(len(self.stats))
        for r, (name, row) in enumerate(self.stats.iterrows()):
            old = row["share_before_2000"]
            cells = (name, row["communities"], row["population"], row["households"],
                     row["pop_60plus"], row["pop_0_3"], f"{row['area_m2'] / 1e4:.2f}",
                     "—" if old is None or old != old else f"{100 * old:.0f}%",
                     display.join(display.service(k, standards=std) for k in row["missing"]),
                     display.join(WARNING_TEXT[w][1 if zh else 0] for w in row["warnings"]))
            for c, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if c == len(cells) - 1 and row["warnings"]:
                    item.setForeground(Qt.red)
                self.table.setItem(r, c, item)
        current = self.name.currentText()
        self.name.blockSignals(True)
        self.name.clear()
        self.name.addItems([str(n) for n in self.stats.index])
        self.name.setEditText(current)
        self.name.blockSignals(False)

    def _fill_chart(self, most: int = 12) -> None:
        """Residents per precinct (the smallest first: those near the floor matter) with the
        floor and the ceiling as lines."""
        stats = self.stats
        if stats is None or not len(stats):
            self.population_chart.set_data([], [])
            return
        smallest = stats["population"].astype(float).sort_values(kind="mergesort").iloc[:most]
        rows = [(str(name), {"population": float(v)}) for name, v in smallest.items()]
        limits = self.limits()
        marks = [(float(limits.minimum), TEXTS["floor_mark"](), "#b2182b")] if limits.minimum else []
        if limits.maximum:
            marks.append((float(limits.maximum), TEXTS["ceiling_mark"](), "#2166ac"))
        self.population_chart.set_data(rows, [("population", TEXTS["population"](), "#74a9cf")], marks)

    def _fill_communities(self, comm) -> None:
        selected = set(self.selected_fids())
        self._syncing = True
        self.communities.clear()
        none = TEXTS["none"]()
        for fid, name, precinct in zip(comm.index, comm["name"], comm["precinct"], strict=True):
            label = precinct if isinstance(precinct, str) and precinct else none
            item = QListWidgetItem(f"{name} — {label}")
            item.setData(Qt.UserRole, int(fid))
            self.communities.addItem(item)
            item.setSelected(int(fid) in selected)
        self._syncing = False

    def selected_fids(self) -> list[int]:
        return [int(i.data(Qt.UserRole)) for i in self.communities.selectedItems()]

    def select_fids(self, fids) -> None:
        """Select communities (in the list, and so on the map and in the attribute table)."""
        layer = self._layer()
        if layer is not None:
            self.project.selection.select(layer.id, fids)

    def _layer(self):
        if self.project is None or not self.project.layers_of_kind("communities"):
            return None
        return communities_layer(self.project)

    def _on_selection(self, event) -> None:
        layer = self._layer()
        if layer is None or event.info["layer_id"] != layer.id or self._syncing:
            return
        wanted = event.info["fids"]
        self._syncing = True
        first = None
        for i in range(self.communities.count()):
            item = self.communities.item(i)
            chosen = int(item.data(Qt.UserRole)) in wanted
            item.setSelected(chosen)
            first = item if chosen and first is None else first
        if first is not None:
            self.communities.scrollToItem(first)
        self._syncing = False
        self._show_selection()

    def _list_selection_changed(self) -> None:
        layer = self._layer()
        if self._syncing or layer is None:
            return
        self._syncing = True
        self.project.selection.select(layer.id, self.selected_fids())
        self._syncing = False
        self._show_selection()

    def _show_selection(self) -> None:
        layer = self._layer()
        fids = sorted(self.project.selection.fids(layer.id)) if layer is not None else []
        if not fids:
            self.selection_label.setText("")
            return
        rows = layer.gdf.loc[[f for f in fids if f in layer.gdf.index]]
        self.selection_label.setText(TEXTS["selection"].format(
            n=len(rows), p=float(rows["population"].fillna(0).sum()),
            h=float(rows["households"].fillna(0).sum()))())

    # --- the map: brush and adjacency ---------------------------------------------------
    def use_brush(self, on: bool = True) -> None:
        """Paint communities into the selection on the map (toggle off: back to the last tool)."""
        if self.canvas is None or self.brush is None:
            return
        layer = self._layer()
        if on and layer is not None:
            if self.canvas.tool is not self.brush:
                self._previous_tool = self.canvas.tool
            self.brush.target_layer_id = layer.id
            self.canvas.set_tool(self.brush)
        elif not on and self.canvas.tool is self.brush and self._previous_tool is not None:
            self.canvas.set_tool(self._previous_tool)

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Closing the panel puts the brush (and its circle) away and the previous tool back,
        and takes the adjacency lines off the map."""
        if self.canvas is not None:
            if self.brush is not None and self.canvas.tool is self.brush:
                self.brush_button.setChecked(False)
                self.use_brush(False)
            self.canvas.set_overlay("adjacency", None)
        super().hideEvent(event)

    def _draw_adjacency(self, _on=None) -> None:
        if self.canvas is None:
            return
        if not self.show_adjacency.isChecked() or self.adjacency is None:
            self.canvas.set_overlay("adjacency", None)
            return
        from app.canvas.overlays import line_overlay

        lines = self.adjacency.lines(communities_layer(self.project).gdf)
        self.canvas.set_overlay("adjacency", line_overlay(lines.geometry.to_numpy(), "#2166ac"))

    def row_of(self, precinct: str) -> dict | None:
        """The statistics of one precinct as a dict (None when it does not exist)."""
        if self.stats is None or precinct not in self.stats.index:
            return None
        return self.stats.loc[precinct].to_dict()

    # --- actions ----------------------------------------------------------------------
    def assign_selected(self) -> bool:
        if self.project is None:
            return False
        fids, name = self.selected_fids(), self.name.currentText()
        return guarded(self, assign, self.project, fids, name)[0]

    def run_auto(self) -> bool:
        """Group the communities off the GUI thread (on a copy of the communities); the
        grouping replaces the unlocked precincts as one undo step when it is done."""
        if self.project is None or self.busy or self.adjacency is None:
            return False
        walk = self.auto.walk.value() if self.auto.rule_key() == "walk" else None
        if self.adjacency.rule != self.auto.rule_key() or \
                (walk is not None and self.adjacency.walk_m != walk):
            self.refresh()  # the rule or walk changed since (arrows do not end an edit)
            if self.adjacency is None:  # being worked out: the button comes back after
                return False
        ok, inputs = guarded(self, self._grouping_inputs)
        if not ok:
            return False
        comm, locked, limits, within, seed = inputs
        adjacency = self.adjacency

        def work(progress, cancelled):
            return group_communities(comm, adjacency, limits.minimum, limits.maximum,
                                     within=within, locked_fids=locked, seed=seed)

        def done(result) -> None:
            self.auto.result = result  # before the refresh the grouping's edit triggers
            if not guarded(self, apply_grouping, self.project, result, adjacency.gap_m)[0]:
                self.auto.result = None
            self.auto.show_result(self.auto.result, communities_layer(self.project).gdf)

        job = self.start_job(TEXTS["auto"](), work, done)
        if job is None:
            return False
        self.auto_button.setEnabled(False)
        job.finished.connect(lambda: self.auto_button.setEnabled(True))
        return True

    def _grouping_inputs(self) -> tuple:
        comm = communities_layer(self.project).gdf.copy()
        _, locked = locked_precincts(self.project)
        return (comm, locked, self.limits(),
                "subdistrict" if self.within.isChecked() else None, self.seed.value())

    def undo(self) -> None:
        if self.project is not None:
            guarded(self, self.project.undo.undo)

    def _unassigned_selected(self) -> None:
        fids = [int(i.data(Qt.UserRole)) for i in self.unassigned.selectedItems()]
        if fids:
            self.select_fids(fids)
