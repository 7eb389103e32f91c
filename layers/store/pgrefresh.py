"""Taking another planner's saved rows into an open PostGIS project ("Reload"), keeping
the user's own unsaved edits.

After a :class:`~layers.store.pgnotify.SaveNotice`, :func:`refresh_rows` compares, per
layer, the revisions on the server with the ones the project loaded: rows changed,
inserted or deleted there are read (one REPEATABLE READ transaction: one saved version)
and put into the layers (their ``data`` events update the map and the tables; nothing goes
on the undo stack, the project's unsaved state is unchanged), and the project's base
(:mod:`.pgrevs`) takes their revisions, so a later save does not write them back. Rows the
user changed too are left as the user has them and listed in
:attr:`Refreshed.kept`: the next save finds them as conflicts and asks. When the other
planner changed the project's structure (layers added, removed, restructured), rows cannot
be taken one by one: :attr:`Refreshed.whole` says the project must be opened again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from layers.errors import ProjectError, T
from layers.store.pgrevs import REV_COLUMN, frame_of, row_changes

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project


@dataclass
class Refreshed:
    """What :func:`refresh_rows` took: rows per layer name, the user's rows kept."""

    layers: dict[str, int] = field(default_factory=dict)
    kept: list[tuple[str, int]] = field(default_factory=list)
    whole: bool = False

    @property
    def count(self) -> int:
        return sum(self.layers.values())


@dataclass
class _Taken:
    layer: Any
    item: Any
    rows: pd.DataFrame          # the server's rows to take (changed or inserted there)
    revs: dict[int, int]
    deleted: list[int]


def refresh_rows(project: Project, layer_names: list[str] | None = None) -> Refreshed:
    """Take the rows other planners saved since the project loaded them (of the layers
    named, default all) into the project; see the module's text."""
    from layers.store.pgsession import PgSession
    from layers.store.postgis import PgStamp

    stamp = project.file_stamp
    base = getattr(stamp, "base", None)
    if not isinstance(stamp, PgStamp) or base is None:
        raise ProjectError(
            T("this project was not opened from a PostGIS server", "该项目不是从 PostGIS 服务器打开的"),
            "reload", T("open the project from its server first", "请先从服务器打开项目"))
    if base.session is None:
        base.session = PgSession(project.path)
    pg = project.path
    wanted = [lid for lid, item in base.layers.items()
              if layer_names is None or item.layer.name in layer_names]
    layers = {layer.id: layer for layer in project.layers}

    def work(con: Any, answered: Any) -> tuple[bool, list[_Taken]]:
        from layers.store.pgread import read_table
        from layers.store.postgis import ident, sql_text

        with con.transaction(), con.cursor(binary=True) as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            answered.yes = True
            cur.execute(sql_text("SELECT value FROM {} WHERE key = 'layers_token'",
                                 ident(pg.schema, "precinct_project")))
            row = cur.fetchone()
            if row is None or row[0] != base.layers_token:
                return True, []
            taken = []
            for lid in wanted:
                item, layer = base.layers[lid], layers.get(lid)
                if layer is None:
                    return True, []
                cur.execute(sql_text("SELECT fid, {} FROM {}", ident(REV_COLUMN),
                                     ident(pg.schema, item.table)))
                server = {int(f): int(r) for f, r in cur.fetchall()}
                changed = sorted(f for f, r in server.items() if item.revs.get(f) != r)
                deleted = sorted(f for f in item.revs if f not in server)
                if not changed and not deleted:
                    continue
                frame = frame_of(layer)
                dtypes = [[str(c), str(frame[c].dtype)] for c in frame.columns
                          if c != "geometry" or item.geometry_column is None]
                info: dict = {}
                rows = read_table(cur, pg.schema, item.table, dtypes,
                                  item.geometry_column is not None, project.crs, info, changed)
                taken.append(_Taken(layer, item, rows, dict(info["revs"] or {}), deleted))
            return False, taken

    whole, taken = base.session.run(work)
    result = Refreshed(whole=whole)
    if whole:
        return result
    for one in taken:
        n, kept = _apply(one)
        if n:
            result.layers[one.layer.name] = n
        result.kept += [(one.layer.name, f) for f in kept]
    return result


def _apply(one: _Taken) -> tuple[int, list[int]]:
    """Put the server's rows into the layer (not the user's changed ones); returns the
    number taken and the fids kept as the user has them."""
    layer, item = one.layer, one.item
    change = row_changes(item, layer)
    mine = set(change.inserted) | set(change.updated) | set(change.deleted)
    fids = [int(f) for f in one.rows.index]
    kept = sorted((set(fids) | set(one.deleted)) & mine)
    take = [f for f in fids if f not in mine]
    gone = [f for f in one.deleted if f not in mine and f in frame_of(layer).index]
    frame = frame_of(layer)
    update = [f for f in take if f in frame.index]
    insert = [f for f in take if f not in frame.index]
    vector = item.geometry_column is not None
    columns = [c for c in one.rows.columns if c != "geometry" or not vector]
    if update:
        rows = one.rows.loc[update]
        layer._set_values({f: {c: _value(rows.at[f, c]) for c in columns} for f in update})
        if vector:
            layer._set_geometries({f: rows.at[f, "geometry"] for f in update})
    if insert:
        layer._insert(layer._prepare_rows(one.rows.loc[insert]))
    if gone:
        layer._remove(gone)
    # the base: these rows are now the server's, at the server's revisions
    done = update + insert
    current = frame_of(layer)
    kept_rows = item.frame.drop(index=done + gone, errors="ignore")
    item.frame = pd.concat([kept_rows, current.loc[done]]) if done else kept_rows
    for f in done:
        item.revs[f] = one.revs[f]
    for f in one.deleted:
        if f not in mine:
            item.revs.pop(f, None)
    return len(done) + len(gone), kept


def _value(value: Any) -> Any:
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return value
