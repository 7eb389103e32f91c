"""The layer tree: one row per layer (top layer first) with its legend beneath it, layers
of a group (:mod:`layers.groups`) beneath the group's row.

A row's checkbox shows or hides the layer (a group's, all of its layers); rows are dragged
to reorder the layers (the legend moves with its layer; dropped onto a group a layer joins
it, see :mod:`app.panels.layer_tree.tree`); the context menu (:mod:`app.panels.layer_tree.menu`) zooms,
moves, sets opacity and style, renames and removes. The current row is the active
layer (``current_layer()`` / ``currentLayerChanged``) for editing and the attribute table.
"""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtWidgets import QDockWidget, QHeaderView, QStyle, QTreeWidgetItem, QWidget

from app.event_bridge import EventBridge
from app.panels.layer_tree.legend import MAX_LEGEND_ROWS, _rgba, legend_of, swatch
from app.panels.layer_tree.tree import GROUP_NAME, LAYER_ID, LAYER_MIME, LayerTree, is_group, layer_item_of
from app.problems import apply_command, guarded, show_problem
from layers import display, groups
from layers.commands import RemoveLayer, RenameLayer
from layers.errors import ProjectError, T
from layers.layer import RasterLayer
from styles import effective_style
from styles.choices import geometry_family

TITLE = T("Layers", "图层")
HEADERS = (T("Layer", "图层"), T("Kind", "类型"), T("Features", "要素数"))
OPACITY_TIP = T("opacity {percent} %", "不透明度 {percent}%")
ERROR_TITLE = T("Layer", "图层")
GROUP_KIND = T("Group", "组")
GROUP_TIP = T("Group {name}: {n} layers (tick to show or hide them all)",
              "组 {name}：{n} 个图层（勾选可全部显示或隐藏）")
__all__ = ["LAYER_ID", "LAYER_MIME", "GROUP_NAME", "LayerPanel", "legend_of", "swatch"]


class LayerPanel(QDockWidget):
    """Dock holding the layer tree of the current project."""

    zoomToLayer = Signal(object)
    zoomToBounds = Signal(object)  # (x0, y0, x1, y1): a group's layers
    currentLayerChanged = Signal(object)  # the active layer, or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TITLE(), parent)
        self.setObjectName("layer_panel")
        self.setAllowedAreas(Qt.LeftDockWidgetArea | Qt.RightDockWidgetArea)
        self.tree = LayerTree(self)
        self.tree.setHeaderLabels([h() for h in HEADERS])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        # the name gets the room; the kind column is capped (full text in its tooltip)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        header.setSectionResizeMode(1, QHeaderView.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        self.tree.setColumnWidth(1, 96)
        self.tree.setTextElideMode(Qt.ElideRight)
        self.tree.installEventFilter(self)  # a narrow dock shows names, not kinds
        self.tree.setContextMenuPolicy(Qt.CustomContextMenu)
        self.setWidget(self.tree)
        self.narrow_width = 380  # px: below this the kind column hides (it is in the tooltips)
        self.project = None
        self._updating = False
        self._current_id: str | None = None
        self._announced_id: str | None = None
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemDoubleClicked.connect(self._on_double_click)
        self.tree.currentItemChanged.connect(self._on_current_item_changed)
        self.tree.customContextMenuRequested.connect(self._show_context_menu)
        self._bridge = EventBridge(self._handle_event, self)

    def set_project(self, project) -> None:
        self.detach()
        self.project = project
        if project is not None:
            project.events.connect(self._bridge.forward)
        self.refresh()

    def detach(self) -> None:
        if self.project is not None:
            self.project.events.disconnect(self._bridge.forward)

    def _handle_event(self, event) -> None:
        if event.type in ("layer_added", "layer_removed", "layer_moved", "settings"):
            self.refresh()
        elif event.type == "layer_changed":
            change = event.info.get("change")
            if change in ("visible", "opacity"):
                self._sync_row(event.info["layer"])
            elif change in ("name", "data", "style"):
                self.refresh()

    # --- contents ---------------------------------------------------------------------
    def items(self) -> list[QTreeWidgetItem]:
        """Layer rows, top layer first (those inside groups too)."""
        return self.tree.layer_rows()

    def group_items(self) -> list[QTreeWidgetItem]:
        """Group rows, top first."""
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())
                if is_group(self.tree.topLevelItem(i))]

    def item_of(self, layer) -> QTreeWidgetItem | None:
        """The row of ``layer`` (None when it is not listed)."""
        return next((i for i in self.items() if i.data(0, LAYER_ID) == layer.id), None)

    def group_item(self, name: str) -> QTreeWidgetItem | None:
        return next((i for i in self.group_items() if i.data(0, GROUP_NAME) == name), None)

    def refresh(self) -> None:
        self._updating = True
        try:
            folded = {i.data(0, GROUP_NAME) for i in self.group_items() if not i.isExpanded()}
            self.tree.clear()
            if self.project is not None:
                standards = None
                for name, layers in groups.blocks(self.project):
                    parent = None if name is None else self._group_item(name, layers)
                    if parent is not None:
                        self.tree.addTopLevelItem(parent)
                    for layer in layers:
                        if standards is None and effective_style(layer.kind, layer.style).get(
                                "colors_from"):
                            standards = self.project.standards()
                        item = self._layer_item(layer, standards)
                        if parent is None:
                            self.tree.addTopLevelItem(item)
                        else:
                            parent.addChild(item)
                        for i in range(item.childCount()):
                            item.child(i).setFirstColumnSpanned(True)
                        item.setExpanded(item.childCount() <= 6)
                    if parent is not None:
                        parent.setExpanded(name not in folded)
                current = next((i for i in self.items() if i.data(0, LAYER_ID) == self._current_id),
                               None)
                if current is not None:
                    self.tree.setCurrentItem(current)
        finally:
            self._updating = False
        self._announce_current()

    def _group_item(self, name: str, layers: list) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name, GROUP_KIND(), f"{len(layers)}"])
        item.setData(0, GROUP_NAME, name)
        item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsUserCheckable
                      | Qt.ItemIsDragEnabled | Qt.ItemIsDropEnabled)
        item.setIcon(0, self.style().standardIcon(QStyle.SP_DirIcon))
        item.setTextAlignment(2, Qt.AlignRight | Qt.AlignVCenter)
        item.setToolTip(0, GROUP_TIP.format(name=name, n=len(layers))())
        self._set_group_check(item)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        return item

    def _set_group_check(self, item: QTreeWidgetItem) -> None:
        shown = groups.group_visibility(self.project, item.data(0, GROUP_NAME))
        item.setCheckState(0, {True: Qt.Checked, False: Qt.Unchecked}.get(shown,
                                                                           Qt.PartiallyChecked))

    def _layer_item(self, layer, standards) -> QTreeWidgetItem:
        raster = isinstance(layer, RasterLayer) or layer.layer_type == "tiles"
        if layer.layer_type == "tiles":
            zooms = sorted(layer.source.matrices) if layer.source is not None else []
            count = f"z{zooms[0]}–{zooms[-1]}" if zooms else "—"
        elif raster:
            rows, cols = layer.array.shape[1:]
            count = f"{cols}×{rows}"
        else:
            count = f"{len(layer):,}"
        item = QTreeWidgetItem([display.layer_title(layer), layer.schema.label(), count])
        item.setData(0, LAYER_ID, layer.id)
        item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsUserCheckable
                      | Qt.ItemIsDragEnabled)
        item.setCheckState(0, Qt.Checked if layer.visible else Qt.Unchecked)
        item.setTextAlignment(2, Qt.AlignRight | Qt.AlignVCenter)
        self._set_tooltip(item, layer)
        item.setToolTip(1, layer.schema.label())
        geometry = "polygon" if raster else geometry_family(layer.kind, getattr(layer, "gdf", None))
        legend = legend_of(layer, standards)
        if len(legend) == 1:
            item.setIcon(0, swatch(geometry, _rgba(legend[0].fill), _rgba(legend[0].stroke)))
        else:
            for entry in legend[:MAX_LEGEND_ROWS]:
                child = QTreeWidgetItem([entry.label()])
                child.setFlags(Qt.ItemIsEnabled)  # neither dragged nor a drop target
                child.setIcon(0, swatch(geometry, _rgba(entry.fill), _rgba(entry.stroke)))
                item.addChild(child)
        return item

    @staticmethod
    def _set_tooltip(item: QTreeWidgetItem, layer) -> None:
        tip = f"{display.layer_title(layer)} — {layer.schema.label()}"
        if layer.layer_type == "tiles":  # where the tiles lie, and why none draw
            tip += f"\n{layer.path}\n{layer.describe()()}"
        if layer.opacity < 1.0:
            tip += f" ({OPACITY_TIP.format(percent=round(layer.opacity * 100))()})"
        item.setToolTip(0, tip)

    def _sync_row(self, layer) -> None:
        item = self.item_of(layer)
        if item is not None:
            self._updating = True
            item.setCheckState(0, Qt.Checked if layer.visible else Qt.Unchecked)
            self._set_tooltip(item, layer)
            if is_group(item.parent()):
                self._set_group_check(item.parent())
            self._updating = False

    def _layer_of(self, item: QTreeWidgetItem | None):
        item = layer_item_of(item)
        if item is None or self.project is None:
            return None
        layer_id = item.data(0, LAYER_ID)
        try:
            return self.project.layer_by_id(layer_id)
        except KeyError:
            return None

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != 0:
            return
        if is_group(item):
            groups.set_group_visible(self.project, item.data(0, GROUP_NAME),
                                     item.checkState(0) != Qt.Unchecked)
            return
        layer = self._layer_of(item)
        if layer is not None:
            layer.visible = item.checkState(0) == Qt.Checked

    def _on_double_click(self, item: QTreeWidgetItem, column: int) -> None:
        layer = self._layer_of(item)
        if layer is not None:
            self.zoomToLayer.emit(layer)

    # --- the active layer -------------------------------------------------------------
    def current_layer(self):
        """The active layer (the selected row, or the layer of a selected legend row)."""
        if self.project is None or self._current_id is None:
            return None
        try:
            return self.project.layer_by_id(self._current_id)
        except KeyError:
            return None

    def set_current_layer(self, layer) -> None:
        item = None if layer is None else self.item_of(layer)
        if item is None:
            self.tree.setCurrentItem(None)
            self._current_id = None
            self._announce_current()
        else:
            self.tree.setCurrentItem(item)

    def _on_current_item_changed(self, current, _previous) -> None:
        if self._updating:
            return
        layer = self._layer_of(current)
        self._current_id = None if layer is None else layer.id
        self._announce_current()

    def _announce_current(self) -> None:
        layer = self.current_layer()
        key = None if layer is None else layer.id
        if key is None:
            self._current_id = None
        if key != self._announced_id:
            self._announced_id = key
            self.currentLayerChanged.emit(layer)

    # --- actions (the context menu and the drop handler use these) ----------------------
    def move_layer_row(self, from_row: int, to_row: int) -> None:
        """Move the layer shown at layer row ``from_row`` so it ends up at row ``to_row``
        (its group follows from its new neighbours, see :func:`layers.groups.move_layer_to`)."""
        rows = [item.data(0, LAYER_ID) for item in self.items()]
        if self.project is None or not (0 <= from_row < len(rows)):
            return
        to_row = max(0, min(to_row, len(rows) - 1))
        if to_row != from_row:
            self.move_layer_to(rows[from_row], to_row + (1 if to_row > from_row else 0))

    def move_layer_to(self, layer_id: str, gap: int, group=True) -> None:
        """Move a layer to ``gap`` between the layer rows (top first), into ``group``."""
        if self.project is not None:
            apply_command(self, self.project,
                          lambda: groups.move_layer_to(self.project, layer_id, gap, group))

    def move_layer_by(self, layer, steps: int) -> None:
        """Move a layer ``steps`` rows up the tree (negative: down); drawn later = on top."""
        item = self.item_of(layer)
        if item is not None:
            row = self.items().index(item)
            self.move_layer_row(row, row - steps)

    # --- groups -------------------------------------------------------------------------
    def selected_layers(self) -> list:
        """The layers of the selected rows, top first."""
        chosen = {id(i) for i in self.tree.selectedItems()}
        return [self._layer_of(i) for i in self.items() if id(i) in chosen]

    def group_layers(self, layers, name: str, new: bool = False) -> bool:
        """Put ``layers`` in group ``name`` (one undo step)."""
        ids = [layer.id for layer in layers]
        return apply_command(self, self.project,
                             lambda: groups.join_group(self.project, ids, name, new=new))

    def ungroup_layers(self, layers) -> bool:
        ids = [layer.id for layer in layers]
        return apply_command(self, self.project, lambda: groups.leave_group(self.project, ids))

    def move_group(self, name: str, gap: int) -> None:
        apply_command(self, self.project, lambda: groups.move_group_to(self.project, name, gap))

    def move_group_by(self, name: str, steps: int) -> None:
        """Move a group ``steps`` rows (groups and ungrouped layers) up the tree."""
        item = self.group_item(name)
        if item is not None:
            row = self.tree.indexOfTopLevelItem(item)
            target = max(0, row - steps)
            self.move_group(name, target if steps > 0 else target + 1)

    def rename_group(self, old: str, new: str) -> bool:
        return apply_command(self, self.project, lambda: groups.rename_group(self.project, old, new))

    def dissolve_group(self, name: str) -> bool:
        return apply_command(self, self.project, lambda: groups.ungroup(self.project, name))

    def remove_group(self, name: str) -> bool:
        return apply_command(self, self.project, lambda: groups.remove_group(self.project, name))

    def set_layer_opacity(self, layer, percent: float) -> None:
        layer.opacity = max(0.0, min(100.0, float(percent))) / 100.0

    def set_layer_style(self, layer, style: dict) -> None:
        """Give a layer a new style (the canvas and the legend follow its event)."""
        layer.style = style

    def rename_layer(self, layer, name: str) -> bool:
        """Rename; a name used by another layer (or an empty one) is refused with a message."""
        name = str(name).strip()
        if self.project is None:
            return guarded(self, setattr, layer, "name", name)[0]
        if name == layer.name:
            return True
        return apply_command(self, self.project, RenameLayer(layer.id, name))  # undoable

    def remove_layer(self, layer) -> None:
        """Remove through the undo stack (Edit ▸ Undo brings it back)."""
        if self.project is not None:
            apply_command(self, self.project, RemoveLayer(layer.id))

    def context_menu(self, layer):
        """The menu of actions on ``layer`` (built fresh each time)."""
        from app.panels.layer_tree.menu import build_layer_menu

        return build_layer_menu(self, layer)

    def _show_context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if is_group(item):
            from app.panels.layer_tree.group_menu import build_group_menu

            build_group_menu(self, item.data(0, GROUP_NAME)).exec_(
                self.tree.viewport().mapToGlobal(pos))
            return
        layer = self._layer_of(item)
        if layer is not None:
            self.set_current_layer(layer)
            self.context_menu(layer).exec_(self.tree.viewport().mapToGlobal(pos))

    def _error(self, exc: ProjectError) -> None:
        show_problem(self, exc)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        """On a laptop the dock is ~300 px: the layer names get the room, the kind column
        (also each name's tooltip) hides until the dock is widened."""
        from PyQt5.QtCore import QEvent

        if watched is self.tree and event.type() == QEvent.Resize:
            self.tree.setColumnHidden(1, event.size().width() < self.narrow_width)
        return False
