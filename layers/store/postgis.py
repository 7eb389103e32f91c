"""A project as one PostgreSQL/PostGIS schema, for teams that share a server.

The schema holds:

``precinct_project``  key/value as in the GeoPackage (format, format_version, crs,
                      metadata, settings) plus ``save_token``, a new random value on every
                      save (what :class:`PgStamp` compares to notice another client's save)
``precinct_layers``   one row per layer, the same columns as the GeoPackage's
``precinct_rasters``  raster layers as GeoTIFF bytes (lossless; QGIS does not show them)
``precinct_schemes``  saved scheme versions, as in the GeoPackage (:mod:`.schemetable`)
one table per layer   ``fid bigint`` primary key, the attribute columns typed from their
                      pandas types, and for a vector layer a ``geom`` column
                      ``geometry(<type>, <EPSG>)`` with a GiST index

QGIS styles go where QGIS looks for them, ``public.layer_styles`` (QGIS's own table,
created when missing), one default style per vector table of the schema; they are the
documents the styled GeoPackage export writes (:func:`~layers.exports.gpkg_styles.
style_documents`). Our own style (JSON in ``precinct_layers``) is what the app reads back.

A save is one transaction: a client killed half-way leaves the schema as it was. Saves of
one schema queue on a transaction-level advisory lock; the save checks the schema's
``save_token`` is still the one the project read (unless ``overwrite``), so the last save
no longer silently wins. Reading happens in one REPEATABLE READ transaction: one version.
Reading lives in :mod:`.pgread`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from layers.errors import ProjectChangedOnDisk, ProjectFileError, T
from layers.store import ProjectStore
from layers.store.limits import layer_problems
from layers.store.pglocation import MAX_IDENTIFIER_BYTES, PgLocation, mask

if TYPE_CHECKING:  # pragma: no cover
    from layers.layer import VectorLayer
    from layers.project import Project

OWN_TABLES = ("precinct_project", "precinct_layers", "precinct_rasters", "precinct_schemes")
GEOMETRY_COLUMN = "geom"
_SQL_TYPES = {"int64": "bigint", "Int64": "bigint", "int32": "integer", "Int32": "integer",
              "int16": "smallint", "Int16": "smallint", "int8": "smallint", "Int8": "smallint",
              "uint8": "smallint", "UInt8": "smallint", "uint16": "integer", "UInt16": "integer",
              "uint32": "bigint", "UInt32": "bigint", "float64": "double precision",
              "Float64": "double precision", "float32": "real", "Float32": "real",
              "bool": "boolean", "boolean": "boolean"}
_GEOMETRY_TYPES = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                   "MultiPolygon", "GeometryCollection"}


@dataclass(frozen=True)
class PgStamp:
    """One saved version of a schema's project (its ``save_token``); ``base`` what the
    project loaded, for saving only its changes (:mod:`.pgrevs`)."""

    token: str
    base: Any = field(default=None, compare=False, repr=False)

    def to_text(self) -> str:
        return json.dumps({"pg_save_token": self.token})


def connect_error(exc: Exception, where: str) -> ProjectFileError:
    message = mask(" ".join(str(exc).split()))[:300]
    return ProjectFileError(
        T(f"cannot reach the project's database ({message})",
          f"无法连接项目所在的数据库（{message}）"), where,
        T("check the server's host, port and database name, and that your user and password "
          "are in ~/.pgpass, PGPASSWORD or the pg_service.conf service",
          "请检查服务器地址、端口和数据库名，并在 ~/.pgpass、PGPASSWORD 或 pg_service.conf "
          "中提供用户名和密码"))


@contextmanager
def connection(pg: PgLocation) -> Iterator[Any]:
    """A psycopg connection to ``pg`` (closed afterwards); failures as ProjectFileError."""
    import psycopg

    try:
        con = psycopg.connect(pg.conninfo, autocommit=False, connect_timeout=15,
                              application_name="precinct-planner")
    except psycopg.Error as exc:
        raise connect_error(exc, str(pg)) from None
    try:
        yield con
    finally:
        con.close()


def ident(*names: str) -> Any:
    from psycopg import sql

    return sql.Identifier(*names)


def sql_text(template: str, *args: Any, **kwargs: Any) -> Any:
    from psycopg import sql

    return sql.SQL(template).format(*args, **kwargs)


def project_tables(cur: Any, schema: str) -> set[str]:
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,))
    return {r[0] for r in cur.fetchall()}


class PostgisStore(ProjectStore):
    def __init__(self, location: PgLocation | str) -> None:
        self.pg = location if isinstance(location, PgLocation) else PgLocation(location)
        self.location = str(self.pg)

    def exists(self) -> bool:
        with connection(self.pg) as con, con.cursor() as cur:
            return "precinct_project" in project_tables(cur, self.pg.schema)

    def load(self) -> Project:
        from layers.store.pgread import read_schema

        return read_schema(self.pg)

    # --- saving -----------------------------------------------------------------
    def save(self, project: Project, overwrite: bool = False) -> PgStamp:
        """Write ``project`` into the schema in one transaction; return its new stamp.

        A project loaded from (or saved to) this schema whose structure is unchanged
        writes only its changed rows (:func:`~layers.store.pgdelta.save_plan`) through
        the connection it keeps (:mod:`.pgsession`); anything else rewrites the schema."""
        import psycopg

        from layers.store.pgsession import PgSession

        base = _base(project, self.pg)
        plan = None
        if base is not None and not overwrite:
            from layers.store.pgdelta import plan_changes

            plan = plan_changes(project, base)
        for layer in project.layers:
            if plan is not None and layer.id not in plan.changes:
                continue  # its columns and name are as saved: nothing new to check
            problem = layer_problems(layer)
            if problem is not None:
                raise ProjectFileError(problem[0], f"{self.pg}, layer {layer.name!r}",
                                       problem[1])
        token = uuid.uuid4().hex
        session = base.session if base is not None and base.session is not None \
            else PgSession(self.pg)

        def work(con: Any, answered: Any) -> Any:
            if plan is not None:
                from layers.store.pgdelta import save_plan

                if save_plan(con, answered, project, self.pg, base, plan, token) is not None:
                    return base
                con.rollback()  # the schema lost its project: write it whole
            with con.transaction(), con.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                            (f"precinct:{self.pg.schema}",))
                answered.yes = True
                return self._save(cur, project, overwrite, token)

        try:
            new = session.run(work)
        except ProjectFileError:
            raise
        except psycopg.Error as exc:
            raise ProjectFileError(
                T(f"the database refused the save ({mask(str(exc)).splitlines()[0][:300]})",
                  f"数据库拒绝保存（{mask(str(exc)).splitlines()[0][:300]}）"), str(self.pg),
                T("nothing was changed; check you may create tables in this schema, then "
                  "save again", "未作任何更改；请确认有权在该模式中建表，然后重新保存")) from None
        new.session = session
        old = getattr(project.file_stamp, "base", None)
        if old is not None and old is not new:
            old.forget()
            if old.session is not None and old.session is not session:
                old.session.close()
        return PgStamp(token, new)

    def _save(self, cur: Any, project: Project, overwrite: bool, token: str) -> Any:
        """Save the whole project in the open transaction (the schema's lock taken);
        return the project's new base (:mod:`.pgrevs`)."""
        from layers.store.pgnotify import notify

        schema = self.pg.schema
        cur.execute(sql_text("CREATE SCHEMA IF NOT EXISTS {}", ident(schema)))
        tables = project_tables(cur, schema)
        old_layers: list[str] = []
        if "precinct_project" in tables:
            cur.execute(sql_text("SELECT key, value FROM {}", ident(schema, "precinct_project")))
            meta = dict(cur.fetchall())
            row = (meta["save_token"],) if "save_token" in meta else None
            expected = _expected_token(project, self.pg)
            if not overwrite and expected is not None and (row is None or row[0] != expected):
                raise ProjectChangedOnDisk(
                    T("another planner saved this project on the server since you opened it",
                      "打开后已有其他规划师在服务器上保存了该项目"), str(self.pg),
                    T("reload it, overwrite it, or save as another schema",
                      "请重新载入、覆盖保存，或另存为其他模式"))
            if "precinct_layers" in tables:
                cur.execute(sql_text("SELECT table_name FROM {}",
                                     ident(schema, "precinct_layers")))
                old_layers = [r[0] for r in cur.fetchall() if r[0] in tables]
        elif tables:
            raise ProjectFileError(
                T(f"the schema {schema!r} already holds tables that are not a Precinct "
                  "Planner project", f"模式 {schema!r} 中已有不属于片区规划项目的表"),
                str(self.pg), T("choose a new schema name for the project",
                                "请为项目另选一个新的模式名"))
        for table in dict.fromkeys(old_layers + [t for t in OWN_TABLES if t in tables]):
            cur.execute(sql_text("DROP TABLE {} CASCADE", ident(schema, table)))
        from layers.store.pgstyles import write_styles
        from layers.store.pgwrite import write_project

        written = write_project(cur, project, schema, token)
        write_styles(cur, project, schema, written)
        notify(cur, schema, token, {layer.name: -1 for layer in project.layers})
        return _full_base(cur, project, schema, token)


def _base(project: Project, pg: PgLocation) -> Any:
    stamp = project.file_stamp
    if isinstance(project.path, PgLocation) and project.path == pg and isinstance(stamp, PgStamp):
        return stamp.base
    return None


def _full_base(cur: Any, project: Project, schema: str, token: str) -> Any:
    """The base of a project just written whole: every table's revisions."""
    from layers.store.pgdelta import new_base

    cur.execute(sql_text("SELECT id, table_name FROM {} WHERE layer_type IN ('vector', 'table')",
                         ident(schema, "precinct_layers")))
    tables = {}
    for layer_id, table in cur.fetchall():
        cur.execute(sql_text("SELECT fid, pp_rev FROM {}", ident(schema, table)))
        revs = dict(cur.fetchall())
        cur.execute("SELECT f_geometry_column FROM geometry_columns "
                    "WHERE f_table_schema = %s AND f_table_name = %s", (schema, table))
        geom = cur.fetchone()
        tables[layer_id] = (table, geom[0] if geom else None, revs)
    return new_base(project, token, tables)


def _expected_token(project: Project, pg: PgLocation) -> str | None:
    stamp = project.file_stamp
    if not isinstance(project.path, PgLocation) or not isinstance(stamp, PgStamp):
        return None
    return stamp.token if project.path == pg else None


# --- column types -------------------------------------------------------------------
def sql_type(dtype: str) -> str:
    if dtype in _SQL_TYPES:
        return _SQL_TYPES[dtype]
    if dtype.startswith("datetime64"):
        return "timestamptz" if "," in dtype else "timestamp"
    if dtype.startswith("timedelta64"):
        return "interval"
    return "text"


def check_column_names(names: list[str], where: str) -> None:
    for name in names:
        if len(name.encode()) > MAX_IDENTIFIER_BYTES or "\x00" in name:
            raise ProjectFileError(
                T(f"the column name {name[:20]!r}… is longer than PostgreSQL allows "
                  f"({MAX_IDENTIFIER_BYTES} bytes)",
                  f"列名 {name[:20]!r}… 超过 PostgreSQL 允许的长度（{MAX_IDENTIFIER_BYTES} 字节）"),
                where, T("rename the column (Layer → Attributes) and save again",
                         "请重命名该列后重新保存"))


def geometry_type(layer: VectorLayer) -> str:
    types = set(layer.gdf.geometry.geom_type.dropna().unique())
    if len(types) == 1 and next(iter(types)) in _GEOMETRY_TYPES:
        return next(iter(types))
    return "Geometry"


def copy_values(series: pd.Series) -> list[Any]:
    """A column's values as COPY writes them: None for missing, Python scalars."""
    dtype = str(series.dtype)
    if dtype.startswith("datetime64"):
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if dtype.startswith("timedelta64"):
        return [None if pd.isna(v) else v.to_pytimedelta() for v in series]
    plain = isinstance(series.dtype, np.dtype)
    if plain and series.dtype.kind == "f":
        return series.to_numpy(dtype=float).tolist()
    if plain and series.dtype.kind in "iub":
        return series.tolist()
    values = series.astype(object)
    missing = pd.isna(values).to_numpy() if len(values) else np.zeros(0, bool)
    out = values.tolist()
    if sql_type(dtype) == "text":
        return [None if m else (v if isinstance(v, str) else str(v))
                for v, m in zip(out, missing)]
    return [None if m else (v.item() if hasattr(v, "item") else v)
            for v, m in zip(out, missing)]


def ewkb_hex(geoms: Any, srid: int) -> list[Any]:
    arr = np.asarray(geoms, dtype=object)
    arr = shapely.set_srid(arr, srid)
    return shapely.to_wkb(arr, hex=True, include_srid=True).tolist()
