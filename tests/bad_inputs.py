"""A corpus of bad input files, generated on demand (nothing binary is committed).

``make_corpus(folder)`` writes every case and returns them as :class:`Case`
(file, target kind, coords, and what must happen: ``refuse`` = a ProjectError,
``repair`` = imported with what was changed in the report, ``either``).
Run ``python tests/bad_inputs.py OUTDIR`` to look at the files.

The hostile ones (issue 14) are meant to hang or blow up an importer: a GeoPackage
view without end, a table with 60,000 columns, polygons whose repair grows
quadratically, impossible ellipsoids, garbage rasters, pipes and folders where a
file is expected. Each must finish in seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

X0, Y0 = 528_000.0, 3_397_000.0  # EPSG:4546, Xiling district
LON, LAT = 111.29, 30.70


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    kind: str
    expect: str  # "refuse" | "repair" | "either"
    coords: str = "auto"


def _boxes(n: int = 3, crs: str | None = "EPSG:4546", **cols) -> gpd.GeoDataFrame:
    geoms = [shapely.box(X0 + 200 * i, Y0, X0 + 200 * i + 150, Y0 + 150) for i in range(n)]
    data = {"name": [f"小区{i}" for i in range(n)], **cols}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=crs)


def _geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _feature(geometry: dict | None, **props) -> dict:
    return {"type": "Feature", "properties": {"name": "x", **props}, "geometry": geometry}


def _poly(coords) -> dict:
    return {"type": "Polygon", "coordinates": [coords]}


def _lonlat_box(dx: float = 0.0, size: float = 0.002) -> list:
    x, y = LON + dx, LAT
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def _shapefile(folder: Path, stem: str, gdf: gpd.GeoDataFrame) -> Path:
    path = folder / f"{stem}.shp"
    pyogrio.write_dataframe(gdf, path, encoding="UTF-8")
    return path


def _truncate(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * keep))])
    return path


# --- hostile files (issue 14) ----------------------------------------------------------
ENDLESS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)"


def _register_view(con: sqlite3.Connection, name: str, sql: str) -> None:
    """A view made a point layer of the GeoPackage (listed in gpkg_contents)."""
    con.execute(f"CREATE VIEW {name} AS {sql}")
    con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                "VALUES (?, 'features', ?, 4546)", (name, name))
    con.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POINT', 4546, 0, 0)", (name,))


def view_gpkg(path: Path, keep_table: bool = True, circular: bool = False) -> Path:
    """A GeoPackage of points whose layer 'loop' is a view without end (or, ``circular``,
    views 'loop' and 'loop2' defined through each other)."""
    points = gpd.GeoDataFrame({"name": ["养老院", "卫生站"]}, geometry=[
        shapely.Point(X0, Y0), shapely.Point(X0 + 300, Y0)], crs="EPSG:4546")
    points.to_file(path, layer="pts", engine="pyogrio")
    con = sqlite3.connect(path)
    with con:
        row = con.execute("SELECT * FROM gpkg_contents WHERE table_name = 'pts'").fetchone()
        con.execute("DELETE FROM gpkg_contents WHERE table_name = 'pts'")
        if circular:
            con.execute("CREATE VIEW loop2 AS SELECT * FROM loop")
            _register_view(con, "loop", "SELECT * FROM loop2")
        else:
            _register_view(con, "loop", f"{ENDLESS} SELECT n AS fid, p.geom AS geom, p.name AS name "
                                        "FROM r, pts AS p WHERE p.fid = 1")
        if keep_table:  # listed after the view (GDAL lists layers in gpkg_contents order)
            con.execute(f"INSERT INTO gpkg_contents VALUES ({', '.join('?' * len(row))})", row)
        else:  # the table stays, unlisted, as the view's source
            con.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'pts'")
    con.close()
    return path


def wide_csv(path: Path, columns: int) -> Path:
    names = ["name", "lon", "lat"] + [f"c{i}" for i in range(columns - 3)]
    row = ["站点", "111.29", "30.70"] + ["1"] * (columns - 3)
    path.write_text(",".join(names) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    return path


def coil(n: int, loops: int = 8, radius: float = 400.0) -> shapely.Polygon:
    """A ring traced as a coil of small loops (n vertices, a crossing every few): how a
    scribbled boundary looks. Repairs in about linear time."""
    t = np.arange(n) / n * 2 * np.pi
    phase = t * n / loops
    wobble = 2 * np.pi * radius / n * loops * 0.8
    r = radius + wobble * np.cos(phase)
    x = X0 + r * np.cos(t) - wobble * np.sin(phase) * np.sin(t)
    y = Y0 + r * np.sin(t) + wobble * np.sin(phase) * np.cos(t)
    return shapely.Polygon(np.c_[x, y])


def zigzag(n: int, radius: float = 400.0) -> shapely.Polygon:
    """A ring whose edges jump back and forth across their neighbours: every edge box
    overlaps thousands of others. Refused as too complex to repair."""
    i = np.arange(n)
    step = 2 * np.pi / n
    theta = i * step + np.where(i % 2, 1.6, -1.6) * step
    r = radius * (1 + 0.05 * np.where((i // 2) % 2, 1, -1))
    return shapely.Polygon(np.c_[X0 + r * np.cos(theta), Y0 + r * np.sin(theta)])


def scribble(n: int) -> shapely.Polygon:
    """n random vertices in a 300 m square: crossings grow with n²."""
    xy = np.random.default_rng(7).random((n, 2)) * 300
    return shapely.Polygon(xy + [X0, Y0])


def polygon_gpkg(path: Path, geom: shapely.Polygon) -> Path:
    gdf = gpd.GeoDataFrame({"name": ["小区"]}, geometry=[geom], crs="EPSG:4546")
    pyogrio.write_dataframe(gdf, path)
    return path


def prj_shapefile(folder: Path, axis: str, inverse_flattening: str) -> Path:
    """A shapefile near the project whose .prj declares the given ellipsoid."""
    path = _shapefile(folder, "c", _boxes())
    prj = path.with_suffix(".prj").read_text(encoding="ascii")
    start = prj.index("SPHEROID[")
    end = prj.index("]", start)
    path.with_suffix(".prj").write_text(
        prj[:start] + f'SPHEROID["odd",{axis},{inverse_flattening}' + prj[end:], encoding="ascii")
    return path


def huge_tiff(path: Path) -> Path:
    """A valid little GeoTIFF whose header then claims 60,000 × 60,000 cells."""
    import struct

    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=16, height=16, count=1, dtype="uint8",
                       crs="EPSG:4546", transform=from_origin(X0, Y0, 10, 10)) as dst:
        dst.write(np.ones((1, 16, 16), dtype="uint8"))
    data = bytearray(path.read_bytes())
    (ifd,) = struct.unpack("<I", data[4:8])
    (count,) = struct.unpack("<H", data[ifd:ifd + 2])
    for k in range(count):
        entry = ifd + 2 + 12 * k
        tag, kind = struct.unpack("<HH", data[entry:entry + 4])
        if tag in (256, 257):  # ImageWidth, ImageLength
            data[entry + 8:entry + 12] = struct.pack("<HH", 60_000, 0) if kind == 3 else \
                struct.pack("<I", 60_000)
    path.write_bytes(bytes(data))
    return path


def _hostile(folder: Path, add) -> None:
    """The files of issue 14: each must be refused (or repaired) in seconds."""
    add("GeoPackage whose only layer is an endless view",
        view_gpkg(folder / "endless_view.gpkg", keep_table=False), "facilities", "refuse")
    with zipfile.ZipFile(folder / "endless_view.zip", "w") as zf:
        zf.write(folder / "endless_view.gpkg", "data/endless_view.gpkg")
    add("zipped GeoPackage whose only layer is an endless view", folder / "endless_view.zip", "facilities",
        "refuse")
    add("GeoPackage with an endless view listed first",
        view_gpkg(folder / "endless_first.gpkg"), "facilities", "repair")
    add("GeoPackage view defined through itself",
        view_gpkg(folder / "circular_view.gpkg", keep_table=False, circular=True), "facilities", "refuse")
    add("CSV with 60,000 columns", wide_csv(folder / "wide.csv", 60_000), "facilities", "refuse")
    p = folder / "wide.xlsx"
    gpd.pd.DataFrame([[111.29, 30.70] + [1] * 2_998],
                     columns=["lon", "lat"] + [f"c{i}" for i in range(2_998)]).to_excel(p, index=False)
    add("XLSX with 3,000 columns", p, "facilities", "refuse")
    add("self-intersecting polygon of 100,000 vertices", polygon_gpkg(
        folder / "coil.gpkg", coil(100_000)), "communities", "repair")
    add("dense zigzag polygon of 200,000 vertices", polygon_gpkg(
        folder / "zigzag.gpkg", zigzag(200_000)), "communities", "refuse")
    add("scribbled polygon of 3,000 random vertices", polygon_gpkg(
        folder / "scribble.gpkg", scribble(3_000)), "communities", "refuse")
    for n, (name, axis, inverse) in enumerate((("a 1e-9 m ellipsoid", "1e-9", "298.257"),
                                               ("a 1e30 m ellipsoid", "1e30", "298.257"),
                                               ("a negative inverse flattening", "6378137.0", "-298.257"),
                                               ("an inverse flattening of 0.5", "6378137.0", "0.5"))):
        sub = folder / f"odd_prj_{n}"
        sub.mkdir()
        add(f".prj with {name}", prj_shapefile(sub, axis, inverse), "communities", "refuse")
    (folder / "garbage.tif").write_bytes(np.random.default_rng(1).bytes(200_000))
    add("garbage .tif", folder / "garbage.tif", "basemap", "refuse")
    (folder / "tiff_head.tif").write_bytes(b"II*\x00" + np.random.default_rng(2).bytes(50_000))
    add("random bytes after a TIFF header", folder / "tiff_head.tif", "basemap", "refuse")
    (folder / "garbage.vrt").write_bytes(b'<VRTDataset rasterXSize="\xb3\xd4' + bytes(range(256)))
    add("binary garbage named .vrt", folder / "garbage.vrt", "basemap", "refuse")
    add("GeoTIFF header claiming 60,000 x 60,000 cells", huge_tiff(folder / "huge.tif"), "basemap",
        "refuse")
    (folder / "folder.shp").mkdir()
    add("a folder named .shp", folder / "folder.shp", "communities", "refuse")
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.csv")
        add("a pipe named .csv", folder / "pipe.csv", "facilities", "refuse")
        os.mkfifo(folder / "pipe.tif")
        add("a pipe named .tif", folder / "pipe.tif", "basemap", "refuse")
        os.mkfifo(folder / "pipe_source.tif")
        (folder / "pipe.vrt").write_text(
            '<VRTDataset rasterXSize="4" rasterYSize="4"><VRTRasterBand dataType="Byte" band="1">'
            '<SimpleSource><SourceFilename relativeToVRT="1">pipe_source.tif</SourceFilename>'
            '</SimpleSource></VRTRasterBand></VRTDataset>', encoding="utf-8")
        add("a VRT reading a pipe", folder / "pipe.vrt", "basemap", "refuse")


def make_corpus(folder: Path) -> list[Case]:  # noqa: PLR0915 - one line per case reads best
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    add = lambda name, path, kind, expect, coords="auto": cases.append(  # noqa: E731
        Case(name, Path(path), kind, expect, coords))
    good = _boxes()

    # --- damaged files ---------------------------------------------------------------
    p = folder / "truncated.gpkg"
    good.to_file(p, engine="pyogrio")
    add("truncated gpkg", _truncate(p, 0.3), "communities", "refuse")
    sub = folder / "trunc_shp"
    sub.mkdir()
    add("truncated shp", _truncate(_shapefile(sub, "c", good), 0.6), "communities", "either")
    p = _geojson(folder / "truncated.geojson", [_feature(_poly(_lonlat_box()))] * 5)
    add("truncated geojson", _truncate(p, 0.5), "communities", "refuse")
    p = folder / "truncated.zip"
    sub = folder / "zsrc"
    sub.mkdir()
    _shapefile(sub, "c", good)
    with zipfile.ZipFile(p, "w") as zf:
        for part in sub.iterdir():
            zf.write(part, part.name)
    add("truncated zip", _truncate(p, 0.5), "communities", "refuse")
    p = folder / "truncated.xlsx"
    good.drop(columns="geometry").assign(lon=LON, lat=LAT).to_excel(p, index=False)
    add("truncated xlsx", _truncate(p, 0.4), "facilities", "refuse")
    (folder / "zero.geojson").write_bytes(b"")
    add("zero bytes", folder / "zero.geojson", "communities", "refuse")

    # --- shapefile parts missing -------------------------------------------------------
    for ext in (".shx", ".dbf"):
        sub = folder / f"no{ext[1:]}"
        sub.mkdir()
        path = _shapefile(sub, "c", good)
        path.with_suffix(ext).unlink()
        add(f"missing {ext}", path, "communities", "refuse")
    sub = folder / "noprj"
    sub.mkdir()
    path = _shapefile(sub, "c", good)
    path.with_suffix(".prj").unlink()
    add("missing .prj (metres near the project)", path, "communities", "repair")
    sub = folder / "noprj_far"
    sub.mkdir()
    path = _shapefile(sub, "c", good.set_geometry(good.translate(3_000_000, 0)))
    path.with_suffix(".prj").unlink()
    add("missing .prj (metres elsewhere)", path, "communities", "refuse")
    sub = folder / "onlydbf"
    sub.mkdir()
    add("a lone .dbf", _shapefile(sub, "c", good).with_suffix(".dbf"), "communities", "refuse")

    # --- wrong extensions / not what they say -------------------------------------------
    sub = folder / "renamed"
    sub.mkdir()
    shp = _shapefile(sub, "c", good)
    add("shapefile named .json", shutil.copy(shp, folder / "shape_as.json"), "communities", "refuse")
    p = _geojson(folder / "gj.geojson", [_feature(_poly(_lonlat_box()))])
    add("GeoJSON named .csv", shutil.copy(p, folder / "geojson_as.csv"), "communities", "repair")
    (folder / "table_as.gpkg").write_text("name,lon,lat\na,111.3,30.7\n", encoding="utf-8")
    add("CSV named .gpkg", folder / "table_as.gpkg", "facilities", "refuse")
    (folder / "image.shp").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    add("PNG named .shp", folder / "image.shp", "communities", "refuse")
    (folder / "not_a.zip").write_text("hello", encoding="utf-8")
    add("text named .zip", folder / "not_a.zip", "communities", "refuse")
    p = folder / "readme_only.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "数据说明")
    add("zip without GIS file", p, "communities", "refuse")
    (folder / "broken.kml").write_text("<kml><Document><Placemark>", encoding="utf-8")
    add("broken KML", folder / "broken.kml", "facilities", "refuse")
    (folder / "garbage.dxf").write_text("0\nSECTION\n2\nENTITIES\n0\nLINE\n10\nabc\n", encoding="utf-8")
    add("garbage DXF", folder / "garbage.dxf", "streets", "refuse")

    # --- empty --------------------------------------------------------------------------
    add("empty FeatureCollection", _geojson(folder / "empty.geojson", []), "communities", "refuse")
    p = folder / "empty_layer.gpkg"
    good.iloc[:0].to_file(p, engine="pyogrio")
    add("GeoPackage layer with no rows", p, "communities", "refuse")
    (folder / "empty.osm").write_text('<?xml version="1.0"?><osm version="0.6"></osm>', encoding="utf-8")
    add("OSM file without ways", folder / "empty.osm", "streets", "refuse")
    add("only null geometries", _geojson(folder / "nulls.geojson", [_feature(None)] * 3),
        "communities", "refuse")

    # --- CRS mix-ups ----------------------------------------------------------------------
    sub = folder / "deg_no_prj"
    sub.mkdir()
    path = _shapefile(sub, "c", good.to_crs("EPSG:4326"))
    path.with_suffix(".prj").unlink()
    add("lon/lat without .prj", path, "communities", "repair")
    sub = folder / "deg_as_m"
    sub.mkdir()
    add("degrees declared as EPSG:4546", _shapefile(sub, "c", good.to_crs("EPSG:4326").set_crs(
        "EPSG:4546", allow_override=True)), "communities", "refuse")
    metres = [_feature(_poly([[X0, Y0], [X0 + 100, Y0], [X0 + 100, Y0 + 100], [X0, Y0]]))]
    add("metres in a GeoJSON (WGS-84 by definition)", _geojson(folder / "metres.geojson", metres),
        "communities", "refuse")
    add("metres declared as wgs84", _geojson(folder / "metres2.geojson", metres, "EPSG:4546"),
        "communities", "refuse", "wgs84")
    add("far away (Helsinki)", _geojson(folder / "helsinki.geojson", [
        _feature({"type": "Point", "coordinates": [24.94, 60.17]})]), "facilities", "refuse")
    add("latitude over 90", _geojson(folder / "lat200.geojson", [
        _feature({"type": "Point", "coordinates": [111.3, 200.0]})]), "facilities", "refuse")
    (folder / "swapped.csv").write_text("name,lon,lat\na,30.70,111.29\n", encoding="utf-8")
    add("lat/lon swapped in CSV", folder / "swapped.csv", "facilities", "refuse")
    add("a bad --coords value", _geojson(folder / "ok.geojson", [_feature(_poly(_lonlat_box()))]),
        "communities", "refuse", "EPSG:99999999")

    # --- geometry problems ------------------------------------------------------------------
    bow = [[LON, LAT], [LON + 0.002, LAT + 0.002], [LON + 0.002, LAT], [LON, LAT + 0.002], [LON, LAT]]
    add("self-intersecting polygons", _geojson(folder / "bowtie.geojson", [
        _feature(_poly(bow)), _feature(_poly(_lonlat_box(0.01)))]), "communities", "repair")
    add("some empty geometries", _geojson(folder / "some_null.geojson", [
        _feature(None), _feature(_poly(_lonlat_box())),
        _feature({"type": "Polygon", "coordinates": []})]), "communities", "repair")
    add("mixed points and polygons", _geojson(folder / "mixed.geojson", [
        _feature({"type": "Point", "coordinates": [LON, LAT]}), _feature(_poly(_lonlat_box()))]),
        "communities", "repair")
    add("3D polygons", _geojson(folder / "z.geojson", [
        _feature(_poly([[x, y, 55.0] for x, y in _lonlat_box()]))]), "communities", "repair")
    add("geometry collection", _geojson(folder / "gc.geojson", [_feature(
        {"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [LON, LAT]}, _poly(_lonlat_box())]})]),
        "communities", "repair")
    add("points imported as pipelines", _geojson(folder / "points.geojson", [
        _feature({"type": "Point", "coordinates": [LON, LAT]})]), "pipelines", "refuse")
    add("multipoint facilities", _geojson(folder / "mp.geojson", [_feature(
        {"type": "MultiPoint", "coordinates": [[LON, LAT], [LON + 0.001, LAT]]})]),
        "facilities", "repair")
    add("one-point line", _geojson(folder / "degenerate.geojson", [
        _feature({"type": "LineString", "coordinates": [[LON, LAT], [LON, LAT]]}),
        _feature({"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.001, LAT]]})]),
        "pipelines", "repair")

    # --- attributes and tables ----------------------------------------------------------------
    add("huge attribute text", _geojson(folder / "huge.geojson", [
        _feature(_poly(_lonlat_box()), notes="很长的备注" * 60_000)]), "communities", "repair")
    (folder / "gbk.csv").write_bytes("名称,经度,纬度\n社区养老服务站,111.29,30.70\n".encode("gbk"))
    add("GBK CSV", folder / "gbk.csv", "facilities", "repair")
    (folder / "latin1.csv").write_bytes("name,lon,lat\nCaf\xe9,111.29,30.70\n".encode("latin-1"))
    add("Latin-1 CSV", folder / "latin1.csv", "facilities", "repair")
    (folder / "no_coords.csv").write_text("名称,地址\n养老院,西陵区\n", encoding="utf-8")
    add("CSV without coordinates", folder / "no_coords.csv", "facilities", "refuse")
    (folder / "bad_numbers.csv").write_text(
        "name,lon,lat\na,111.29,30.70\nb,abc,30.7\nc,inf,30.7\n", encoding="utf-8")
    add("CSV with unreadable coordinates", folder / "bad_numbers.csv", "facilities", "repair")
    _hostile(folder, add)
    return cases


if __name__ == "__main__":  # pragma: no cover
    for case in make_corpus(Path(sys.argv[1])):
        print(f"{case.expect:<7} {case.kind:<12} {case.name}: {case.path}")
