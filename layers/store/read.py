"""Reading a project file: one consistent version, and hostile content refused clearly.

The file is held open for the whole read and its stamp (see :mod:`.guard`) compared
before and after; when a save replaced it meanwhile, the read starts again. The first
tries take no lock, so readers never hold up a save; the last ones share-lock the file,
so a reader gets through even while another process saves again and again. Every table
the file names is checked against what the file really registers, every JSON text is
parsed with its errors caught: a damaged or hostile file gives one clear
:class:`ProjectFileError`, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layers.errors import ProjectError, ProjectFileError, T
from layers.layer import Layer, TableLayer, VectorLayer
from layers.store import schemetable
from layers.store.guard import FileStamp, held, stamp_of
from layers.store.limits import STORE_TABLES, fold, is_reserved_table, layer_name_problem, shown
from layers.store.problems import (
    HEADER_BYTES,
    check_header,
    check_path,
    damaged,
    one_line,
    unreadable,
)
from layers.store.rasters import RASTER_TABLE_TYPES, read_geotiff_blob, read_gpkg_raster
from layers.store.tables import read_rows, read_vector

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

FORMAT = "precinct-planner"
#: 1: rasters as GeoTIFF blobs; 2: rasters as GeoPackage rasters, basemap tile layers,
#: precinct_layers.source (both read)
FORMAT_VERSION = 2
UNLOCKED_ATTEMPTS = 3
LOCKED_ATTEMPTS = 3
RECOVERY_SUFFIX = ".recovery.gpkg"
_RESTORE = T("restore it from a backup or from its recovery file (.recovery.gpkg)",
             "请从备份或恢复文件（.recovery.gpkg）还原")
_RECOVERY_ID = re.compile(r"[0-9a-f]{8,32}")


@dataclass
class RawProject:
    """The store's own tables, read with sqlite in one go."""

    meta: dict[Any, Any]
    layer_rows: list[tuple]
    rasters: dict[Any, Any]
    registered: dict[str, str]  # table name -> gpkg_contents data_type, for real tables
    schemes: list[tuple] = field(default_factory=list)  # precinct_schemes rows


class _Bad(ValueError):
    """Content of the file that cannot be right (told to the person as 'damaged')."""


def read_project(path: Path) -> Project:
    """Open the project at ``path`` in one consistent version (or the layers of another
    program's GeoPackage, to import)."""
    check_path(path)
    attempts = UNLOCKED_ATTEMPTS + LOCKED_ATTEMPTS
    for attempt in range(attempts):
        project = _attempt_read(path, lock=attempt >= UNLOCKED_ATTEMPTS)
        if project is not None:
            return project
    raise ProjectFileError(
        T(f"the project file kept changing while it was read ({attempts} tries)",
          f"读取期间项目文件一直在变化（已尝试 {attempts} 次）"), str(path),
        T("wait until the other program has finished saving, then open it again",
          "请等待其他程序保存完毕后再打开"))


def _unchanged(fd: int, path: Path, before: FileStamp) -> bool:
    return FileStamp.of(os.fstat(fd)) == before and stamp_of(path) == before


def _header(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, HEADER_BYTES)


def _attempt_read(path: Path, lock: bool) -> Project | None:
    """The project, or None when the file changed under the read (try again)."""
    try:
        with held(path, lock=lock) as fd:
            if fd is None:
                check_path(path)
                return None
            before = FileStamp.of(os.fstat(fd))
            check_header(path, _header(fd), before.size)
            try:
                project = _read_version(path, before)
            except ProjectFileError:
                if _unchanged(fd, path, before):
                    raise
                return None
            return project if _unchanged(fd, path, before) else None
    except OSError as exc:
        raise unreadable(path, exc) from exc


def _read_version(path: Path, stamp: FileStamp) -> Project:
    raw = read_tables(path)
    if raw is None:
        from layers.store.foreign import open_foreign

        return open_foreign(path)
    return build_project(path, raw, stamp)


def read_tables(path: Path) -> RawProject | None:
    """The store's tables; None for a GeoPackage that is not a Precinct Planner project."""
    try:
        con = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:  # pragma: no cover - connect is lazy in sqlite
        raise damaged(path, exc) from exc
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "gpkg_contents" not in tables:
            raise ProjectFileError(
                T("this SQLite database is not a GeoPackage (it has no gpkg_contents table)",
                  "该 SQLite 数据库不是 GeoPackage（缺少 gpkg_contents 表）"), str(path),
                T("open a .gpkg project, or import the data from its own format",
                  "请打开 .gpkg 项目文件，或按原格式导入数据"))
        if "precinct_project" not in tables:
            return None
        meta = dict(con.execute("SELECT key, value FROM precinct_project"))
        columns = {r[1] for r in con.execute("PRAGMA table_info(precinct_layers)")}
        source = "source" if "source" in columns else "NULL"  # format 1 has no source column
        layer_rows = con.execute(
            "SELECT position, id, name, kind, layer_type, table_name, style, visible, "
            f"opacity, dtypes, {source} FROM precinct_layers ORDER BY position").fetchall()
        rasters = (dict(con.execute("SELECT table_name, geotiff FROM precinct_rasters"))
                   if "precinct_rasters" in tables else {})
        registered = {str(t): str(d) for t, d in con.execute(
            "SELECT table_name, data_type FROM gpkg_contents") if t in tables}
        schemes = schemetable.read_gpkg(con, tables)
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from exc
    finally:
        con.close()
    return RawProject(meta, layer_rows, rasters, registered, schemes)


# --- the project table --------------------------------------------------------------
def _format_version(meta: dict, path: Path) -> int:
    if meta.get("format") != FORMAT:
        raise ProjectFileError(T("the file's project table is not Precinct Planner's",
                                 "文件中的项目表不属于片区规划"), str(path),
                               T("open a project saved by Precinct Planner, or import the data",
                                 "请打开片区规划保存的项目，或导入其中的数据"))
    value = meta.get("format_version", "0")
    try:
        version = int(str(value).strip())
    except ValueError:
        raise ProjectFileError(
            T(f"the file's format version {shown(value)!r} is not a number",
              f"文件的格式版本 {shown(value)!r} 不是数字"),
            f"{path}, precinct_project.format_version", _RESTORE) from None
    if version > FORMAT_VERSION:
        raise ProjectFileError(
            T(f"the project was saved by a newer Precinct Planner (format {version})",
              f"该项目由更新版本的片区规划保存（格式版本 {version}）"),
            str(path), T("update Precinct Planner to open it", "请升级片区规划后再打开"))
    return version


def _json_object(meta: dict, key: str, path: Path) -> dict:
    """``meta[key]`` parsed as a JSON object (the project's metadata or settings)."""
    text = meta.get(key) or "{}"
    where = f"{path}, precinct_project.{key}"
    try:
        if not isinstance(text, (str, bytes)):
            raise _Bad(f"a {type(text).__name__} instead of text")
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProjectFileError(T(f"the project's {key} cannot be read ({one_line(exc)})",
                                 f"无法读取项目的 {key}（{one_line(exc)}）"), where, _RESTORE) from None
    if not isinstance(value, dict):
        raise ProjectFileError(
            T(f"the project's {key} are a {type(value).__name__}, not a set of named values",
              f"项目的 {key} 是 {type(value).__name__}，不是键值对"), where, _RESTORE)
    return value


def _new_project(path: Path, meta: dict) -> Project:
    from layers.project import Project

    metadata = _json_object(meta, "metadata", path)
    settings = _json_object(meta, "settings", path)
    crs = meta.get("crs")
    if not isinstance(crs, str) or not crs.strip():
        raise damaged(path, "no coordinate reference system", "precinct_project.crs")
    try:
        return Project(crs=crs, metadata=metadata, settings=settings)
    except ProjectError as exc:
        raise ProjectFileError(exc.what, f"{path}, precinct_project.crs", _RESTORE) from None


def build_project(path: Path, raw: RawProject, stamp: FileStamp | None = None) -> Project:
    """A Project from the store's tables (layer data read from ``path``)."""
    _format_version(raw.meta, path)
    project = _new_project(path, raw.meta)
    for row in raw.layer_rows:
        layer = read_layer(path, row, raw)
        try:
            project.add_layer(layer)
        except ProjectError as exc:
            raise ProjectFileError(exc.what, f"{path}, layer {shown(layer.name)!r}",
                                   _RESTORE) from None
    project.schemes = read_schemes(path, raw.schemes)
    _set_origin(project, path, raw.meta, stamp)
    project.undo.set_clean()
    return project


def read_schemes(path: Any, rows: list[tuple]) -> list:
    """The project's saved schemes; a damaged row is a ProjectFileError naming it."""
    out = []
    for row in rows:
        try:
            out.append(schemetable.scheme_from_row(tuple(row)))
        except (ValueError, TypeError) as exc:
            raise damaged(path, exc, where=schemetable.TABLE) from None
    return out


def _set_origin(project: Project, path: Path, meta: dict, stamp: FileStamp | None) -> None:
    """Where saving goes: the file itself, or for a recovery file, the project it recovers
    (None when that project was never saved) — never the recovery file."""
    is_recovery = (meta.get("recovery") == "1" or "recovery_of" in meta
                   or path.name.endswith(RECOVERY_SUFFIX))
    if not is_recovery:
        project.path, project.file_stamp = path, stamp
        return
    original = meta.get("recovery_of")
    if isinstance(original, str) and original.strip():
        from layers.store import location_of

        project.path = location_of(original)  # a file, or a project on a database server
    else:
        project.path = None
    project.file_stamp = (FileStamp.from_text(meta.get("recovery_of_stamp"))
                          if project.path is not None else None)
    project.metadata["opened_from_recovery"] = str(path)
    recovery_id = meta.get("recovery_id")
    if isinstance(recovery_id, str) and _RECOVERY_ID.fullmatch(recovery_id):
        project.recovery_id = recovery_id


# --- one layer ------------------------------------------------------------------------
_DTYPE = re.compile(r"str|string|object|bool|boolean|category|U?[Ii]nt(8|16|32|64)|u?int(8|16|32|64)"
                    r"|[Ff]loat(32|64)|(datetime|timedelta)64\[(ns|us|ms|s)(, [\w/+\-:]+)?\]")


def _dtypes(text: Any) -> list[list[str]]:
    value = json.loads(text or "[]")
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in value):
        raise _Bad("its column types are not a list of (name, type) pairs")
    return [[name, dtype if _DTYPE.fullmatch(dtype) else ""] for name, dtype in value]


def _check_table(table: Any, layer_type: str, registered: dict[str, str]) -> str:
    want = "features" if layer_type == "vector" else "attributes"
    if (not isinstance(table, str) or registered.get(table) != want
            or fold(table) in STORE_TABLES or is_reserved_table(table)):
        raise _Bad(f"its table {shown(table)!r} is not one of the file's {want} tables")
    return table


def _common(layer_id: Any, style: Any, visible: Any, opacity: Any) -> dict:
    style_value = json.loads(style or "{}")
    if not isinstance(style_value, dict):
        raise _Bad("its style is not a set of named values")
    if not isinstance(visible, (int, float)) or not isinstance(opacity, (int, float)):
        raise _Bad("its visibility or opacity is not a number")
    if layer_id is not None and not isinstance(layer_id, str):
        raise _Bad("its id is not text")
    return dict(style=style_value, visible=bool(visible), opacity=float(opacity),
                layer_id=layer_id or None)


def _source(text: Any) -> Any:
    if text is None:
        return None
    if not isinstance(text, str):
        raise _Bad("its source description is not text")
    return json.loads(text)


def _raster(path: Path, name: str, kind: str, table: Any, source: Any, raw: RawProject,
            common: dict) -> Layer:
    """A raster layer from its GeoPackage raster table, or from the GeoTIFF bytes of a
    format 1 file (or of a raster a GeoPackage raster cannot hold)."""
    blob = raw.rasters.get(table)
    if isinstance(blob, bytes):
        return read_geotiff_blob(name, kind, blob, common)
    if (not isinstance(table, str) or raw.registered.get(table) not in RASTER_TABLE_TYPES
            or is_reserved_table(table)):
        raise _Bad(f"its raster {shown(table)!r} is missing")
    return read_gpkg_raster(path, table, _source(source), name, kind, common)


def unpack_layer_row(row: tuple, where: str) -> tuple:
    """A precinct_layers row (GeoPackage or PostGIS) as ``(id, name, kind, layer_type, table,
    dtypes, source, common)``, ``common`` the keyword arguments every layer takes; a name the
    project could not have saved is refused."""
    (_pos, layer_id, name, kind, layer_type, table, style, visible, opacity, dtypes, source) = row
    problem = layer_name_problem(name)
    if problem is not None:
        raise ProjectFileError(problem, where, _RESTORE)
    return (layer_id, name, kind, layer_type, table, dtypes, source,
            _common(layer_id, style, visible, opacity))


def read_layer(path: Path, row: tuple, raw: RawProject) -> Layer:
    """One row of precinct_layers as a layer; anything wrong is a ProjectFileError."""
    name = row[2] if len(row) > 2 else None
    where = f"{path}, layer {shown(name)!r}"
    try:
        layer_id, name, kind, layer_type, table, dtypes, source, common = unpack_layer_row(row, where)
        if layer_type == "raster":
            return _raster(path, name, kind, table, source, raw, common)
        if layer_type == "tiles":
            from layers.tiles import TileLayer

            return TileLayer.from_saved(name, kind, _source(source), path, **common)
        if layer_type not in ("vector", "table"):
            raise _Bad(f"layer type {shown(layer_type)!r} is unknown")
        table = _check_table(table, layer_type, raw.registered)
        if layer_type == "table":
            return TableLayer(name, kind, read_rows(path, table, _dtypes(dtypes)), **common)
        return VectorLayer(name, kind, read_vector(path, table, _dtypes(dtypes)), **common)
    except ProjectFileError:
        raise
    except ProjectError as exc:
        raise ProjectFileError(exc.what, where, exc.fix or _RESTORE) from None
    except MemoryError:
        raise
    except Exception as exc:  # whatever GDAL, rasterio or pandas make of hostile content
        raise damaged(path, exc, where=f"layer {shown(name)!r}") from exc
