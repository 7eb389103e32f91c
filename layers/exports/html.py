"""An interactive HTML map (folium + Leaflet) that works with no network at all.

Leaflet's script and stylesheet are inlined from the vendored copy, folium's CDN
links are dropped, no tiles are added, rasters are embedded as PNG image overlays,
and every text from the data reaches the page as JSON (``<`` escaped) and is shown
through ``textContent``: a community called ``<script>…`` is text, not code.
Layers carry the colours :func:`styles.resolve` gives the canvas.
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
from branca.element import Element
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
from layers.exports.html_assets import (
    DECODER_JS,
    PAGE_CSS,
    leaflet_css,
    leaflet_js,
    script_tag,
    style_tag,
)
from layers.exports.pack import (
    MAX_ZOOM,
    display_tolerance,
    feature_count,
    pack_layer,
    to_lonlat,
)
from layers.store.atomic import atomic_target
from styles import effective_style, resolve_raster

SVG_LIMIT = 20_000  # above this many features the map draws on a canvas, not SVG
_TEMPLATE_START = re.compile(r"\{(?=[{%#])")
_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


class OfflineMap(folium.Map):
    """A folium map that links nothing: its Leaflet is inlined by :func:`build_map`."""

    default_js: list = []
    default_css: list = []


class PackedLayer(folium.map.Layer):
    """A vector layer decoded in the page by ``ppLayer`` (see html_assets.DECODER_JS)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = ppLayer({{ this.payload_js }}, {{ this.canvas_js }},
                                            {{ this.css_class_js }});
        {% endmacro %}
    """)

    def __init__(self, payloads: list[dict], name: str, show: bool, canvas: bool,
                 css_class: str) -> None:
        super().__init__(name=control_label(name), overlay=True, control=True, show=show)
        self._name = "PackedLayer"
        self.payload_js = json_for_script(payloads)
        self.canvas_js = "true" if canvas else "false"
        self.css_class_js = json_for_script(css_class)


class RawHtml(Element):
    """Markup inserted as it is (branca's Element would parse it as a Jinja template, which
    would mangle Leaflet and evaluate ``{{ … }}`` in a title or a layer name)."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.markup = markup

    def render(self, **kwargs) -> str:
        return self.markup


def control_label(name: str) -> str:
    """A layer name for Leaflet's layer control (which sets innerHTML) and for folium's
    templates (which Jinja re-parses): markup and template braces become entities."""
    return _html.escape(name).replace("{", "&#123;").replace("}", "&#125;")


def json_for_script(value) -> str:
    """Compact JSON safe inside a ``<script>`` element (no ``<``, ``>``, ``&`` or ``'``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # folium re-parses rendered scripts as Jinja templates: no "{{", "{%" or "{#" may remain
    # (JSON's own braces never form them; inside strings the brace is written as \u007b)
    text = _TEMPLATE_START.sub(r"\\u007b", text)
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


def _raster_overlay(layer, lang: str) -> folium.raster_layers.ImageOverlay:
    warped = layer.reprojected("EPSG:3857")
    style = effective_style(layer.kind, layer.style)
    rgba = resolve_raster(style, warped.array, warped.nodata).rgba
    x0, y0, x1, y1 = warped.bounds()
    (w, e), (s, n) = _mercator_to_lonlat([x0, x1], [y0, y1])
    return folium.raster_layers.ImageOverlay(
        png_data_url(rgba), bounds=[[s, w], [n, e]],
        name=control_label(display.layer_title(layer, lang)),
        opacity=layer.opacity, show=layer.visible, interactive=False,
        pixelated=layer.kind == "population", zindex=1)


def _mercator_to_lonlat(xs, ys):
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True).transform(xs, ys)
    return lon, lat


def _swatch(family: str, entry) -> str:
    fill = f"rgba({entry.fill[0]},{entry.fill[1]},{entry.fill[2]},{entry.fill[3] / 255:.3f})"
    stroke = (f"rgba({entry.stroke[0]},{entry.stroke[1]},{entry.stroke[2]},"
              f"{entry.stroke[3] / 255:.3f})")
    width = max(1.0, min(entry.stroke_width, 6.0))
    if family == "line":
        css = f"height:{width:.1f}px;background:{stroke}"
    elif family == "point":
        css = f"width:12px;height:12px;border-radius:50%;background:{fill};border:1px solid {stroke}"
    else:
        css = f"background:{fill};border:{width:.1f}px solid {stroke}"
    return f'<span class="pp-swatch" style="{css}"></span>'


def legend_html(sections: list[tuple[str, str, list]], lang: str, note: str = "") -> str:
    """The legend box: per layer a heading and one row per legend entry (all escaped)."""
    parts = ['<div class="pp-legend" id="pp-legend">',
             f"<b>{_html.escape(T('Legend', '图例')(lang))}</b>"]
    for name, family, entries in sections:
        parts.append(f"<h4>{_html.escape(name)}</h4>")
        for entry in entries:
            parts.append(f'<div class="pp-row">{_swatch(family, entry)}'
                         f"<span>{_html.escape(entry.label(lang))}</span></div>")
    if note:
        parts.append(f'<div class="pp-note">{_html.escape(note)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _family(payloads: list[dict], layer) -> str:
    return payloads[0]["family"] if payloads else (layer.schema.geometry or "polygon")


def build_map(project, names: Sequence[str] | None = None, title: str | None = None,
              lang: str = "zh", renderer: str = "auto") -> tuple[folium.Map, dict]:
    """The folium map of the chosen layers, and numbers about it (features, tolerance …)."""
    check_language(lang)
    if renderer not in ("auto", "svg", "canvas"):
        raise ValueError(f"renderer must be auto, svg or canvas, not {renderer!r}")
    layers = select_layers(project, names)
    to_ll = to_lonlat(project.crs)
    boxes = np.array([b for b in (la.bounds() for la in layers if is_vector(la) or is_raster(la))
                      if b is not None] or [[0.0, 0.0, 1.0, 1.0]])
    (w, e), (s, n) = to_ll.transform([boxes[:, 0].min(), boxes[:, 2].max()],
                                     [boxes[:, 1].min(), boxes[:, 3].max()])
    tolerance = display_tolerance((s + n) / 2)
    packed, sections = [], []
    for layer in layers:
        if is_vector(layer):
            style, resolved = layer_style(project, layer)
            payloads = pack_layer(layer, resolved, lang, to_ll, tolerance, project.standards())
            packed.append((layer, payloads))
            sections.append((display.layer_title(layer, lang), _family(payloads, layer),
                             resolved.legend))
        elif is_raster(layer):
            packed.append((layer, None))
            legend = resolve_raster(effective_style(layer.kind, layer.style),
                                    layer.array, layer.nodata).legend
            if legend:
                sections.append((display.layer_title(layer, lang), "polygon", legend))
    total = sum(feature_count(p) for _, p in packed if p is not None)
    canvas = renderer == "canvas" or (renderer == "auto" and total > SVG_LIMIT)
    fmap = OfflineMap(location=[(s + n) / 2, (w + e) / 2], tiles=None, zoom_start=14,
                      max_zoom=MAX_ZOOM, control_scale=True)
    root = fmap.get_root()
    root.header.add_child(RawHtml(style_tag(leaflet_css() + PAGE_CSS)), name="leaflet_css")
    root.header.add_child(RawHtml(script_tag(leaflet_js())), name="leaflet")
    root.header.add_child(RawHtml(script_tag(DECODER_JS)), name="precinct_decoder")
    for i, (layer, payloads) in enumerate(packed):
        if payloads is None:
            _raster_overlay(layer, lang).add_to(fmap)
        else:
            PackedLayer(payloads, display.layer_title(layer, lang), layer.visible, canvas,
                        f"pp-layer pp-l{i}").add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    heading = title if title is not None else _project_title(project, lang)
    if heading:
        root.html.add_child(RawHtml(f'<div class="pp-title" id="pp-title">'
                                    f"{_html.escape(heading)}</div>"))
    note = _synthetic_note(project, lang)
    root.html.add_child(RawHtml(legend_html(sections, lang, note)))
    fmap.fit_bounds([[s, w], [n, e]])
    stats = {"features": total, "renderer": "canvas" if canvas else "svg",
             "tolerance_m": round(tolerance, 3), "layers": [la.name for la, _ in packed]}
    return fmap, stats


def _project_title(project, lang: str) -> str:
    meta = project.metadata
    return str(meta.get(f"title_{lang}") or meta.get("title") or "")


def _synthetic_note(project, lang: str) -> str:
    if not project.is_synthetic:
        return ""
    return T("Synthetic sample data: describes no real place.",
             "虚构示例数据，不对应任何真实地点。")(lang)


def render_html(project, names: Sequence[str] | None = None, title: str | None = None,
                lang: str = "zh", renderer: str = "auto") -> tuple[str, dict]:
    """The page as text, checked to link nothing outside itself."""
    fmap, stats = build_map(project, names, title, lang, renderer)
    page = fmap.get_root().render()
    found = _EXTERNAL.search(page.replace(leaflet_js(), ""))  # Leaflet's own credit link
    if found:  # a folium update that adds a CDN link must not slip through
        raise RuntimeError(f"the HTML export links an external resource: {found.group(0)}")
    return page, stats


def export_html(project, path: str | Path, names: Sequence[str] | None = None,
                title: str | None = None, lang: str = "zh", renderer: str = "auto") -> dict:
    """Write the offline HTML map; returns numbers (features, bytes, renderer, tolerance)."""
    target = output_path(path, (".html", ".htm"), T("map", "地图"))
    page, stats = render_html(project, names, title, lang, renderer)
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


__all__ = ["build_map", "export_html", "json_for_script", "png_data_url", "render_html"]
