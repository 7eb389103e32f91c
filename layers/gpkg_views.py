"""GeoPackage views that never finish (or take far too long) to read.

A view in a GeoPackage is SQL run at every read. ``WITH RECURSIVE r(n) AS (SELECT 1
UNION ALL SELECT n+1 FROM r) SELECT … FROM r`` has no end, and GDAL reading such a
layer (or counting its features) never returns. Before a view is read, it is probed
with Python's own ``sqlite3`` on a read-only connection: its rows are counted, every
column evaluated, under a step budget (``set_progress_handler``) and a row cap. A view
that does not finish in time, yields more rows than the cap, or cannot be prepared at
all (a view defined through itself) is reported with the reason, so the import and
the opening of another program's GeoPackage can skip it or refuse it in a sentence.

Used by :mod:`layers.importing.read` and :mod:`layers.store.foreign`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from layers.errors import ProjectError, T

PROBE_SECONDS = 3.0       # per view
PROBE_TOTAL_SECONDS = 10.0  # for all the views of one file
PROBE_ROWS = 10_000_000
_STEPS = 10_000  # SQLite virtual-machine steps between two looks at the clock


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(path: Path) -> sqlite3.Connection:
    """A read-only connection (nothing in the file can change, no journal is made)."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=1.0)


def view_names(path: str | Path) -> set[str]:
    """The views of a SQLite file (an empty set when it cannot be read as SQLite)."""
    try:
        con = _connect(Path(path))
        try:
            return {str(r[0]) for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
        finally:
            con.close()
    except (sqlite3.Error, OSError, ValueError):
        return set()


_UNCHECKED = T("not checked: the time for checking this file's views ran out",
               "未检查：检查该文件视图的时间已用完")


def _columns(con: sqlite3.Connection, view: str) -> list[str]:
    return [str(r[1]) for r in con.execute(f"PRAGMA table_xinfo({_ident(view)})")]


def probe_view(con: sqlite3.Connection, view: str, seconds: float = PROBE_SECONDS,
               rows: int = PROBE_ROWS) -> T | None:
    """Why reading ``view`` would not finish (in ``seconds``, within ``rows`` rows), or None.

    Every column is evaluated (``typeof``), not just the rows counted: a column can hide
    an endless subquery of its own."""
    deadline = time.monotonic() + seconds
    con.set_progress_handler(lambda: int(time.monotonic() > deadline), _STEPS)
    try:
        columns = _columns(con, view)
        force = " AND ".join(f"typeof({_ident(c)}) <> ''" for c in columns) or "1"
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {_ident(view)} WHERE {force} LIMIT ?)"
        (count,) = con.execute(sql, (rows + 1,)).fetchone()
    except sqlite3.OperationalError as exc:
        if time.monotonic() > deadline:
            return T(f"reading it did not finish within {seconds:g} s (a recursive or very slow view)",
                     f"读取未能在 {seconds:g} 秒内完成（递归视图或极慢的视图）")
        return T(f"SQLite cannot read it ({exc})", f"SQLite 无法读取（{exc}）")
    except sqlite3.Error as exc:
        return T(f"SQLite cannot read it ({exc})", f"SQLite 无法读取（{exc}）")
    finally:
        con.set_progress_handler(None, _STEPS)
    if count > rows:
        return T(f"it yields more than {rows:,} rows (a recursive view?)",
                 f"其行数超过 {rows:,}（可能是递归视图）")
    return None


def runaway_views(path: str | Path, names: Iterable[str] | None = None,
                  seconds: float = PROBE_SECONDS, total: float = PROBE_TOTAL_SECONDS) -> dict[str, T]:
    """``{view: why}`` for the views among ``names`` (default: every view) that cannot be
    read to the end. Tables are never probed: their rows are finite. Once ``total``
    seconds are spent, the views left are reported as not checked."""
    views = view_names(path)
    wanted = [n for n in (views if names is None else names) if n in views]
    if not wanted:
        return {}
    try:
        con = _connect(Path(path))
    except (sqlite3.Error, OSError, ValueError):
        return {}
    found: dict[str, T] = {}
    end = time.monotonic() + total
    try:
        for name in sorted(wanted):
            enough = end - time.monotonic() >= seconds  # else the total would be overrun
            why = probe_view(con, name, seconds) if enough else _UNCHECKED
            if why is not None:
                found[name] = why
    finally:
        con.close()
    return found


def skipped_note(view: str, why: T) -> T:
    return T(f"view '{view}' skipped: {why.en}", f"已跳过视图“{view}”：{why.zh}")


def refuse_view(path: Path, view: str, why: T) -> ProjectError:
    return ProjectError(
        T(f"the layer '{view}' of {path.name} is a view that cannot be read: {why.en}",
          f"{path.name} 中的图层“{view}”是无法读取的视图：{why.zh}"),
        f"{path} (layer {view})",
        T("choose another layer, or save the view as a table (with a row limit) in the program "
          "that made the file", "请选择其他图层，或在制作该文件的软件中将该视图另存为表（并限制行数）"))


def readable_layer(path: Path, layers: list[str], requested: str | None, notes: list[T],
                   spatial: set[str] | None = None) -> str:
    """The layer to read: ``requested`` (refused when it is a runaway view), else the first
    of ``layers``, or when that is a runaway view the first other layer with geometry (in
    ``spatial``) that is not one; each view passed over gets a note."""
    if requested is not None:
        bad = runaway_views(path, [requested])
        if requested in bad:
            raise refuse_view(path, requested, bad[requested])
        return requested
    views = view_names(path)
    passed: list[tuple[str, T]] = []
    for name in layers:
        if passed and spatial is not None and name not in spatial:
            continue  # a view is passed over only for a layer that can be imported
        why = runaway_views(path, [name]).get(name) if name in views else None
        if why is None:
            notes.extend(skipped_note(view, reason) for view, reason in passed)
            return name
        passed.append((name, why))
    raise refuse_view(path, *passed[0])


def readable_layer_in_zip(path: Path, member: str, layers: list[str], requested: str | None,
                          notes: list[T], spatial: set[str] | None = None) -> str:
    """:func:`readable_layer` for a GeoPackage inside a zip file (probed on a copy taken out
    of the archive, deleted afterwards)."""
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory(prefix="precinct-gpkg-") as folder:
        copy = Path(folder) / Path(member).name  # messages name the member
        with zipfile.ZipFile(path) as archive, archive.open(member) as src, open(copy, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        try:
            return readable_layer(copy, layers, requested, notes, spatial)
        except ProjectError as exc:
            raise ProjectError(exc.what, f"{path} ({member}, layer {requested or layers[0]})",
                               exc.fix) from None
