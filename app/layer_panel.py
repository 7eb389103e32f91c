"""The layer list: one row per layer (top layer first) with its legend beneath it."""

from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PyQt5.QtWidgets import QDockWidget, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from app.event_bridge import EventBridge
from layers.errors import ProjectError, T
from layers.layer import RasterLayer
from styles import LegendEntry, effective_style, resolve, resolve_raster

TITLE = T("Layers", "图层")
HEADERS = (T("Layer", "图层"), T("Kind", "类型"), T("Features", "要素数"))
LAYER_ID = Qt.UserRole
MAX_LEGEND_ROWS = 16


def legend_of(layer, standards=None) -> list:
    """Legend entries of a layer's style (with "other" only when some feature needs it)."""
    if layer.layer_type == "table":
        return []  # rows without geometry: nothing is drawn
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


class LayerPanel(QDockWidget):
    """Dock listing the project's layers with a visibility checkbox each."""

    zoomToLayer = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TITLE(), parent)
        self.setObjectName("layer_panel")
        self.setAllowedAreas(Qt.LeftDockWidgetArea | Qt.RightDockWidgetArea)
        self.tree = QTreeWidget(self)
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
        self.setWidget(self.tree)
        self.project = None
        self._updating = False
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemDoubleClicked.connect(self._on_double_click)
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
            if change == "visible":
                self._sync_check(event.info["layer"])
            elif change in ("name", "data", "style"):
                self.refresh()

    # --- contents ---------------------------------------------------------------------
    def items(self) -> list[QTreeWidgetItem]:
        """Top-level rows, top layer first."""
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]

    def refresh(self) -> None:
        self._updating = True
        try:
            self.tree.clear()
            if self.project is None:
                return
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
        finally:
            self._updating = False

    def _layer_item(self, layer, standards) -> QTreeWidgetItem:
        raster = isinstance(layer, RasterLayer)
        if raster:
            rows, cols = layer.array.shape[1:]
            count = f"{cols}×{rows}"
        else:
            count = f"{len(layer):,}"
        item = QTreeWidgetItem([layer.name, layer.schema.label(), count])
        item.setData(0, LAYER_ID, layer.id)
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(0, Qt.Checked if layer.visible else Qt.Unchecked)
        item.setTextAlignment(2, Qt.AlignRight | Qt.AlignVCenter)
        item.setToolTip(0, f"{layer.name} — {layer.schema.label()}")
        item.setToolTip(1, layer.schema.label())
        geometry = "polygon" if raster else layer.schema.geometry or _geometry_of(layer)
        legend = legend_of(layer, standards)
        if len(legend) == 1:
            item.setIcon(0, swatch(geometry, _rgba(legend[0].fill), _rgba(legend[0].stroke)))
        else:
            for entry in legend[:MAX_LEGEND_ROWS]:
                child = QTreeWidgetItem([entry.label()])
                child.setFlags(Qt.ItemIsEnabled)
                child.setIcon(0, swatch(geometry, _rgba(entry.fill), _rgba(entry.stroke)))
                item.addChild(child)
        return item

    def _sync_check(self, layer) -> None:
        for item in self.items():
            if item.data(0, LAYER_ID) == layer.id:
                self._updating = True
                item.setCheckState(0, Qt.Checked if layer.visible else Qt.Unchecked)
                self._updating = False

    def _layer_of(self, item: QTreeWidgetItem):
        layer_id = item.data(0, LAYER_ID)
        if layer_id is None or self.project is None:
            return None
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
        layer = self._layer_of(item if item.parent() is None else item.parent())
        if layer is not None:
            self.zoomToLayer.emit(layer)


def _geometry_of(layer) -> str | None:
    """Geometry family of an ``other`` layer, from its first feature."""
    if len(layer) == 0 or layer.layer_type == "table":
        return None
    kind = str(layer.gdf.geometry.iloc[0].geom_type)
    return {"Point": "point", "MultiPoint": "point", "LineString": "line",
            "MultiLineString": "line"}.get(kind, "polygon")
