"""The tree widget of the layer panel: layer rows (with their legend rows) and group rows.

Layer rows and group rows drag; a drop lands between rows, or on a group's row to join
that group. What a drop means is worked out here; the change itself goes through
:mod:`layers.groups` as one undoable step.
"""

from __future__ import annotations

from PyQt5.QtCore import QByteArray, QMimeData, Qt
from PyQt5.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

LAYER_ID = Qt.UserRole
GROUP_NAME = Qt.UserRole + 1
LAYER_MIME = "application/x-precinct-layer-id"
GROUP_MIME = "application/x-precinct-layer-group"


def is_group(item: QTreeWidgetItem | None) -> bool:
    return item is not None and item.data(0, GROUP_NAME) is not None


def layer_item_of(item: QTreeWidgetItem | None) -> QTreeWidgetItem | None:
    """The layer row of ``item`` (itself, or the layer a legend row belongs to)."""
    while item is not None and item.data(0, LAYER_ID) is None:
        if is_group(item):
            return None
        item = item.parent()
    return item


class LayerTree(QTreeWidget):
    """Rows drag (never legend rows) and drop between rows or onto a group."""

    def __init__(self, panel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.InternalMove)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt name)
        return [LAYER_MIME, GROUP_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        groups = [item.data(0, GROUP_NAME) for item in items if is_group(item)]
        if groups:
            mime.setData(GROUP_MIME, QByteArray(groups[0].encode()))
            return mime
        ids = [item.data(0, LAYER_ID) for item in items if item.data(0, LAYER_ID)]
        mime.setData(LAYER_MIME, QByteArray("\n".join(ids).encode()))
        return mime

    def layer_rows(self) -> list[QTreeWidgetItem]:
        """Every layer row, top first (inside groups too)."""
        rows = []
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            if is_group(top):
                rows += [top.child(j) for j in range(top.childCount())]
            else:
                rows.append(top)
        return rows

    def _lower_half(self, item: QTreeWidgetItem, pos) -> bool:
        return pos.y() >= self.visualItemRect(item).center().y()

    def drop_target(self, pos) -> tuple[int, str | None | bool]:
        """Where a layer dropped at ``pos`` goes: (gap between layer rows, top first; the
        group it joins — a name, None for no group)."""
        rows = [item.data(0, LAYER_ID) for item in self.layer_rows()]
        item = self.itemAt(pos)
        if item is None:
            return len(rows), None
        if is_group(item):
            first = item.child(0).data(0, LAYER_ID) if item.childCount() else None
            gap = rows.index(first) if first in rows else len(rows)
            top = self.visualItemRect(item).top() + self.visualItemRect(item).height() / 3
            if pos.y() < top:  # its upper edge: above the group, in none
                return gap, None
            return gap, item.data(0, GROUP_NAME)  # onto the group: it joins, on top
        layer_item = layer_item_of(item)
        row = rows.index(layer_item.data(0, LAYER_ID))
        below = item is not layer_item or self._lower_half(item, pos)  # a legend row: below
        parent = layer_item.parent()
        return row + (1 if below else 0), parent.data(0, GROUP_NAME) if parent else None

    def group_drop_gap(self, pos) -> int:
        """The top-level gap (between groups and ungrouped layers) a group dropped at ``pos``
        lands in (never inside another group)."""
        item = self.itemAt(pos)
        if item is None:
            return self.topLevelItemCount()
        top = item
        while top.parent() is not None:
            top = top.parent()
        row = self.indexOfTopLevelItem(top)
        inside = top is not item
        return row + (1 if inside or self._lower_half(top, pos) else 0)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        super().dragMoveEvent(event)
        mime = event.mimeData()
        if mime.hasFormat(LAYER_MIME) or mime.hasFormat(GROUP_MIME):
            event.setDropAction(Qt.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802
        """Reorder (and regroup) through the project; the tree is rebuilt from it."""
        mime = event.mimeData()
        if mime.hasFormat(GROUP_MIME):
            name = bytes(mime.data(GROUP_MIME)).decode()
            event.setDropAction(Qt.IgnoreAction)  # Qt must not move the rows itself
            event.accept()
            self.panel.move_group(name, self.group_drop_gap(event.pos()))
            return
        if not mime.hasFormat(LAYER_MIME):
            event.ignore()
            return
        layer_id = bytes(mime.data(LAYER_MIME)).decode().split("\n")[0]
        if layer_id not in [item.data(0, LAYER_ID) for item in self.layer_rows()]:
            event.ignore()
            return
        gap, group = self.drop_target(event.pos())
        event.setDropAction(Qt.IgnoreAction)
        event.accept()
        self.panel.move_layer_to(layer_id, gap, group)
