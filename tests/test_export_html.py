"""The offline HTML map without a browser: what the page holds (self-contained, inert data,
the canvas colours, the export language), the packed geometry decoded here independently and
compared with pyproj/shapely, service areas as rings by level, the map theme, and the
coverage chart against the coverage run's own summary. (The page in Chromium:
test_export_html_browser.py.)"""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, box
from test_exports import TITLE_ZH, X0, XSS, Y0, make_export_project

from layers.errors import ProjectError
from layers.exports import export_html, render_html
from layers.exports.common import layer_style
from layers.exports.html import credit_text
from layers.exports.html.chart import coverage_rows
from layers.exports.html_assets import leaflet_js
from layers.layer import VectorLayer
from layers.project import Project
from styles.themes import CLASS_LABELS

CRS = "EPSG:4546"


@pytest.fixture
def export_project() -> Project:
    return make_export_project()


def page_data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="pp-data">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def parts_by_title(page: str) -> dict[str, dict]:
    return {p["title"]: p for layer in page_data(page)["layers"] for p in layer.get("parts", [])}


def counts(value, n: int) -> np.ndarray:
    return np.full(n, value) if isinstance(value, int) else np.asarray(value)


def decode(part: dict) -> list[list[np.ndarray]]:
    """The payload read back (its own reading, not the page's script): per feature, its rings
    as (k, 2) lon/lat arrays."""
    xy = np.cumsum(np.asarray(part["xy"], dtype=np.int64).reshape(-1, 2), axis=0) / 1e6
    per_feature = counts(part["f"], part["n"])
    per_ring = counts(part.get("r", 1), int(per_feature.sum()))
    ring_at = np.r_[0, np.cumsum(per_ring)]
    feature_at = np.r_[0, np.cumsum(per_feature)]
    return [[xy[ring_at[r]:ring_at[r + 1]] for r in range(feature_at[i], feature_at[i + 1])]
            for i in range(part["n"])]


def value(col, i):
    if isinstance(col, dict):
        return None if col["c"][i] < 0 else col["d"][col["c"][i]]
    return col[i]


def signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


# --- the page ------------------------------------------------------------------------------
def test_html_is_self_contained(export_project, tmp_path):
    stats = export_html(export_project, tmp_path / "map.html", lang="zh")
    page = (tmp_path / "map.html").read_text("utf-8")
    assert stats["features"] == 2 + 3 + 3 + 3
    assert leaflet_js() in page and "Leaflet 1.9.4" in leaflet_js()
    assert "sourceMappingURL" not in page
    own = page.replace(leaflet_js(), "")  # Leaflet's credit links to its site: not a request
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", own)
    assert "<link" not in own.lower()
    assert "jquery" not in own.lower() and "bootstrap" not in own.lower()
    assert "tile.openstreetmap" not in page and "L.tileLayer(" not in page
    assert "url(images/" not in page  # Leaflet's icons are inlined
    assert "data:image/png;base64," in page  # the raster overlay
    assert f"<title>{TITLE_ZH}</title>" in page and '<html lang="zh-CN">' in page
    assert '"attributionControl": false' in page  # Leaflet's own (flag and link) is off


def test_html_keeps_markup_in_data_inert(export_project):
    page, _ = render_html(export_project, lang="zh")
    assert XSS not in page and "<script>window.pwned" not in page
    names = parts_by_title(page)["小区"]["cols"][1]  # after the feature id: the name
    assert XSS in (names["d"] if isinstance(names, dict) else names)  # the text itself survives


def test_html_uses_the_canvas_colours_and_labels(export_project):
    page, _ = render_html(export_project, lang="en")
    by_title = parts_by_title(page)
    for name in ("小区", "管线", "设施", "街道"):
        layer = export_project.layer(name)
        resolved = layer_style(export_project, layer)[1]
        payload = by_title[name]
        for i, row in enumerate(resolved.fill):
            index = payload["style"] if isinstance(payload["style"], int) else payload["style"][i]
            style = payload["styles"][index]
            assert style["color"] == "#{:02x}{:02x}{:02x}".format(*resolved.stroke[i][:3])
            assert style["weight"] == pytest.approx(resolved.stroke_width[i]) or name == "设施"
            if "fillColor" in style:
                assert style["fillColor"] == "#{:02x}{:02x}{:02x}".format(*row[:3])
    assert by_title["小区"]["labels"][:3] == ["Feature id", "Community name", "Year built"]
    assert "Legend" in page and "gas" in page.lower()


def test_popup_values_read_as_the_export_language(export_project):
    page, _ = render_html(export_project, lang="zh")
    communities = parts_by_title(page)["小区"]
    labels = communities["labels"]
    shanty = communities["cols"][labels.index("纳入棚户区改造计划")]
    assert [value(shanty, i) for i in range(3)] == ["是", "否", None]  # not True/False/None
    willing = communities["cols"][labels.index("改造意愿（同意户数占比） (%)")]
    assert [value(willing, i) for i in range(3)] == [50.0, 90.0, None]
    facilities = parts_by_title(page)["设施"]
    service = facilities["cols"][facilities["labels"].index("服务类型")]
    assert value(service, 0) == "养老服务设施" and "elder_care" not in json.dumps(facilities)
    texts = page_data(page)["texts"]
    assert texts["here"] == "此处 {n} 个要素"


def test_html_does_not_evaluate_template_syntax_in_texts(export_project):
    export_project.layer("小区").name = "小区 {{ 7*7 }}"
    page, _ = render_html(export_project, title="标题 {{ 6*7 }} {% if 1 %}x{% endif %}")
    assert "标题 {{ 6*7 }} {% if 1 %}x{% endif %}" in page and "标题 42" not in page
    assert "小区 49" not in page and "<h4>小区 {{ 7*7 }}</h4>" in page  # legend: literal
    assert "小区 {{ 7*7 }}" in parts_by_title(page)  # JSON-decoded, the name is intact


def test_html_refuses_wrong_extension(export_project, tmp_path):
    with pytest.raises(ProjectError):
        export_html(export_project, tmp_path / "map.txt")


def test_credits_are_plain_text_with_source_author_and_synthetic_notice(export_project):
    export_project.metadata.update(source_zh="宜昌市自然资源和规划局", author="规划一所")
    text = credit_text(export_project, "zh")
    assert text.startswith("数据：宜昌市自然资源和规划局") and "虚构示例数据" in text
    assert "制图：规划一所" in text and "http" not in text and "<" not in text
    page, _ = render_html(export_project, lang="zh")
    assert page_data(page)["credit"] == text


# --- geometry -------------------------------------------------------------------------------
def geometry_project() -> Project:
    """A polygon with a hole, a two-part polygon, a densified ring, a line and two points."""
    # wound the wrong way round (exterior clockwise, hole counter-clockwise): the export orients
    hole = Polygon(box(X0, Y0, X0 + 200, Y0 + 200, ccw=False).exterior.coords,
                   [box(X0 + 50, Y0 + 50, X0 + 120, Y0 + 120).exterior.coords])
    two = shapely.MultiPolygon([box(X0 + 300, Y0, X0 + 350, Y0 + 50),
                                box(X0 + 400, Y0, X0 + 450, Y0 + 50)])
    round_ = Point(X0 + 600, Y0 + 100).buffer(80, quad_segs=256)  # 1,025 vertices
    polys = gpd.GeoDataFrame({"name": ["洞", "双", "圆"]}, geometry=[hole, two, round_], crs=CRS)
    lines = gpd.GeoDataFrame({"name": ["路"]}, geometry=[LineString(
        [(X0, Y0 - 20), (X0 + 400, Y0 - 20), (X0 + 400.01, Y0 - 20)])], crs=CRS)
    points = gpd.GeoDataFrame({"name": ["甲", "乙"]},
                              geometry=[Point(X0 + 10, Y0 + 10), Point(X0 + 20, Y0 + 30)], crs=CRS)
    project = Project(metadata={"title": "geometry"})
    project.add_layer(VectorLayer("地块", "parcels", polys))
    project.add_layer(VectorLayer("道路", "streets", lines))
    project.add_layer(VectorLayer("点", "facilities", points))
    return project


def test_packed_geometry_reads_back_as_the_features_within_the_rounding():
    project = geometry_project()
    page, stats = render_html(project, lang="zh")
    parts = parts_by_title(page)
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    polys = decode(parts["地块"])
    assert [len(rings) for rings in polys] == [2, 2, 1]  # hole kept; both parts kept
    exterior, hole = polys[0]
    assert signed_area(exterior) > 0 > signed_area(hole)  # exterior CCW, hole CW (lon/lat)
    want = np.column_stack(to_ll.transform(*np.asarray(box(X0, Y0, X0 + 200, Y0 + 200)
                                                          .exterior.coords).T))
    got = {tuple(np.round(p, 6)) for p in exterior}
    assert got == {tuple(np.round(p, 6)) for p in want}  # the same corners, to 1e-6°
    # the densified ring: far fewer vertices, none moved more than the tolerance + rounding
    ring = polys[2][0]
    assert 20 < len(ring) < 1025
    x, y = Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(ring[:, 0], ring[:, 1])
    back = Polygon(np.column_stack([x, y]))
    original = project.layer("地块").gdf.geometry.iloc[2]
    assert back.hausdorff_distance(original) <= stats["tolerance_m"] + 0.15
    line = decode(parts["道路"])[0][0]
    assert len(line) == 2  # the 1 cm step after the corner is below the rounding and goes
    points = decode(parts["点"])
    assert [len(p) for p in points] == [1, 1]
    lon, lat = to_ll.transform(X0 + 20, Y0 + 30)
    assert points[1][0][0] == pytest.approx([lon, lat], abs=6e-7)


# --- service areas, themes, the chart --------------------------------------------------------
@pytest.fixture(scope="module")
def covered():
    """The small sample with coverage computed (service areas saved) and precincts."""
    from layers.coverage.run import compute_coverage, coverage_command
    from layers.demo import build_sample_project

    project = build_sample_project("small", 0)
    result = compute_coverage(project)
    project.apply(coverage_command(project, result))
    return project, result


def test_service_areas_are_outlined_rings_by_level_not_stacked_fills(covered):
    project, _ = covered
    areas = project.layers_of_kind("service_areas")[0]
    page, _ = render_html(project, lang="zh")
    part = parts_by_title(page)["服务范围（步行可达）"]
    styles = [part["styles"][i] for i in part["style"]]
    by_level: dict[float, list[dict]] = {}
    for level, style in zip(areas.gdf["level_m"], styles, strict=True):
        by_level.setdefault(float(level), []).append(style)
    levels = sorted(by_level)
    assert levels == [300.0, 500.0, 1000.0]
    assert all(0 < s["fillOpacity"] <= 0.1 for s in by_level[300.0])  # innermost: a light tint
    assert all(s["fillOpacity"] == 0 for lv in levels[1:] for s in by_level[lv])  # outlines only
    dashes = [{str(s.get("dash")) for s in by_level[lv]} for lv in levels]
    assert all(len(d) == 1 for d in dashes) and len({d.pop() for d in dashes}) == 3
    colours = {s["color"] for s in by_level[300.0]}
    assert len(colours) == 3  # one colour per service
    # drawn by their outer boundary: one ring per polygon part
    rings = decode(part)
    parts = shapely.get_num_geometries(np.asarray(areas.gdf.geometry.array, dtype=object))
    assert [len(r) for r in rings] == list(parts)
    legend = page[page.index('id="pp-legend"'):]
    assert "5分钟生活圈 / 300 米" in legend and "15分钟生活圈 / 1000 米" in legend


def test_coverage_chart_counts_what_the_coverage_run_summarised(covered):
    project, result = covered
    rows = coverage_rows(project)
    city = result.summary[result.summary["unit_type"] == "city"]
    assert len(rows) == len(city) == 9
    mine = rows.set_index(["service", "level_m"])
    for rec in city.itertuples():
        row = mine.loc[(rec.service, rec.level_m)]
        assert row["covered_communities"] == rec.covered_communities
        assert row["communities"] == rec.communities
        assert row["population_covered"] == rec.population_covered
        assert row["population"] == rec.population
    page, _ = render_html(project, lang="zh")
    chart = page[page.index('id="pp-coverage"'):]
    chart = chart[:chart.index("</details></details>")]
    assert chart.count("<rect ") == 9 and "养老服务设施" in chart and "elder_care" not in chart
    first = city.iloc[0]
    share = f"{first.population_covered / first.population * 100:.0f}"
    assert f">{share}</text>" in chart
    english, _ = render_html(project, lang="en")
    assert "Life-circle coverage" in english and "5-minute circle / 300 m" in english


def test_no_chart_without_coverage_results():
    page, _ = render_html(geometry_project(), lang="zh")
    assert 'id="pp-coverage"' not in page


def test_a_map_theme_draws_its_classes_and_leaves_out_what_it_hides(covered):
    from layers.themes import apply_theme

    project, _ = covered
    apply_theme(project, "elder_care_coverage")
    try:
        page, _ = render_html(project, lang="zh")
    finally:
        apply_theme(project, None)
    parts = parts_by_title(page)
    areas = parts["服务范围（步行可达）"]
    assert areas["n"] == 3  # the elder-care rings only: the other services' are not drawn
    assert all(s["fillOpacity"] == 0 for s in areas["styles"])
    communities = parts["小区"]
    assert communities["labels"][1] == "专题分类"
    classes = {value(communities["cols"][1], i) for i in range(communities["n"])}
    assert classes <= {CLASS_LABELS[k].zh for k in ("5min", "10min", "15min", "beyond",
                                                    "unreachable")} and len(classes) >= 2
    assert "<title>示例城区（虚构数据） — 养老服务覆盖</title>" in page
    shown = {layer["title"]: layer["visible"] for layer in page_data(page)["layers"]}
    assert shown["管线"] is False and shown["小区"] is True  # the theme hides the pipelines


def test_styles_carry_the_scale_beyond_which_they_thin_out():
    from layers.demo import build_sample_project

    project = build_sample_project("small", 0)
    streets = parts_by_title(render_html(project, lang="zh")[0])["街道路网"]
    limits = {s["color"]: s.get("maxMpp") for s in streets["styles"]}
    resolved = layer_style(project, project.layer("streets"))[1]
    for stroke, limit in zip(resolved.stroke, resolved.max_mpp, strict=True):
        got = limits["#{:02x}{:02x}{:02x}".format(*stroke[:3])]
        assert got == (None if math.isinf(limit) else pytest.approx(limit))
    assert any(v is not None for v in limits.values()) and None in limits.values()
