"""The exported HTML in a real headless Chromium (Debian's) with every network request blocked:
it renders, its features are in the DOM, nothing leaves the file, markup in data is inert."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_exports import TITLE_ZH, XSS, make_export_project

from layers.exports import export_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright (the [test] extra) is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="Debian's chromium is not installed (.ci/apt-packages.txt)")


def distinct_colours(png: bytes) -> int:
    """Number of distinct RGB colours in a PNG (decoded by Qt, no display needed)."""
    import numpy as np
    from PyQt5.QtGui import QImage

    image = QImage.fromData(png, "PNG").convertToFormat(QImage.Format_RGB32)
    assert not image.isNull()
    data = image.constBits()
    data.setsize(image.sizeInBytes())
    return len(np.unique(np.frombuffer(data, dtype=np.uint32)))


class Page:
    """A page opened from a file with the network blocked and every request counted."""

    def __init__(self, browser, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        context = browser.new_context(viewport={"width": 1000, "height": 700},
                                      service_workers="block")
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.url, wait_until="load")
        self.page.wait_for_timeout(300)

    def _route(self, route) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if u != self.url]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                  "--host-resolver-rules=MAP * ~NOTFOUND"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    project = make_export_project()
    path = tmp_path_factory.mktemp("html") / "map.html"
    stats = export_html(project, path, lang="zh", renderer="svg")
    return project, path, stats


def test_request_counting_sees_a_request_when_there_is_one(browser, tmp_path):
    """The check below could pass by counting nothing: show that it counts."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<img src="https://example.com/tile.png"><img src="other.png">', "utf-8")
    page = Page(browser, leaky)
    assert len(page.outside_requests()) == 2


def test_page_renders_offline_with_no_request_leaving_the_file(browser, exported):
    project, path, stats = exported
    page = Page(browser, path)
    assert page.outside_requests() == []
    assert page.errors == [] and page.dialogs == []
    assert distinct_colours(page.page.screenshot()) > 50  # map, legend, title: not blank
    assert page.page.inner_text("#pp-title") == TITLE_ZH


def test_features_and_raster_are_in_the_dom(browser, exported):
    project, path, stats = exported
    page = Page(browser, path).page
    expected = {i: len(layer) for i, layer in enumerate(project.layers)
                if layer.layer_type == "vector"}
    for index, count in expected.items():
        assert page.locator(f"path.pp-l{index}").count() == count
    assert page.locator("path.pp-layer").count() == stats["features"]
    overlay = page.locator("img.leaflet-image-layer")
    assert overlay.count() == 1 and overlay.get_attribute("src").startswith("data:image/png")
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in labels] == [la.name for la in project.layers
                                           if la.layer_type in ("vector", "raster")]
    assert "图例" in page.inner_text("#pp-legend")


def test_markup_in_a_community_name_stays_text(browser, exported):
    project, path, _ = exported
    page = Page(browser, path)
    index = project.names().index("小区")
    # near a corner: the middle of this community holds a facility marker
    page.page.locator(f"path.pp-l{index}").first.click(force=True, position={"x": 8, "y": 8})
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS in popup.inner_text()  # shown literally
    assert "小区名称" in popup.inner_text()  # field labels in the chosen language
    assert popup.locator("img, script").count() == 0
    page.page.wait_for_timeout(200)
    assert page.page.evaluate("typeof window.pwned") == "undefined"
    assert page.dialogs == [] and page.outside_requests() == []
