"""The exported HTML in a real headless Chromium (Debian's) with every network request blocked:
it renders, nothing leaves the file, markup in data is inert, and a click anywhere lists every
visible feature under it (points first) — checked against shapely on the project itself, on a
small hand-made project and on a sample city of over 20,000 features with coverage, conflicts
and precincts saved (one canvas for everything, as the city draws)."""

from __future__ import annotations

import re

import pytest
from html_pages import (
    CHROMIUM,
    Identify,
    Page,
    analysed_sample,
    assert_lists,
    check_clicks,
    launch,
    lonlat,
)
from test_exports import TITLE_ZH, X0, XSS, Y0, make_export_project

from layers.exports import export_html

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright (the [test] extra) is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="Debian's chromium is not installed (.ci/apt-packages.txt)")
ZOOM = 17  # about 1 m per pixel in Yichang


def distinct_colours(png: bytes) -> int:
    """Number of distinct RGB colours in a PNG (decoded by Qt, no display needed)."""
    import numpy as np
    from PyQt5.QtGui import QImage

    image = QImage.fromData(png, "PNG").convertToFormat(QImage.Format_RGB32)
    assert not image.isNull()
    data = image.constBits()
    data.setsize(image.sizeInBytes())
    return len(np.unique(np.frombuffer(data, dtype=np.uint32)))


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    project = make_export_project()
    path = tmp_path_factory.mktemp("html") / "map.html"
    stats = export_html(project, path, lang="zh")
    return project, path, stats


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A sample city of over 20,000 features with coverage, conflicts and precincts saved."""
    from layers.store import open_project

    project = open_project(analysed_sample("mid", tmp_path_factory.mktemp("mid")))
    path = tmp_path_factory.mktemp("mid_html") / "city.html"
    stats = export_html(project, path, lang="zh")
    return project, path, stats


def test_request_counting_sees_a_request_when_there_is_one(browser, tmp_path):
    """The check below could pass by counting nothing: show that it counts."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<img src="https://example.com/tile.png"><img src="other.png">', "utf-8")
    page = Page(browser, leaky, ready=False)
    assert len(page.outside_requests()) == 2


def test_page_renders_offline_with_title_metric_scale_and_plain_credits(browser, exported):
    project, path, stats = exported
    page = Page(browser, path)
    assert page.outside_requests() == []
    assert all(u.startswith(("file:", "data:")) for u in page.requests)
    assert page.errors == [] and page.dialogs == []
    assert distinct_colours(page.page.screenshot()) > 50  # map, legend, title: not blank
    assert page.page.title() == TITLE_ZH
    assert page.page.inner_text("#pp-title") == TITLE_ZH
    scale = page.page.inner_text(".leaflet-control-scale")
    assert re.fullmatch(r"\d+ (m|km)", scale.strip()), scale
    assert not re.search(r"\b(mi|ft)\b", scale)
    credit = page.page.locator(".leaflet-control-attribution")
    assert credit.count() == 1 and "虚构示例数据" in credit.inner_text()
    assert credit.locator("a, svg, img").count() == 0  # no link, no flag
    assert page.page.locator("a[href^='http']").count() == 0
    # Leaflet's own English words are replaced by the export language's
    assert page.page.get_attribute(".leaflet-control-zoom-in", "title") == "放大"
    assert page.page.get_attribute(".leaflet-control-zoom-out", "title") == "缩小"


def test_layer_switcher_and_legend_follow_each_other(browser, exported):
    project, path, _ = exported
    page = Page(browser, path).page
    labels = [t.strip() for t in
              page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    mapped = [la.name for la in project.layers if la.layer_type in ("vector", "raster")]
    assert labels == mapped[::-1]  # top layer first, as in the app's layer tree
    legend = page.locator("#pp-legend")
    assert "图例" in legend.inner_text() and "给水" in legend.inner_text()
    box = page.locator(".leaflet-control-layers-overlays label", has_text="管线").locator("input")
    box.uncheck()
    assert "给水" not in legend.inner_text() and "小区" in legend.inner_text()
    box.check()
    assert "给水" in legend.inner_text()
    raster = page.locator(".leaflet-control-layers-overlays label", has_text="人口格网")
    assert "人口格网" in legend.inner_text() and page.locator("img.leaflet-image-layer").count()
    raster.locator("input").uncheck()
    assert "人口格网" not in legend.inner_text()
    assert page.locator("img.leaflet-image-layer").count() == 0


def test_click_on_a_facility_lists_it_first_then_the_community_under_it(browser, exported):
    project, path, _ = exported
    page = Page(browser, path)
    x, y = X0 + 100, Y0 + 80  # 养老服务站, inside the first community
    lon, lat = lonlat(project, x, y)
    page.view(lon, lat, ZOOM)
    listed = page.click(lon, lat)
    ref = Identify(project, page.page.evaluate("ppMap.hitPx")).at(x, y, ZOOM)
    assert_lists(listed, ref)
    facilities, communities = (f"l{project.names().index(n)}" for n in ("设施", "小区"))
    assert listed[0] == (facilities, 1) and (communities, 1) in listed
    assert page.page.get_attribute(".leaflet-popup-close-button", "aria-label") == "关闭"
    text = page.popup_text()  # the first feature open, the others folded
    assert "养老服务站" in text and "服务类型" in text and "小区名称" not in text
    page.page.locator("details.pp-hit").nth(listed.index((communities, 1))).locator(
        "summary").click()
    text = page.popup_text()
    assert "小区名称" in text and "户数 (户)" in text
    assert "elder_care" not in text and "True" not in text and "False" not in text


def test_switched_off_layer_answers_no_click(browser, exported):
    project, path, _ = exported
    page = Page(browser, path)
    x, y = X0 + 450, Y0 + 210  # on the second pipe (管线), outside every community
    lon, lat = lonlat(project, x, y)
    page.view(lon, lat, ZOOM)
    pipes = f"l{project.names().index('管线')}"
    assert pipes in {layer for layer, _ in page.click(lon, lat)}
    page.page.locator(".leaflet-control-layers-overlays label", has_text="管线").locator(
        "input").uncheck()
    assert pipes not in {h["layer"] for h in page.page.evaluate(
        "([lat, lon]) => ppMap.identify(lat, lon)", [lat, lon])}


def test_markup_in_a_community_name_stays_text(browser, exported):
    project, path, _ = exported
    page = Page(browser, path)
    lon, lat = lonlat(project, X0 + 8, Y0 + 140)  # a corner of the community named XSS
    page.view(lon, lat, ZOOM)
    page.click(lon, lat)
    popup = page.page.locator(".leaflet-popup-content")
    assert XSS in popup.inner_text()  # shown literally
    assert popup.locator("img, script").count() == 0
    page.page.wait_for_timeout(200)
    assert page.page.evaluate("typeof window.pwned") == "undefined"
    assert page.dialogs == [] and page.outside_requests() == []


# --- a sample city of over 20,000 features ---------------------------------------------------
def test_city_every_kind_of_feature_answers_a_click(browser, city):
    """On one canvas with >20,000 features: a community, a facility and a precinct each give
    their popup, listing every feature under the click with the point first."""
    project, path, stats = city
    assert stats["features"] > 20_000
    page = Page(browser, path, 1366, 768)
    check_clicks(page, project, ZOOM)
    assert page.outside_requests() == [] and page.errors == []


def test_city_page_has_the_coverage_chart_and_no_stacked_service_areas(browser, city):
    project, path, _ = city
    page = Page(browser, path, 1366, 768).page
    chart = page.locator("#pp-coverage")
    assert "生活圈覆盖" in chart.inner_text()
    assert chart.locator("svg rect").count() == 3 * 3  # services × levels
    areas = [la for la in page.evaluate("ppMap.layers.map(l => [l.id, l.title])")
             if la[1] == "服务范围（步行可达）"]
    styles = page.evaluate("(id) => ppMap.layers.filter(l => l.id === id)[0].parts[0].styles",
                           areas[0][0])
    filled = [s for s in styles if s["fillOpacity"] > 0]
    assert len(styles) == 9 and len(filled) == 3  # only the innermost level, lightly
    assert all(s["fillOpacity"] <= 0.1 for s in filled)
    assert len({(s["color"], str(s.get("dash"))) for s in styles}) == 9
