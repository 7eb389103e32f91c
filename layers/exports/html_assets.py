"""Inline resources of the offline HTML map: the vendored Leaflet, the map's own script and
stylesheet (``layers/exports/html/map.js``, ``page.css``). Nothing here is fetched from a
network."""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources

VENDOR = ("vendor", "leaflet")


@cache
def leaflet_js() -> str:
    """Leaflet's script without its source-map comment (developer tools would fetch the map)."""
    code = resources.files("layers.exports").joinpath(*VENDOR, "leaflet.js").read_text("utf-8")
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", code)


@cache
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images inlined as data URIs (a relative url() would
    be a request leaving the file)."""
    folder = resources.files("layers.exports").joinpath(*VENDOR)
    css = folder.joinpath("leaflet.css").read_text("utf-8")

    def inline(match: re.Match) -> str:
        data = folder.joinpath("images", match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)


def script_tag(code: str) -> str:
    if "</script" in code.lower():
        raise ValueError("inline script contains a closing script tag")
    return f"<script>\n{code}\n</script>"


def style_tag(code: str) -> str:
    if "</style" in code.lower():
        raise ValueError("inline stylesheet contains a closing style tag")
    return f"<style>\n{code}\n</style>"


@cache
def page_js() -> str:
    """The map's own script (drawing, hit-testing, popups, legend): html/map.js."""
    return resources.files("layers.exports.html").joinpath("map.js").read_text("utf-8")


@cache
def page_css() -> str:
    """The page's own stylesheet: html/page.css."""
    return resources.files("layers.exports.html").joinpath("page.css").read_text("utf-8")
