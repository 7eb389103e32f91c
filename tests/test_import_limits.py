"""Imports that used to hang or end in a traceback (issue 14, items 8 and 9): polygon repair
bounded by the crossings it must handle, sources wider than a layer refused from their
header, GeoPackage views without end, impossible coordinate systems, garbage rasters,
files that cannot be opened. Each gives a one-line bilingual ProjectError, in seconds."""

from __future__ import annotations

import errno
import os
import sqlite3
import time
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from bad_inputs import X0, Y0, coil, huge_tiff, polygon_gpkg, prj_shapefile, scribble, view_gpkg, wide_csv, zigzag

from layers.errors import ProjectError, ProjectFileError
from layers.gpkg_views import readable_layer, runaway_views
from layers.importing import import_layer, read_source
from layers.importing.access import os_error
from layers.importing.complexity import RepairBudget, workload
from layers.importing.crs_check import crs_problem
from layers.importing.limits import check_source_width, dbf_width
from layers.importing.repair import repair_geometries

pytestmark = pytest.mark.timeout(120)


def refused(call, *args, **kwargs) -> ProjectError:
    """The ProjectError ``call`` raises, checked to be one clear line in both languages."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ProjectError) as info:
            call(*args, **kwargs)
    exc = info.value
    assert exc.where and exc.fix is not None
    for lang in ("en", "zh"):
        assert "\n" not in exc.message(lang) and "Traceback" not in exc.message(lang)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.what.zh + exc.fix.zh)
    return exc


def _frame(geom) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["a"]}, geometry=[geom], crs="EPSG:4546")


# --- polygon repair ------------------------------------------------------------------
def test_a_big_self_intersecting_polygon_is_repaired_fast_and_keeps_its_area():
    ring = coil(100_000)
    assert not ring.is_valid
    started = time.monotonic()
    frame, repairs = repair_geometries(_frame(ring), "polygon", "communities", "x.gpkg")
    assert time.monotonic() - started < 15  # the linework repair took minutes
    geom = frame.geometry.iloc[0]
    assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
    assert geom.area == pytest.approx(np.pi * 400.0 ** 2, rel=0.01)  # the whole disc the coil outlines
    assert [r.action for r in repairs] == ["repaired"]


def test_a_zigzag_of_50k_vertices_is_repaired_in_seconds():
    started = time.monotonic()
    frame, _ = repair_geometries(_frame(zigzag(50_000)), "polygon", "communities", "x.gpkg")
    assert time.monotonic() - started < 15
    assert frame.geometry.iloc[0].is_valid


def test_structure_repair_of_a_bow_tie_keeps_both_halves():
    bow = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    frame, repairs = repair_geometries(_frame(bow), "polygon", "communities", "x")
    geom = frame.geometry.iloc[0]
    assert geom.geom_type == "MultiPolygon" and geom.area == pytest.approx(50.0)
    assert repairs[0].action == "repaired" and "Self-intersection" in repairs[0].detail.en


@pytest.mark.parametrize("make", [lambda: zigzag(200_000), lambda: scribble(3_000)],
                         ids=["dense zigzag 200k", "scribble 3k"])
def test_a_polygon_too_complex_to_repair_is_refused_in_seconds(make):
    geom = make()
    started = time.monotonic()
    exc = refused(repair_geometries, _frame(geom), "polygon", "communities", "x.gpkg")
    assert time.monotonic() - started < 10
    assert "too complex to repair" in exc.what.en and "feature 1" in exc.what.en
    assert "simplify" in exc.fix.en.lower() and "简化" in exc.fix.zh


def test_workload_counts_crossings_and_stops_at_its_budget():
    bow = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    assert 1 <= workload(bow).crossings <= 2  # the crossing (and the closing vertex)
    square = shapely.box(0, 0, 1, 1)
    assert workload(square).crossings <= 1
    many = workload(scribble(2_000), max_crossings=1_000)
    assert many.crossings > 1_000 and many.exhausted
    dense = workload(zigzag(50_000), max_candidates=10_000)
    assert dense.exhausted and dense.candidates > 10_000


def test_repair_budget_for_the_file_and_in_time():
    loops = coil(4_000)
    each = workload(loops).crossings
    assert 500 < each < 5_000
    budget = RepairBudget("f.gpkg", max_file_crossings=2 * each + each // 2)
    budget.admit(loops, 1, 0, 3)
    budget.admit(loops, 2, 1, 3)
    exc = refused(budget.admit, loops, 3, 2, 3)
    assert "feature 3" in exc.what.en and "together" in exc.what.en
    late = RepairBudget("f.gpkg", seconds=0.0)
    time.sleep(0.01)
    exc = refused(late.admit, loops, 1, 5, 9)
    assert "5 of 9" in exc.what.en


def test_a_refused_repair_leaves_the_project_unchanged(project, tmp_path):
    before = ([layer.name for layer in project], len(project.undo))
    refused(import_layer, project, polygon_gpkg(tmp_path / "z.gpkg", scribble(3_000)), "communities")
    assert ([layer.name for layer in project], len(project.undo)) == before


# --- sources wider than a layer ----------------------------------------------------------
def test_a_60k_column_csv_is_refused_from_its_header(tmp_path):
    path = wide_csv(tmp_path / "wide.csv", 60_000)
    started = time.monotonic()
    exc = refused(read_source, path)
    assert time.monotonic() - started < 2
    assert "59998 fields" in exc.what.en and "1997" in exc.what.en


def test_a_wide_xlsx_is_refused_from_its_first_row(tmp_path):
    path = tmp_path / "wide.xlsx"
    gpd.pd.DataFrame([[111.29, 30.7] + [0] * 2_500],
                     columns=["lon", "lat"] + [f"f{i}" for i in range(2_500)]).to_excel(path, index=False)
    started = time.monotonic()
    exc = refused(read_source, path)
    assert time.monotonic() - started < 2 and "2500 fields" in exc.what.en


def test_a_dbf_header_with_too_many_fields_is_refused(tmp_path):
    path = prj_shapefile(tmp_path, "6378137.0", "298.257222101")  # any shapefile
    assert dbf_width(path) == 1  # "name"
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[8:10] = (33 + 32 * 2_040).to_bytes(2, "little")  # a header declaring 2,040 fields
    dbf.write_bytes(bytes(data))
    exc = refused(check_source_width, path, ".shp", None)
    assert "2040 fields" in exc.what.en


# --- GeoPackage views ---------------------------------------------------------------------
def test_endless_views_are_found_within_the_time_budget(tmp_path):
    path = view_gpkg(tmp_path / "v.gpkg")
    con = sqlite3.connect(path)
    with con:
        for name in ("more1", "more2"):
            con.execute(f"CREATE VIEW {name} AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL "
                        "SELECT n + 1 FROM r) SELECT n FROM r")
        con.execute("CREATE VIEW fine AS SELECT fid, geom, name FROM pts")
    con.close()
    started = time.monotonic()
    found = runaway_views(path, seconds=1.0, total=2.5)
    assert time.monotonic() - started < 4
    assert set(found) == {"loop", "more1", "more2"}  # "fine" reads to its end
    assert any("not checked" in why.en for why in found.values())


def test_a_chosen_endless_view_is_refused_and_a_table_beside_it_is_read(tmp_path):
    path = view_gpkg(tmp_path / "v.gpkg")
    exc = refused(read_source, path, layer="loop")
    assert "view" in exc.what.en and "(layer loop)" in exc.where
    notes: list = []
    assert readable_layer(path, ["loop", "pts"], None, notes, {"loop", "pts"}) == "pts"
    assert "skipped" in notes[0].en and "跳过" in notes[0].zh
    source = read_source(path, layer="pts")
    assert len(source.frame) == 2


def test_a_finite_view_imports_as_before(tmp_path, project):
    path = view_gpkg(tmp_path / "v.gpkg")
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE VIEW near AS SELECT fid, geom, name FROM pts")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                    "VALUES ('near', 'features', 'near', 4546)")
        con.execute("INSERT INTO gpkg_geometry_columns VALUES ('near', 'geom', 'POINT', 4546, 0, 0)")
    con.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = import_layer(project, path, "facilities", source_layer="near")
    assert report.imported_count == 2


def test_opening_a_geopackage_with_an_endless_view_skips_it(tmp_path):
    """What ``precinct info`` and File ▸ Open do with another program's GeoPackage."""
    from layers.store import open_project

    started = time.monotonic()
    project = open_project(view_gpkg(tmp_path / "first.gpkg"))
    assert [layer.name for layer in project] == ["pts"]
    assert "loop" in project.metadata["views_skipped"]
    err = refused(open_project, view_gpkg(tmp_path / "only.gpkg", keep_table=False))
    assert isinstance(err, ProjectFileError) and "loop" in err.what.en
    err = refused(open_project, view_gpkg(tmp_path / "circle.gpkg", keep_table=False, circular=True))
    assert "circularly" in err.what.en
    assert time.monotonic() - started < 15


# --- coordinate systems ------------------------------------------------------------------
@pytest.mark.parametrize("axis, inverse, expected", [
    ("1e-9", "298.257", "semi-major axis"), ("1e30", "298.257", "semi-major axis"),
    ("6378137.0", "-298.257", "cannot be read"), ("6378137.0", "0.5", "inverse flattening")])
def test_a_prj_with_an_impossible_ellipsoid_is_refused(tmp_path, project, axis, inverse, expected):
    path = prj_shapefile(tmp_path, axis, inverse)
    exc = refused(import_layer, project, path, "communities")
    assert expected in exc.what.en and ".prj" in exc.fix.en
    assert len(project.undo) == 0


def test_a_broken_prj_can_be_overridden_with_coords(tmp_path, project):
    path = prj_shapefile(tmp_path, "1e-9", "298.257")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = import_layer(project, path, "communities", coords="EPSG:4546")
    assert report.imported_count == 3


def test_an_impossible_coords_crs_is_refused(tmp_path, project):
    path = prj_shapefile(tmp_path, "6378137.0", "298.257222101")
    exc = refused(import_layer, project, path, "communities", coords="+proj=longlat +a=1e-9 +rf=298")
    assert "coordinate system given" in exc.what.en


def test_earth_crs_pass_the_check():
    from pyproj import CRS

    for text in ("EPSG:4546", "EPSG:4326", "EPSG:3857", "EPSG:4490", "EPSG:2230", "+proj=longlat +R=6371000",
                 "+proj=utm +zone=50 +units=km"):
        assert crs_problem(CRS.from_user_input(text)) is None, text


def test_a_proj_failure_while_converting_is_one_line(tmp_path, project, monkeypatch):
    from pyproj.exceptions import ProjError

    import layers.importing.georef as georef

    def fail(*args, **kwargs):
        raise ProjError("internal proj error: pipeline: bad step")

    monkeypatch.setattr(georef, "_check_near_project", fail)
    path = prj_shapefile(tmp_path, "6378137.0", "298.257222101")
    exc = refused(import_layer, project, path, "communities")
    assert "cannot be converted" in exc.what.en and "bad step" in exc.what.en


# --- rasters ------------------------------------------------------------------------------
def test_a_raster_header_claiming_gigabytes_is_refused_before_reading(tmp_path, project):
    started = time.monotonic()
    exc = refused(import_layer, project, huge_tiff(tmp_path / "huge.tif"), "basemap")
    assert time.monotonic() - started < 2 and "GiB" in exc.what.en
    assert len(project.undo) == 0


def test_garbage_rasters_are_refused(tmp_path, project):
    rng = np.random.default_rng(5)
    for name, data in (("noise.tif", rng.bytes(10_000)), ("head.tif", b"MM\x00*" + rng.bytes(10_000)),
                       ("noise.img", rng.bytes(5_000)), ("noise.asc", b"ncols 4\nnrows " + rng.bytes(300)),
                       ("noise.vrt", b"<VRTDataset \xff\xfe" + rng.bytes(300))):
        (tmp_path / name).write_bytes(data)
        refused(import_layer, project, tmp_path / name, "basemap")
    assert len(project.undo) == 0


def test_a_vrt_reading_from_the_network_is_refused(tmp_path, project):
    path = tmp_path / "remote.vrt"
    path.write_text('<VRTDataset rasterXSize="4" rasterYSize="4"><VRTRasterBand dataType="Byte" band="1">'
                    "<SimpleSource><SourceFilename>/vsicurl/http://example.invalid/a.tif</SourceFilename>"
                    "</SimpleSource></VRTRasterBand></VRTDataset>", encoding="utf-8")
    exc = refused(import_layer, project, path, "basemap")
    assert "network" in exc.what.en


def test_a_good_raster_still_imports(tmp_path, project):
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "ok.tif"
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8",
                       crs="EPSG:4546", transform=from_origin(X0, Y0, 10, 10)) as dst:
        dst.write(np.ones((1, 8, 8), dtype="uint8"))
    report = import_layer(project, path, "basemap")
    assert project.layer(report.layer_name).array.shape == (1, 8, 8)


# --- files that cannot be opened ----------------------------------------------------------
def test_os_errors_become_one_line_errors(tmp_path):
    path = tmp_path / "a.csv"
    cases = {PermissionError(errno.EACCES, "Permission denied", str(path)): "no permission",
             IsADirectoryError(errno.EISDIR, "Is a directory", str(path)): "is a folder",
             FileNotFoundError(errno.ENOENT, "No such file", str(path)): "does not exist",
             OSError(errno.EIO, "Input/output error", str(path)): "Input/output error"}
    for exc, words in cases.items():
        err = os_error(path, exc)
        assert words in err.what.en and err.fix is not None and err.fix.zh
        assert "\n" not in err.message("en") and "\n" not in err.message("zh")


def test_a_file_without_read_permission_is_refused(tmp_path, project, monkeypatch):
    """As root chmod cannot take read access away: the opening function is made to fail."""
    import layers.importing.access as access

    path = tmp_path / "points.csv"
    path.write_text("name,lon,lat\na,111.29,30.70\n", encoding="utf-8")

    def denied(file, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(file))

    monkeypatch.setattr(access, "open", denied, raising=False)
    exc = refused(import_layer, project, path, "facilities")
    assert "no permission to read points.csv" in exc.what.en and "Excel" in exc.fix.en
    assert len(project.undo) == 0


def test_a_part_locked_while_reading_is_refused(tmp_path, project, monkeypatch):
    """A permission error after the first look (e.g. GDAL opening a locked shapefile part)."""
    import pyogrio

    path = prj_shapefile(tmp_path, "6378137.0", "298.257222101")
    dbf = str(path.with_suffix(".dbf"))

    def locked(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", dbf)

    monkeypatch.setattr(pyogrio, "read_arrow", locked)
    monkeypatch.setattr(pyogrio, "read_dataframe", locked)
    exc = refused(import_layer, project, path, "communities")
    assert "no permission to read c.dbf" in exc.what.en


def test_a_raster_that_cannot_be_opened_is_refused(tmp_path, project, monkeypatch):
    import rasterio

    path = tmp_path / "ok.tif"
    path.write_bytes(b"II*\x00" + bytes(100))

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(rasterio, "open", denied)
    exc = refused(import_layer, project, path, "basemap")
    assert "no permission" in exc.what.en


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="pipes are a POSIX thing")
def test_a_pipe_is_refused_without_opening_it(tmp_path, project):
    for name, kind in (("p.csv", "facilities"), ("p.gpkg", "communities"), ("p.tif", "basemap")):
        os.mkfifo(tmp_path / name)
        exc = refused(import_layer, project, tmp_path / name, kind)  # opening would wait forever
        assert "not a regular file" in exc.what.en
    shp = prj_shapefile(tmp_path, "6378137.0", "298.257222101")
    shp.with_suffix(".dbf").unlink()
    os.mkfifo(shp.with_suffix(".dbf"))  # GDAL and the encoding guess would open it too
    exc = refused(import_layer, project, shp, "communities")
    assert "c.dbf is not a regular file" in exc.what.en
