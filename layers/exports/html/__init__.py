"""An interactive HTML map (a folium page, Leaflet, and our own drawing script) that works
with no network at all.

Leaflet's script and stylesheet are inlined from the vendored copy, folium's CDN links
are dropped and no tiles are added. Every vector layer is packed
(:mod:`layers.exports.html.packing`) into one JSON block and drawn by ``html/map.js`` on
one canvas; a click lists every visible feature under it, points first (as QGIS's
identify does), whatever the number of features. Rasters are PNG image overlays. Texts
from the data reach the page as JSON (``<`` escaped) and are shown through
``textContent``: a community called ``<script>…`` is text, not code.

The page holds: ``<title>`` and a heading from the project's title, a layer switcher and
a legend that follows it, a metric scale bar, plain-text credits (data source and author
from the project's ``source``/``author`` metadata, the synthetic-data notice) with no
link, and the coverage chart when coverage results are saved. All in the export language.
"""

from __future__ import annotations

import base64
import html as _html
import json
import re
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import folium
import numpy as np
from branca.element import Element, MacroElement
from jinja2 import Template

from layers import display
from layers.errors import ProjectError, T
from layers.exports.common import (
    check_language,
    is_raster,
    is_vector,
    layer_style,
    output_path,
    select_layers,
)
from layers.exports.html.chart import coverage_html
from layers.exports.html.legend import entry_rows, legend_html
from layers.exports.html.packing import (
    DASHES,
    MAX_ZOOM,
    display_tolerance,
    feature_count,
    pack_layer,
    to_lonlat,
)
from layers.exports.html.rings import is_ringed, ring_legend
from layers.exports.html_assets import (
    leaflet_css,
    leaflet_js,
    page_css,
    page_js,
    script_tag,
    style_tag,
)
from layers.store.atomic import atomic_target
from styles import effective_style, resolve_raster
from styles.themes import THEME_FIELD, THEMES

_DATA_OPEN = '<script type="application/json" id="pp-data">'
_TEMPLATE_START = re.compile(r"\{(?=[{%#])")
_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


class OfflineMap(folium.Map):
    """A folium map that links nothing: its Leaflet is inlined by :func:`build_map`."""

    default_js: list = []
    default_css: list = []


class RawHtml(Element):
    """Markup inserted as it is (branca's Element would parse it as a Jinja template, which
    would mangle Leaflet and evaluate ``{{ … }}`` in a title or a layer name)."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.markup = markup

    def render(self, **kwargs) -> str:
        return self.markup


class Start(MacroElement):
    """Starts our script on folium's map once the map exists (data: ``#pp-data``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        ppStart({{ this._parent.get_name() }}, document.getElementById("pp-data"));
        {% endmacro %}
    """)


def json_for_script(value) -> str:
    """Compact JSON safe inside a ``<script>`` element (no ``<``, ``>``, ``&`` or ``'``) and
    inside a folium template (no ``{{``, ``{%`` or ``{#``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _TEMPLATE_START.sub(r"\\u007b", text)  # JSON's own braces never form them
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def png_data_url(rgba: np.ndarray) -> str:
    """An RGBA uint8 array (rows, cols, 4) as a PNG data URL."""
    rows, cols = rgba.shape[:2]
    raw = b"".join(b"\x00" + np.ascontiguousarray(rgba[r]).tobytes() for r in range(rows))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(
            ">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _lonlat_box(transformer, box) -> list[list[float]]:
    """[[south, west], [north, east]] of a box in the transformer's source CRS."""
    xs = np.array([box[0], box[2], box[0], box[2]])
    ys = np.array([box[1], box[1], box[3], box[3]])
    lon, lat = transformer.transform(xs, ys)
    return [[float(np.min(lat)), float(np.min(lon))], [float(np.max(lat)), float(np.max(lon))]]


def _extent(layers, to_ll, shown_only: bool) -> list[list[float]]:
    """[[south, west], [north, east]] of the layers (of those shown, when any is)."""
    mapped = [la for la in layers if is_vector(la) or is_raster(la)]
    if shown_only and any(la.visible for la in mapped):
        mapped = [la for la in mapped if la.visible]
    boxes = [b for b in (la.bounds() for la in mapped) if b is not None]
    boxes = np.array(boxes or [[0.0, 0.0, 1.0, 1.0]])
    return _lonlat_box(to_ll, [boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(),
                               boxes[:, 3].max()])


def _raster(layer, lang: str) -> tuple[dict, list]:
    from pyproj import Transformer

    warped = layer.reprojected("EPSG:3857")
    style = effective_style(layer.kind, layer.style)
    resolved = resolve_raster(style, warped.array, warped.nodata)
    bounds = _lonlat_box(Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True),
                         warped.bounds())
    item = {"kind": "raster", "url": png_data_url(resolved.rgba), "bounds": bounds,
            "pixelated": layer.kind == "population"}
    return item, entry_rows("polygon", resolved.legend, lang)


def _vector(project, layer, lang: str, to_ll, tolerance: float) -> tuple[dict, list]:
    from layers.themes import themed_frame

    style, resolved = layer_style(project, layer)
    std = project.standards()
    parts = pack_layer(layer, style, resolved, lang, to_ll, tolerance, std,
                       themed_frame(project, layer))
    if is_ringed(layer) and style.get("field") != THEME_FIELD:
        from layers.coverage.options import resolve_options

        options = resolve_options(std)
        rows = ring_legend(layer, resolved, lang, lambda m: options.level_label(m, lang))
    else:
        family = parts[0]["family"] if parts else (layer.schema.geometry or "polygon")
        rows = entry_rows(family, resolved.legend, lang,
                          DASHES.get(resolved.dash) if family != "point" else None)
    return {"kind": "vector", "parts": parts}, rows


def build_map(project, names: Sequence[str] | None = None, title: str | None = None,
              lang: str = "zh") -> tuple[folium.Map, dict]:
    """The folium page of the chosen layers, and numbers about it (features, tolerance …)."""
    check_language(lang)
    layers = select_layers(project, names)
    to_ll = to_lonlat(project.crs)
    extent = _extent(layers, to_ll, shown_only=False)
    tolerance = display_tolerance((extent[0][0] + extent[1][0]) / 2)
    items, sections, total = [], [], 0
    for i, layer in enumerate(layers):
        if is_vector(layer):
            item, rows = _vector(project, layer, lang, to_ll, tolerance)
            total += feature_count(item["parts"])
        elif is_raster(layer):
            item, rows = _raster(layer, lang)
        else:
            continue
        name = display.layer_title(layer, lang)
        item.update(id=f"l{i}", title=name, visible=bool(layer.visible),
                    opacity=float(layer.opacity))
        items.append(item)
        if rows:
            sections.append({"id": item["id"], "title": name, "rows": rows})
    heading = title if title is not None else _project_title(project, lang)
    data = {"layers": items, "bounds": _extent(layers, to_ll, shown_only=True),
            "credit": credit_text(project, lang),
            "texts": {"here": T("{n} feature(s) here", "此处 {n} 个要素")(lang),
                      "more": T("{n} more not listed", "另有 {n} 个未列出")(lang),
                      "feature": T("feature", "要素")(lang),
                      "zoomIn": T("Zoom in", "放大")(lang), "zoomOut": T("Zoom out", "缩小")(lang),
                      "close": T("Close", "关闭")(lang)}}
    fmap = OfflineMap(location=[(extent[0][0] + extent[1][0]) / 2,
                                (extent[0][1] + extent[1][1]) / 2],
                      tiles=None, zoom_start=14, max_zoom=MAX_ZOOM, control_scale=False,
                      attribution_control=False, zoom_control=False)  # ours, in the language
    root = fmap.get_root()

    root.header.add_child(RawHtml(style_tag(leaflet_css() + page_css())), name="leaflet_css")
    root.header.add_child(RawHtml(script_tag(leaflet_js())), name="leaflet")
    root.header.add_child(RawHtml(script_tag(page_js())), name="precinct_map")
    from layers.themes import active

    theme = THEMES[active(project)].label(lang) if active(project) else ""
    page_title = " — ".join(t for t in (heading, theme) if t) or display_name(lang)
    root.header.add_child(RawHtml(f"<title>{_html.escape(page_title)}</title>"), name="pp_title")
    if heading or theme:
        sub = f'<div class="pp-subtitle">{_html.escape(theme)}</div>' if theme else ""
        root.html.add_child(RawHtml(f'<div class="pp-title"><div id="pp-title">'
                                    f"{_html.escape(heading)}</div>{sub}</div>"))
    root.html.add_child(RawHtml(legend_html(sections[::-1], lang, _synthetic_note(project, lang))))
    root.html.add_child(RawHtml(coverage_html(project, lang)))
    root.html.add_child(RawHtml(f"{_DATA_OPEN}{json_for_script(data)}</script>"))
    fmap.add_child(Start())
    stats = {"features": total, "renderer": "canvas", "tolerance_m": round(tolerance, 3),
             "layers": [la.name for la in layers if is_vector(la) or is_raster(la)]}
    return fmap, stats


def display_name(lang: str) -> str:
    return T("Map", "地图")(lang)


def _project_title(project, lang: str) -> str:
    meta = project.metadata
    return str(meta.get(f"title_{lang}") or meta.get("title") or "")


def _meta(project, key: str, lang: str) -> str:
    meta = project.metadata
    return str(meta.get(f"{key}_{lang}") or meta.get(key) or "").strip()


def credit_text(project, lang: str) -> str:
    """The attribution line: plain text, no link (source, author, synthetic notice)."""
    parts = []
    source, author = _meta(project, "source", lang), _meta(project, "author", lang)
    if source:
        parts.append(T(f"Data: {source}", f"数据：{source}")(lang))
    if project.is_synthetic:
        parts.append(T("synthetic sample data", "虚构示例数据")(lang))
    if author:
        parts.append(T(f"Map: {author}", f"制图：{author}")(lang))
    parts.append(T("made with Precinct Planner", "Precinct Planner 制作")(lang))
    return " · ".join(parts)


def _synthetic_note(project, lang: str) -> str:
    if not project.is_synthetic:
        return ""
    return T("Synthetic sample data: describes no real place.",
             "虚构示例数据，不对应任何真实地点。")(lang)


def render_html(project, names: Sequence[str] | None = None, title: str | None = None,
                lang: str = "zh") -> tuple[str, dict]:
    """The page as text, checked to link nothing outside itself."""
    fmap, stats = build_map(project, names, title, lang)
    page = fmap.get_root().render()
    page = page.replace("<html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', 1)
    start = page.index(_DATA_OPEN)
    end = page.index("</script>", start)  # the data holds no "<"
    own = page[:start] + page[end:]
    found = _EXTERNAL.search(own.replace(leaflet_js(), ""))  # Leaflet's own credit link
    if found:  # a folium update that adds a CDN link must not slip through
        raise RuntimeError(f"the HTML export links an external resource: {found.group(0)}")
    return page, stats


def export_html(project, path: str | Path, names: Sequence[str] | None = None,
                title: str | None = None, lang: str = "zh") -> dict:
    """Write the offline HTML map; returns numbers (features, bytes, tolerance)."""
    target = output_path(path, (".html", ".htm"), T("map", "地图"))
    page, stats = render_html(project, names, title, lang)
    data = page.encode("utf-8")
    try:
        with atomic_target(target) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise ProjectError(T(f"cannot write the map ({exc.strerror})",
                             f"无法写出地图（{exc.strerror}）"), str(target),
                           T("choose a folder you can write to", "请选择可写入的文件夹")) from exc
    stats["bytes"] = len(data)
    return stats


__all__ = ["build_map", "credit_text", "export_html", "json_for_script", "png_data_url",
           "render_html"]
