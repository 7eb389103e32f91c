"""The window's map tools and editing actions: a toolbar of exclusive tools, the Edit menu
(undo, redo, delete, merge, zoom to selection, snapping, topological editing) and the
attribute form that follows drawing a feature."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QActionGroup, QToolBar

from app.canvas.map_tools import (
    BrushSelectTool,
    DrawTool,
    IdentifyTool,
    MoveTool,
    PanTool,
    PolygonSelectTool,
    SelectTool,
    SplitTool,
    VertexTool,
    ZoomBoxTool,
)
from app.canvas.map_tools.measure import MeasureTool
from app.problems import apply_command
from layers.errors import T

TEXTS = {
    "tools": T("Map tools", "地图工具"), "edit": T("&Edit", "编辑(&E)"),
    "delete": T("&Delete selected features", "删除所选要素(&D)"),
    "merge": T("&Merge selected polygons", "合并所选面(&M)"),
    "zoom_selection": T("Zoom to &selection", "缩放至所选(&S)"),
    "clear_selection": T("C&lear selection", "清除选择(&L)"),
    "snapping": T("S&napping", "捕捉(&N)"),
    "topological": T("&Topological editing", "拓扑编辑(&T)"),
    "snap_layers": T("Snap &to layers", "捕捉图层(&Y)"),
    "snap_all": T("All visible layers", "所有可见图层"),
    "nothing_selected": T("select features of the current layer first", "请先选择当前图层中的要素"),
}
# toolbar order: key → (factory, shortcut)
TOOLS = {
    "pan": (PanTool, "P"),
    "zoom_box": (ZoomBoxTool, "Z"),
    "identify": (IdentifyTool, "I"),
    "measure": (MeasureTool, "Ctrl+Shift+M"),
    "select_click": (SelectTool, "S"),
    "select_polygon": (PolygonSelectTool, None),
    "brush": (BrushSelectTool, "B"),
    "draw_polygon": (lambda c: DrawTool(c, "polygon"), "Ctrl+."),
    "draw_line": (lambda c: DrawTool(c, "line"), None),
    "draw_point": (lambda c: DrawTool(c, "point"), None),
    "vertex": (VertexTool, "V"),
    "move": (MoveTool, "M"),
    "split": (SplitTool, None),
}


class WindowTools:
    """Creates the tools and edit actions of ``window`` (a MainWindow) and keeps them."""

    def __init__(self, window) -> None:
        self.window = window
        canvas = window.canvas
        self.tools = {key: factory(canvas) for key, (factory, _) in TOOLS.items()}
        self.group = QActionGroup(window)
        # one tool at a time; none checked while a panel's own tool (the precinct brush) is active
        self.group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.actions: dict[str, QAction] = {}
        for key, (_, shortcut) in TOOLS.items():
            tool = self.tools[key]
            action = QAction((tool.short or tool.label)(), window)
            action.setToolTip(tool.label() + (f" ({shortcut})" if shortcut else ""))
            action.setStatusTip(tool.label())
            action.setObjectName(f"tool_{key}")
            action.setCheckable(True)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(lambda _checked=False, k=key: self.activate(k))
            self.group.addAction(action)
            self.actions[key] = action
            tool.problem.connect(window.show_problem)
        self.tools["identify"].identified.connect(window.show_identified)
        self.tools["measure"].measured.connect(lambda text: window.statusBar().showMessage(text))
        for key in ("draw_polygon", "draw_line", "draw_point"):
            self.tools[key].drawn.connect(self.ask_attributes)
        canvas.toolChanged.connect(self._tool_changed)
        canvas.set_tool(self.tools["pan"])
        self.edit_actions = self._edit_actions()

    def _tool_changed(self, tool) -> None:
        key = next((k for k, t in self.tools.items() if t is tool), None)
        if key is not None:
            self.actions[key].setChecked(True)
        elif self.group.checkedAction() is not None:
            self.group.checkedAction().setChecked(False)

    def activate(self, key: str):
        tool = self.tools[key]
        self.actions[key].setChecked(True)
        self.window.canvas.set_tool(tool)
        return tool

    def toolbar(self) -> QToolBar:
        bar = QToolBar(TEXTS["tools"](), self.window)
        bar.setObjectName("tools_toolbar")
        for key in TOOLS:
            if key in ("identify", "draw_polygon", "vertex"):
                bar.addSeparator()
            bar.addAction(self.actions[key])
        return bar

    def _edit_actions(self) -> dict[str, QAction]:
        w = self.window
        canvas = w.canvas
        made = {}
        for key, slot, shortcut in (
                ("delete", self.delete_selected, QKeySequence.Delete),
                ("merge", self.merge_selected, "Ctrl+Shift+M"),
                ("zoom_selection", canvas.zoom_to_selection, "Ctrl+J"),
                ("clear_selection", self.clear_selection, "Ctrl+Shift+A")):
            action = QAction(TEXTS[key](), w)
            action.setObjectName(f"action_{key}")
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.WindowShortcut)
            action.triggered.connect(lambda _checked=False, s=slot: s())
            made[key] = action
        for key, attr in (("snapping", "snapping_enabled"), ("topological", "topological_editing")):
            action = QAction(TEXTS[key](), w)
            action.setObjectName(f"action_{key}")
            action.setCheckable(True)
            action.setChecked(bool(getattr(canvas, attr)))
            action.toggled.connect(lambda on, a=attr: setattr(canvas, a, on))
            made[key] = action
        return made

    def fill_edit_menu(self, menu, undo_actions) -> None:
        menu.addActions([undo_actions.undo_action, undo_actions.redo_action])
        menu.addSeparator()
        a = self.edit_actions
        menu.addActions([a["delete"], a["merge"]])
        menu.addSeparator()
        menu.addActions([a["zoom_selection"], a["clear_selection"]])
        menu.addSeparator()
        menu.addAction(a["snapping"])
        self.snap_menu = menu.addMenu(TEXTS["snap_layers"]())
        self.snap_menu.setObjectName("snap_layers_menu")
        self.snap_menu.aboutToShow.connect(self.fill_snap_menu)
        menu.addAction(a["topological"])

    def fill_snap_menu(self) -> None:
        """All visible layers, or a chosen set: the canvas snaps to these layers only."""
        canvas, menu = self.window.canvas, self.snap_menu
        menu.clear()
        everything = menu.addAction(TEXTS["snap_all"]())
        everything.setObjectName("snap_all")
        everything.setCheckable(True)
        everything.setChecked(canvas.snap_layer_ids is None)
        everything.triggered.connect(lambda: self.set_snap_layers(None))
        menu.addSeparator()
        chosen = canvas.snap_layer_ids
        for layer in reversed(self.window.project.layers if self.window.project else []):
            if layer.layer_type != "vector":
                continue
            action = menu.addAction(layer.name)
            action.setObjectName(f"snap_{layer.id}")
            action.setCheckable(True)
            action.setChecked(chosen is not None and layer.id in chosen)
            action.toggled.connect(lambda on, lid=layer.id: self.toggle_snap_layer(lid, on))

    def set_snap_layers(self, layer_ids) -> None:
        canvas = self.window.canvas
        canvas.snap_layer_ids = None if layer_ids is None else list(layer_ids)
        canvas.invalidate_snapping()

    def toggle_snap_layer(self, layer_id: str, on: bool) -> None:
        chosen = list(self.window.canvas.snap_layer_ids or [])
        chosen = [lid for lid in chosen if lid != layer_id] + ([layer_id] if on else [])
        self.set_snap_layers(chosen)

    def ask_attributes(self, layer, geometry):
        """A drawn feature: its attribute form opens; OK adds the feature (one undo step)."""
        from app.dialogs.feature_form import FeatureForm
        from layers.editing import add_feature_command

        project = self.window.project
        form = FeatureForm(project, layer, parent=self.window)
        form.setObjectName("feature_form")

        def add() -> None:
            apply_command(self.window, project,
                          lambda: add_feature_command(project, layer.id, geometry, form.values()),
                          say=self.window.show_problem)

        form.accepted.connect(add)
        form.open()
        self.window.feature_form = form
        return form

    # --- edits on the selection ------------------------------------------------------
    def _selected(self):
        layer = self.window.canvas.current_layer
        project = self.window.project
        if layer is None or project is None or not project.selection.fids(layer.id):
            self.window.show_problem(TEXTS["nothing_selected"]())
            return None, []
        return layer, sorted(project.selection.fids(layer.id))

    def _apply(self, build) -> bool:
        return apply_command(self.window, self.window.project, build, say=self.window.show_problem)

    def delete_selected(self) -> bool:
        from layers.editing import delete_command

        layer, fids = self._selected()
        return bool(fids) and self._apply(lambda: delete_command(self.window.project, layer.id, fids))

    def merge_selected(self) -> bool:
        from layers.editing import merge_command

        layer, fids = self._selected()
        return bool(fids) and self._apply(lambda: merge_command(self.window.project, layer.id, fids))

    def clear_selection(self) -> None:
        if self.window.project is not None:
            self.window.project.selection.clear()
