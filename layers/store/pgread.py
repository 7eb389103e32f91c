"""Reading a project from its PostgreSQL schema: one REPEATABLE READ transaction, so the
project is one saved version even while another client saves.

The store's tables are the GeoPackage's (same rows, same checks: :func:`~layers.store.
read.read_layer`'s rules for names, styles and JSON), the layer tables come back with the
column types they were saved with.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import ProjectError, ProjectFileError, T
from layers.layer import Layer, TableLayer, VectorLayer
from layers.store import schemetable
from layers.store.limits import shown
from layers.store.pglocation import PgLocation, mask
from layers.store.pgrevs import REV_COLUMN
from layers.store.postgis import PgStamp, ident, project_tables, sql_text
from layers.store.read import (
    _RESTORE,
    RawProject,
    _Bad,
    _dtypes,
    _format_version,
    _new_project,
    _source,
    read_schemes,
    unpack_layer_row,
)
from layers.store.tables import restore_dtype

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

_NUMPY_FLOATS = ("float64", "float32")


def read_schema(pg: PgLocation) -> Project:
    """Read the project; its connection stays open for its saves (:mod:`.pgsession`)."""
    import psycopg

    from layers.store.pgsession import PgSession

    where = str(pg)
    session = PgSession(pg)
    try:
        con = session.connection()
        con.read_only = True
        con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        try:
            with con.transaction(), con.cursor(binary=True) as cur:
                tables = project_tables(cur, pg.schema)
                if "precinct_project" not in tables or "precinct_layers" not in tables:
                    raise ProjectFileError(
                        T(f"there is no Precinct Planner project in the schema {pg.schema!r}",
                          f"模式 {pg.schema!r} 中没有片区规划项目"), where,
                        T("check the schema name, or save a project there first "
                          "(precinct copy PROJECT.gpkg LOCATION)",
                          "请检查模式名，或先把项目保存到这里（precinct copy 项目.gpkg 位置）"))
                project = _build(cur, pg, tables)
        finally:
            if not con.closed and not con.broken:
                con.read_only = None  # the saves through it write, READ COMMITTED
                con.isolation_level = None
    except ProjectFileError:
        session.close()
        raise
    except psycopg.Error as exc:
        session.close()
        raise ProjectFileError(
            T(f"the project cannot be read from the database "
              f"({mask(str(exc)).splitlines()[0][:300]})",
              f"无法从数据库读取项目（{mask(str(exc)).splitlines()[0][:300]}）"), where,
            T("check you may read this schema, then open it again",
              "请确认有权读取该模式，然后重新打开")) from None
    base = getattr(project.file_stamp, "base", None)
    if base is None:
        session.close()
    else:
        base.session = session
    return project


def _build(cur: Any, pg: PgLocation, tables: set[str]) -> Project:
    schema = pg.schema
    cur.execute(sql_text("SELECT key, value FROM {}", ident(schema, "precinct_project")))
    meta = dict(cur.fetchall())
    cur.execute(sql_text(
        "SELECT position, id, name, kind, layer_type, table_name, style, visible, opacity, "
        "dtypes, source FROM {} ORDER BY position", ident(schema, "precinct_layers")))
    rows = cur.fetchall()
    infos: dict[str, tuple[str, dict]] = {}
    rasters: dict[str, bytes] = {}
    if "precinct_rasters" in tables:
        cur.execute(sql_text("SELECT table_name, geotiff FROM {}",
                             ident(schema, "precinct_rasters")))
        rasters = {t: bytes(b) for t, b in cur.fetchall()}
    label = Path(str(pg))
    _format_version(meta, label)
    project = _new_project(label, meta)
    raw = RawProject(meta, rows, rasters, {})
    for row in rows:
        layer = _layer(cur, pg, row, raw, tables, project.crs, infos)
        try:
            project.add_layer(layer)
        except ProjectError as exc:
            raise ProjectFileError(exc.what, f"{pg}, layer {shown(layer.name)!r}",
                                   _RESTORE) from None
    project.schemes = read_schemes(label, schemetable.read_pg(cur, schema, tables))
    project.path = pg
    token = meta.get("save_token")
    base = None
    if isinstance(token, str) and all(i["revs"] is not None for _t, i in infos.values()):
        from layers.store.pgdelta import new_base

        base = new_base(project, meta.get("layers_token", ""), {
            layer_id: (table, i["geom"], i["revs"]) for layer_id, (table, i) in infos.items()})
    project.file_stamp = PgStamp(token, base) if isinstance(token, str) else None
    project.undo.set_clean()
    return project


def _layer(cur: Any, pg: PgLocation, row: tuple, raw: RawProject, tables: set[str],
           crs: Any, infos: dict) -> Layer:
    name = row[2]
    where = f"{pg}, layer {shown(name)!r}"
    try:
        layer_id, name, kind, layer_type, table, dtypes, source, common = unpack_layer_row(row, where)
        if layer_type == "raster":
            from layers.store.rasters import read_geotiff_blob

            blob = raw.rasters.get(table)
            if blob is None:
                raise _Bad(f"its raster {shown(table)!r} is missing")
            return read_geotiff_blob(name, kind, blob, common)
        if layer_type == "tiles":
            from layers.tiles import TileLayer

            return TileLayer.from_saved(name, kind, _source(source), Path("/"), **common)
        if layer_type not in ("vector", "table") or table not in tables or table.startswith(
                "precinct_"):
            raise _Bad(f"its table {shown(table)!r} is not in the schema")
        types = _dtypes(dtypes)
        info: dict = {}
        frame = read_table(cur, pg.schema, table, types, layer_type == "vector", crs, info)
        infos[layer_id] = (table, info)
        if layer_type == "table":
            return TableLayer(name, kind, frame, **common)
        return VectorLayer(name, kind, frame, **common)
    except ProjectFileError:
        raise
    except ProjectError as exc:
        raise ProjectFileError(exc.what, where, exc.fix or _RESTORE) from None
    except MemoryError:
        raise
    except Exception as exc:
        why = mask(str(exc)).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ProjectFileError(T(f"the layer cannot be read ({why})", f"无法读取该图层（{why}）"),
                               where, _RESTORE) from None


def _geometry_column(cur: Any, schema: str, table: str) -> str | None:
    cur.execute("SELECT f_geometry_column FROM geometry_columns "
                "WHERE f_table_schema = %s AND f_table_name = %s", (schema, table))
    row = cur.fetchone()
    return row[0] if row else None


def read_table(cur: Any, schema: str, table: str, dtypes: list[list[str]],
               vector: bool, crs: Any = None, info: dict | None = None,
               fids: list[int] | None = None) -> pd.DataFrame:
    """The rows of ``table`` indexed by fid, columns as saved (``geometry`` last).

    With ``info`` (a dict), also ``info["geom"]`` (the geometry column) and
    ``info["revs"]`` (fid -> pp_rev, when the table has revisions); with ``fids``, only
    those rows."""
    from psycopg import sql

    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = %s ORDER BY ordinal_position", (schema, table))
    present = [r[0] for r in cur.fetchall()]
    geom = _geometry_column(cur, schema, table) if vector else None
    if vector and geom is None:
        raise _Bad(f"its table {shown(table)!r} has no geometry column")
    names = [c for c, _ in dtypes if c in present]
    selected = [sql.SQL("fid")] + [ident(c) for c in names]
    if geom is not None:
        selected.append(sql.SQL("ST_AsBinary({})").format(ident(geom)))
    with_rev = info is not None and REV_COLUMN in present
    if with_rev:
        selected.append(ident(REV_COLUMN))
    where = sql.SQL(" WHERE fid = ANY(%s)") if fids is not None else sql.SQL("")
    cur.execute(sql.SQL("SELECT {} FROM {}{} ORDER BY fid").format(
        sql.SQL(", ").join(selected), ident(schema, table), where),
        (list(fids),) if fids is not None else None)
    rows = cur.fetchall()
    columns = list(zip(*rows)) if rows else [()] * len(selected)
    if info is not None:
        info["geom"] = geom
        info["revs"] = dict(zip(columns[0], columns.pop())) if with_rev else None
    index = pd.Index(np.asarray(columns[0], dtype="int64"), name="fid")
    data = {}
    for (name, dtype), values in zip([d for d in dtypes if d[0] in present], columns[1:]):
        data[name] = _column(values, dtype, index)
    for name, dtype in dtypes:
        if name not in data:
            data[name] = restore_dtype(pd.Series([None] * len(index), index=index), dtype)
    frame = pd.DataFrame(data, index=index)[[c for c, _ in dtypes]]
    if geom is None:
        return frame
    wkb = np.asarray(columns[-1], dtype=object)
    geometry = shapely.from_wkb(np.array([bytes(b) if b is not None else None for b in wkb],
                                         dtype=object))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=index, crs=crs))


def _column(values: tuple, dtype: str, index: pd.Index) -> pd.Series:
    if dtype in _NUMPY_FLOATS:
        return pd.Series(np.array(values, dtype=dtype), index=index)
    if dtype in ("int64", "int32", "int16", "int8"):
        return pd.Series(np.array(values, dtype=dtype), index=index)
    if dtype in ("Int64", "Int32", "Int16", "Int8", "boolean", "Float64"):
        return pd.Series(pd.array(list(values), dtype=dtype), index=index)
    if dtype == "bool":
        return pd.Series(np.array(values, dtype=bool), index=index)
    return restore_dtype(pd.Series(list(values), index=index, dtype=object), dtype)
