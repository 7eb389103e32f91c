"""Read what planners have into a GeoDataFrame: every format through GDAL (pyogrio),
tables (CSV/XLSX) through pandas then points. No parser of our own.

:func:`read_source` never lets a reader's own exception out: a file that cannot be
read becomes a :class:`~layers.errors.ProjectError` saying which file, what went
wrong and what to do.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS

from layers.errors import ProjectError, T
from layers.gpkg_views import readable_layer, readable_layer_in_zip
from layers.importing.access import check_parts, check_source_file, os_error, read_head
from layers.importing.crs_check import unreadable_crs
from layers.importing.datav import is_feature_array, read_feature_array
from layers.importing.encoding import decode_text_file, normalise_codec, shapefile_encoding
from layers.importing.limits import check_source_width, check_width, csv_width
from layers.importing.read_arrow import _NotUtf8, _read_arrow, _unparsed_note
from layers.importing.repair import GeometryChecks

VECTOR_SUFFIXES = {".gpkg": "GeoPackage", ".shp": "Shapefile", ".geojson": "GeoJSON",
                   ".json": "GeoJSON", ".kml": "KML", ".kmz": "KML", ".dxf": "DXF (CAD)",
                   ".osm": "OpenStreetMap XML", ".pbf": "OpenStreetMap PBF", ".gml": "GML",
                   ".zip": "zipped file"}
TABLE_SUFFIXES = {".csv": "CSV", ".txt": "CSV", ".tsv": "CSV", ".xlsx": "Excel", ".xls": "Excel"}
OSM_LAYER_FOR_FAMILY = {"line": "lines", "polygon": "multipolygons", "point": "points"}
try:  # a dependency (the Arrow path is faster); an environment without it reads the plain way
    import pyarrow  # noqa: F401

    USE_ARROW = True
except ImportError:  # pragma: no cover - depends on the environment
    USE_ARROW = False

_LON_NAMES = {"lon", "lng", "long", "longitude", "经度", "x", "坐标x", "x坐标", "东坐标", "easting",
              "point_x", "横坐标"}
_LAT_NAMES = {"lat", "latitude", "纬度", "y", "坐标y", "y坐标", "北坐标", "northing", "point_y",
              "纵坐标"}
_PAIR_NAMES = {"location", "经纬度", "坐标", "lnglat", "lonlat", "coordinates"}


@dataclass
class Source:
    """A file read for import: its features and what we learnt while reading it."""

    path: Path
    format: str
    frame: gpd.GeoDataFrame
    layer: str | None = None
    layers: list[str] = field(default_factory=list)
    declared_crs: CRS | None = None
    encoding: str | None = None
    coordinate_columns: tuple[str, str] | None = None
    notes: list[T] = field(default_factory=list)
    # the repair's checks of frame's geometries, when made while reading (Arrow path)
    geometry_checks: GeometryChecks | None = field(default=None, repr=False, compare=False)

    @property
    def columns(self) -> list[str]:
        """Attribute columns (not the geometry)."""
        return [str(c) for c in self.frame.columns if c != self.frame.geometry.name]

    def preview(self, rows: int = 5) -> pd.DataFrame:
        """The first rows, attributes only, for a person to look at."""
        return pd.DataFrame(self.frame[self.columns].head(rows))

    @property
    def name(self) -> str:
        return self.path.name


def _norm(name: Any) -> str:
    return re.sub(r"[\s_\-()（）]+", "", str(name)).lower()


def _cannot_read(path: Path, fmt: str, detail: str) -> ProjectError:
    detail = detail.strip().splitlines()[0][:200] if detail.strip() else ""
    return ProjectError(
        T(f"cannot read {path.name} as {fmt}" + (f" ({detail})" if detail else ""),
          f"无法按 {fmt} 读取 {path.name}" + (f"（{detail}）" if detail else "")),
        str(path),
        T("check that the file is complete and really is this format (a shapefile needs its "
          ".shp, .shx and .dbf together; re-export it from the program that made it)",
          "请确认文件完整且确为该格式（Shapefile 需要 .shp、.shx、.dbf 放在一起），"
          "或在原软件中重新导出"))


def read_source(path: str | Path, layer: str | None = None, encoding: str = "auto",
                kind: str | None = None) -> Source:
    """Read a file for import.

    Parameters
    ----------
    path : file (GeoPackage, Shapefile or a .zip holding one, GeoJSON, KML/KMZ, DXF,
        CSV/XLSX with lon/lat or x/y columns, OSM XML/PBF).
    layer : layer (or sheet) to read; default the first, or for OSM the layer the
        target ``kind`` needs (lines, multipolygons, points).
    encoding : "auto" (detect; shapefiles without .cpg are checked for UTF-8 then
        GB18030), or a codec such as "gbk" or "utf-8".

    Examples
    --------
    >>> import json, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "districts.geojson"
    >>> feature = {"type": "Feature", "properties": {"adcode": 420502, "name": "西陵区"},
    ...            "geometry": {"type": "Point", "coordinates": [111.29, 30.70]}}
    >>> _ = path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    >>> src = read_source(path)
    >>> src.columns[:2]
    ['adcode', 'name']
    """
    path = Path(path)
    check_source_file(path)  # missing, a folder, a pipe, unreadable, empty
    suffix = path.suffix.lower()
    fmt = TABLE_SUFFIXES.get(suffix) or VECTOR_SUFFIXES.get(suffix) or "GIS file"
    named = suffix
    suffix, fmt = _sniff(path, suffix, fmt)
    try:
        check_source_width(path, suffix, layer)  # a header wider than a layer: refused at once
        if suffix in TABLE_SUFFIXES:
            source = _read_table(path, fmt, layer, encoding)
        elif fmt == "GeoJSON" and is_feature_array(path):  # DataV's bare array of features
            source = read_feature_array(path, lambda p: _read_vector(p, fmt, None, "auto", kind), encoding)
        else:
            source = _read_vector(path, fmt, layer, encoding, kind)
        if suffix != named:
            source.notes.insert(0, T(f"the file is {fmt} although its name ends in {named}",
                                     f"文件扩展名为 {named}，但内容为 {fmt}"))
        check_width(len(source.columns), path)
        return source
    except ProjectError:
        raise
    except OSError as exc:  # a part that cannot be opened (permission, a lock, a disk error)
        raise os_error(path, exc) from exc
    except pyogrio.errors.CRSError as exc:  # e.g. a .prj with an impossible ellipsoid
        raise unreadable_crs(path, layer, exc) from exc
    except Exception as exc:  # a foreign file: GDAL, pandas and zipfile raise many kinds
        raise _cannot_read(path, fmt, str(exc)) from exc


SHAPE_MAGIC = b"\x00\x00\x27\x0a"


def _sniff(path: Path, suffix: str, fmt: str) -> tuple[str, str]:
    """Go by the content where the extension lies (a GeoJSON saved as .csv, a .shp renamed)."""
    head = read_head(path, 64)
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(SHAPE_MAGIC) and suffix != ".shp":
        raise ProjectError(
            T(f"{path.name} is the geometry file of a shapefile under another name",
              f"{path.name} 实为改了扩展名的 Shapefile 几何文件"), str(path),
            T("rename it to .shp and put its .shx, .dbf and .prj next to it",
              "请将其改名为 .shp，并将 .shx、.dbf、.prj 放在旁边"))
    if text_head[:1] in (b"{", b"[") and suffix in TABLE_SUFFIXES:
        return ".geojson", "GeoJSON"
    if head.startswith(b"SQLite format 3\x00") and suffix != ".gpkg":
        return ".gpkg", "GeoPackage"
    if text_head[:1] == b"<" and suffix in TABLE_SUFFIXES:
        return suffix, "XML (not a table)"
    return suffix, fmt


# --- vector formats through GDAL ------------------------------------------------------
def _zip_member(path: Path, layer: str | None) -> tuple[str, str]:
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/") and "__MACOSX" not in n]
    readable = [n for n in names if Path(n).suffix.lower() in (".shp", ".gpkg", ".geojson",
                                                               ".json", ".kml", ".gml")]
    if layer:
        chosen = [n for n in readable if Path(n).stem == layer or n == layer]
        readable = chosen or readable
    if not readable:
        raise ProjectError(
            T(f"{path.name} holds no shapefile or other GIS file", f"{path.name} 中没有 Shapefile 等 GIS 文件"),
            str(path), T("zip the .shp together with its .shx, .dbf, .prj and .cpg",
                         "请将 .shp 与 .shx、.dbf、.prj、.cpg 一起压缩"))
    return readable[0], VECTOR_SUFFIXES.get(Path(readable[0]).suffix.lower(), "GIS file")


def _check_shapefile_parts(path: Path) -> None:
    missing = [ext for ext in (".shx", ".dbf")
               if not (path.with_suffix(ext).exists() or path.with_suffix(ext.upper()).exists())]
    if missing:
        raise ProjectError(
            T(f"the shapefile {path.name} is missing its {' and '.join(missing)} file",
              f"Shapefile {path.name} 缺少 {'、'.join(missing)} 文件"),
            str(path.parent),
            T(f"copy {path.stem}{missing[0]} into the same folder (a shapefile is several files "
              "with the same name)", f"请将 {path.stem}{missing[0]} 拷贝到同一文件夹"
              "（Shapefile 由多个同名文件组成）"))


def _read_vector(path: Path, fmt: str, layer: str | None, encoding: str,
                 kind: str | None) -> Source:
    suffix = path.suffix.lower()
    gdal_path = str(path)
    notes: list[T] = []
    guess = None
    if suffix == ".zip":
        member, fmt = _zip_member(path, layer)
        gdal_path = f"/vsizip/{path}/{member}"
        layer = None
        if member.lower().endswith(".shp") and encoding == "auto":
            guess = shapefile_encoding(path, member)
    elif suffix == ".shp":
        _check_shapefile_parts(path)
        check_parts(path)  # a .dbf that is a pipe would never open
        if encoding == "auto":
            guess = shapefile_encoding(path)
    elif fmt == "GeoJSON" and suffix not in (".json", ".geojson"):
        gdal_path = f"GeoJSON:{path}"  # the content says GeoJSON; the name says otherwise
    elif suffix == ".dbf":
        raise ProjectError(
            T(f"{path.name} is only the attribute table of a shapefile", f"{path.name} 只是 Shapefile 的属性表"),
            str(path), T("choose the .shp file with the same name", "请选择同名的 .shp 文件"))
    listing = pyogrio.list_layers(gdal_path)
    layers = [str(row[0]) for row in listing]
    if not layers:
        raise ProjectError(T(f"{path.name} contains no layers", f"{path.name} 中没有图层"), str(path),
                           T("check the file in QGIS or export it again", "请在 QGIS 中检查或重新导出"))
    if layer is None and suffix in (".osm", ".pbf"):
        from layers.kinds import schema_for

        family = schema_for(kind).geometry if kind else "line"
        layer = OSM_LAYER_FOR_FAMILY.get(family or "line", "lines")
    if layer is not None and layer not in layers:
        raise ProjectError(
            T(f"{path.name} has no layer {layer!r}", f"{path.name} 中没有图层 {layer!r}"), str(path),
            T(f"choose one of: {', '.join(layers)}", f"请选择：{'、'.join(layers)}"))
    chosen = layer or layers[0]
    spatial = {str(r[0]) for r in listing if r[1]}
    if fmt == "GeoPackage":  # a view can be endless: probed first
        chosen = (readable_layer_in_zip(path, member, layers, layer, notes, spatial) if suffix == ".zip"
                  else readable_layer(path, layers, layer, notes, spatial))
    if len(layers) > 1 and layer is None:
        others = [name for name in layers if name != chosen][:5]
        notes.append(T(f"the file has {len(layers)} layers; read {chosen!r} (others: "
                       f"{', '.join(others)})",
                       f"文件含 {len(layers)} 个图层，已读取 {chosen!r}（其余：{'、'.join(others)}）"))
    kwargs: dict[str, Any] = {"layer": chosen}
    used_encoding = None
    if encoding != "auto":
        used_encoding = normalise_codec(encoding)
        kwargs["encoding"] = {"utf-8": "UTF-8", "gb18030": "GB18030"}.get(used_encoding, used_encoding)
    elif guess is not None:
        used_encoding = guess.encoding
        kwargs["encoding"] = guess.gdal_name
        notes.append(T(f"no .cpg file: attributes read as {guess.encoding} ({guess.reason.en})",
                       f"缺少 .cpg 文件：属性按 {guess.encoding} 读取（{guess.reason.zh}）"))
    if USE_ARROW:
        kwargs["use_arrow"] = True
    checks = None
    if suffix == ".dxf":
        frame, used_encoding = _read_dxf(path, gdal_path, kwargs, encoding, notes)
    else:
        frame, checks = _read_tolerating_bad_geometries(gdal_path, kwargs, notes)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise ProjectError(
            T(f"{path.name} has no geometry (it is a plain table)", f"{path.name} 没有几何（只是表格）"),
            str(path), T("use a file with points, lines or polygons; for a table of coordinates "
                         "save it as CSV/XLSX with lon/lat columns",
                         "请使用含点、线或面的文件；坐标表请存为带经纬度列的 CSV/XLSX"))
    return Source(path, fmt, frame, chosen, layers, _crs_of(frame), used_encoding, notes=notes,
                  geometry_checks=checks)


def _read_tolerating_bad_geometries(gdal_path: str, kwargs: dict,
                                    notes: list[T]) -> tuple[gpd.GeoDataFrame, GeometryChecks | None]:
    """Read; if some geometries cannot even be parsed (e.g. an OSM ring of two points),
    keep their rows with an empty geometry — the repair report then lists each as
    dropped — and say so, instead of refusing the whole file.

    With Arrow the geometries are checked for the repair while they are read (see
    :func:`_read_arrow`); the checks come back with the frame."""
    import shapely.errors

    if kwargs.get("use_arrow"):
        plain = {k: v for k, v in kwargs.items() if k != "use_arrow"}
        try:
            return _read_arrow(gdal_path, plain, notes)
        except _NotUtf8:  # what GDAL could not recode: the plain reader says what is wrong
            kwargs = plain
    try:
        return pyogrio.read_dataframe(gdal_path, **kwargs), None
    except shapely.errors.GEOSException as exc:
        frame = pyogrio.read_dataframe(gdal_path, on_invalid="ignore", **kwargs)
        notes.append(_unparsed_note(exc))
        return frame, None


def _read_dxf(path: Path, gdal_path: str, kwargs: dict, encoding: str,
              notes: list[T]) -> tuple[gpd.GeoDataFrame, str | None]:
    """DXF text is decoded by GDAL from the header's $DWGCODEPAGE, which many writers get
    wrong (UTF-8 or GBK bytes under ANSI_1252): decide from the bytes, as for a DBF.
    Read the plain way: CAD files are small, and GDAL then says why a broken one fails."""
    kwargs.pop("encoding", None)
    kwargs.pop("use_arrow", None)
    raw = path.read_bytes()
    if encoding != "auto":
        codec = normalise_codec(encoding)
    elif not any(b > 0x7F for b in raw[:4_000_000]):
        codec = None
    else:
        _text, codec = decode_text_file(raw[:4_000_000], "auto")
        codec = codec.split()[0]
    if codec is None:
        return pyogrio.read_dataframe(gdal_path, **kwargs), None
    gdal_name = {"utf-8": "UTF-8", "gb18030": "CP936"}.get(codec, codec.upper())
    old = pyogrio.get_gdal_config_option("DXF_ENCODING")
    pyogrio.set_gdal_config_options({"DXF_ENCODING": gdal_name})
    try:
        frame = pyogrio.read_dataframe(gdal_path, **kwargs)
    finally:
        pyogrio.set_gdal_config_options({"DXF_ENCODING": old})
    notes.append(T(f"CAD text read as {codec}", f"CAD 文字按 {codec} 读取"))
    return frame, codec


def _crs_of(frame: gpd.GeoDataFrame) -> CRS | None:
    return CRS.from_user_input(frame.crs) if frame.crs is not None else None


# --- tables of coordinates ---------------------------------------------------------
def _read_table(path: Path, fmt: str, sheet: str | None, encoding: str) -> Source:
    notes: list[T] = []
    used = None
    if fmt == "Excel":
        table = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object)
    else:
        text, used = decode_text_file(path.read_bytes(), encoding)
        if used.endswith("(lossy)"):
            notes.append(T("the table is neither UTF-8 nor GBK/GB18030; read as GB18030 with unreadable "
                           "characters replaced by �: save it as UTF-8 and import again if names matter",
                           "表格既非 UTF-8 也非 GBK/GB18030，已按 GB18030 读取，无法识别的字符以 � 代替；"
                           "如名称重要，请另存为 UTF-8 后重新导入"))
        elif used != "utf-8":
            notes.append(T(f"the table was read as {used}", f"表格按 {used} 编码读取"))
        sample = text[:20000]
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
        check_width(csv_width(text, delimiter) - 2, path)  # before parsing: lon and lat are not fields
        table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=object,
                            skipinitialspace=True)
    table.columns = [str(c).strip() for c in table.columns]
    frame, coord_cols = _points_from_table(table, path)
    return Source(path, fmt, frame, sheet, [], None, used, coord_cols, notes)


def _find_column(columns: list[str], names: set[str], parts: tuple[str, ...]) -> str | None:
    normalised = {c: _norm(c) for c in columns}
    for col, key in normalised.items():
        if key in names:
            return col
    for col, key in normalised.items():
        if any(p in key for p in parts):
            return col
    return None


def _points_from_table(table: pd.DataFrame, path: Path) -> tuple[gpd.GeoDataFrame, tuple[str, str]]:
    columns = list(table.columns)
    lon = _find_column(columns, _LON_NAMES, ("lng", "lon", "经度"))
    lat = _find_column(columns, _LAT_NAMES, ("lat", "纬度"))
    if lon is not None and lat is not None and lon != lat:
        xs = pd.to_numeric(table[lon].astype("string").str.strip(), errors="coerce")
        ys = pd.to_numeric(table[lat].astype("string").str.strip(), errors="coerce")
        cols = (lon, lat)
    else:
        pair = _find_column(columns, _PAIR_NAMES, ())
        if pair is None:
            raise ProjectError(
                T(f"{path.name} has no coordinate columns", f"{path.name} 中没有坐标列"),
                f"{path.name}: {', '.join(columns[:12])}",
                T("add columns named lon and lat (经度/纬度) or x and y, or a 'location' column "
                  "holding 'lon,lat'", "请添加名为 lon、lat（经度、纬度）或 x、y 的列，"
                  "或含“经度,纬度”的 location 列"))
        parts = table[pair].astype("string").str.split(r"[,，\s]+", n=1, expand=True, regex=True)
        if parts.shape[1] < 2:
            parts[1] = pd.NA
        xs = pd.to_numeric(parts[0], errors="coerce")
        ys = pd.to_numeric(parts[1], errors="coerce")
        cols = (pair, pair)
    xs_arr = xs.to_numpy(dtype=float, na_value=np.nan)
    ys_arr = ys.to_numpy(dtype=float, na_value=np.nan)
    geometry = gpd.points_from_xy(xs_arr, ys_arr)
    bad = ~(np.isfinite(xs_arr) & np.isfinite(ys_arr))
    geometry[bad] = None
    attrs = table.drop(columns=[c for c in set(cols)])
    return gpd.GeoDataFrame(attrs, geometry=geometry, crs=None), cols
