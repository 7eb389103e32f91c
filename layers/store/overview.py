"""The picture a project opens with: the map as last seen, kept in the project on save.

When the window saves, it hands the store the canvas's last finished image as PNG bytes and
the view it shows (:class:`Overview`, set as ``project.save_overview`` for that one save; the
store never makes pictures itself and imports no GUI toolkit). The GeoPackage store writes it
in its own table ``precinct_overview`` inside the same atomic save; a save without one (the
command line, an autosave) writes none, so an older picture never outlives the data it showed.

:func:`read_preview` reads, with plain SQLite and without opening a layer, what a window
shows at once while the project loads: its title, CRS, the stored extents of its layers
(``gpkg_contents``) and the overview. It never raises: a file it cannot read has no preview,
and the real load then says what is wrong.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE = "precinct_overview"
#: the stored layer kinds that have an extent of their own in gpkg_contents
_EXTENT_TYPES = ("features", "tiles", "2d-gridded-coverage")


@dataclass(frozen=True)
class Overview:
    """A finished map image and the view it shows: centre (world metres), metres per
    logical pixel, logical size, device pixel ratio (image pixels per logical pixel), CRS."""

    png: bytes
    centre: tuple[float, float]
    mpp: float
    width: int
    height: int
    ratio: float
    crs: str

    def extent(self) -> tuple[float, float, float, float]:
        (cx, cy), hw, hh = self.centre, self.width / 2 * self.mpp, self.height / 2 * self.mpp
        return cx - hw, cy - hh, cx + hw, cy + hh


@dataclass(frozen=True)
class Preview:
    """What is known of a stored project before its layers are read."""

    metadata: dict
    crs: str
    extent: tuple[float, float, float, float] | None  # the union of the stored layers'
    overview: Overview | None


def write_overview(con: sqlite3.Connection, overview: Overview | None) -> None:
    """(Re)write the overview table in an open GeoPackage (none: the table is dropped)."""
    con.execute(f"DROP TABLE IF EXISTS {TABLE}")
    if overview is None:
        return
    con.execute(f"CREATE TABLE {TABLE} (png BLOB NOT NULL, view TEXT NOT NULL)")
    view = {"cx": overview.centre[0], "cy": overview.centre[1], "mpp": overview.mpp,
            "width": overview.width, "height": overview.height, "ratio": overview.ratio,
            "crs": overview.crs}
    con.execute(f"INSERT INTO {TABLE} VALUES (?, ?)", (sqlite3.Binary(overview.png), json.dumps(view)))


def _overview(con: sqlite3.Connection) -> Overview | None:
    row = con.execute(f"SELECT png, view FROM {TABLE} LIMIT 1").fetchone()
    if row is None or not row[0]:
        return None
    view = json.loads(row[1])
    return Overview(bytes(row[0]), (float(view["cx"]), float(view["cy"])), float(view["mpp"]),
                    int(view["width"]), int(view["height"]), float(view.get("ratio", 1.0)),
                    str(view.get("crs", "")))


def _extent(con: sqlite3.Connection, tables: set[str]) -> tuple[float, float, float, float] | None:
    if "precinct_layers" not in tables:
        return None
    names = [r[0] for r in con.execute("SELECT table_name FROM precinct_layers WHERE visible")]
    marks = ", ".join("?" * len(_EXTENT_TYPES))
    boxes = [row for row in con.execute(
        f"SELECT table_name, min_x, min_y, max_x, max_y FROM gpkg_contents "
        f"WHERE data_type IN ({marks})", _EXTENT_TYPES)
        if row[0] in names and None not in row[1:] and row[1] <= row[3] and row[2] <= row[4]]
    if not boxes:
        return None
    return (min(b[1] for b in boxes), min(b[2] for b in boxes),
            max(b[3] for b in boxes), max(b[4] for b in boxes))


def read_preview(path: Any) -> Preview | None:
    """Title, CRS, stored extent and overview of the project file at ``path`` (a few ms:
    SQLite only); None when it is not a readable Precinct Planner GeoPackage."""
    try:
        uri = f"{Path(path).absolute().as_uri()}?mode=ro"
        con = sqlite3.connect(uri, uri=True)
    except (OSError, ValueError, TypeError, sqlite3.Error):
        return None
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"precinct_project", "gpkg_contents"} <= tables:
            return None
        meta = dict(con.execute("SELECT key, value FROM precinct_project"))
        if meta.get("recovery") == "1":
            return None  # a recovery file: the person is told about it, no picture
        metadata = json.loads(meta.get("metadata") or "{}")
        overview = _overview(con) if TABLE in tables else None
        return Preview(metadata if isinstance(metadata, dict) else {}, str(meta.get("crs", "")),
                       _extent(con, tables), overview)
    except (sqlite3.Error, ValueError, TypeError, KeyError):
        return None
    finally:
        con.close()
