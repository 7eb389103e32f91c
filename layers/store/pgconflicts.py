"""Features two planners changed at once, and how the second one resolves them.

A save (:mod:`.pgdelta`) that finds rows changed or deleted on the server since they
were loaded writes nothing and raises :class:`ProjectConflicts`, naming each feature
(layer, fid, name); the project keeps what the server holds for them. Then
:func:`resolve_conflicts` takes, per feature:

``"mine"``   keep my version (my edit, or my deletion) over theirs;
``"theirs"`` take their version (or their deletion) into the project;
``"merge"``  their changes to the fields I did not change, mine to the rest (where both
             changed one field, mine) — for a feature both sides still have.

and the next save writes the result, still checking that nobody changed them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from layers.errors import ProjectChangedOnDisk, ProjectError, T
from layers.store.pgrevs import REV_COLUMN, changed_fields, frame_of

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project
    from layers.store.pgrevs import LayerBase, PgBase, RowChanges

CHOICES = ("mine", "theirs", "merge")
NAME_FIELDS = ("name", "名称")


@dataclass
class Conflict:
    """One feature changed on both sides; ``theirs`` is the server's row (None: deleted)."""

    layer: str
    layer_id: str
    fid: int
    name: str
    mine_deleted: bool
    theirs: pd.DataFrame | None
    theirs_rev: int | None


class ProjectConflicts(ProjectChangedOnDisk):
    """Another planner saved changes to features this save changes too; nothing was
    written. ``conflicts`` lists them (see :func:`resolve_conflicts`)."""

    def __init__(self, conflicts: list[Conflict], where: str) -> None:
        self.conflicts = conflicts
        shown = ", ".join(f"{c.layer} fid {c.fid}" + (f" ({c.name})" if c.name else "")
                          for c in conflicts[:5])
        more = f" … (+{len(conflicts) - 5})" if len(conflicts) > 5 else ""
        n = len(conflicts)
        super().__init__(
            T(f"another planner changed {n} feature(s) you changed too: {shown}{more}",
              f"其他规划师也修改了您修改的 {n} 个要素：{shown}{more}"), where,
            T("choose yours, theirs or a merge of the fields for each, then save again",
              "请为每个要素选择保留您的、对方的或合并字段，然后重新保存"))


def lock_rows(cur: Any, schema: str, item: LayerBase, change: RowChanges) -> None:
    """Lock the rows ``change`` touches and ask their revisions (the result is read by
    :func:`conflicts_found`; in a pipeline it comes with the next sync)."""
    from psycopg import sql

    from layers.store.postgis import ident

    touched = change.updated + change.deleted + change.inserted
    cur.execute(sql.SQL("SELECT fid, {} FROM {} WHERE fid = ANY(%s) FOR UPDATE").format(
        ident(REV_COLUMN), ident(schema, item.table)), (touched,))


def conflicts_found(server: dict[int, int], item: LayerBase, layer: Any,
                    change: RowChanges) -> list[tuple[LayerBase, Any, int, bool]]:
    """Of the rows ``change`` touches, those whose revision on the server (``server``:
    fid -> pp_rev of the locked rows) is not the loaded one: changed or deleted since."""
    found = []
    deleted = set(change.deleted)
    for fid in change.updated + change.deleted:
        if fid not in server:
            if fid not in deleted:  # both deleted it: nothing to choose
                found.append((item, layer, fid, False))
        elif server[fid] != item.revs.get(fid):
            found.append((item, layer, fid, fid in deleted))
    found += [(item, layer, fid, False) for fid in change.inserted if fid in server]
    return found


def conflicts_of(cur: Any, schema: str, item: LayerBase, layer: Any,
                 change: RowChanges) -> list[tuple[LayerBase, Any, int, bool]]:
    """Lock the rows ``change`` touches; those someone else changed or deleted since."""
    lock_rows(cur, schema, item, change)
    server = {int(f): int(r) for f, r in cur.fetchall()}
    return conflicts_found(server, item, layer, change)


def _name(row: pd.Series | None) -> str:
    if row is None:
        return ""
    for field in NAME_FIELDS:
        if field in row.index and isinstance(row[field], str):
            return row[field]
    return ""


def raise_conflicts(cur: Any, schema: str, project: Project, base: PgBase,
                    found: list, pg: Any) -> None:
    """Fetch the server's rows of the conflicting features, keep them, raise."""
    from layers.store.pgread import read_table

    conflicts = []
    by_layer: dict[str, list] = {}
    for item, layer, fid, mine_deleted in found:
        by_layer.setdefault(layer.id, []).append((item, layer, fid, mine_deleted))
    for entries in by_layer.values():
        item, layer = entries[0][0], entries[0][1]
        frame = frame_of(layer)
        dtypes = [[str(c), str(frame[c].dtype)] for c in frame.columns if c != "geometry"
                  or item.geometry_column is None]
        info: dict = {}
        theirs = read_table(cur, schema, item.table, dtypes, item.geometry_column is not None,
                            project.crs, info, [e[2] for e in entries])
        for _item, _layer, fid, mine_deleted in entries:
            row = theirs.loc[[fid]] if fid in theirs.index else None
            mine = frame.loc[fid] if fid in frame.index else None
            name = _name(mine) or _name(row.iloc[0] if row is not None else None)
            conflicts.append(Conflict(layer.name, layer.id, fid, name, mine_deleted, row,
                                      (info["revs"] or {}).get(fid)))
    base.pending = {(c.layer, c.fid): c for c in conflicts}
    raise ProjectConflicts(conflicts, str(pg))


def pending_conflicts(project: Project) -> list[Conflict]:
    """The conflicts the last save found and that are not resolved yet."""
    base = getattr(project.file_stamp, "base", None)
    return list(base.pending.values()) if base is not None else []


def resolve_conflicts(project: Project, choices: dict[tuple[str, int], str]) -> None:
    """Apply ``{(layer name, fid): "mine" | "theirs" | "merge"}`` to the project; the
    next save writes the result (and checks again)."""
    base = getattr(project.file_stamp, "base", None)
    for key, choice in choices.items():
        conflict = base.pending.get(key) if base is not None else None
        if conflict is None or choice not in CHOICES:
            raise ProjectError(
                T(f"there is no conflict {key!r} to resolve as {choice!r}",
                  f"没有可按 {choice!r} 解决的冲突 {key!r}"), "resolve conflicts",
                T("save first; resolve the features it names with mine, theirs or merge",
                  "请先保存；对其列出的要素选择 mine、theirs 或 merge"))
        if choice == "merge" and (conflict.theirs is None or conflict.mine_deleted):
            raise ProjectError(
                T(f"{conflict.layer} fid {conflict.fid} was deleted on one side: there are "
                  "no fields to merge", f"{conflict.layer} 要素 {conflict.fid} 已被一方删除，无字段可合并"),
                "resolve conflicts", T("choose mine or theirs for it", "请选择 mine 或 theirs"))
    for key, choice in choices.items():
        conflict = base.pending.pop(key)
        _resolve(project, base.layers[conflict.layer_id], conflict, choice)


def _resolve(project: Project, item: LayerBase, conflict: Conflict, choice: str) -> None:
    from layers.commands import ChangeAttributes, ChangeGeometry, DeleteFeatures

    layer = project.layer_by_id(conflict.layer_id)
    fid, theirs = conflict.fid, conflict.theirs
    frame = frame_of(layer)
    loaded = item.frame.loc[[fid]] if fid in item.frame.index else None
    # the base becomes their row: what the next save compares with and checks against
    kept = item.frame.drop(index=[fid], errors="ignore")
    item.frame = pd.concat([kept, theirs]) if theirs is not None else kept
    if conflict.theirs_rev is None:
        item.revs.pop(fid, None)
    else:
        item.revs[fid] = conflict.theirs_rev
    item.dirty.add(fid)
    if choice == "mine":
        return
    if choice == "theirs":
        if theirs is None:
            if fid in frame.index:
                project.apply(DeleteFeatures(layer.id, [fid]))
        elif fid not in frame.index:  # keeps its fid (AddFeatures would number it anew)
            layer._insert(layer._prepare_rows(theirs))
        else:
            _take(project, layer, theirs, list(theirs.columns), ChangeAttributes, ChangeGeometry)
        return
    # merge: the fields they changed since I loaded it and I did not
    mine = frame.loc[[fid]]
    theirs_changed = changed_fields(theirs, loaded if loaded is not None else theirs).iloc[0]
    mine_changed = changed_fields(mine, loaded if loaded is not None else mine).iloc[0]
    take = [c for c in theirs.columns if theirs_changed.get(c, False)
            and not mine_changed.get(c, False)]
    _take(project, layer, theirs, take, ChangeAttributes, ChangeGeometry)


def _take(project: Project, layer: Any, theirs: pd.DataFrame, columns: list, change_attrs: Any,
          change_geometry: Any) -> None:
    fid = int(theirs.index[0])
    row = theirs.iloc[0]
    values = {c: (None if _missing(row[c]) else row[c]) for c in columns if c != "geometry"}
    if values:
        project.apply(change_attrs(layer.id, {fid: values}))
    if "geometry" in columns and layer.layer_type == "vector":
        project.apply(change_geometry(layer.id, {fid: row["geometry"]}))


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
