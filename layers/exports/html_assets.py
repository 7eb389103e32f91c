"""Inline resources of the offline HTML map: the vendored Leaflet, the decoder script and
the page's own stylesheet. Nothing here is fetched from a network."""

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


# Decodes a packed layer (layers.exports.pack) into Leaflet paths. Popups are built with
# DOM nodes and textContent, so attribute values are never parsed as HTML.
DECODER_JS = r"""
function ppRing(xy, a, b) {
  var out = new Array(b - a), x = 0, y = 0;
  for (var i = a; i < b; i++) {
    if (i === a) { x = xy[2 * i]; y = xy[2 * i + 1]; } else { x += xy[2 * i]; y += xy[2 * i + 1]; }
    out[i - a] = [y / 1e6, x / 1e6];
  }
  return out;
}
function ppValue(col, i) {
  if (col && col.d) { var c = col.c[i]; return c < 0 ? null : col.d[c]; }
  return col[i];
}
function ppPopup(d, i) {
  return function () {
    var box = document.createElement('div');
    box.className = 'pp-popup';
    var head = document.createElement('div');
    head.className = 'pp-popup-title';
    head.textContent = d.title;
    box.appendChild(head);
    var table = document.createElement('table');
    for (var k = 0; k < d.labels.length; k++) {
      var v = ppValue(d.cols[k], i);
      if (v === null || v === undefined || v === '') continue;
      var row = table.insertRow();
      var th = document.createElement('th');
      th.textContent = d.labels[k];
      row.appendChild(th);
      row.insertCell().textContent = String(v);
    }
    box.appendChild(table);
    return box;
  };
}
function ppFeature(d, i, opts) {
  var g = d.g, parts = [], j, k;
  if (d.family === 'point') {
    var markers = [];
    for (j = g[i]; j < g[i + 1]; j++) {
      var ll = ppRing(d.xy, j, j + 1)[0];
      markers.push(L.circleMarker(ll, opts));
    }
    return markers.length === 1 ? markers[0] : L.featureGroup(markers);
  }
  if (d.family === 'line') {
    for (j = g[i]; j < g[i + 1]; j++) parts.push(ppRing(d.xy, d.r[j], d.r[j + 1]));
    return L.polyline(parts.length === 1 ? parts[0] : parts, opts);
  }
  for (j = g[i]; j < g[i + 1]; j++) {
    var rings = [];
    for (k = d.p[j]; k < d.p[j + 1]; k++) rings.push(ppRing(d.xy, d.r[k], d.r[k + 1]));
    parts.push(rings);
  }
  return L.polygon(parts.length === 1 ? parts[0] : parts, opts);
}
function ppLayer(payloads, useCanvas, cls) {
  var group = L.featureGroup();
  var renderer = useCanvas ? L.canvas({padding: 0.5}) : null;
  payloads.forEach(function (d) {
    var n = d.g.length - 1;
    for (var i = 0; i < n; i++) {
      var opts = Object.assign({className: cls}, d.styles[d.style[i]]);
      if (renderer) opts.renderer = renderer;
      var feature = ppFeature(d, i, opts);
      feature.bindPopup(ppPopup(d, i), {maxWidth: 380});
      group.addLayer(feature);
    }
  });
  return group;
}
"""

PAGE_CSS = """
.pp-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
  z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 14px; border-radius: 4px;
  font: bold 16px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; box-shadow: 0 1px 4px #0004; }
.pp-legend { position: absolute; bottom: 24px; right: 10px; z-index: 1000; max-height: 45%;
  overflow-y: auto; background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 4px;
  font: 12px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; box-shadow: 0 1px 4px #0004; }
.pp-legend h4 { margin: 6px 0 3px; font-size: 12px; }
.pp-legend .pp-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.pp-legend .pp-swatch { width: 18px; height: 12px; flex: none; box-sizing: border-box; }
.pp-legend .pp-note { color: #555; margin-top: 6px; max-width: 260px; }
.pp-popup-title { font-weight: bold; margin-bottom: 4px; }
.pp-popup table { border-collapse: collapse; }
.pp-popup th { text-align: left; padding: 1px 8px 1px 0; color: #444; font-weight: normal; }
.pp-popup td { padding: 1px 0; }
.leaflet-container { background: #fbfaf7; }
"""
