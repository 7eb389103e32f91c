"""Scheme versions kept inside the project: the ``precinct_schemes`` table.

A scheme (方案) is a named snapshot of the project's vector and table layers, settings
and metadata (see :mod:`layers.schemes`). The store keeps each as one row — name, time,
author, note, the names of its layers and the snapshot itself: the layers written as a
Precinct Planner GeoPackage (the store's own format, so it comes back exactly as it was
saved: fids, column types, styles) and compressed with zlib. One row per scheme keeps
QGIS's layer list free of scheme copies and holds in the GeoPackage and in a PostGIS
schema alike (a BLOB / ``bytea`` column).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

TABLE = "precinct_schemes"
COLUMNS = ("name", "created", "author", "note", "origin", "layers", "payload")


@dataclass(frozen=True)
class Scheme:
    """One saved scheme: who saved it when, and its compressed snapshot."""

    name: str
    created: str  # ISO 8601, UTC
    author: str
    note: str
    origin: str  # "saved" by a person, or "auto" (kept before a restore)
    layers: tuple[str, ...]
    payload: bytes = field(repr=False)

    def row(self) -> tuple:
        return (self.name, self.created, self.author, self.note, self.origin,
                json.dumps(list(self.layers), ensure_ascii=False), self.payload)


def scheme_from_row(row: tuple) -> Scheme:
    """A stored row back to a Scheme; ValueError when it cannot be one."""
    name, created, author, note, origin, layers, payload = row
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a scheme without a name")
    if isinstance(payload, memoryview):
        payload = payload.tobytes()
    if not isinstance(payload, bytes):
        raise ValueError(f"scheme {name!r} has no snapshot")
    names = json.loads(layers or "[]")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"scheme {name!r}: its layer list is not a list of names")
    return Scheme(name, str(created or ""), str(author or ""), str(note or ""),
                  str(origin or "saved"), tuple(names), payload)


def write_gpkg(tmp: Any, schemes: list[Scheme]) -> None:
    """Add the schemes table to the GeoPackage being written (an attribute table)."""
    con = sqlite3.connect(tmp)
    try:
        con.execute(f"CREATE TABLE {TABLE} (name TEXT PRIMARY KEY, created TEXT, author TEXT, "
                    "note TEXT, origin TEXT, layers TEXT, payload BLOB)")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                    f"VALUES ('{TABLE}', 'attributes', '{TABLE}')")
        con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [s.row() for s in schemes])
        con.commit()
    finally:
        con.close()


def read_gpkg(con: sqlite3.Connection, tables: set[str]) -> list[tuple]:
    """The stored rows (checked when the project is built)."""
    if TABLE not in tables:
        return []
    return con.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY created, rowid").fetchall()


def write_pg(cur: Any, schema: str, schemes: list[Scheme]) -> None:
    from layers.store.postgis import ident, sql_text

    cur.execute(sql_text("CREATE TABLE {} (name text PRIMARY KEY, created text, author text, "
                         "note text, origin text, layers text, payload bytea)",
                         ident(schema, TABLE)))
    cur.executemany(sql_text("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s)",
                             ident(schema, TABLE)), [s.row() for s in schemes])


def read_pg(cur: Any, schema: str, tables: set[str]) -> list[tuple]:
    from layers.store.postgis import ident, sql_text

    if TABLE not in tables:
        return []
    cur.execute(sql_text(f"SELECT {', '.join(COLUMNS)} FROM {{}} ORDER BY created, name",
                         ident(schema, TABLE)))
    return [tuple(r) for r in cur.fetchall()]
