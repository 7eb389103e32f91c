"""The context menu of a layer row: zoom, order, opacity, style, rename, remove.

Each action carries an ``objectName`` (``zoom``, ``move_up``, ``opacity_50``,
``style_graduated:population:5`` …) so tests and scripts can find it with
:func:`find_action`. The style choices are exactly what :mod:`styles.resolve` can
draw, built from the layer's data by :mod:`styles.choices`.
"""

from __future__ import annotations

from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import QAction, QColorDialog, QInputDialog, QMenu

from app.problems import guarded
from layers.errors import T
from layers.layer import RasterLayer
from styles import effective_style
from styles.choices import (
    CLASS_COUNTS,
    SINGLE_COLOURS,
    categorisable_fields,
    categorised_style,
    field_label,
    geometry_family,
    graduated_style,
    numeric_fields,
    raster_styles,
    single_style,
)

TEXT = {
    "zoom": T("Zoom to layer", "缩放至图层"),
    "move_top": T("Move to top", "移至顶层"),
    "move_up": T("Move up", "上移"),
    "move_down": T("Move down", "下移"),
    "move_bottom": T("Move to bottom", "移至底层"),
    "opacity": T("Opacity", "不透明度"),
    "opacity_other": T("Other…", "其他…"),
    "opacity_prompt": T("Opacity of {name} (0 = transparent, 100 = opaque), %:",
                        "{name} 的不透明度（0 为透明，100 为不透明），%："),
    "style": T("Style", "样式"),
    "style_default": T("Default style of the kind", "该类型的默认样式"),
    "style_single": T("Single colour…", "单一颜色…"),
    "style_categorised": T("Categorised by", "按字段分类"),
    "style_graduated": T("Graduated by (quantiles)", "按数值分级（分位数）"),
    "classes": T("{n} classes", "{n} 级"),
    "no_fields": T("(no suitable field)", "（无合适字段）"),
    "raster_greyscale": T("Greyscale", "灰度"),
    "raster_ramp": T("Colour ramp", "色带"),
    "raster_rgb": T("RGB (bands 1–3)", "RGB（波段 1–3）"),
    "pick_colour": T("Colour of {name}", "{name} 的颜色"),
    "rename": T("Rename…", "重命名…"),
    "rename_prompt": T("New name of the layer:", "图层新名称："),
    "remove": T("Remove layer", "移除图层"),
    "group": T("Group", "分组"),
    "group_new": T("New group from the selected layers…", "用所选图层新建组…"),
    "group_prompt": T("Name of the new group:", "新组名称："),
    "group_join": T("Move to group {name}", "移入组 {name}"),
    "group_leave": T("Take out of group {name}", "移出组 {name}"),
}
OPACITY_STEPS = (100, 75, 50, 25)


def find_action(menu: QMenu, name: str) -> QAction | None:
    """The action called ``name`` anywhere in ``menu`` or its submenus."""
    return next((a for a in menu.findChildren(QAction) if a.objectName() == name), None)


def _add(menu: QMenu, name: str, text: str, slot, checked: bool | None = None,
         enabled: bool = True) -> QAction:
    action = QAction(text, menu)
    action.setObjectName(name)
    if checked is not None:
        action.setCheckable(True)
        action.setChecked(checked)
    action.setEnabled(enabled)
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    return action


def build_layer_menu(panel, layer) -> QMenu:
    """A menu of what can be done to ``layer``; its actions call ``panel``'s methods."""
    menu = QMenu(panel)
    menu.setObjectName("layer_menu")
    drawn = layer.layer_type != "table"
    _add(menu, "zoom", TEXT["zoom"](), lambda: panel.zoomToLayer.emit(layer),
         enabled=drawn and layer.bounds() is not None)
    menu.addSeparator()
    rows = panel.items()
    item = panel.item_of(layer)
    row = rows.index(item) if item is not None else -1
    last = len(rows) - 1
    _add(menu, "move_top", TEXT["move_top"](), lambda: panel.move_layer_row(row, 0), enabled=row > 0)
    _add(menu, "move_up", TEXT["move_up"](), lambda: panel.move_layer_by(layer, 1), enabled=row > 0)
    _add(menu, "move_down", TEXT["move_down"](), lambda: panel.move_layer_by(layer, -1),
         enabled=0 <= row < last)
    _add(menu, "move_bottom", TEXT["move_bottom"](), lambda: panel.move_layer_row(row, last),
         enabled=0 <= row < last)
    if drawn:
        menu.addSeparator()
        _opacity_menu(menu.addMenu(TEXT["opacity"]()), panel, layer)
        if layer.layer_type != "tiles":  # a basemap is drawn as its tiles are
            _style_menu(menu.addMenu(TEXT["style"]()), panel, layer)
    _group_menu(menu, panel, layer)
    menu.addSeparator()
    _add(menu, "rename", TEXT["rename"](), lambda: _ask_rename(panel, layer))
    _add(menu, "remove", TEXT["remove"](), lambda: panel.remove_layer(layer))
    return menu


def _group_menu(menu: QMenu, panel, layer) -> None:
    """Group: a new group from the selected layers (this one when it is not selected), move
    into an existing group, or out of its own."""
    from layers import groups

    sub = menu.addMenu(TEXT["group"]())
    sub.setObjectName("group_menu")
    chosen = panel.selected_layers()
    layers = chosen if layer in chosen else [layer]
    _add(sub, "group_new", TEXT["group_new"](), lambda: _ask_group(panel, layers))
    own = groups.group_of(panel.project, layer) if panel.project is not None else None
    names = groups.group_names(panel.project) if panel.project is not None else []
    for i, name in enumerate(n for n in names if n != own):
        _add(sub, f"group_join_{i}", TEXT["group_join"].format(name=name)(),
             lambda name=name: panel.group_layers(layers, name))
    if own is not None:
        _add(sub, "group_leave", TEXT["group_leave"].format(name=own)(),
             lambda: panel.ungroup_layers(layers))


def _ask_group(panel, layers) -> None:
    name, ok = QInputDialog.getText(panel, TEXT["group"](), TEXT["group_prompt"]())
    if ok and name.strip():
        panel.group_layers(layers, name, new=True)


# --- opacity ----------------------------------------------------------------------------
def _opacity_menu(menu: QMenu, panel, layer) -> None:
    menu.setObjectName("opacity_menu")
    current = round(layer.opacity * 100)
    for percent in OPACITY_STEPS:
        _add(menu, f"opacity_{percent}", f"{percent} %",
             lambda p=percent: panel.set_layer_opacity(layer, p), checked=current == percent)
    menu.addSeparator()
    other = TEXT["opacity_other"]() + ("" if current in OPACITY_STEPS else f" ({current} %)")
    _add(menu, "opacity_other", other, lambda: _ask_opacity(panel, layer),
         checked=current not in OPACITY_STEPS)


def _ask_opacity(panel, layer) -> None:
    value, ok = QInputDialog.getInt(panel, TEXT["opacity"](),
                                    TEXT["opacity_prompt"].format(name=layer.name)(),
                                    round(layer.opacity * 100), 0, 100, 5)
    if ok:
        panel.set_layer_opacity(layer, value)


# --- style ------------------------------------------------------------------------------
def _style_menu(menu: QMenu, panel, layer) -> None:
    menu.setObjectName("style_menu")
    current = effective_style(layer.kind, layer.style)
    custom = current != effective_style(layer.kind, {})
    _add(menu, "style_default", TEXT["style_default"](), lambda: panel.set_layer_style(layer, {}),
         checked=not custom)
    menu.addSeparator()
    if isinstance(layer, RasterLayer):
        for key, style in raster_styles(layer.array.shape[0]).items():
            _add(menu, f"style_raster:{key}", TEXT[f"raster_{key}"](),
                 lambda s=style: panel.set_layer_style(layer, s),
                 checked=custom and current.get("raster") == key)
        return
    kind, gdf = layer.kind, layer.gdf
    chosen = current.get("field") if custom else None
    _add(menu, "style_single", TEXT["style_single"](), lambda: _ask_single(panel, layer),
         checked=custom and current.get("type") == "single")
    categorised = menu.addMenu(TEXT["style_categorised"]())
    categorised.setObjectName("style_categorised")
    for name in categorisable_fields(gdf):
        _add(categorised, f"style_categorised:{name}", field_label(kind, name),
             lambda f=name: _apply(panel, layer, lambda: categorised_style(kind, gdf, f)),
             checked=current.get("type") == "categorised" and chosen == name)
    graduated = menu.addMenu(TEXT["style_graduated"]())
    graduated.setObjectName("style_graduated")
    for name in numeric_fields(gdf):
        sub = graduated.addMenu(field_label(kind, name))
        sub.setObjectName(f"style_graduated:{name}")
        count = len(current.get("classes") or [])
        for n in CLASS_COUNTS:
            _add(sub, f"style_graduated:{name}:{n}", TEXT["classes"].format(n=n)(),
                 lambda f=name, k=n: _apply(panel, layer, lambda: graduated_style(kind, gdf, f, k)),
                 checked=current.get("type") == "graduated" and chosen == name and count == n)
    for sub in (categorised, graduated):
        if sub.isEmpty():
            sub.addAction(TEXT["no_fields"]()).setEnabled(False)


def _apply(panel, layer, build) -> None:
    ok, style = guarded(panel, build)
    if ok:
        panel.set_layer_style(layer, style)


def _ask_single(panel, layer) -> None:
    current = effective_style(layer.kind, layer.style)
    key = "stroke" if geometry_family(layer.kind, layer.gdf) == "line" else "fill"
    initial = QColor(str(current.get(key) or SINGLE_COLOURS[0]))
    picked = QColorDialog.getColor(initial, panel, TEXT["pick_colour"].format(name=layer.name)())
    if picked.isValid():
        _apply(panel, layer, lambda: single_style(layer.kind, layer.gdf, picked.name()))


# --- rename -----------------------------------------------------------------------------
def _ask_rename(panel, layer) -> None:
    name, ok = QInputDialog.getText(panel, TEXT["rename"]().rstrip("…"), TEXT["rename_prompt"](),
                                    text=layer.name)
    if ok and name.strip() and name.strip() != layer.name:
        panel.rename_layer(layer, name)
