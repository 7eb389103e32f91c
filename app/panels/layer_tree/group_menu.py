"""The context menu of a group row: zoom, show/hide all, order, rename, ungroup, remove.

Actions carry an ``objectName`` (``group_zoom``, ``group_up`` …) for tests and scripts.
"""

from __future__ import annotations

from PyQt5.QtWidgets import QInputDialog, QMenu, QMessageBox

from app.panels.layer_tree.menu import _add
from layers import groups
from layers.errors import T

TEXT = {
    "zoom": T("Zoom to group", "缩放至组"),
    "show": T("Show all its layers", "显示组内全部图层"),
    "hide": T("Hide all its layers", "隐藏组内全部图层"),
    "up": T("Move group up", "组上移"),
    "down": T("Move group down", "组下移"),
    "rename": T("Rename group…", "重命名组…"),
    "rename_prompt": T("New name of the group:", "组的新名称："),
    "ungroup": T("Ungroup (keep the layers)", "取消分组（保留图层）"),
    "remove": T("Remove group and its layers…", "移除组及其图层…"),
    "remove_ask": T("Remove group {name} and its {n} layers? (Edit ▸ Undo brings them back.)",
                    "移除组 {name} 及其 {n} 个图层？（可用 编辑 ▸ 撤销 恢复。）"),
}


def build_group_menu(panel, name: str) -> QMenu:
    menu = QMenu(panel)
    menu.setObjectName("group_row_menu")
    project = panel.project
    layers = groups.members(project, name)
    bounds = [b for b in (layer.bounds() for layer in layers if layer.layer_type != "table")
              if b is not None]
    _add(menu, "group_zoom", TEXT["zoom"](), lambda: _zoom(panel, bounds), enabled=bool(bounds))
    _add(menu, "group_show", TEXT["show"](), lambda: groups.set_group_visible(project, name, True))
    _add(menu, "group_hide", TEXT["hide"](), lambda: groups.set_group_visible(project, name, False))
    menu.addSeparator()
    item = panel.group_item(name)
    row = panel.tree.indexOfTopLevelItem(item) if item is not None else -1
    _add(menu, "group_up", TEXT["up"](), lambda: panel.move_group_by(name, 1), enabled=row > 0)
    _add(menu, "group_down", TEXT["down"](), lambda: panel.move_group_by(name, -1),
         enabled=0 <= row < panel.tree.topLevelItemCount() - 1)
    menu.addSeparator()
    _add(menu, "group_rename", TEXT["rename"](), lambda: _ask_rename(panel, name))
    _add(menu, "group_ungroup", TEXT["ungroup"](), lambda: panel.dissolve_group(name))
    _add(menu, "group_remove", TEXT["remove"](), lambda: _ask_remove(panel, name, len(layers)))
    return menu


def _zoom(panel, bounds) -> None:
    """Zoom the map to the layers of the group (the window's zoom-to-layer handler takes
    anything with ``bounds()``)."""
    x0 = min(b[0] for b in bounds)
    y0 = min(b[1] for b in bounds)
    x1 = max(b[2] for b in bounds)
    y1 = max(b[3] for b in bounds)
    panel.zoomToBounds.emit((x0, y0, x1, y1))


def _ask_rename(panel, name: str) -> None:
    new, ok = QInputDialog.getText(panel, TEXT["rename"](), TEXT["rename_prompt"](), text=name)
    if ok and new.strip() and new.strip() != name:
        panel.rename_group(name, new)


def _ask_remove(panel, name: str, n: int) -> None:
    answer = QMessageBox.question(panel, TEXT["remove"](), TEXT["remove_ask"].format(name=name, n=n)())
    if answer == QMessageBox.Yes:
        panel.remove_group(name)
