"""Saving only what changed to a project's PostGIS schema (inside the save's transaction).

A project whose layers are the ones it loaded (same ids, names, order, kinds and column
types: :func:`structure_of`) writes, per layer, only the rows inserted, updated or
deleted since it loaded them (:func:`~layers.store.pgrevs.row_changes`), after locking
those rows and checking that their ``pp_rev`` is still the one it loaded — a row someone
else changed or deleted meanwhile is a conflict (:mod:`.pgconflicts`), and nothing is
written. Layer styles and visibility are written for the layers whose ones changed;
metadata and settings key by key (a key both sides changed differently refuses the save).
Anything else (a layer added, removed, renamed or moved, a column added, schemes) is a
whole-schema save as before (:meth:`PostgisStore._save`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layers.errors import ProjectChangedOnDisk, T
from layers.store.gpkg import TRANSIENT_METADATA
from layers.store.pgrevs import (
    REV_COLUMN,
    LayerBase,
    PgBase,
    RowChanges,
    frame_of,
    row_changes,
    snapshot,
)

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project
    from layers.store.pglocation import PgLocation


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _dtypes(layer: Any) -> Any:
    if layer.layer_type not in ("vector", "table"):
        return str(id(layer))  # a raster or basemap replaced is a new object
    frame = frame_of(layer)
    return tuple(zip(map(str, frame.columns), map(str, frame.dtypes)))


def structure_of(project: Project) -> tuple:
    return tuple((layer.id, layer.name, layer.kind, layer.layer_type, _dtypes(layer))
                 for layer in project.layers)


def _layer_row(layer: Any) -> tuple:
    return (json.dumps(layer.style, ensure_ascii=False, sort_keys=True), bool(layer.visible),
            float(layer.opacity))


def _metadata(project: Project) -> dict:
    return _json({k: v for k, v in project.metadata.items() if k not in TRANSIENT_METADATA})


def _schemes(project: Project) -> tuple:
    return tuple(tuple(s.row()[:6]) for s in project.schemes)


def new_base(project: Project, layers_token: str,
             tables: dict[str, tuple[str, str | None, dict[int, int]]]) -> PgBase:
    """The base of ``project`` as it is now, with each layer id's (table, geometry column,
    revisions) on the server."""
    base = PgBase(layers_token, structure_of(project),
                  {layer.id: _layer_row(layer) for layer in project.layers},
                  _metadata(project), _json(project.settings), _schemes(project))
    for layer in project.layers:
        if layer.id in tables:
            table, geom, revs = tables[layer.id]
            item = LayerBase(layer, table, geom, snapshot(frame_of(layer)), dict(revs))
            item.follow()
            base.layers[layer.id] = item
    return base


FEW_ROWS = 64  # up to this many rows per layer: one INSERT in the pipeline, not COPY


@dataclass
class Plan:
    """What a save of only the changed rows writes (computed before touching the server)."""

    structure: tuple
    changes: dict[str, RowChanges]          # layer id -> rows changed (only non-empty)
    styled: list                            # layers whose style, visibility or opacity changed
    layer_rows: dict                        # layer id -> (style, visible, opacity) now
    metadata: dict                          # the project's metadata and settings now (JSON)
    settings: dict

    @property
    def few(self) -> bool:
        return all(len(c.updated) + len(c.inserted) <= FEW_ROWS for c in self.changes.values())


def plan_changes(project: Project, base: PgBase) -> Plan | None:
    """The rows, styles and settings to write, or None when the project's structure (its
    layers, their columns, its schemes) changed since ``base``: a whole-schema save."""
    structure = structure_of(project)
    if structure != base.structure or _schemes(project) != base.schemes:
        return None
    layers = {layer.id: layer for layer in project.layers}
    changes = {}
    for lid, item in base.layers.items():
        change = row_changes(item, layers[lid])
        if change:
            changes[lid] = change
    layer_rows = {layer.id: _layer_row(layer) for layer in project.layers}
    styled = [layer for layer in project.layers if layer_rows[layer.id] != base.layer_rows[layer.id]]
    return Plan(structure, changes, styled, layer_rows, _metadata(project), _json(project.settings))


def save_plan(con: Any, answered: Any, project: Project, pg: PgLocation, base: PgBase,
              plan: Plan, token: str) -> dict[str, int] | None:
    """Write ``plan`` in one transaction on ``con``: lock the touched rows and check their
    revisions, then write them, the settings and styles, NOTIFY, COMMIT. With few rows it
    is one pipeline with two syncs (the checks' answers, then the writes and the commit).
    Returns the rows written per layer name (the base follows the project afterwards), or
    None when the schema holds no project any more (nothing written). Raises
    ProjectConflicts / ProjectChangedOnDisk with nothing written."""
    import contextlib

    import psycopg

    from layers.store.pgconflicts import conflicts_found, lock_rows, raise_conflicts
    from layers.store.pgnotify import notify
    from layers.store.postgis import ident, sql_text

    schema = pg.schema
    layers = {layer.id: layer for layer in project.layers}
    few = plan.few
    with (con.pipeline() if few else contextlib.nullcontext()) as pipe:
        cur = con.cursor()
        cur.execute("BEGIN")  # the connection is autocommit (pgsession): one transaction
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"precinct:{schema}",))
        meta_cur = con.cursor()
        meta_cur.execute(sql_text("SELECT key, value FROM {}",
                                  ident(schema, "precinct_project")))
        locks = {}
        for lid, change in plan.changes.items():
            locks[lid] = con.cursor()
            lock_rows(locks[lid], schema, base.layers[lid], change)
        try:
            if pipe is not None:
                pipe.sync()
            meta = dict(meta_cur.fetchall())
        except psycopg.errors.UndefinedTable:
            answered.yes = True
            return None
        answered.yes = True
        if meta.get("layers_token") != base.layers_token:
            raise ProjectChangedOnDisk(
                T("another planner added, removed or restructured layers of this project on "
                  "the server since you opened it",
                  "打开后已有其他规划师在服务器上增删或改动了该项目的图层"), str(pg),
                T("reload it (your unsaved changes are kept in a recovery file), or save as "
                  "another schema", "请重新载入（未保存的修改保留在恢复文件中），或另存为其他模式"))
        conflicts = []
        for lid, lock in locks.items():
            server = {int(f): int(r) for f, r in lock.fetchall()}
            conflicts += conflicts_found(server, base.layers[lid], layers[lid],
                                         plan.changes[lid])
        if conflicts:
            raise_conflicts(cur, schema, project, base, conflicts, pg)
        _write_settings(cur, plan, base, meta, token, pg)
        returned = {lid: _queue_rows(con, cur, schema, project, base.layers[lid], layers[lid],
                                     change, few)
                    for lid, change in plan.changes.items()}
        for layer in plan.styled:
            _update_layer_row(cur, schema, layer)
        if plan.styled:
            from layers.store.pgstyles import write_styles
            from layers.store.pgwrite import Written

            write_styles(cur, project, schema, [
                Written(layers[lid], item.table, item.geometry_column)
                for lid, item in base.layers.items() if item.geometry_column is not None])
        counts = {layers[lid].name: len(c.deleted) + len(c.updated) + len(c.inserted)
                  for lid, c in plan.changes.items()}
        notify(cur, schema, token, counts)
        cur.execute("COMMIT")  # in a pipeline sent with the writes: its second sync
    new_revs = {lid: {int(f): int(r) for f, r in c.fetchall()} for lid, c in returned.items()
                if c is not None}
    _advance(project, base, plan, new_revs)
    return counts


def _advance(project: Project, base: PgBase, plan: Plan, new_revs: dict) -> None:
    """After the commit: the project's rows are the server's (only changed layers are
    snapshot again; the others' snapshots still hold)."""
    for layer in project.layers:
        item = base.layers.get(layer.id)
        if item is None:
            continue
        change = plan.changes.get(layer.id)
        if change is not None:
            item.revs.update(new_revs.get(layer.id, {}))
            for fid in change.deleted:
                item.revs.pop(fid, None)
        if change is not None or item.layer is not layer or item.reset:
            if item.layer is not layer:
                item.forget()
                item.layer = layer
                item.follow()
            item.frame = snapshot(frame_of(layer))
        item.dirty = set()
        item.reset = False
    base.structure = plan.structure
    base.layer_rows = plan.layer_rows
    base.metadata = plan.metadata
    base.settings = plan.settings
    base.pending = {}


def _merge_keys(mine: dict, loaded: dict, theirs: dict, what: str, pg: Any) -> dict | None:
    """``theirs`` with the keys I changed since ``loaded``; None when nothing of mine."""
    out, clash, changed = dict(theirs), [], False
    for key in set(mine) | set(loaded):
        if mine.get(key) == loaded.get(key):
            continue
        changed = True
        if theirs.get(key) != loaded.get(key) and theirs.get(key) != mine.get(key):
            clash.append(str(key))
        if key in mine:
            out[key] = mine[key]
        else:
            out.pop(key, None)
    if clash:
        names = ", ".join(sorted(clash)[:5])
        raise ProjectChangedOnDisk(
            T(f"another planner saved this project on the server since you opened it and "
              f"changed the same project {what} ({names})",
              f"打开后已有其他规划师在服务器上保存了该项目，并修改了相同的项目{what}（{names}）"),
            str(pg), T("reload it, overwrite it, or save as another schema",
                       "请重新载入、覆盖保存，或另存为其他模式"))
    return out if changed else None


def _write_settings(cur: Any, plan: Plan, base: PgBase, meta: dict[str, str],
                    token: str, pg: Any) -> None:
    from layers.store.postgis import ident, sql_text

    values = {"save_token": token}
    for key, mine, loaded in (("metadata", plan.metadata, base.metadata),
                              ("settings", plan.settings, base.settings)):
        if mine == loaded:
            continue  # nothing of mine to write: theirs stays
        merged = _merge_keys(mine, loaded, json.loads(meta.get(key) or "{}"), key, pg)
        if merged is not None:
            values[key] = json.dumps(merged, ensure_ascii=False, default=str)
    cur.executemany(sql_text("UPDATE {} SET value = %s WHERE key = %s",
                             ident(pg.schema, "precinct_project")),
                    [(v, k) for k, v in values.items()])


def _update_layer_row(cur: Any, schema: str, layer: Any) -> None:
    from layers.store.postgis import ident, sql_text

    cur.execute(sql_text("UPDATE {} SET style = %s, visible = %s, opacity = %s WHERE id = %s",
                         ident(schema, "precinct_layers")),
                (json.dumps(layer.style, ensure_ascii=False), int(layer.visible),
                 float(layer.opacity), layer.id))


def _queue_rows(con: Any, cur: Any, schema: str, project: Project, item: LayerBase,
                layer: Any, change: Any, few: bool) -> Any:
    """Delete the deleted and updated rows, insert the updated and inserted ones again
    (each gets a new revision from the column default); the cursor that will hold their
    (fid, revision) rows, or None."""
    from psycopg import sql

    from layers.store.pgwrite import _copy, srid_of
    from layers.store.postgis import copy_values, ewkb_hex, ident, sql_type

    gone = change.deleted + change.updated
    if gone:
        cur.execute(sql.SQL("DELETE FROM {} WHERE fid = ANY(%s)").format(
            ident(schema, item.table)), (gone,))
    fresh = sorted(change.updated + change.inserted)
    if not fresh:
        return None
    frame = frame_of(layer)
    attributes = [c for c in frame.columns if c != "geometry" or item.geometry_column is None]
    if few:  # a row at a time: far cheaper than column slices
        dtypes = dict(zip(frame.columns, frame.dtypes))
        texts = [sql_type(str(dtypes[c])) == "text" for c in attributes]
        records = [change.rows[f] if f in change.rows else frame.loc[f].tolist() for f in fresh]
        positions = [frame.columns.get_loc(c) for c in attributes]
        values = [fresh] + [[_scalar(r[p], t) for r in records]
                            for p, t in zip(positions, texts)]
        geoms = [r[frame.columns.get_loc("geometry")] for r in records] \
            if item.geometry_column is not None else None
    else:
        rows = frame.loc[fresh]
        values = [fresh] + [copy_values(rows[c]) for c in attributes]
        geoms = rows.geometry.values if item.geometry_column is not None else None
    names = ["fid", *[str(c) for c in attributes]]
    if geoms is not None:
        values.append(ewkb_hex(geoms, srid_of(project)))
        names.append(item.geometry_column)
    out = con.cursor()
    if few:
        one = sql.SQL("({})").format(sql.SQL(", ").join([sql.Placeholder()] * len(names)))
        out.execute(sql.SQL("INSERT INTO {} ({}) VALUES {} RETURNING fid, {}").format(
            ident(schema, item.table), sql.SQL(", ").join(ident(n) for n in names),
            sql.SQL(", ").join([one] * len(fresh)), ident(REV_COLUMN)),
            [v for row in zip(*values) for v in row])
        return out
    _copy(cur, schema, item.table, names, values)
    out.execute(sql.SQL("SELECT fid, {} FROM {} WHERE fid = ANY(%s)").format(
        ident(REV_COLUMN), ident(schema, item.table)), (fresh,))
    return out


def _scalar(value: Any, text: bool) -> Any:
    """One cell as COPY writes it (what :func:`~layers.store.postgis.copy_values` does
    for a whole column)."""
    import pandas as pd

    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, pd.Timedelta):
        return value.to_pytimedelta()
    if text:
        return value if isinstance(value, str) else str(value)
    return value.item() if hasattr(value, "item") else value
