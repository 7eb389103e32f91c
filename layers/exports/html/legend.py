"""The legend box of the HTML map: one section per layer, top layer first, each row with a
small SVG swatch drawn as the map draws it (colour, width, dash). Sections carry the layer's
id (``data-layer``) so the page hides a layer's section when the layer is switched off.
Every text is escaped."""

from __future__ import annotations

import html as _html

from layers.errors import T


def _rgba(rgba) -> tuple[str, float]:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgba[:3])), round(int(rgba[3]) / 255, 3)


def entry_rows(family: str, entries, lang: str, dash: list[int] | None = None) -> list[dict]:
    """Legend rows from a resolved style's :class:`styles.LegendEntry` list."""
    rows = []
    for entry in entries:
        color, opacity = _rgba(entry.stroke)
        fill, fill_opacity = _rgba(entry.fill)
        rows.append({"label": entry.label(lang), "kind": family, "color": color,
                     "opacity": opacity, "fillColor": fill, "fillOpacity": fill_opacity,
                     "width": max(0.5, min(float(entry.stroke_width), 6.0)), "dash": dash})
    return rows


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def swatch(row: dict) -> str:
    """An inline SVG of 24 × 14 px drawing one legend row."""
    color = _html.escape(row.get("color", "#555555"))
    width = float(row.get("width", 1.0))
    opacity = float(row.get("opacity", 1.0))
    dash = row.get("dash")
    dash_attr = f' stroke-dasharray="{" ".join(_num(d) for d in dash)}"' if dash else ""
    stroke = (f'stroke="{color}" stroke-width="{_num(width)}" stroke-opacity="{_num(opacity)}"'
              f"{dash_attr}")
    kind = row.get("kind", "polygon")
    if kind == "line" and not row.get("fill"):
        shape = f'<line x1="1" y1="7" x2="23" y2="7" {stroke}/>'
    elif kind == "line":  # a ring with a light fill: a box drawn with the line
        shape = (f'<rect x="2" y="2" width="20" height="10" fill="{color}" fill-opacity="0.12" '
                 f"{stroke}/>")
    elif kind == "point":
        fill = _html.escape(row.get("fillColor", color))
        shape = (f'<circle cx="12" cy="7" r="5" fill="{fill}" '
                 f'fill-opacity="{_num(row.get("fillOpacity", 1.0))}" stroke="{color}" '
                 f'stroke-width="1"/>')
    else:
        fill = _html.escape(row.get("fillColor", "#ffffff"))
        outline = stroke if width > 0 else 'stroke="none"'
        shape = (f'<rect x="2" y="2" width="20" height="10" fill="{fill}" '
                 f'fill-opacity="{_num(row.get("fillOpacity", 0.0))}" {outline}/>')
    return (f'<svg class="pp-swatch" width="24" height="14" viewBox="0 0 24 14" '
            f'aria-hidden="true">{shape}</svg>')


def legend_html(sections: list[dict], lang: str, note: str = "") -> str:
    """``sections``: ``{"id", "title", "rows"}`` top layer first."""
    parts = ['<div class="pp-legend pp-box" id="pp-legend">',
             f'<div class="pp-legend-head">{_html.escape(T("Legend", "图例")(lang))}</div>']
    for section in sections:
        parts.append(f'<div class="pp-legend-layer" data-layer="{_html.escape(section["id"])}">'
                     f'<h4>{_html.escape(section["title"])}</h4>')
        for row in section["rows"]:
            parts.append(f'<div class="pp-row">{swatch(row)}'
                         f"<span>{_html.escape(row['label'])}</span></div>")
        parts.append("</div>")
    parts.append(f'<div class="pp-legend-empty" hidden>'
                 f'{_html.escape(T("No layer is shown.", "未显示任何图层。")(lang))}</div>')
    if note:
        parts.append(f'<div class="pp-note">{_html.escape(note)}</div>')
    parts.append("</div>")
    return "".join(parts)
