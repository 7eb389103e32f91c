"""A project as one GeoPackage: a GPKG table per layer plus our own tables.

Tables we add (registered in ``gpkg_contents`` as attribute tables, so the
file stays a valid GeoPackage that QGIS and ogrinfo open):

``precinct_project``  key/value: format, format_version, crs, metadata, settings
``precinct_layers``   one row per layer: order, id, name, kind, type, table,
                      style (JSON), visibility, opacity, column dtypes
``precinct_rasters``  raster layers as GeoTIFF bytes (lossless)
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from layers.errors import ProjectFileError, T
from layers.layer import RasterLayer, TableLayer, VectorLayer
from layers.store import ProjectStore
from layers.store.atomic import atomic_target

FORMAT = "precinct-planner"
FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
# GeoPackage 1.2: read without warnings by older GDAL/QGIS as well as new ones
GPKG_OPTIONS = {"VERSION": "1.2"}


class GpkgStore(ProjectStore):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    # --- saving -----------------------------------------------------------------
    def save(self, project, recovery_of: Path | None = None) -> None:
        if self.path.suffix.lower() != ".gpkg":
            raise ProjectFileError(
                T("a project file must end in .gpkg", "项目文件扩展名必须为 .gpkg"), str(self.path),
                T("choose a file name ending in .gpkg", "请选择以 .gpkg 结尾的文件名"))
        try:
            with atomic_target(self.path) as tmp:
                self._write(project, tmp, recovery_of)
        except ProjectFileError:
            raise
        except (OSError, sqlite3.Error, pyogrio.errors.DataSourceError,
                pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
            raise ProjectFileError(
                T(f"the project could not be saved ({exc})", f"项目保存失败（{exc}）"),
                str(self.path),
                T("check the folder is writable and the disk has room; the previous file is "
                  "unchanged", "请检查文件夹可写且磁盘空间充足；原文件未被改动")) from exc

    def _write(self, project, tmp: Path, recovery_of: Path | None) -> None:
        rows: list[tuple] = []
        rasters: list[tuple[str, bytes]] = []
        used: set[str] = set()
        for position, layer in enumerate(project.layers):
            table = _table_name(layer.name, used, position)
            used.add(table)
            dtypes: list[list[str]] = []
            if isinstance(layer, TableLayer):
                dtypes = _write_rows(layer, tmp, table)
            elif isinstance(layer, VectorLayer):
                dtypes = _write_vector(layer, tmp, table)
            else:
                rasters.append((table, _raster_bytes(layer)))
            rows.append((position, layer.id, layer.name, layer.kind, layer.layer_type, table,
                         json.dumps(layer.style, ensure_ascii=False), int(layer.visible),
                         float(layer.opacity), json.dumps(dtypes)))
        meta = {
            "format": FORMAT,
            "format_version": str(FORMAT_VERSION),
            "crs": _crs_text(project.crs),
            "metadata": json.dumps(project.metadata, ensure_ascii=False, default=str),
            "settings": json.dumps(project.settings, ensure_ascii=False, default=str),
        }
        if recovery_of is not None:
            meta["recovery_of"] = str(recovery_of)
        _write_table(tmp, "precinct_project",
                     pd.DataFrame({"key": list(meta), "value": list(meta.values())}))
        columns = ["position", "id", "name", "kind", "layer_type", "table_name", "style",
                   "visible", "opacity", "dtypes"]
        _write_table(tmp, "precinct_layers", pd.DataFrame(rows, columns=columns))
        con = sqlite3.connect(tmp)
        try:
            con.execute("CREATE TABLE precinct_rasters (table_name TEXT PRIMARY KEY, "
                        "geotiff BLOB)")
            con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                        "VALUES ('precinct_rasters', 'attributes', 'precinct_rasters')")
            con.executemany("INSERT INTO precinct_rasters VALUES (?, ?)", rasters)
            con.commit()
        finally:
            con.close()

    # --- loading ----------------------------------------------------------------
    def load(self):
        _check_is_gpkg(self.path)
        try:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        except sqlite3.Error as exc:  # pragma: no cover - connect is lazy in sqlite
            raise _damaged(self.path, exc) from exc
        try:
            tables = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            if "gpkg_contents" not in tables:
                raise ProjectFileError(
                    T("this SQLite database is not a GeoPackage (it has no gpkg_contents table)",
                      "该 SQLite 数据库不是 GeoPackage（缺少 gpkg_contents 表）"),
                    str(self.path),
                    T("open a .gpkg project, or import the data from its own format",
                      "请打开 .gpkg 项目文件，或按原格式导入数据"))
            if "precinct_project" not in tables:
                con.close()
                return _open_foreign(self.path)
            meta = dict(con.execute("SELECT key, value FROM precinct_project"))
            layer_rows = con.execute(
                "SELECT position, id, name, kind, layer_type, table_name, style, visible, "
                "opacity, dtypes FROM precinct_layers ORDER BY position").fetchall()
            rasters = dict(con.execute("SELECT table_name, geotiff FROM precinct_rasters"))
        except sqlite3.DatabaseError as exc:
            raise _damaged(self.path, exc) from exc
        finally:
            con.close()
        return _build_project(self.path, meta, layer_rows, rasters)


def _build_project(path: Path, meta: dict, layer_rows: list, rasters: dict):
    from layers.project import Project

    if meta.get("format") != FORMAT:
        raise ProjectFileError(T("the file's project table is not Precinct Planner's",
                                 "文件中的项目表不属于片区规划"), str(path))
    version = int(meta.get("format_version", "0"))
    if version > FORMAT_VERSION:
        raise ProjectFileError(
            T(f"the project was saved by a newer Precinct Planner (format {version})",
              f"该项目由更新版本的片区规划保存（格式版本 {version}）"),
            str(path), T("update Precinct Planner to open it", "请升级片区规划后再打开"))
    project = Project(crs=meta["crs"], metadata=json.loads(meta.get("metadata") or "{}"),
                      settings=json.loads(meta.get("settings") or "{}"))
    for (_pos, layer_id, name, kind, layer_type, table, style, visible, opacity,
         dtypes) in layer_rows:
        common = dict(style=json.loads(style or "{}"), visible=bool(visible),
                      opacity=float(opacity), layer_id=layer_id)
        try:
            if layer_type == "raster":
                layer = _read_raster(name, kind, rasters[table], common)
            elif layer_type == "table":
                layer = TableLayer(name, kind, _read_rows(path, table, json.loads(dtypes or "[]")),
                                   **common)
            else:
                gdf = _read_vector(path, table, json.loads(dtypes or "[]"))
                layer = VectorLayer(name, kind, gdf, **common)
        except (pyogrio.errors.DataSourceError, KeyError, sqlite3.DatabaseError) as exc:
            raise _damaged(path, exc, where=f"layer '{name}' (table {table})") from exc
        project.add_layer(layer)
    project.path = None if meta.get("recovery_of") else path
    if meta.get("recovery_of"):
        project.path = Path(meta["recovery_of"])
        project.metadata["opened_from_recovery"] = str(path)
    project.undo.set_clean()
    return project


# --- vector tables ---------------------------------------------------------------
def _write_vector(layer: VectorLayer, tmp: Path, table: str) -> list[list[str]]:
    gdf = layer.gdf
    types = set(gdf.geometry.geom_type.dropna().unique())
    if len(types) == 1:
        geometry_type = types.pop()
    elif not types:
        geometry_type = {"polygon": "Polygon", "line": "LineString", "point": "Point"}.get(
            layer.schema.geometry or "", "Unknown")
    else:
        geometry_type = "Unknown"
    frame = gdf.reset_index()
    pyogrio.write_dataframe(
        frame, tmp, layer=table, driver="GPKG", geometry_type=geometry_type,
        promote_to_multi=False,
        layer_options={"FID": "fid", "IDENTIFIER": layer.name, "SPATIAL_INDEX": "YES"},
        append=tmp.exists(),
        **({} if tmp.exists() else {"dataset_options": GPKG_OPTIONS}),
    )
    return [[str(col), str(gdf[col].dtype)] for col in gdf.columns if col != "geometry"]


def _write_rows(layer: TableLayer, tmp: Path, table: str) -> list[list[str]]:
    """A table layer as a GeoPackage attribute table (fid kept)."""
    df = layer.df
    pyogrio.write_dataframe(df.reset_index(), tmp, layer=table, driver="GPKG",
                            append=tmp.exists(),
                            layer_options={"FID": "fid", "IDENTIFIER": layer.name},
                            **({} if tmp.exists() else {"dataset_options": GPKG_OPTIONS}))
    return [[str(col), str(df[col].dtype)] for col in df.columns]


def _read_rows(path: Path, table: str, dtypes: list[list[str]]) -> pd.DataFrame:
    df = pyogrio.read_dataframe(path, layer=table, fid_as_index=True, read_geometry=False)
    df = pd.DataFrame(df)
    df.index = df.index.astype("int64")
    df.index.name = "fid"
    for col, dtype in dtypes:
        if col not in df.columns:
            df[col] = pd.Series([None] * len(df), index=df.index)
        df[col] = _restore_dtype(df[col], dtype)
    order = [c for c, _ in dtypes]
    return df[order + [c for c in df.columns if c not in order]].sort_index()


def _write_table(tmp: Path, table: str, frame: pd.DataFrame) -> None:
    """An attribute (non-spatial) table, registered in gpkg_contents by GDAL."""
    pyogrio.write_dataframe(frame, tmp, layer=table, driver="GPKG", append=tmp.exists(),
                            **({} if tmp.exists() else {"dataset_options": GPKG_OPTIONS}))


def _read_vector(path: Path, table: str, dtypes: list[list[str]]) -> gpd.GeoDataFrame:
    gdf = pyogrio.read_dataframe(path, layer=table, fid_as_index=True)
    gdf.index = gdf.index.astype("int64")
    gdf.index.name = "fid"
    order = [c for c, _ in dtypes]
    for col, dtype in dtypes:
        if col not in gdf.columns:
            gdf[col] = pd.Series([None] * len(gdf), index=gdf.index)
        gdf[col] = _restore_dtype(gdf[col], dtype)
    extra = [c for c in gdf.columns if c not in order and c != gdf.geometry.name]
    gdf = gdf[order + extra + [gdf.geometry.name]]
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    return gdf.sort_index()


def _restore_dtype(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == "str":
        return series.astype("str")
    if dtype in ("Int64", "Int32", "boolean"):
        return pd.to_numeric(series, errors="coerce").astype(dtype) if dtype != "boolean" \
            else series.map(lambda v: pd.NA if pd.isna(v) else bool(v)).astype("boolean")
    if dtype.startswith("datetime64"):
        return pd.to_datetime(series).astype(dtype)
    if dtype == "object":
        return series.astype(object)
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series


# --- rasters -----------------------------------------------------------------------
def _raster_bytes(layer: RasterLayer) -> bytes:
    from rasterio.io import MemoryFile

    bands, rows, cols = layer.array.shape
    with MemoryFile() as mem:
        with mem.open(driver="GTiff", width=cols, height=rows, count=bands,
                      dtype=layer.array.dtype, crs=layer.crs.to_wkt() if layer.crs else None,
                      transform=layer.transform, nodata=layer.nodata,
                      compress="deflate") as dst:
            dst.write(layer.array)
        return bytes(mem.read())


def _read_raster(name: str, kind: str, blob: bytes, common: dict) -> RasterLayer:
    from rasterio.io import MemoryFile

    with MemoryFile(blob) as mem, mem.open() as src:
        return RasterLayer(name, kind, src.read(), src.transform,
                           src.crs.to_wkt() if src.crs else None, src.nodata, **common)


# --- a GeoPackage from elsewhere --------------------------------------------------------
def _open_foreign(path: Path):
    """Open another program's GeoPackage: its vector tables become layers to import."""
    from layers.project import Project

    try:
        listing = pyogrio.list_layers(path)
    except pyogrio.errors.DataSourceError as exc:
        raise _damaged(path, exc) from exc
    frames = []
    for table, geometry_type in listing:
        if geometry_type is None:
            continue  # attribute-only table
        try:
            gdf = pyogrio.read_dataframe(path, layer=table, fid_as_index=True)
        except pyogrio.errors.DataSourceError as exc:
            raise _damaged(path, exc, where=f"table {table}") from exc
        if gdf.crs is None:
            raise ProjectFileError(
                T(f"table {table!r} has no coordinate reference system",
                  f"表 {table!r} 没有坐标参考系"),
                str(path),
                T("assign a CRS in the source program, or import the table and declare it",
                  "请在源软件中指定坐标系，或导入时声明坐标系"))
        gdf.index.name = "fid"
        frames.append((str(table), gdf))
    crs, note = _crs_for_foreign(frames)
    project = Project(crs=crs, metadata={"title": path.stem, "opened_as_import": str(path),
                                         **({"crs_note": note} if note else {})})
    for table, gdf in frames:
        project.add_layer(VectorLayer(project.unique_name(table), "other", gdf))
    project.path = None  # saving must not overwrite the other program's file by surprise
    project.undo.set_clean()
    return project


def _crs_for_foreign(frames: list) -> tuple[Any, str]:
    """Project CRS for foreign data: its own projected CRS; else the default (EPSG:4546)
    when the data lie in its area of use; else the data's UTM zone, so nothing is measured
    in a projection meant for somewhere else."""
    from layers.project import DEFAULT_CRS

    projected = [g.crs for _, g in frames if g.crs.is_projected]
    if projected:
        return projected[0], ""
    if not frames:
        return DEFAULT_CRS, ""
    bounds = [g.to_crs("EPSG:4326").total_bounds for _, g in frames if len(g)]
    if not bounds:
        return DEFAULT_CRS, ""
    west = min(b[0] for b in bounds)
    south = min(b[1] for b in bounds)
    east = max(b[2] for b in bounds)
    north = max(b[3] for b in bounds)
    from pyproj import CRS

    area = CRS.from_user_input(DEFAULT_CRS).area_of_use
    if area.west <= west and east <= area.east and area.south <= south and north <= area.north:
        return DEFAULT_CRS, ""
    first = next(g for _, g in frames if len(g))
    utm = first.estimate_utm_crs()
    return utm, (f"data lie outside {DEFAULT_CRS}'s area of use; opened in "
                 f"{utm.to_string()} ({utm.name})")


# --- checks and helpers -------------------------------------------------------------
def _check_is_gpkg(path: Path) -> None:
    if not path.exists():
        raise ProjectFileError(T("the project file does not exist", "项目文件不存在"), str(path),
                               T("check the path, or create one with 'precinct demo'",
                                 "请检查路径，或用 precinct demo 生成示例项目"))
    if path.is_dir():
        raise ProjectFileError(T("this is a folder, not a project file", "这是文件夹，不是项目文件"),
                               str(path), T("choose a .gpkg file", "请选择 .gpkg 文件"))
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        kind = _guess_format(path, header)
        raise ProjectFileError(
            T(f"this is not a GeoPackage project{kind[0]}", f"这不是 GeoPackage 项目文件{kind[1]}"),
            str(path),
            T("open a .gpkg project; bring other data in with Import (precinct import)",
              "请打开 .gpkg 项目；其他数据请用“导入”（precinct import）"))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    size = path.stat().st_size
    if page_count and size < page_size * page_count:
        raise ProjectFileError(
            T(f"the project file is truncated ({size} of {page_size * page_count} bytes)",
              f"项目文件不完整（{size} / {page_size * page_count} 字节）"),
            str(path),
            T("restore it from a backup or from its recovery file (.recovery.gpkg)",
              "请从备份或恢复文件（.recovery.gpkg）还原"))


def _guess_format(path: Path, header: bytes) -> tuple[str, str]:
    if not header:
        return (" (the file is empty)", "（文件为空）")
    head = header.lstrip()[:1]
    if head in (b"{", b"["):
        return (" (it looks like GeoJSON)", "（看起来是 GeoJSON）")
    if header[:4] == b"PK\x03\x04":
        return (" (it is a ZIP archive)", "（这是 ZIP 压缩包）")
    if header[:4] in (b"\x00\x00\x27\x0a",):
        return (" (it is a shapefile)", "（这是 Shapefile）")
    if header[:2] in (b"II", b"MM"):
        return (" (it looks like a TIFF image)", "（看起来是 TIFF 图像）")
    if path.suffix.lower() == ".gpkg":
        return (" (its content is not SQLite)", "（内容不是 SQLite 数据库）")
    return ("", "")


def _damaged(path: Path, exc: Exception, where: str = "") -> ProjectFileError:
    return ProjectFileError(
        T(f"the project file is damaged ({exc})", f"项目文件已损坏（{exc}）"),
        f"{path}{', ' + where if where else ''}",
        T("restore it from a backup or from its recovery file (.recovery.gpkg)",
          "请从备份或恢复文件（.recovery.gpkg）还原"))


def _table_name(name: str, used: set[str], position: int) -> str:
    base = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    if not base or not base[0].isalpha() or base.startswith(("gpkg", "rtree", "precinct")):
        base = f"layer_{position + 1}" + (f"_{base}" if base else "")
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _crs_text(crs: Any) -> str:
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.to_wkt()
