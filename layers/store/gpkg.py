"""A project as one GeoPackage: a GPKG table per layer plus our own tables.

Tables we add (registered in ``gpkg_contents`` as attribute tables, so the
file stays a valid GeoPackage that QGIS and ogrinfo open):

``precinct_project``  key/value: format, format_version, crs, metadata, settings
                      (and, in a recovery file, what it recovers)
``precinct_layers``   one row per layer: order, id, name, kind, type, table,
                      style (JSON), visibility, opacity, column dtypes, source (JSON: how a
                      raster is stored; where a basemap's tiles lie)
``precinct_rasters``  rasters a GeoPackage raster cannot hold exactly, as GeoTIFF bytes
                      (and, in format 1 files, every raster)
``precinct_schemes``  saved scheme versions, one row each (:mod:`.schemetable`)
``precinct_overview`` the map image the project opens with, and its view (:mod:`.overview`)

Raster layers are GeoPackage rasters (tile pyramids or gridded coverages, see
:mod:`.rasters`), so QGIS shows them; basemap tile layers are not copied, only their
path is kept (:class:`~layers.tiles.TileLayer`).

Reading lives in :mod:`.read`; what names and sizes the file can hold in :mod:`.limits`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyogrio

from layers.errors import ProjectFileError, T
from layers.layer import RasterLayer, TableLayer, VectorLayer
from layers.store import ProjectStore, schemetable
from layers.store.atomic import atomic_target, real_target
from layers.store.guard import CheckedReplace, FileStamp, check_unchanged
from layers.store.limits import RESERVED_TABLE_PREFIXES, identifier_for, layer_problems
from layers.store.problems import check_not_read_only, save_error
from layers.store.rasters import geotiff_bytes, write_raster
from layers.store.read import FORMAT, FORMAT_VERSION, read_project

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

# GeoPackage 1.2: read without warnings by older GDAL/QGIS as well as new ones
GPKG_OPTIONS = {"VERSION": "1.2"}
#: metadata keys that describe how this session opened the project, never saved
TRANSIENT_METADATA = ("opened_from_recovery", "opened_as_import")


class GpkgStore(ProjectStore):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    # --- saving -----------------------------------------------------------------
    def save(self, project: Project, overwrite: bool = False, *, recovery: bool = False,
             recovery_of: Path | None = None) -> FileStamp | None:
        """Write ``project`` atomically; return the new file's stamp.

        Refuses (ProjectFileError) a name not ending in .gpkg, a read-only file, a layer
        the file cannot hold, and — unless ``overwrite`` — a file another program saved
        since ``project`` was opened or saved (:class:`ProjectChangedOnDisk`).
        ``recovery``: write a recovery file of ``project`` (saved at ``recovery_of``).
        """
        if self.path.suffix.lower() != ".gpkg":
            raise ProjectFileError(
                T("a project file must end in .gpkg", "项目文件扩展名必须为 .gpkg"), str(self.path),
                T("choose a file name ending in .gpkg", "请选择以 .gpkg 结尾的文件名"))
        try:
            target = real_target(self.path)
            check_not_read_only(target, self.path)
            self._check_writable(project)
            expected = None if overwrite else _expected_stamp(project, target)
            check_unchanged(target, expected, str(self.path))
            replace = CheckedReplace(expected, str(self.path))
            with atomic_target(target, replace=replace) as tmp:
                self._write(project, tmp, _recovery_meta(project, recovery_of) if recovery else {})
            return replace.stamp
        except ProjectFileError:
            raise
        except Exception as exc:
            raise save_error(exc, self.path) from exc

    def _check_writable(self, project: Project) -> None:
        """The last check before anything is written: every layer fits the file."""
        for layer in project.layers:
            problem = layer_problems(layer)
            if problem is not None:
                raise ProjectFileError(problem[0], f"{self.path}, layer {layer.name!r}", problem[1])

    def _write(self, project: Project, tmp: Path, extra_meta: dict[str, str]) -> None:
        rows: list[tuple] = []
        rasters: list[tuple[str, bytes]] = []
        written: list[tuple[Any, str]] = []
        used: set[str] = set()
        identifiers: set[str] = set()
        for position, layer in enumerate(project.layers):
            table = _table_name(layer.name, used, position)
            used.add(table)
            try:
                dtypes, source = self._write_layer(
                    layer, tmp, table, identifier_for(layer.name, identifiers), rasters)
            except ProjectFileError:
                raise
            except Exception as exc:
                raise save_error(exc, self.path, layer.name) from exc
            written.append((layer, table))
            rows.append((position, layer.id, layer.name, layer.kind, layer.layer_type, table,
                         json.dumps(layer.style, ensure_ascii=False), int(layer.visible),
                         float(layer.opacity), json.dumps(dtypes),
                         json.dumps(source, ensure_ascii=False) if source is not None else None))
        meta = {**project_meta(project), **extra_meta}
        _write_table(tmp, "precinct_project",
                     pd.DataFrame({"key": list(meta), "value": list(meta.values())}))
        columns = ["position", "id", "name", "kind", "layer_type", "table_name", "style",
                   "visible", "opacity", "dtypes", "source"]
        _write_table(tmp, "precinct_layers", pd.DataFrame(rows, columns=columns))
        if rasters:
            _write_rasters(tmp, rasters)
        if project.schemes:
            schemetable.write_gpkg(tmp, project.schemes)
        if not extra_meta:  # a recovery file is the app's alone
            _qgis_styles(project, tmp, written)
            _write_overview(tmp, getattr(project, "save_overview", None))
        _hide_internal_tables(tmp)

    def _write_layer(self, layer: Any, tmp: Path, table: str, identifier: str,
                     rasters: list[tuple[str, bytes]]) -> tuple[list[list[str]], dict | None]:
        """Write one layer's table; its column types and its source description."""
        if isinstance(layer, TableLayer):
            return _write_rows(layer, tmp, table, identifier), None
        if isinstance(layer, VectorLayer):
            return _write_vector(layer, tmp, table, identifier), None
        if isinstance(layer, RasterLayer):
            info = _write_raster(layer, tmp, table, identifier)
            if info["storage"] == "geotiff":
                rasters.append((table, _raster_bytes(layer)))
            return [], info
        if layer.layer_type == "tiles":
            return [], layer.saved_source(self.path)
        raise TypeError(f"a {type(layer).__name__} cannot be saved")

    # --- loading ----------------------------------------------------------------
    def load(self) -> Project:
        return read_project(self.path)


#: our own tables: read by the app with SQLite, kept out of QGIS's layer list
INTERNAL_TABLES = ("precinct_project", "precinct_layers", "precinct_rasters", "precinct_schemes",
                   "precinct_overview")


def _qgis_styles(project: Project, tmp: Path, written: list[tuple[Any, str]]) -> None:
    """QGIS's ``layer_styles`` for the vector layers, so QGIS opens the project file itself
    drawn as the app draws it. A style that cannot be written never stops a save."""
    from layers.exports.gpkg_styles import write_layer_styles
    from layers.i18n import current_language

    try:
        write_layer_styles(project, tmp, written, current_language())
    except Exception:  # noqa: BLE001 - the project is saved; QGIS then shows its own style
        import logging

        logging.getLogger(__name__).exception("QGIS styles not written into %s", tmp)


def _write_overview(tmp: Path, overview) -> None:
    """The picture the project opens with (:mod:`.overview`); none from a save without one."""
    if overview is None:
        return
    from layers.store.overview import write_overview

    with sqlite3.connect(tmp) as con:
        write_overview(con, overview)
    con.close()


def _hide_internal_tables(tmp: Path) -> None:
    """Unregister our own tables from ``gpkg_contents`` (a GeoPackage may hold tables it does
    not list; with ``layer_styles`` registered as an attribute table, GDAL and QGIS list only
    registered ones): the layer list shows the project's layers, not its bookkeeping."""
    with sqlite3.connect(tmp) as con:
        names = ", ".join("?" * len(INTERNAL_TABLES))
        con.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})", INTERNAL_TABLES)
        found = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "gpkg_ogr_contents" in found:
            con.execute(f"DELETE FROM gpkg_ogr_contents WHERE table_name IN ({names})", INTERNAL_TABLES)
    con.close()


def _expected_stamp(project: Project, target: Path) -> FileStamp | None:
    """The version of ``target`` this project last read or wrote, if it is its own file."""
    if not isinstance(project.path, (str, Path)) or not isinstance(project.file_stamp, FileStamp):
        return None  # never saved, or a project on a database server
    return project.file_stamp if real_target(Path(project.path)) == target else None


def _recovery_meta(project: Project, recovery_of: Path | None) -> dict[str, str]:
    stamp = project.file_stamp if recovery_of is not None else None
    return {
        "recovery": "1",
        "recovery_of": str(recovery_of) if recovery_of is not None else "",
        "recovery_of_stamp": stamp.to_text() if stamp is not None else "",
        "recovery_id": str(project.recovery_id),
        "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "writer_pid": str(os.getpid()),
    }


# --- writing tables ---------------------------------------------------------------
def _first(tmp: Path) -> dict[str, Any]:
    return {"append": tmp.exists(), **({} if tmp.exists() else {"dataset_options": GPKG_OPTIONS})}


def _write_vector(layer: VectorLayer, tmp: Path, table: str, identifier: str) -> list[list[str]]:
    gdf = layer.gdf
    types = set(gdf.geometry.geom_type.dropna().unique())
    if len(types) == 1:
        geometry_type = types.pop()
    elif not types:
        geometry_type = {"polygon": "Polygon", "line": "LineString", "point": "Point"}.get(
            layer.schema.geometry or "", "Unknown")
    else:
        geometry_type = "Unknown"
    pyogrio.write_dataframe(
        gdf.reset_index(), tmp, layer=table, driver="GPKG", geometry_type=geometry_type,
        promote_to_multi=False,
        layer_options={"FID": "fid", "IDENTIFIER": identifier, "SPATIAL_INDEX": "YES"},
        **_first(tmp))
    return [[str(col), str(gdf[col].dtype)] for col in gdf.columns if col != "geometry"]


def _write_rows(layer: TableLayer, tmp: Path, table: str, identifier: str) -> list[list[str]]:
    """A table layer as a GeoPackage attribute table (fid kept)."""
    df = layer.df
    pyogrio.write_dataframe(df.reset_index(), tmp, layer=table, driver="GPKG",
                            layer_options={"FID": "fid", "IDENTIFIER": identifier}, **_first(tmp))
    return [[str(col), str(df[col].dtype)] for col in df.columns]


def _write_table(tmp: Path, table: str, frame: pd.DataFrame) -> None:
    """An attribute (non-spatial) table, registered in gpkg_contents by GDAL."""
    pyogrio.write_dataframe(frame, tmp, layer=table, driver="GPKG", **_first(tmp))


def _write_rasters(tmp: Path, rasters: list[tuple[str, bytes]]) -> None:
    con = sqlite3.connect(tmp)
    try:
        con.execute("CREATE TABLE precinct_rasters (table_name TEXT PRIMARY KEY, geotiff BLOB)")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                    "VALUES ('precinct_rasters', 'attributes', 'precinct_rasters')")
        con.executemany("INSERT INTO precinct_rasters VALUES (?, ?)", rasters)
        con.commit()
    finally:
        con.close()


# the two ways a raster is written (names the tests replace to fail a save on purpose)
_write_raster = write_raster
_raster_bytes = geotiff_bytes


# --- helpers ------------------------------------------------------------------------
def _table_name(name: str, used: set[str], position: int) -> str:
    """A plain SQL table name for a layer (its real name is kept in precinct_layers)."""
    base = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    if not base or not base[0].isalpha() or base.startswith(RESERVED_TABLE_PREFIXES):
        base = f"layer_{position + 1}" + (f"_{base}" if base else "")
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _crs_text(crs: Any) -> str:
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.to_wkt()


def project_meta(project) -> dict[str, str]:
    """The precinct_project rows every store writes: format, CRS, metadata, settings."""
    metadata = {k: v for k, v in project.metadata.items() if k not in TRANSIENT_METADATA}
    return {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "crs": _crs_text(project.crs),
        "metadata": json.dumps(metadata, ensure_ascii=False, default=str),
        "settings": json.dumps(project.settings, ensure_ascii=False, default=str),
    }
