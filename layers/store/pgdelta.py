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
from typing import TYPE_CHECKING, Any

from layers.errors import ProjectChangedOnDisk, T
from layers.store.gpkg import TRANSIENT_METADATA
from layers.store.pgrevs import REV_COLUMN, LayerBase, PgBase, frame_of, row_changes, snapshot

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project
    from layers.store.pglocation import PgLocation


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _dtypes(layer: Any) -> str:
    if layer.layer_type not in ("vector", "table"):
        return str(id(layer))  # a raster or basemap replaced is a new object
    frame = frame_of(layer)
    return json.dumps([[str(c), str(d)] for c, d in frame.dtypes.items()])


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


def only_rows_changed(project: Project, base: PgBase) -> bool:
    return structure_of(project) == base.structure and _schemes(project) == base.schemes


def save_changes(cur: Any, project: Project, pg: PgLocation, base: PgBase,
                 meta: dict[str, str], token: str) -> tuple[PgBase, dict[str, int]]:
    """Write the project's changes since ``base``; return the new base and the number of
    rows written per layer. Raises ProjectConflicts (nothing written) on conflicts."""
    from layers.store.pgconflicts import conflicts_of, raise_conflicts

    schema = pg.schema
    if meta.get("layers_token") != base.layers_token:
        raise ProjectChangedOnDisk(
            T("another planner added, removed or restructured layers of this project on the "
              "server since you opened it",
              "打开后已有其他规划师在服务器上增删或改动了该项目的图层"), str(pg),
            T("reload it (your unsaved changes are kept in a recovery file), or save as "
              "another schema", "请重新载入（未保存的修改保留在恢复文件中），或另存为其他模式"))
    layers = {layer.id: layer for layer in project.layers}
    changes = {lid: row_changes(item, layers[lid]) for lid, item in base.layers.items()}
    conflicts = []
    for lid, change in changes.items():
        if change:
            conflicts += conflicts_of(cur, schema, base.layers[lid], layers[lid], change)
    if conflicts:
        raise_conflicts(cur, schema, project, base, conflicts, pg)
    _write_settings(cur, project, base, meta, token, pg)
    written: dict[str, int] = {}
    for lid, change in changes.items():
        if change:
            written[layers[lid].name] = _write_rows(cur, schema, project, base.layers[lid],
                                                    layers[lid], change)
    styled = [layer for layer in project.layers if _layer_row(layer) != base.layer_rows[layer.id]]
    for layer in styled:
        _update_layer_row(cur, schema, layer)
    if styled:
        from layers.store.pgstyles import write_styles
        from layers.store.pgwrite import Written

        write_styles(cur, project, schema, [
            Written(layers[lid], item.table, item.geometry_column)
            for lid, item in base.layers.items() if item.geometry_column is not None])
    return _advance(project, base), written


def _advance(project: Project, base: PgBase) -> PgBase:
    """The base after a successful save: the project's rows are the server's."""
    base.forget()
    new = PgBase(base.layers_token, structure_of(project),
                 {layer.id: _layer_row(layer) for layer in project.layers},
                 _metadata(project), _json(project.settings), _schemes(project))
    for layer in project.layers:
        item = base.layers.get(layer.id)
        if item is not None:
            fresh = LayerBase(layer, item.table, item.geometry_column,
                              snapshot(frame_of(layer)), item.revs)
            fresh.follow()
            new.layers[layer.id] = fresh
    return new


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


def _write_settings(cur: Any, project: Project, base: PgBase, meta: dict[str, str],
                    token: str, pg: Any) -> None:
    from layers.store.postgis import ident, sql_text

    values = {"save_token": token}
    for key, mine, loaded in (("metadata", _metadata(project), base.metadata),
                              ("settings", _json(project.settings), base.settings)):
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


def _write_rows(cur: Any, schema: str, project: Project, item: LayerBase, layer: Any,
                change: Any) -> int:
    """Delete the deleted and updated rows, COPY the updated and inserted ones back in
    (each gets a new revision from the column default); remember their revisions."""
    from psycopg import sql

    from layers.store.pgwrite import _copy, srid_of
    from layers.store.postgis import copy_values, ewkb_hex, ident, sql_type

    gone = change.deleted + change.updated
    if gone:
        cur.execute(sql.SQL("DELETE FROM {} WHERE fid = ANY(%s)").format(
            ident(schema, item.table)), (gone,))
    fresh = sorted(change.updated + change.inserted)
    if fresh:
        frame = frame_of(layer)
        attributes = [c for c in frame.columns if c != "geometry" or item.geometry_column is None]
        if len(fresh) <= 64:  # a row at a time: far cheaper than column slices
            texts = [sql_type(str(d)) == "text" for d in frame.dtypes[attributes]]
            records = [frame.loc[f].tolist() for f in fresh]
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
        _copy(cur, schema, item.table, names, values)
        cur.execute(sql.SQL("SELECT fid, {} FROM {} WHERE fid = ANY(%s)").format(
            ident(REV_COLUMN), ident(schema, item.table)), (fresh,))
        item.revs.update({int(f): int(r) for f, r in cur.fetchall()})
    for fid in change.deleted:
        item.revs.pop(fid, None)
    return len(gone) + len(change.inserted)


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
