"""Layer groups (after QGIS's layer tree groups): named sets of layers shown together.

A group is a name given to some layers; the membership is a project setting
(``settings["layer_groups"] = {layer id: group name}``), so it is saved in the project
(GeoPackage or PostGIS) and every change is one undoable step. Groups do not change
what is drawn or in which order: the tree shows the drawing order, and a group is a run
of consecutive layers of the same group. Every command here keeps a group's layers
together (joining moves the layer next to its group; moving a layer out of its group's
run takes it out of the group), so a group appears once.

Visibility is per layer: ticking a group shows or hides all of its layers.
"""

from __future__ import annotations

from layers.commands import Command, MacroCommand, RemoveLayer
from layers.config.command import ChangeSettings
from layers.errors import EditError, T

KEY = "layer_groups"
MAX_NAME = 60


def membership(project) -> dict[str, str]:
    """Layer id → group name, for the layers in the project."""
    stored = project.settings.get(KEY) or {}
    ids = {layer.id for layer in project.layers}
    return {lid: str(name) for lid, name in stored.items() if lid in ids and name}


def group_of(project, layer) -> str | None:
    return membership(project).get(layer.id)


def blocks(project) -> list[tuple[str | None, list]]:
    """The tree's rows top first: ``(group name, its layers top first)`` for a group's run,
    ``(None, [layer])`` for a layer in no group."""
    groups = membership(project)
    out: list[tuple[str | None, list]] = []
    for layer in reversed(project.layers):
        name = groups.get(layer.id)
        if name is not None and out and out[-1][0] == name:
            out[-1][1].append(layer)
        else:
            out.append((name, [layer]))
    return out


def group_names(project) -> list[str]:
    """Group names, top first."""
    return list(dict.fromkeys(name for name, _ in blocks(project) if name is not None))


def members(project, name: str) -> list:
    """The layers of group ``name``, top first."""
    groups = membership(project)
    return [layer for layer in reversed(project.layers) if groups.get(layer.id) == name]


class ReorderLayers(Command):
    """Put the layers in the drawing order ``order`` (layer ids, bottom first)."""

    text = T("move layers", "调整图层顺序")

    def __init__(self, order: list[str]) -> None:
        self.order = list(order)
        self.old: list[str] | None = None

    @staticmethod
    def _arrange(project, order: list[str]) -> None:
        by_id = {layer.id: layer for layer in project.layers}
        if set(order) != set(by_id) or len(order) != len(by_id):
            raise EditError(T("the layers changed meanwhile", "图层已被其他操作改变"),
                            T("layer order", "图层顺序"),
                            T("try again", "请重试"))
        for index, lid in enumerate(order):
            project.move_layer(by_id[lid].name, index)

    def apply(self, project) -> None:
        old = [layer.id for layer in project.layers]
        self._arrange(project, self.order)
        if self.old is None:
            self.old = old

    def revert(self, project) -> None:
        self._arrange(project, self.old or [])


def _check_name(project, name: str, allow: str | None = None) -> str:
    name = str(name).strip()
    if not name or len(name) > MAX_NAME:
        raise EditError(T(f"a group name has 1 to {MAX_NAME} characters",
                          f"组名须为 1 到 {MAX_NAME} 个字符"), T("layer group", "图层组"),
                        T("type another name", "请换一个名称"))
    if name != allow and name in group_names(project):
        raise EditError(T(f"a group called {name!r} exists already",
                          f"已存在名为 {name!r} 的组"), T("layer group", "图层组"),
                        T("choose another name", "请换一个名称"))
    return name


def _steps(text: T, project, top_first: list[str] | None, groups: dict[str, str | None]):
    """One undo step: the new order (top first, or None to keep it) and group changes."""
    commands: list[Command] = []
    if top_first is not None and top_first != [layer.id for layer in reversed(project.layers)]:
        commands.append(ReorderLayers(list(reversed(top_first))))
    changes = {(KEY, lid): name for lid, name in groups.items()
               if membership(project).get(lid) != name}
    if changes:
        commands.append(ChangeSettings(changes, text))
    return MacroCommand(text, commands)


def join_group(project, layer_ids: list[str], name: str, new: bool = False) -> MacroCommand:
    """Put layers into group ``name`` (a new group when ``new``): they move next to the
    group's layers (a new group forms where the topmost of them is)."""
    name = _check_name(project, name) if new else str(name).strip()
    if not new and name not in group_names(project):
        _check_name(project, name)  # an unknown name makes a new group (checked as one)
    order = [layer.id for layer in reversed(project.layers)]
    moving = [lid for lid in order if lid in set(layer_ids)]
    if not moving:
        raise EditError(T("no layer to group", "没有要编组的图层"), T("layer group", "图层组"),
                        T("select one or more layers in the layer list", "请在图层列表中选择图层"))
    existing = [layer.id for layer in members(project, name) if layer.id not in set(moving)]
    rest = [lid for lid in order if lid not in set(moving)]
    anchor = existing[0] if existing else next((lid for lid in order if lid in set(moving)), None)
    if existing:
        at = rest.index(anchor)  # the group's layers keep their place; the new ones go on top
    else:
        at = order.index(anchor)  # the topmost of them: nothing above it moves
        groups = membership(project)
        while 0 < at < len(rest) and groups.get(rest[at - 1]) is not None \
                and groups.get(rest[at - 1]) == groups.get(rest[at]):
            at -= 1  # never inside another group's run: go above it
    top_first = rest[:at] + moving + rest[at:]
    return _steps(T(f"group layers in {name}", f"将图层编入组 {name}"), project, top_first,
                  {lid: name for lid in moving})


def leave_group(project, layer_ids: list[str]) -> MacroCommand:
    """Take layers out of their groups; each goes just above its group's run (a layer in
    the middle of a group would otherwise split it)."""
    order = [layer.id for layer in reversed(project.layers)]
    groups = membership(project)
    top_first = list(order)
    for lid in [lid for lid in order if lid in set(layer_ids) and lid in groups]:
        run = [x for x in top_first if groups.get(x) == groups[lid] and x not in set(layer_ids)]
        top_first.remove(lid)
        if run:
            top_first.insert(top_first.index(run[0]), lid)
        else:
            top_first.insert(order.index(lid), lid)
    return _steps(T("take layers out of their group", "将图层移出组"), project, top_first,
                  {lid: None for lid in layer_ids if lid in groups})


def move_layer_to(project, layer_id: str, gap: int, group: str | None | bool = True):
    """Move a layer to ``gap`` (0 … n: the place between the tree's layer rows, top first).
    ``group``: a name (or None) to put it in; True works it out from its new neighbours:
    between two layers of one group it joins that group; next to a layer of its own group
    it stays; anywhere else it leaves its group."""
    order = [layer.id for layer in reversed(project.layers)]
    groups = membership(project)
    rest = [lid for lid in order if lid != layer_id]
    source = order.index(layer_id)
    at = max(0, min(gap if gap <= source else gap - 1, len(rest)))
    top_first = rest[:at] + [layer_id] + rest[at:]
    if group is True:
        above = groups.get(rest[at - 1]) if at > 0 else None
        below = groups.get(rest[at]) if at < len(rest) else None
        own = groups.get(layer_id)
        if above is not None and above == below:
            group = above
        elif own is not None and own in (above, below):
            group = own
        else:
            group = None
    return _steps(T("move layer", "调整图层顺序"), project, top_first, {layer_id: group})


def move_group_to(project, name: str, gap: int) -> MacroCommand:
    """Move a group's run to block ``gap`` (0 … number of tree rows, top first)."""
    rows = blocks(project)
    source = next(i for i, (g, _) in enumerate(rows) if g == name)
    block = rows.pop(source)
    at = max(0, min(gap if gap <= source else gap - 1, len(rows)))
    rows.insert(at, block)
    top_first = [layer.id for _, layers in rows for layer in layers]
    return _steps(T(f"move group {name}", f"移动组 {name}"), project, top_first, {})


def rename_group(project, old: str, new: str) -> MacroCommand:
    new = _check_name(project, new, allow=old)
    return _steps(T(f"rename group {old}", f"重命名组 {old}"), project, None,
                  {layer.id: new for layer in members(project, old)})


def ungroup(project, name: str) -> MacroCommand:
    """Dissolve a group: its layers stay where they are, in no group."""
    return _steps(T(f"ungroup {name}", f"取消分组 {name}"), project, None,
                  {layer.id: None for layer in members(project, name)})


def remove_group(project, name: str) -> MacroCommand:
    """Remove a group with its layers (one step: undo brings all of them back)."""
    layers = members(project, name)
    commands: list[Command] = [RemoveLayer(layer.id) for layer in layers]
    return MacroCommand(T(f"remove group {name} and its {len(layers)} layers",
                          f"移除组 {name} 及其 {len(layers)} 个图层"), commands)


def set_group_visible(project, name: str, visible: bool) -> None:
    """Show or hide every layer of a group (visibility is not an undo step, as for a layer)."""
    for layer in members(project, name):
        layer.visible = bool(visible)


def group_visibility(project, name: str) -> bool | None:
    """True if all its layers are shown, False if none, None if some."""
    shown = {layer.visible for layer in members(project, name)}
    return shown.pop() if len(shown) == 1 else None
