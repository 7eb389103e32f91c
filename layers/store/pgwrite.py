"""Writing a project's tables into its PostgreSQL schema (inside the save's transaction).

Rows go in with ``COPY … FROM STDIN``; geometries as hex EWKB made by shapely, with the
project's EPSG code as SRID (0 when the CRS has none; the CRS itself is kept in
``precinct_project``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layers.layer import RasterLayer, TableLayer, VectorLayer
from layers.store import schemetable
from layers.store.gpkg import _table_name, project_meta
from layers.store.pgrevs import BUMP_FUNCTION, REV_COLUMN, SEQUENCE
from layers.store.postgis import (
    GEOMETRY_COLUMN,
    check_column_names,
    copy_values,
    ewkb_hex,
    geometry_type,
    ident,
    sql_text,
    sql_type,
)
from layers.store.rasters import geotiff_bytes

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

LAYER_COLUMNS = ("position", "id", "name", "kind", "layer_type", "table_name", "style",
                 "visible", "opacity", "dtypes", "source")


@dataclass(frozen=True)
class Written:
    """A vector layer's table, for its QGIS style row."""

    layer: VectorLayer
    table: str
    geometry_column: str


def srid_of(project: Project) -> int:
    epsg = project.crs.to_epsg()
    return int(epsg) if epsg else 0


def create_revisions(cur: Any, schema: str) -> None:
    """The schema's revision sequence and the trigger function that bumps ``pp_rev``."""
    cur.execute(sql_text("CREATE SEQUENCE IF NOT EXISTS {}", ident(schema, SEQUENCE)))
    cur.execute(sql_text(
        "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "NEW.pp_rev := nextval(format('%I.%I', TG_TABLE_SCHEMA, 'precinct_rev')); "
        "RETURN NEW; END $$", ident(schema, BUMP_FUNCTION)))


def sequence_name(schema: str) -> str:
    """The revision sequence as text for ``nextval``'s regclass (quoted identifier)."""
    return '"' + schema.replace('"', '""') + '".' + SEQUENCE


def write_project(cur: Any, project: Project, schema: str, token: str) -> list[Written]:
    srid = srid_of(project)
    create_revisions(cur, schema)
    rows: list[tuple] = []
    rasters: list[tuple[str, bytes]] = []
    written: list[Written] = []
    used: set[str] = set()
    for position, layer in enumerate(project.layers):
        table = _table_name(layer.name, used, position)
        used.add(table)
        source: Any = None
        where = f"layer {layer.name!r}"
        if isinstance(layer, TableLayer):  # (a TableLayer is a VectorLayer without geometry)
            dtypes = write_rows(cur, schema, table, layer.df, where)
        elif isinstance(layer, VectorLayer):
            dtypes, geom = write_vector(cur, schema, table, layer, srid, where)
            written.append(Written(layer, table, geom))
        elif isinstance(layer, RasterLayer):
            dtypes, source = [], {"storage": "geotiff", "bands": int(layer.array.shape[0]),
                                  "dtype": str(layer.array.dtype)}
            rasters.append((table, geotiff_bytes(layer)))
        elif layer.layer_type == "tiles":
            info = layer.saved_source(layer.path)
            dtypes, source = [], {**info, "path": info["absolute"]}
        else:
            raise TypeError(f"a {type(layer).__name__} cannot be saved")
        rows.append((position, layer.id, layer.name, layer.kind, layer.layer_type, table,
                     json.dumps(layer.style, ensure_ascii=False), int(layer.visible),
                     float(layer.opacity), json.dumps(dtypes),
                     json.dumps(source, ensure_ascii=False) if source is not None else None))
    _write_meta(cur, project, schema, token, rows)
    if rasters:
        cur.execute(sql_text("CREATE TABLE {} (table_name text PRIMARY KEY, geotiff bytea)",
                             ident(schema, "precinct_rasters")))
        cur.executemany(sql_text("INSERT INTO {} VALUES (%s, %s)",
                                 ident(schema, "precinct_rasters")), rasters)
    if project.schemes:
        schemetable.write_pg(cur, schema, project.schemes)
    return written


def _write_meta(cur: Any, project: Project, schema: str, token: str, rows: list[tuple]) -> None:
    meta = {**project_meta(project), "save_token": token, "layers_token": token}
    cur.execute(sql_text("CREATE TABLE {} (key text PRIMARY KEY, value text)",
                         ident(schema, "precinct_project")))
    cur.executemany(sql_text("INSERT INTO {} VALUES (%s, %s)", ident(schema, "precinct_project")),
                    list(meta.items()))
    cur.execute(sql_text(
        "CREATE TABLE {} (position integer PRIMARY KEY, id text, name text NOT NULL, kind text, "
        "layer_type text NOT NULL, table_name text, style text, visible integer, "
        "opacity double precision, dtypes text, source text)", ident(schema, "precinct_layers")))
    cur.executemany(sql_text("INSERT INTO {} VALUES ({})", ident(schema, "precinct_layers"),
                             sql_text(", ".join(["%s"] * len(LAYER_COLUMNS)))), rows)


def _create(cur: Any, schema: str, table: str, columns: list[tuple[str, str]]) -> None:
    from psycopg import sql

    parts = [sql.SQL("fid bigint PRIMARY KEY")] + [
        sql.SQL("{} {}").format(ident(name), sql.SQL(kind)) for name, kind in columns]
    parts.append(sql.SQL("{} bigint NOT NULL DEFAULT nextval({})").format(
        ident(REV_COLUMN), sql.Literal(sequence_name(schema))))
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(ident(schema, table),
                                                      sql.SQL(", ").join(parts)))
    cur.execute(sql.SQL("CREATE TRIGGER precinct_rev BEFORE UPDATE ON {} FOR EACH ROW "
                        "EXECUTE FUNCTION {}()").format(ident(schema, table),
                                                        ident(schema, BUMP_FUNCTION)))


def _copy(cur: Any, schema: str, table: str, names: list[str], columns: list[list[Any]]) -> None:
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        ident(schema, table), sql.SQL(", ").join(ident(n) for n in names))
    with cur.copy(statement) as copy:
        for row in zip(*columns):
            copy.write_row(row)


def write_rows(cur: Any, schema: str, table: str, df: Any, where: str) -> list[list[str]]:
    names = [str(c) for c in df.columns]
    check_column_names(names, where)
    dtypes = [[str(c), str(df[c].dtype)] for c in df.columns]
    _create(cur, schema, table, [(n, sql_type(d)) for n, d in dtypes])
    columns = [[int(i) for i in df.index]] + [copy_values(df[c]) for c in df.columns]
    _copy(cur, schema, table, ["fid", *names], columns)
    return dtypes


def write_vector(cur: Any, schema: str, table: str, layer: VectorLayer, srid: int,
                 where: str) -> tuple[list[list[str]], str]:
    gdf = layer.gdf
    attributes = [c for c in gdf.columns if c != gdf.geometry.name]
    names = [str(c) for c in attributes]
    check_column_names(names, where)
    dtypes = [[str(c), str(gdf[c].dtype)] for c in attributes]
    geom = geometry_column_for(names)
    columns = [(n, sql_type(d)) for n, d in dtypes]
    columns.append((geom, f"geometry({geometry_type(layer)}, {srid})"))
    _create(cur, schema, table, columns)
    values = [[int(i) for i in gdf.index]] + [copy_values(gdf[c]) for c in attributes]
    values.append(ewkb_hex(gdf.geometry.values, srid))
    _copy(cur, schema, table, ["fid", *names, geom], values)
    cur.execute(sql_text("CREATE INDEX {} ON {} USING GIST ({})",
                         ident(f"{table}_{geom}_idx"[:63]), ident(schema, table), ident(geom)))
    return dtypes, geom


def geometry_column_for(names: list[str]) -> str:
    """``geom`` (what QGIS and ogr2ogr use) unless an attribute is called so."""
    taken = {n.lower() for n in names} | {"fid", REV_COLUMN}
    candidate, n = GEOMETRY_COLUMN, 2
    while candidate in taken:
        candidate, n = f"{GEOMETRY_COLUMN}_{n}", n + 1
    return candidate
