"""The layer tree: one row per layer (top layer first) with its legend beneath it.

A row's checkbox shows or hides the layer; rows are dragged to reorder the layers
(the legend moves with its layer); the context menu (:mod:`app.panels.layer_tree.menu`) zooms,
moves, sets opacity and style, renames and removes. The current row is the active
layer (``current_layer()`` / ``currentLayerChanged``) for editing and the attribute table.
"""

from __future__ import annotations

from PyQt5.QtCore import QByteArray, QMimeData, QPointF, QRectF, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app.event_bridge import EventBridge
from app.problems import apply_command, guarded, show_problem
from layers import display
from layers.commands import MoveLayer, RemoveLayer, RenameLayer
from layers.errors import ProjectError, T
from layers.layer import RasterLayer
from styles import LegendEntry, effective_style, resolve, resolve_raster
from styles.choices import geometry_family

TITLE = T("Layers", "图层")
HEADERS = (T("Layer", "图层"), T("Kind", "类型"), T("Features", "要素数"))
OPACITY_TIP = T("opacity {percent} %", "不透明度 {percent}%")
ERROR_TITLE = T("Layer", "图层")
LAYER_ID = Qt.UserRole
LAYER_MIME = "application/x-precinct-layer-id"
MAX_LEGEND_ROWS = 16


def legend_of(layer, standards=None) -> list:
    """Legend entries of a layer's style (with "other" only when some feature needs it)."""
    if layer.layer_type == "table":
        return []  # rows without geometry: nothing is drawn
    if layer.layer_type == "tiles":  # a basemap: one grey box, like an image
        return [LegendEntry(layer.name, layer.name, (160, 160, 160, 255), (90, 90, 90, 255))]
    style = effective_style(layer.kind, layer.style)
    try:
        if isinstance(layer, RasterLayer):
            if style.get("raster") != "ramp":
                return [LegendEntry(layer.name, layer.name, (160, 160, 160, 255),
                                    (90, 90, 90, 255))]
            return resolve_raster(style, layer.array[:1], layer.nodata).legend
        needs = standards if style.get("colors_from") else None
        return resolve(style, layer.gdf, needs).legend
    except ProjectError:
        return []


def swatch(geometry: str | None, fill: QColor, stroke: QColor, size: int = 16) -> QIcon:
    """A small legend symbol: a box for polygons, a stroke for lines, a dot for points."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    if geometry == "line":
        painter.setPen(QPen(stroke, 3, Qt.SolidLine, Qt.RoundCap))
        painter.drawLine(QPointF(2, size - 4), QPointF(size - 2, 4))
    elif geometry == "point":
        painter.setPen(QPen(stroke, 1))
        painter.setBrush(fill)
        painter.drawEllipse(QRectF(3, 3, size - 6, size - 6))
    else:
        painter.setPen(QPen(stroke, 1.5))
        painter.setBrush(fill)
        painter.drawRect(QRectF(1.5, 2.5, size - 3, size - 5))
    painter.end()
    return QIcon(pixmap)


def _rgba(values) -> QColor:
    return QColor(*(int(v) for v in values))


class LayerTree(QTreeWidget):
    """The tree widget: layer rows drag (never their legend rows) and drop between rows."""

    def __init__(self, panel: LayerPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.InternalMove)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setSelectionMode(QAbstractItemView.SingleSelection)

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt name)
        return [LAYER_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802
        ids = [item.data(0, LAYER_ID) for item in items if item.data(0, LAYER_ID)]
        mime = QMimeData()
        mime.setData(LAYER_MIME, QByteArray("\n".join(ids).encode()))
        return mime

    def drop_row(self, pos) -> int:
        """The gap (0 … rows) a drop at ``pos`` lands in: above or below the row under it."""
        item = self.itemAt(pos)
        if item is None:
            return self.topLevelItemCount()
        if item.parent() is not None:  # over a legend row: below its layer
            return self.indexOfTopLevelItem(item.parent()) + 1
        rect = self.visualItemRect(item)
        row = self.indexOfTopLevelItem(item)
        return row if pos.y() < rect.center().y() else row + 1

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        super().dragMoveEvent(event)
        if event.mimeData().hasFormat(LAYER_MIME):
            event.setDropAction(Qt.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802
        """Reorder through the project (the tree is rebuilt from its new order)."""
        mime = event.mimeData()
        if not mime.hasFormat(LAYER_MIME):
            event.ignore()
            return
        layer_id = bytes(mime.data(LAYER_MIME)).decode().split("\n")[0]
        rows = [self.topLevelItem(i).data(0, LAYER_ID) for i in range(self.topLevelItemCount())]
        if layer_id not in rows:
            event.ignore()
            return
        source, gap = rows.index(layer_id), self.drop_row(event.pos())
        event.setDropAction(Qt.IgnoreAction)  # Qt must not move the rows itself
        event.accept()
        self.panel.move_layer_row(source, gap if gap <= source else gap - 1)


class LayerPanel(QDockWidget):
    """Dock holding the layer tree of the current project."""

    zoomToLayer = Signal(object)
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
        """Top-level rows, top layer first."""
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]

    def item_of(self, layer) -> QTreeWidgetItem | None:
        """The row of ``layer`` (None when it is not listed)."""
        return next((i for i in self.items() if i.data(0, LAYER_ID) == layer.id), None)

    def refresh(self) -> None:
        self._updating = True
        try:
            self.tree.clear()
            if self.project is not None:
                standards = None
                for layer in reversed(self.project.layers):
                    if standards is None and effective_style(layer.kind, layer.style).get(
                            "colors_from"):
                        standards = self.project.standards()
                    item = self._layer_item(layer, standards)
                    self.tree.addTopLevelItem(item)
                    for i in range(item.childCount()):
                        item.child(i).setFirstColumnSpanned(True)
                    item.setExpanded(item.childCount() <= 6)
                current = next((i for i in self.items() if i.data(0, LAYER_ID) == self._current_id),
                               None)
                if current is not None:
                    self.tree.setCurrentItem(current)
        finally:
            self._updating = False
        self._announce_current()

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
            self._updating = False

    def _layer_of(self, item: QTreeWidgetItem | None):
        if item is None or self.project is None:
            return None
        if item.parent() is not None:
            item = item.parent()
        layer_id = item.data(0, LAYER_ID)
        try:
            return self.project.layer_by_id(layer_id)
        except KeyError:
            return None

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != 0:
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
        """Move the layer shown at tree row ``from_row`` so it ends up at row ``to_row``."""
        if self.project is None:
            return
        n = len(self.project)
        if not (0 <= from_row < n):
            return
        to_row = max(0, min(to_row, n - 1))
        if to_row != from_row:  # undoable; the tree shows the top layer first
            layer = self.project.layers[n - 1 - from_row]
            apply_command(self, self.project, MoveLayer(layer.id, n - 1 - to_row))

    def move_layer_by(self, layer, steps: int) -> None:
        """Move a layer ``steps`` rows up the tree (negative: down); drawn later = on top."""
        item = self.item_of(layer)
        if item is not None:
            row = self.tree.indexOfTopLevelItem(item)
            self.move_layer_row(row, row - steps)

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
        layer = self._layer_of(self.tree.itemAt(pos))
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
