"""Every table the CLI writes keeps hostile names as text: no spreadsheet formula survives
(``precinct programme --out .xlsx``, ``precinct conflicts --out .csv|.xlsx``,
``precinct coverage --out .csv``)."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from app.cli.main import main
from layers.demo import build_sample_project
from layers.store import save_project

HOSTILE = ['=HYPERLINK("http://example.invalid","x")', "+1+1", "@SUM(A1)", "-2+3"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory):
    project = build_sample_project("small", 0)
    communities = project.layers_of_kind("communities")[0]
    for fid, name in zip(communities.gdf.index[:4], HOSTILE, strict=True):
        communities.gdf.loc[fid, "name"] = name
    for layer in project.layers_of_kind("pipelines"):
        layer.gdf["owner"] = HOSTILE[0]  # every pipe: the conflicts report names owners
        layer.gdf["street"] = HOSTILE[2]
    path = tmp_path_factory.mktemp("hostile") / "hostile.gpkg"
    save_project(project, path)
    return path


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_cells(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _xlsx_cells(path):
    book = openpyxl.load_workbook(path)
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


def _check(cells):
    live = [c for c in cells if c.startswith(TRIGGERS) and not _is_number(c)]
    assert not live, f"formula-like text written as is: {live[:3]}"
    assert any(c.startswith("'") and c[1:] in HOSTILE for c in cells), "the planted names are missing"


@pytest.mark.parametrize("command, suffix", [
    (["coverage", "--mode", "euclidean"], ".csv"),
    (["programme"], ".xlsx"),
    (["conflicts"], ".csv"),
    (["conflicts"], ".xlsx"),
])
def test_cli_tables_neutralise_formulas(hostile_project, tmp_path, command, suffix, capsys):
    out = tmp_path / f"table{suffix}"
    code = main([command[0], str(hostile_project), *command[1:], "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    cells = _csv_cells(out) if suffix == ".csv" else _xlsx_cells(out)
    _check(cells)
