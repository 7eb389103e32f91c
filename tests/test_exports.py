"""Core exports without Qt: GeoPackage with QGIS layer_styles, XLSX/CSV (the offline HTML page:
test_export_html.py and test_export_html_browser.py)."""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from affine import Affine
from shapely.geometry import LineString, Point, box

from layers.exports import write_csv_folder, write_gpkg, write_xlsx
from layers.exports.common import layer_style
from layers.exports.gpkg_styles import LAYER_STYLES_COLUMNS
from layers.exports.qml import all_entries, category_values, rgba_text
from layers.layer import RasterLayer, TableLayer, VectorLayer
from layers.project import Project
from styles import default_style

CRS = "EPSG:4546"
X0, Y0 = 528_000.0, 3_397_000.0
XSS = "<img src=x onerror=alert(1)><script>window.pwned=1</script>"
TITLE_ZH = "测试片区（虚构数据）"


def make_export_project() -> Project:
    """Every style type (single, categorised, categorised from standards, graduated), points,
    lines, polygons, a raster and a table layer; one community named with an XSS string."""
    project = Project(metadata={"title_zh": TITLE_ZH, "title_en": "Test precinct",
                                "synthetic": True})
    grid = np.arange(4 * 6, dtype="float32").reshape(4, 6) + 1
    project.add_layer(RasterLayer("人口格网", "population", grid,
                                  Affine(60, 0, X0 - 100, 0, -60, Y0 + 500), CRS, nodata=-1))
    streets = gpd.GeoDataFrame(
        {"name": ["东山大道", "夷陵路"], "road_class": ["arterial", "branch"]},
        geometry=[LineString([(X0 - 50, Y0 - 30), (X0 + 700, Y0 - 30)]),
                  LineString([(X0 + 250, Y0 - 80), (X0 + 250, Y0 + 400)])], crs=CRS)
    project.add_layer(VectorLayer("街道", "streets", streets))
    communities = gpd.GeoDataFrame(
        {"name": [XSS, "夷陵小区", "东湖小区"], "households": [120, 300, 80],
         "year_built": [1985, 1992, 1979], "willingness": [0.5, 0.9, None],
         "shantytown": [True, False, None]},
        geometry=[box(X0, Y0, X0 + 200, Y0 + 150), box(X0 + 300, Y0, X0 + 500, Y0 + 180),
                  box(X0, Y0 + 220, X0 + 180, Y0 + 400)], crs=CRS)
    graduated = {**default_style("communities"), "type": "graduated", "field": "households",
                 "classes": [{"min": 0, "max": 100, "fill": "#fee5d9", "label_zh": "少"},
                             {"min": 100, "max": 1000, "fill": "#a50f15", "label_zh": "多"}]}
    project.add_layer(VectorLayer("小区", "communities", communities, style=graduated))
    pipes = gpd.GeoDataFrame(
        {"utility": ["gas", "water", "power"], "diameter_mm": [100.0, 200.0, np.nan]},
        geometry=[LineString([(X0 + 300, Y0 + 200 + 10 * i), (X0 + 600, Y0 + 200 + 10 * i)])
                  for i in range(3)], crs=CRS)
    project.add_layer(VectorLayer("管线", "pipelines", pipes))
    facilities = gpd.GeoDataFrame(
        {"name": ["养老服务站", "托育点", "=HYPERLINK(\"http://x\")"],
         "service": ["elder_care", "childcare", "bank"]},
        geometry=[Point(X0 + 100, Y0 + 80), Point(X0 + 400, Y0 + 90), Point(X0 + 600, Y0 + 300)],
        crs=CRS)
    project.add_layer(VectorLayer("设施", "facilities", facilities))
    project.add_layer(TableLayer("覆盖结果", "coverage_results", pd.DataFrame(
        {"community_fid": [1, 2], "community": [XSS, "夷陵小区"], "service": ["elder_care"] * 2,
         "nearest_m": [120.456, 980.0], "covered": [True, False]})))
    return project


@pytest.fixture
def export_project() -> Project:
    return make_export_project()


# --- GeoPackage with layer_styles --------------------------------------------------------
def _styles_rows(path) -> dict[str, dict]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM layer_styles")]
    return {r["f_table_name"]: r for r in rows}


def test_gpkg_layer_styles_follow_the_qgis_schema(export_project, tmp_path):
    out = write_gpkg(export_project, tmp_path / "styled.gpkg", lang="zh")
    with sqlite3.connect(out) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(layer_styles)")]
        registered = db.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                                "'layer_styles'").fetchone()
    assert set(LAYER_STYLES_COLUMNS) <= set(columns) and registered == ("attributes",)
    rows = _styles_rows(out)
    assert set(rows) == {"街道", "小区", "管线", "设施"}  # the table layer has no style
    for row in rows.values():
        assert row["useAsDefault"] == 1 and row["f_table_catalog"] == ""
        assert row["f_geometry_column"] == "geom"
        ET.fromstring(row["styleSLD"])
    listed = {name for name, _ in pyogrio.list_layers(out)}
    assert {"街道", "小区", "管线", "设施", "覆盖结果"} <= listed
    back = pyogrio.read_dataframe(out, layer="小区")
    assert list(back["name"])[0] == XSS and len(back) == 3


def test_gpkg_export_is_geopackage_1_2(export_project, tmp_path):
    """GeoPackage 1.2 (application_id "GPKG", user_version 10200, GeoPackage spec 1.2 §1.1.1),
    which GDAL 3.6 / QGIS 3.22 open without warning on every layer as they do for 1.4."""
    out = write_gpkg(export_project, tmp_path / "styled.gpkg", lang="zh")
    with sqlite3.connect(out) as db:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        user_version = db.execute("PRAGMA user_version").fetchone()[0]
    assert application_id == 0x47504B47 and user_version == 10200
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "GDAL's ogrinfo is missing: apt-get install gdal-bin"
    result = subprocess.run([ogrinfo, "-ro", "-so", str(out)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "小区" in result.stdout, result.stderr
    assert "partially supported" not in result.stderr, result.stderr


def _symbol_colours(renderer: ET.Element, key: str) -> list[str]:
    symbols = {s.get("name"): s for s in renderer.find("symbols")}
    out = []
    for i in range(len(symbols)):
        layer = symbols[str(i)].find("layer")
        props = {o.get("name"): o.get("value") for o in layer.find("Option")}
        out.append(props[key])
    return out


@pytest.mark.parametrize("name, renderer_type, attr, key", [
    ("小区", "graduatedSymbol", "households", "color"),
    ("管线", "categorizedSymbol", "utility", "line_color"),
    ("设施", "categorizedSymbol", "service", "color"),
    ("街道", "categorizedSymbol", "road_class", "line_color"),
])
def test_qml_carries_renderer_and_resolved_colours(export_project, tmp_path, name,
                                                    renderer_type, attr, key):
    out = write_gpkg(export_project, tmp_path / "styled.gpkg", lang="zh")
    qml = _styles_rows(out)[name]["styleQML"]
    root = ET.fromstring(qml.split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == renderer_type and renderer.get("attr") == attr
    layer = export_project.layer(name)
    style, resolved = layer_style(export_project, layer)
    colour_of = "fill" if key == "color" else "stroke"
    # QGIS gets every category (a legend may list only the classes present)
    every = all_entries(style, resolved, export_project.standards() if style.get("colors_from") else None)
    expected = [rgba_text(getattr(e, colour_of)) for e in every]
    assert _symbol_colours(renderer, key)[:len(expected)] == expected
    if renderer_type == "categorizedSymbol":
        values = [c.get("value") for c in renderer.find("categories")]
        standards = export_project.standards() if style.get("colors_from") else None
        assert values[:len(category_values(style, standards))] == category_values(style,
                                                                                   standards)
        # every feature's resolved colour is the colour of its category in QGIS
        colours = dict(zip(values, _symbol_colours(renderer, key), strict=True))
        for value, rgba in zip(layer.gdf[attr], getattr(resolved, colour_of), strict=True):
            assert colours.get(value, colours.get("")) == rgba_text(rgba)
    else:
        ranges = [(float(r.get("lower")), float(r.get("upper"))) for r in renderer.find("ranges")]
        assert ranges == [(0.0, 100.0), (100.0, 1000.0)]


def test_single_symbol_and_labels(tmp_path):
    project = make_export_project()
    layer = project.layer("小区")
    layer.style = default_style("communities")
    out = write_gpkg(project, tmp_path / "single.gpkg", names=["小区"])
    root = ET.fromstring(_styles_rows(out)["小区"]["styleQML"].split("\n", 1)[1])
    assert root.find("renderer-v2").get("type") == "singleSymbol"
    resolved = layer_style(project, layer)[1]
    assert _symbol_colours(root.find("renderer-v2"), "color") == [rgba_text(resolved.fill[0])]
    assert root.find("labeling/settings/text-style").get("fieldName") == "name"


def test_gpkg_opens_in_qgis_with_our_renderer(export_project, tmp_path):
    """QGIS (Debian's python3-qgis under the system Python, installed by .ci/run; fails, not
    skips, without it) draws the exported pipelines with our categories and colours."""
    out = write_gpkg(export_project, tmp_path / "styled.gpkg", lang="zh")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qgis_open_vector.py")
    run = subprocess.run(["/usr/bin/python3", str(script), str(out), "管线"],
                         capture_output=True, text=True, timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, f"QGIS gave no answer (is python3-qgis installed?): {run.stderr[-800:]}"
    got = json.loads(lines[-1])
    assert got["valid"] and got["style_loaded"], got
    assert got["renderer"] == "categorizedSymbol" and got["field"] == "utility"
    resolved = layer_style(export_project, export_project.layer("管线"))[1]
    gdf = export_project.layer("管线").gdf
    for utility, stroke in zip(gdf["utility"], resolved.stroke, strict=True):
        assert got["colours"][str(utility)] == [int(v) for v in stroke[:3]]


# --- tables ----------------------------------------------------------------------------
def test_xlsx_has_a_sheet_per_layer_with_chinese_headers(export_project, tmp_path):
    from openpyxl import load_workbook

    out = write_xlsx(export_project, tmp_path / "tables.xlsx", lang="zh")
    book = load_workbook(out)
    assert book.sheetnames == ["说明", "街道", "小区", "管线", "设施", "覆盖结果"]
    rows = list(book["小区"].values)
    assert rows[0][:3] == ("要素编号", "小区名称", "区") and "X (m)" in rows[0]
    assert rows[1][1] == XSS and len(rows) == 4
    shanty = rows[0].index("纳入棚户区改造计划")
    assert [r[shanty] for r in rows[1:]] == ["是", "否", None]
    facility = list(book["设施"].values)[3]
    cell = book["设施"].cell(row=4, column=2)
    assert facility[1].startswith("'=HYPERLINK") and cell.data_type == "s"
    coverage = list(book["覆盖结果"].values)
    assert "至最近设施距离 (m)" in coverage[0] and coverage[1][coverage[0].index(
        "至最近设施距离 (m)")] == pytest.approx(120.46)


def _with_programme_items(project):
    project.add_layer(TableLayer("改造项目", "programme_items", pd.DataFrame(
        {"community_fid": [2], "item": ["roof_waterproofing"], "quantity": [1200.0],
         "unit_cost_yuan": [1234567.891]})))
    return project


def test_xlsx_is_formatted_for_a_reader(export_project, tmp_path):
    """Bold, shaded, frozen header row with an autofilter over the whole table; columns as
    wide as their longest text (a CJK character counts two); number formats by field."""
    from openpyxl import load_workbook

    out = write_xlsx(_with_programme_items(export_project), tmp_path / "t.xlsx", lang="zh")
    book = load_workbook(out)
    for name, rows, last in (("小区", 4, "AA"), ("覆盖结果", 3, "O"), ("改造项目", 2, "H")):
        sheet = book[name]
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{last}{rows}"
        assert all(cell.font.b for cell in sheet[1]) and not sheet["A2"].font.b
        assert sheet["A1"].fill.fgColor.rgb == "FFEDEDED"
    header = [c.value for c in book["小区"][1]]
    col = {h: i + 1 for i, h in enumerate(header)}

    def cell(title, row=2, sheet="小区"):
        return book[sheet].cell(row=row, column=col[title] if sheet == "小区" else [
            c.value for c in book[sheet][1]].index(title) + 1)

    # willingness 0.5 is stored as the fraction and shown as 50.0 %
    assert cell("改造意愿（同意户数占比） (%)").value == 0.5
    assert cell("改造意愿（同意户数占比） (%)").number_format == "0.0%"
    assert cell("户数 (户)").number_format == "#,##0" and cell("户数 (户)").value == 120
    assert cell("建成年代").number_format == "0" and cell("建成年代").value == 1985
    assert cell("X (m)").number_format == "0.00" and cell("要素编号").number_format == "0"
    assert cell("至最近设施距离 (m)", sheet="覆盖结果").number_format == "#,##0.00"
    yuan = cell("单价（覆盖目录） (元)", sheet="改造项目")
    assert yuan.value == pytest.approx(1234567.89) and yuan.number_format == "#,##0.00"
    assert cell("小区名称").number_format == "General"
    widths = book["小区"].column_dimensions
    # 小区名称: the XSS name, 60 characters, is capped at 60; 要素编号: 4 CJK = 8 + 3 + 2
    assert widths["B"].width == 60 and widths["A"].width == 13
    # 户数 (户): 6 characters, 3 of them CJK (count twice), + 3 for the filter button + 2
    assert widths[col_letter(col["户数 (户)"])].width == 6 + 3 + 3 + 2


def col_letter(number: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(number)


@pytest.mark.parametrize("lang, synthetic", [("zh", True), ("en", False)])
def test_xlsx_notes_sheet_says_crs_sources_and_synthetic(export_project, tmp_path, lang,
                                                         synthetic):
    from openpyxl import load_workbook

    export_project.metadata["synthetic"] = synthetic
    export_project.metadata["sources_en"] = "Yichang survey 2024"
    out = write_xlsx(export_project, tmp_path / "t.xlsx", lang=lang)
    book = load_workbook(out)
    notes_name = {"zh": "说明", "en": "Notes"}[lang]
    assert book.sheetnames[0] == notes_name and book.active.title == notes_name
    notes = dict(list(book[notes_name].values)[1:])
    coordinates = notes[{"zh": "坐标", "en": "Coordinates"}[lang]]
    assert "EPSG:4546" in coordinates and "X (m)" in coordinates
    sources = notes[{"zh": "数据来源", "en": "Sources"}[lang]]
    assert sources == "Yichang survey 2024" if lang == "en" else "小区" in sources
    notice = {"zh": "虚构数据", "en": "Synthetic data"}[lang]
    assert (notice in notes) == synthetic
    assert book[notes_name]["A2"].font.b and book[notes_name].freeze_panes is None
    sheets = book.sheetnames[1:]
    assert sheets == ["街道", "小区", "管线", "设施", "覆盖结果"]  # names the user gave stay
    assert [c.value for c in book[sheets[1]][1]][:2] == {
        "zh": ["要素编号", "小区名称"], "en": ["Feature id", "Community name"]}[lang]


def test_csv_is_utf8_with_bom_and_english_headers(export_project, tmp_path):
    files = write_csv_folder(export_project, tmp_path / "csv", lang="en")
    assert [f.name for f in files] == ["街道.csv", "小区.csv", "管线.csv", "设施.csv", "覆盖结果.csv"]
    raw = (tmp_path / "csv" / "小区.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(tmp_path / "csv" / "小区.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["Feature id", "Community name", "District"]
    assert rows[1][1] == XSS and rows[3][1] == "东湖小区"
    with open(tmp_path / "csv" / "设施.csv", encoding="utf-8-sig", newline="") as handle:
        facilities = list(csv.reader(handle))
    assert facilities[3][1].startswith("'=")  # not a live formula in Excel
    with open(tmp_path / "csv" / "覆盖结果.csv", encoding="utf-8-sig", newline="") as handle:
        coverage = list(csv.reader(handle))
    assert "Covered at the required level" in coverage[0]
    assert coverage[1][coverage[0].index("Covered at the required level")] == "yes"


def test_conflicts_layer_uses_the_report_table(tmp_path):
    from layers.pipelines.report import report_frame

    project = make_export_project()
    conflicts = gpd.GeoDataFrame(
        {"conflict_id": ["C1"], "conflict_type": ["crossing"], "status": ["open"],
         "length_m": [3.456]}, geometry=[LineString([(X0, Y0), (X0 + 5, Y0)])], crs=CRS)
    project.add_layer(VectorLayer("冲突", "conflicts", conflicts))
    write_xlsx(project, tmp_path / "t.xlsx", names=["冲突"], lang="zh")
    from openpyxl import load_workbook

    rows = list(load_workbook(tmp_path / "t.xlsx")["冲突"].values)
    expected = report_frame(project.layer("冲突").gdf, "zh")
    assert list(rows[0][1:]) == list(expected.columns)


# --- command line ----------------------------------------------------------------------
def test_cli_export_writes_every_requested_file(export_project, tmp_path, capsys):
    from app.cli import export as cli_export
    from layers.store import save_project

    project_file = tmp_path / "p.gpkg"
    save_project(export_project, project_file)
    parser = argparse.ArgumentParser()
    cli_export.configure(parser)
    args = parser.parse_args([str(project_file), "--html", str(tmp_path / "m.html"),
                              "--gpkg", str(tmp_path / "s.gpkg"), "--xlsx",
                              str(tmp_path / "t.xlsx"), "--csv", str(tmp_path / "csv"),
                              "--layers", "小区", "设施", "--title", "审查用图"])
    args.json, args.lang = True, "zh"
    assert cli_export.run(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["written"]) == {"html", "gpkg", "xlsx", "csv"}
    assert "审查用图" in (tmp_path / "m.html").read_text("utf-8")
    assert {n for n, _ in pyogrio.list_layers(tmp_path / "s.gpkg")} >= {"小区", "设施"}
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == ["小区.csv", "设施.csv"]


def test_cli_export_needs_an_output(export_project, tmp_path):
    from app.cli import export as cli_export
    from layers.errors import ProjectError

    parser = argparse.ArgumentParser()
    cli_export.configure(parser)
    args = parser.parse_args([str(tmp_path / "p.gpkg")])
    with pytest.raises(ProjectError):
        cli_export.run(args)
