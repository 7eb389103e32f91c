"""Every table the product writes goes through one writer that never writes a live formula."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import LineString

from conftest import X0, Y0
from layers.commands import ChangeAttributes, RenameLayer
from layers.errors import ProjectError, T
from layers.exports.table_writer import FORMULA_TRIGGERS, neutralise, write_table

NASTY = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "\tcmd", "\rcmd", "-5"]


def _frame() -> pd.DataFrame:
    n = len(NASTY)
    return pd.DataFrame({
        "name": NASTY,
        "count": pd.array([-5, 0, 3, None, 1, 2, 7], dtype="Int64"),
        "share": [-2.5, 0.25, np.nan, 1.0, -0.0, 3.0, 1e-9],
        "ok": [True, False, True, True, False, True, np.True_],
        "plain": ["东湖小区"] * n,
    })


def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _xlsx_cells(path: Path, sheet: str | None = None) -> list:
    book = load_workbook(path)
    return [cell for row in (book[sheet] if sheet else book.active).iter_rows() for cell in row]


def _no_formulas(path: Path) -> None:
    book = load_workbook(path)
    formulas = [c.coordinate for s in book.worksheets for row in s.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []


def test_csv_quotes_formula_text_and_keeps_numbers(tmp_path):
    out = write_table(_frame(), tmp_path / "t.csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(out)
    assert rows[0] == ["name", "count", "share", "ok", "plain"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in NASTY]
    assert [r[1] for r in rows[1:]] == ["-5", "0", "3", "", "1", "2", "7"]  # numbers as written
    assert [r[2] for r in rows[1:3]] == ["-2.5", "0.25"] and rows[3][2] == ""
    assert {r[4] for r in rows[1:]} == {"东湖小区"}


def test_xlsx_quotes_formula_text_and_keeps_numbers(tmp_path):
    out = write_table({"表": _frame()}, tmp_path / "t.xlsx")
    _no_formulas(out)
    book = load_workbook(out)
    assert book.sheetnames == ["表"]
    rows = list(book["表"].values)
    # XML reads a bare carriage return back as a line feed; the quote is what matters
    assert [r[0] for r in rows[1:]] == ["'" + v.replace("\r", "\n") for v in NASTY]
    assert [r[1] for r in rows[1:]] == [-5, 0, 3, None, 1, 2, 7]
    assert rows[1][2] == -2.5 and rows[3][2] is None
    assert book["表"]["B2"].data_type == "n" and book["表"]["C2"].data_type == "n"
    assert rows[1][3] is True and rows[7][3] is True


def test_headers_and_index_are_cells_too(tmp_path):
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": [1]}, index=pd.Index(["@x"], name="-id"))
    rows = _csv_rows(write_table(frame, tmp_path / "h.csv", index=True))
    assert rows == [["'-id", "'=cmd|' /C calc'!A0"], ["'@x", "1"]]
    cells = _xlsx_cells(write_table(frame, tmp_path / "h.xlsx", index=True))
    assert [c.value for c in cells] == ["'-id", "'=cmd|' /C calc'!A0", "'@x", 1]


@pytest.mark.parametrize("value", [-5, -5.0, np.int64(-5), np.float64(-2.5), 0, None, True])
def test_non_text_is_never_altered(value):
    assert neutralise(value) is value


@pytest.mark.parametrize("start", FORMULA_TRIGGERS)
def test_every_trigger_is_quoted(start):
    assert neutralise(start + "x") == "'" + start + "x"
    assert neutralise("x" + start) == "x" + start  # only the first character matters


def test_refusals_are_clear_and_leave_the_old_file(tmp_path):
    with pytest.raises(ProjectError) as err:
        write_table(_frame(), tmp_path / "t.txt")
    assert ".txt" in err.value.message("en") and "格式" in err.value.message("zh")
    with pytest.raises(ValueError, match="one table"):
        write_table({"a": _frame(), "b": _frame()}, tmp_path / "t.csv")
    target = tmp_path / "t.xlsx"
    target.write_bytes(b"old")
    folder_in_the_way = tmp_path / "dir.csv"
    folder_in_the_way.mkdir()
    with pytest.raises(ProjectError) as err:
        write_table(_frame(), folder_in_the_way, what=T("plan", "计划"))
    assert "cannot write the plan" in err.value.message("en") and "计划" in err.value.message("zh")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == [
        "dir.csv", "t.xlsx"]



def test_xlsx_formats_notes_and_limits(tmp_path):
    """Formats change how a number shows, not what it is (a percentage becomes the fraction
    Excel's % shows); the notes sheet comes first and is quoted like any cell; a text past
    Excel's 32,767 characters is cut; the CSV of the same table keeps the numbers as given."""
    frame = pd.DataFrame({"share (%)": [45.0, None, 100.0], "cost": [1234.5, 0.0, -2.0],
                          "note": ["x" * 40_000, "=1+1", "东湖"]})
    notes = pd.DataFrame({"item": ["source", "=cmd"], "text": ["+survey", "ok"]})
    out = write_table({"t": frame}, tmp_path / "t.xlsx", notes=("说明", notes),
                      formats={"t": {"share (%)": "percent", "cost": "yuan", "nope": "yuan",
                                     "note": "no such kind"}})
    _no_formulas(out)
    book = load_workbook(out)
    assert book.sheetnames == ["说明", "t"]
    assert list(book["说明"].values) == [("item", "text"), ("source", "'+survey"), ("'=cmd", "ok")]
    sheet = book["t"]
    assert [sheet.cell(row=r, column=1).value for r in (2, 3, 4)] == [0.45, None, 1.0]
    assert sheet["A2"].number_format == "0.0%" and sheet["B2"].number_format == "#,##0.00"
    assert [sheet.cell(row=r, column=2).value for r in (2, 3, 4)] == [1234.5, 0, -2]
    assert sheet["C2"].number_format == "General" and sheet["C3"].value == "'=1+1"
    assert len(sheet["C2"].value) == 32_767 and sheet["C2"].value.endswith("…")
    rows = _csv_rows(write_table(frame, tmp_path / "t.csv"))
    assert [r[0] for r in rows[1:]] == ["45.0", "", "100.0"] and len(rows[1][2]) == 40_000


def test_xlsx_dates_and_mixed_columns(tmp_path):
    import datetime as dt

    frame = pd.DataFrame({"when": [dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 12, 30), None],
                          "mixed": [1, "a", 2.5], "stamp": pd.to_datetime(["2026-01-02", None,
                                                                         "2026-01-03"])})
    book = load_workbook(write_table({"d": frame}, tmp_path / "d.xlsx"))
    values = list(book["d"].values)[1:]
    assert values[0][0] == dt.datetime(2026, 3, 1) and values[1][0] == dt.datetime(2026, 3, 1, 12, 30)
    assert book["d"]["A2"].number_format == "yyyy-mm-dd"
    assert book["d"]["A3"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert [v[1] for v in values] == [1, "a", 2.5]
    assert values[0][2] == dt.datetime(2026, 1, 2) and values[1][2] is None


# --- the product's tables, through the functions the CLI calls -----------------------------
def _conflicts_with_a_nasty_layer_name() -> gpd.GeoDataFrame:
    from layers.pipelines import find_conflicts
    from layers.project import Project
    from tests.test_pipelines import _project

    project: Project = _project()
    project.apply(RenameLayer(project.layer("works").id, '=HYPERLINK("http://x","y")'))
    conflicts = find_conflicts(project)
    assert (conflicts["layer_a"].astype(str).str.startswith("=")
            | conflicts["layer_b"].astype(str).str.startswith("=")).any()
    return conflicts


def test_conflict_report_csv_and_xlsx_hold_no_live_formula(tmp_path):
    from layers.exports.reports import write_report

    conflicts = _conflicts_with_a_nasty_layer_name()
    rows = _csv_rows(write_report(conflicts, tmp_path / "c.csv", lang="en"))
    texts = [v for r in rows for v in r]
    assert not any(v.startswith(FORMULA_TRIGGERS) for v in texts)
    assert any(v.startswith("'=HYPERLINK") for v in texts)
    xlsx = write_report(conflicts, tmp_path / "c.xlsx", lang="zh")
    _no_formulas(xlsx)
    cells = _xlsx_cells(xlsx)
    assert any(str(c.value).startswith("'=HYPERLINK") for c in cells)
    assert any(c.data_type == "n" and isinstance(c.value, float) for c in cells)  # lengths


def test_programme_plan_holds_no_live_formula(tmp_path):
    from layers.exports.reports import write_plan
    from layers.programme import community_split, plan_year, set_catalogue_unit_cost
    from layers.programme.items import add_item_command
    from tests.test_programme import make_project

    p = make_project([{"name": "=1+1"}, {"name": "@SUM(A1)"}, {"name": "-2+3"}])
    set_catalogue_unit_cost(p, "roof_waterproofing", 100.0)
    for fid in (1, 2, 3):
        p.apply(add_item_command(p, fid, "roof_waterproofing", 1000))
    plan = plan_year(p, 2025, None)
    splits = {str(r.name): community_split(p, int(r.fid)) for r in plan.selected.itertuples()}
    xlsx = write_plan(plan, splits, tmp_path / "plan.xlsx", "en")
    _no_formulas(xlsx)
    book = load_workbook(xlsx)
    header = [c.value for c in book["Annual plan"][1]]
    names = [r[header.index("Name")] for r in book["Annual plan"].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["'-2+3", "'=1+1", "'@SUM(A1)"]
    funding = [r[0] for r in book["Funding"].iter_rows(min_row=2, values_only=True)]
    assert sorted(funding) == ["'-2+3", "'=1+1", "'@SUM(A1)"]
    costs = [r[header.index("Cost (yuan)")] for r in book["Annual plan"].iter_rows(min_row=2, values_only=True)]
    assert costs == [100_000, 100_000, 100_000]
    rows = _csv_rows(write_plan(plan, splits, tmp_path / "plan.csv", "en"))
    column = rows[0].index("Name")
    assert sorted(r[column] for r in rows[1:]) == ["'-2+3", "'=1+1", "'@SUM(A1)"]


def test_attribute_tables_hold_no_live_formula(tmp_path):
    from conftest import tiny_communities
    from layers.exports import write_csv_folder, write_xlsx
    from layers.layer import VectorLayer
    from layers.project import Project

    project = Project()
    layer = project.add_layer(VectorLayer("=小区", "communities", tiny_communities(2)))
    project.apply(ChangeAttributes(layer.id, {1: {"name": "+1+1"}}))
    xlsx = write_xlsx(project, tmp_path / "t.xlsx", lang="zh")
    _no_formulas(xlsx)
    rows = list(load_workbook(xlsx)["=小区"].values)
    assert rows[1][1] == "'+1+1" and rows[1][0] == 1 and rows[1][-2] == pytest.approx(X0 + 50)
    (csv_path,) = write_csv_folder(project, tmp_path / "csv", lang="en")
    assert _csv_rows(csv_path)[1][1] == "'+1+1"
    assert float(_csv_rows(csv_path)[1][-1]) == pytest.approx(Y0 + 50)


def test_coverage_results_csv_holds_no_live_formula(tmp_path):
    """What ``precinct coverage --out x.csv`` writes: the results table with its fid column."""
    from layers.coverage import compute_coverage
    from layers.demo import build_sample_project

    project = build_sample_project("small", 0)
    communities = project.layer("communities")
    first = int(communities.gdf.index[0])
    project.apply(ChangeAttributes(communities.id, {first: {"name": "=HYPERLINK(\"http://x\")"}}))
    result = compute_coverage(project, "elder_care", areas=False)
    rows = _csv_rows(write_table(result.table, tmp_path / "coverage.csv", index=True))
    assert rows[0][:3] == ["fid", "community_fid", "community"]
    assert rows[1][2] == "'=HYPERLINK(\"http://x\")" and float(rows[1][5]) > 0
    assert len(rows) == len(result.table) + 1


def test_linestring_geometry_cells_are_text(tmp_path):
    frame = pd.DataFrame({"shape": [LineString([(0, 0), (1, 1)])]})
    assert _csv_rows(write_table(frame, tmp_path / "g.csv"))[1] == ["LINESTRING (0 0, 1 1)"]
