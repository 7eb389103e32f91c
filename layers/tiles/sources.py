"""Offline tile sources a planning office has: an MBTiles file, a GeoPackage tile pyramid,
a folder of ``{z}/{x}/{y}.png`` tiles.

Each is opened read-only and answers :meth:`TileSource.read` with the encoded tile
(PNG, JPEG or WebP bytes) or None. Rows are always counted from the top here; the
MBTiles (and TMS folder) convention of counting from the bottom stays inside.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from pyproj import CRS

from layers.errors import ProjectError, T
from layers.tiles.grid import WEB_MERCATOR, TileMatrix, web_mercator

TILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


class TileSource:
    """A pyramid of encoded tiles in one coordinate system."""

    format = ""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.crs: CRS = CRS.from_user_input(WEB_MERCATOR)
        self.matrices: dict[int, TileMatrix] = {}
        self.extent: tuple[float, float, float, float] | None = None  # data, source CRS

    def read(self, zoom: int, column: int, row: int) -> bytes | None:
        """The encoded tile (row counted from the top), or None where there is none."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file (the source opens it again when read)."""

    def describe(self) -> T:
        levels = ", ".join(str(z) for z in sorted(self.matrices)) or "-"
        return T(f"{self.format} tiles, zoom levels {levels}, {self.crs.name}",
                 f"{self.format} 瓦片，级别 {levels}，{self.crs.name}")


def refused(path: Path, what: T, fix: T | None = None) -> ProjectError:
    return ProjectError(what, str(path), fix or T(
        "check the file is a complete raster tile set (PNG or JPEG tiles), or export it again",
        "请确认是完整的栅格瓦片数据（PNG 或 JPEG 瓦片），或重新导出"))


class _SqliteSource(TileSource):
    """A tile table in an SQLite file, read through one read-only connection."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            if self._con is None:
                uri = f"{self.path.absolute().as_uri()}?mode=ro"
                self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            return self._con.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


class MBTilesSource(_SqliteSource):
    """An MBTiles file: web mercator tiles, rows counted from the bottom (TMS)."""

    format = "MBTiles"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            meta = self._metadata()
            tile_format = meta.get("format", "png").lower()
            if tile_format in ("pbf", "mvt"):
                raise refused(path, T("this MBTiles file holds vector tiles (pbf)",
                                      "该 MBTiles 文件为矢量瓦片（pbf）"),
                              T("use raster tiles (PNG or JPEG), e.g. export them from the map "
                                "program as an image basemap", "请使用栅格瓦片（PNG 或 JPEG），"
                                "例如在地图软件中导出影像底图"))
            for zoom in self._zooms():
                self.matrices[zoom] = web_mercator(zoom)
            if not self.matrices:
                raise refused(path, T("the MBTiles file holds no tiles", "该 MBTiles 文件中没有瓦片"))
            self.extent = self._extent()
        except sqlite3.DatabaseError as exc:
            raise refused(path, T(f"cannot read the MBTiles file ({exc})",
                                  f"无法读取 MBTiles 文件（{exc}）")) from None

    def _metadata(self) -> dict[str, str]:
        try:
            return {str(k): str(v) for k, v in self._query("SELECT name, value FROM metadata")}
        except sqlite3.OperationalError:  # no metadata table: PNG tiles, as the spec's default
            return {}

    def _zooms(self) -> list[int]:
        low, high = self._query("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles")[0]
        if low is None:
            return []
        return [z for z in range(int(low), int(high) + 1) if 0 <= z <= 30 and self._query(
            "SELECT 1 FROM tiles WHERE zoom_level = ? LIMIT 1", (z,))]

    def _extent(self) -> tuple[float, float, float, float]:
        zoom = max(self.matrices)
        row = self._query("SELECT MIN(tile_column), MIN(tile_row), MAX(tile_column), MAX(tile_row) "
                          "FROM tiles WHERE zoom_level = ?", (zoom,))[0]
        m = self.matrices[zoom]
        c0, tr0, c1, tr1 = (int(v) for v in row)
        left, top = m.tile_origin(c0, m.rows - 1 - tr1)
        right, bottom = m.tile_origin(c1 + 1, m.rows - tr0)
        return left, bottom, right, top

    def read(self, zoom: int, column: int, row: int) -> bytes | None:
        if zoom not in self.matrices:
            return None
        tms_row = self.matrices[zoom].rows - 1 - row
        found = self._query("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                            "AND tile_row = ?", (zoom, column, tms_row))
        return bytes(found[0][0]) if found and found[0][0] is not None else None


class GpkgTileSource(_SqliteSource):
    """One tile pyramid (``data_type = 'tiles'``) of a GeoPackage, in its own CRS."""

    format = "GeoPackage"

    def __init__(self, path: Path, table: str | None = None) -> None:
        super().__init__(path)
        try:
            tables = gpkg_tile_tables(path)
            if not tables or (table is not None and table not in tables):
                raise refused(path, T(f"the GeoPackage has no tile pyramid{f' {table!r}' if table else ''}",
                                      f"该 GeoPackage 中没有瓦片金字塔{f' {table!r}' if table else ''}"),
                              T("choose a GeoPackage that holds raster tiles (gdalinfo lists them)",
                                "请选择含栅格瓦片的 GeoPackage（gdalinfo 可列出）"))
            self.table = table or tables[0]
            self._load()
        except sqlite3.DatabaseError as exc:
            raise refused(path, T(f"cannot read the GeoPackage tiles ({exc})",
                                  f"无法读取 GeoPackage 瓦片（{exc}）")) from None

    def _load(self) -> None:
        srs_id, x0, y0, x1, y1 = self._query(
            "SELECT srs_id, min_x, min_y, max_x, max_y FROM gpkg_tile_matrix_set "
            "WHERE table_name = ?", (self.table,))[0]
        self.crs = _gpkg_crs(self, int(srs_id))
        present = {int(z) for (z,) in self._query(f'SELECT DISTINCT zoom_level FROM "{_quoted(self.table)}"')}
        for z, cols, rows, tw, th, rx, ry in self._query(
                "SELECT zoom_level, matrix_width, matrix_height, tile_width, tile_height, "
                "pixel_x_size, pixel_y_size FROM gpkg_tile_matrix WHERE table_name = ?", (self.table,)):
            if int(z) in present:
                self.matrices[int(z)] = TileMatrix(int(z), float(x0), float(y1), float(rx), float(ry),
                                                   int(tw), int(th), int(cols), int(rows))
        if not self.matrices:
            raise refused(self.path, T(f"the tile pyramid {self.table!r} holds no tiles",
                                       f"瓦片金字塔 {self.table!r} 中没有瓦片"))
        found = self._query("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?",
                            (self.table,))
        box = found[0] if found and None not in found[0] else (x0, y0, x1, y1)
        self.extent = tuple(float(v) for v in box)  # type: ignore[assignment]

    def read(self, zoom: int, column: int, row: int) -> bytes | None:
        found = self._query(f'SELECT tile_data FROM "{_quoted(self.table)}" WHERE zoom_level = ? '
                            "AND tile_column = ? AND tile_row = ?", (zoom, column, row))
        return bytes(found[0][0]) if found and found[0][0] is not None else None


def _quoted(name: str) -> str:
    return name.replace('"', '""')


def _gpkg_crs(source: GpkgTileSource, srs_id: int) -> CRS:
    found = source._query("SELECT organization, organization_coordsys_id, definition "
                          "FROM gpkg_spatial_ref_sys WHERE srs_id = ?", (srs_id,))
    if not found:
        raise refused(source.path, T(f"the tile pyramid's coordinate system {srs_id} is not defined",
                                     f"瓦片金字塔的坐标系 {srs_id} 未定义"))
    org, code, definition = found[0]
    if isinstance(org, str) and org.upper() == "EPSG" and code is not None:
        return CRS.from_epsg(int(code))
    return CRS.from_user_input(definition)


def gpkg_tile_tables(path: Path) -> list[str]:
    """The tile pyramids of a GeoPackage (empty when it has none or is no GeoPackage)."""
    if not Path(path).is_file():  # a folder, or a pipe that opening would wait on forever
        return []
    try:
        con = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        return [str(t) for (t,) in con.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'tiles' ORDER BY table_name")]
    except sqlite3.DatabaseError:
        return []
    finally:
        con.close()


class XyzFolderSource(TileSource):
    """A folder of ``{z}/{x}/{y}.png`` (or .jpg/.webp) tiles in web mercator; rows from the
    bottom when the folder has gdal2tiles' ``tilemapresource.xml`` (TMS)."""

    format = "XYZ"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.tms = (path / "tilemapresource.xml").exists()
        self.suffix = ""
        for zoom_dir in _numbered(path):
            zoom = int(zoom_dir.name)
            if zoom <= 30 and any(True for _ in _numbered(zoom_dir)):
                self.matrices[zoom] = web_mercator(zoom)
        if not self.matrices:
            raise refused(path, T("the folder holds no {z}/{x}/{y} tiles",
                                  "该文件夹中没有 {z}/{x}/{y} 结构的瓦片"),
                          T("choose the folder that contains the zoom-level folders (0, 1, … 18)",
                            "请选择包含各级别文件夹（0、1 … 18）的那一层文件夹"))
        self.suffix = self._suffix(max(self.matrices))
        self.extent = self._extent(max(self.matrices))

    def _suffix(self, zoom: int) -> str:
        for column_dir in _numbered(self.path / str(zoom)):
            for entry in os.scandir(column_dir):
                suffix = Path(entry.name).suffix.lower()
                if suffix in TILE_SUFFIXES:
                    return Path(entry.name).suffix
        raise refused(self.path, T("the folder holds no PNG, JPEG or WebP tiles",
                                   "该文件夹中没有 PNG、JPEG 或 WebP 瓦片"))

    def _extent(self, zoom: int) -> tuple[float, float, float, float]:
        m = self.matrices[zoom]
        columns, rows = [], []
        for column_dir in _numbered(self.path / str(zoom)):
            names = [Path(e.name).stem for e in os.scandir(column_dir) if e.name.endswith(self.suffix)]
            numbers = [int(n) for n in names if n.isdigit()]
            if numbers:
                columns.append(int(column_dir.name))
                rows += [min(numbers), max(numbers)]
        if self.tms:
            rows = [m.rows - 1 - r for r in rows]
        left, top = m.tile_origin(min(columns), min(rows))
        right, bottom = m.tile_origin(max(columns) + 1, max(rows) + 1)
        return left, bottom, right, top

    def read(self, zoom: int, column: int, row: int) -> bytes | None:
        if zoom not in self.matrices:
            return None
        if self.tms:
            row = self.matrices[zoom].rows - 1 - row
        try:
            return (self.path / str(zoom) / str(column) / f"{row}{self.suffix}").read_bytes()
        except OSError:
            return None


def _numbered(folder: Path) -> list[Path]:
    try:
        return sorted((Path(e.path) for e in os.scandir(folder)
                       if e.is_dir() and e.name.isdigit()), key=lambda p: int(p.name))
    except OSError:
        return []


def tile_format(path: Path) -> str | None:
    """``mbtiles``, ``gpkg`` or ``xyz`` when ``path`` is a tile source, else None."""
    path = Path(path)
    if path.is_dir():
        return "xyz"
    suffix = path.suffix.lower()
    if suffix == ".mbtiles":
        return "mbtiles"
    if suffix == ".gpkg" and gpkg_tile_tables(path):
        return "gpkg"
    return None


def open_tile_source(path: Path, table: str | None = None) -> TileSource:
    """The tile source at ``path`` (ProjectError, in a sentence, when it is none)."""
    path = Path(path)
    if not path.exists():
        raise refused(path, T("the tile source does not exist", "瓦片数据不存在"),
                      T("check the path; a basemap is read from where it lies, not copied into "
                        "the project", "请检查路径；底图从原位置读取，不复制进项目"))
    if not path.is_dir() and not path.is_file():  # a pipe or a device: opening could hang
        raise refused(path, T("the tile source is not a regular file", "瓦片数据不是普通文件"))
    kind = tile_format(path)
    if kind == "xyz":
        return XyzFolderSource(path)
    if kind == "mbtiles":
        return MBTilesSource(path)
    if kind == "gpkg":
        return GpkgTileSource(path, table)
    raise refused(path, T("not a tile source (MBTiles, GeoPackage tiles or a {z}/{x}/{y} folder)",
                          "不是瓦片数据（MBTiles、GeoPackage 瓦片或 {z}/{x}/{y} 文件夹）"))
