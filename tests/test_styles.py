"""Default styles load, resolve to the right colours, and fail clearly on bad input."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

import styles
from layers.errors import ProjectError
from layers.kinds import KINDS
from styles import default_style, resolve, resolve_raster

REPO = Path(__file__).resolve().parents[1]
CRS = "EPSG:4546"


def _frame(kind: str, n: int = 3) -> gpd.GeoDataFrame:
    """A tiny frame with every schema column of ``kind`` (values left empty)."""
    schema = KINDS[kind]
    geom = {"polygon": [box(528000 + i * 100, 3397000, 528050 + i * 100, 3397050)
                        for i in range(n)],
            "line": [LineString([(528000 + i, 3397000), (528100 + i, 3397100)])
                     for i in range(n)],
            "point": [Point(528000 + i, 3397000) for i in range(n)]}.get(
        schema.geometry or "point")
    cols = {f.name: pd.Series([None] * n, dtype=f.dtype) for f in schema.fields}
    return gpd.GeoDataFrame(cols, geometry=geom, crs=CRS)


def test_every_kind_has_a_default_style_that_resolves():
    drawn = {kind: schema for kind, schema in KINDS.items() if not schema.is_table}
    assert set(styles.default_kinds()) == set(drawn)  # tables are never drawn
    for kind, schema in drawn.items():
        style = default_style(kind)
        assert style["type"] in ("single", "categorised", "graduated"), kind
        if schema.is_raster:
            out = resolve_raster(style, np.arange(12, dtype=float).reshape(1, 3, 4), nodata=0)
            assert out.rgba.shape == (3, 4, 4)
            assert out.rgba[0, 0, 3] == 0  # nodata cell is transparent
            assert out.rgba[2, 3, 3] == round(255 * style.get("alpha", 1.0))
            continue
        frame = _frame(kind)
        resolved = resolve(style, frame)
        assert resolved.fill.shape == (3, 4) and resolved.fill.dtype == np.uint8
        assert resolved.stroke.shape == (3, 4) and resolved.stroke.dtype == np.uint8
        assert resolved.stroke_width.shape == (3,)
        assert resolved.legend, kind


def test_default_style_is_a_copy_and_unknown_kind_fails():
    style = default_style("communities")
    style["fill"] = "#000000"
    assert default_style("communities")["fill"] != "#000000"
    with pytest.raises(ProjectError):
        default_style("no_such_kind")


def test_communities_single_translucent_with_label():
    style = default_style("communities")
    resolved = resolve(style, _frame("communities"))
    assert resolved.label_field == "name"
    assert 0 < resolved.fill[0, 3] < 255  # translucent fill
    assert resolved.stroke[0, 3] == 255  # firm outline
    assert (resolved.fill == resolved.fill[0]).all()


def _pipeline_table() -> dict[str, tuple[int, int, int]]:
    """The CJJ 61 colours read straight from the CSV, independently of layers.standards."""
    path = REPO / "data" / "standards" / "pipeline_classes.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_key = {r["key"]: r for r in rows}
    colours = {}
    for r in rows:
        src = r if r["color_r"].strip() else by_key[r["parent"]]
        colours[r["key"]] = (int(src["color_r"]), int(src["color_g"]), int(src["color_b"]))
    return colours


def test_pipeline_colours_come_from_the_standards_table():
    table = _pipeline_table()
    frame = _frame("pipelines", n=len(table))
    frame["utility"] = list(table)
    resolved = resolve(default_style("pipelines"), frame)
    for i, key in enumerate(table):
        assert tuple(resolved.stroke[i, :3]) == table[key], key
    legend = {e.label_en: e.stroke[:3] for e in resolved.legend}
    assert legend["gas"] == table["gas"]
    # the style file itself carries no colour per class
    text = (REPO / "styles" / "defaults" / "pipelines.toml").read_text(encoding="utf-8")
    assert "[[categories]]" not in text


def test_pipeline_colours_follow_a_project_override():
    from layers.standards import load_standards

    std = load_standards().with_overrides(
        {"pipeline_classes": {"gas": {"color_r": 10, "color_g": 20, "color_b": 30}}})
    frame = pd.DataFrame({"utility": ["gas", "water"]})
    resolved = resolve(default_style("pipelines"), frame, standards=std)
    assert tuple(resolved.stroke[0, :3]) == (10, 20, 30)
    assert tuple(resolved.stroke[1, :3]) == _pipeline_table()["water"]


def test_categorised_on_a_hand_made_frame():
    style = {"name": "test", "type": "categorised", "field": "service",
             "fill": "#808080", "fill_alpha": 0.5, "stroke": "#000000",
             "categories": [
                 {"value": "elder_care", "fill": "#ff0000", "stroke_width": 3},
                 {"value": "childcare", "fill": "#00ff00", "fill_alpha": 1.0},
             ]}
    frame = pd.DataFrame({"service": pd.Series(
        ["childcare", "bank", "elder_care", None], dtype="str")})
    r = resolve(style, frame)
    assert r.fill.tolist() == [[0, 255, 0, 255], [128, 128, 128, 128],
                               [255, 0, 0, 128], [128, 128, 128, 128]]
    assert r.stroke_width.tolist() == [1.0, 1.0, 3.0, 1.0]
    assert [e.label_en for e in r.legend] == ["elder_care", "childcare", "other"]


def test_facility_defaults_make_the_key_services_distinct():
    frame = pd.DataFrame({"service": ["elder_care", "childcare", "meal_point",
                                      "convenience_store", "health_station"]})
    fills = [tuple(f) for f in resolve(default_style("facilities"), frame).fill]
    assert len(set(fills[:3])) == 3
    assert fills[3] == fills[4]
    assert fills[3][0] == fills[3][1] == fills[3][2]  # grey
    assert fills[3] not in fills[:3]


def test_streets_width_by_road_class():
    frame = pd.DataFrame({"road_class": ["arterial", "branch", "footway"]})
    widths = resolve(default_style("streets"), frame).stroke_width
    assert widths[0] > widths[1] > widths[2]


def test_graduated_on_a_hand_made_frame():
    style = {"type": "graduated", "field": "population",
             "fill": "#ffffff", "classes": [
                 {"min": 0, "max": 100, "fill": "#0000ff"},
                 {"min": 100, "max": 500, "fill": "#00ff00", "label_zh": "中"},
                 {"min": 500, "max": 1000, "fill": "#ff0000"}]}
    frame = pd.DataFrame({"population": pd.array([0, 99, 100, 1000, 1001, None],
                                                 dtype="Int64")})
    r = resolve(style, frame)
    assert [tuple(f[:3]) for f in r.fill] == [
        (0, 0, 255), (0, 0, 255), (0, 255, 0), (255, 0, 0), (255, 255, 255), (255, 255, 255)]
    assert r.legend[0].label_en == "0 – 100"
    assert r.legend[1].label("zh") == "中"


def test_unknown_field_is_a_bilingual_project_error():
    style = {"name": "my style", "type": "categorised", "field": "servise", "categories": []}
    frame = pd.DataFrame({"service": ["elder_care"]})
    with pytest.raises(ProjectError) as info:
        resolve(style, frame)
    en, zh = info.value.message("en"), info.value.message("zh")
    assert "my style" in en and "servise" in en
    assert "my style" in zh and "servise" in zh and "字段" in zh
    with pytest.raises(ProjectError, match="nom"):
        resolve({"name": "x", "type": "single", "label_field": "nom"}, frame)


@pytest.mark.parametrize("style", [
    {"type": "pie"},
    {"type": "single", "fill": "red"},
    {"type": "single", "fill_alpha": 2},
    {"type": "single", "dash": "wavy"},
    {"type": "graduated", "field": "service", "classes": [{"min": 0, "max": 1}]},
])
def test_bad_style_values_raise_project_error(style):
    with pytest.raises(ProjectError):
        resolve(style, pd.DataFrame({"service": ["elder_care"]}))


def test_empty_frame_and_vectorised_size():
    no_rows = pd.DataFrame({"service": pd.Series([], dtype="str")})
    empty = resolve(default_style("facilities"), no_rows)
    assert empty.fill.shape == (0, 4)
    n = 100_000
    frame = pd.DataFrame({"utility": np.resize(np.array(list(_pipeline_table())), n)})
    r = resolve(default_style("pipelines"), frame)
    assert r.stroke.shape == (n, 4)


def test_population_ramp_hides_empty_cells():
    array = np.array([[[0.0, 10.0], [50.0, -9999.0]]])
    out = resolve_raster(default_style("population"), array, nodata=-9999.0)
    assert out.rgba[..., 3].tolist() == [[0, 204], [204, 0]]  # alpha = 0.8
    assert out.legend[0].label_en.startswith("10")
    assert out.legend[1].label_en.startswith("50")


def test_importing_styles_loads_no_qt():
    code = ("import sys, styles; styles.resolve(styles.default_style('pipelines'), "
            "__import__('pandas').DataFrame({'utility': ['gas']})); "
            "print(sorted(m for m in sys.modules if m.startswith(('PyQt5', 'app'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"
