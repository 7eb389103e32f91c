"""QGIS style documents (QML) and OGC SLD 1.1 from our resolved styles.

The renderer follows the style type (single → ``singleSymbol``, categorised →
``categorizedSymbol``, graduated → ``graduatedSymbol``); every symbol carries the
colours :func:`styles.resolve` gives the canvas, widths in pixels as on the canvas.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from styles import LegendEntry, ResolvedStyle

RENDERERS = {"single": "singleSymbol", "categorised": "categorizedSymbol",
             "graduated": "graduatedSymbol"}
_SYMBOL_TYPES = {"polygon": "fill", "line": "line", "point": "marker"}
_GEOMETRY_CODES = {"point": "0", "line": "1", "polygon": "2"}
_QGIS_DASH = {"solid": "solid", "dash": "dash", "dot": "dot"}
_SLD_DASH = {"solid": None, "dash": "6 3", "dot": "1 3"}
SE = "http://www.opengis.net/se"
OGC = "http://www.opengis.net/ogc"


def rgba_text(rgba: Sequence[int]) -> str:
    """QGIS's colour notation: ``r,g,b,a`` with alpha 0–255."""
    return ",".join(str(int(v)) for v in rgba[:4])


def _options(parent: ET.Element, values: dict[str, str]) -> None:
    """Symbol-layer properties, written both as ``<Option>`` (QGIS ≥ 3.26) and ``<prop>``."""
    option_map = ET.SubElement(parent, "Option", type="Map")
    for key, value in values.items():
        ET.SubElement(option_map, "Option", name=key, type="QString", value=value)
    for key, value in values.items():
        ET.SubElement(parent, "prop", k=key, v=value)


def _symbol(parent: ET.Element, name: str, family: str, entry: LegendEntry, dash: str,
            marker: str, marker_size: float, tag: str = "symbol") -> ET.Element:
    symbol = ET.SubElement(parent, tag, type=_SYMBOL_TYPES[family], name=name, alpha="1",
                           clip_to_extent="1", force_rhr="0")
    width = f"{entry.stroke_width:g}"
    if family == "polygon":
        layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1",
                                                "pass": "0", "locked": "0"})
        _options(layer, {"color": rgba_text(entry.fill), "style": "solid",
                         "outline_color": rgba_text(entry.stroke),
                         "outline_style": _QGIS_DASH[dash] if entry.stroke_width > 0 else "no",
                         "outline_width": width, "outline_width_unit": "Pixel",
                         "joinstyle": "round"})
    elif family == "line":
        layer = ET.SubElement(symbol, "layer", {"class": "SimpleLine", "enabled": "1",
                                                "pass": "0", "locked": "0"})
        _options(layer, {"line_color": rgba_text(entry.stroke), "line_width": width,
                         "line_width_unit": "Pixel", "line_style": _QGIS_DASH[dash],
                         "capstyle": "round", "joinstyle": "round"})
    else:
        layer = ET.SubElement(symbol, "layer", {"class": "SimpleMarker", "enabled": "1",
                                                "pass": "0", "locked": "0"})
        _options(layer, {"name": marker, "color": rgba_text(entry.fill),
                         "outline_color": rgba_text(entry.stroke), "outline_width": "1",
                         "outline_width_unit": "Pixel", "outline_style": "solid",
                         "size": f"{marker_size:g}", "size_unit": "Pixel"})
    return symbol


def qml_document(style: dict, resolved: ResolvedStyle, family: str, lang: str,
                 standards=None, aliases: dict[str, str] | None = None) -> str:
    """A QGIS style (QML) for a layer whose geometry family is polygon, line or point;
    ``aliases`` name its fields in the export language (QGIS shows them in its attribute
    table, forms and identify results)."""
    kind = style.get("type", "single")
    root = ET.Element("qgis", version="3.28.0",
                      styleCategories="Symbology|Labeling|Fields" if aliases else "Symbology|Labeling")
    renderer = ET.SubElement(root, "renderer-v2", type=RENDERERS[kind], symbollevels="0",
                             enableorderby="0", forceraster="0")
    symbols = ET.Element("symbols")
    entries = all_entries(style, resolved, standards)
    look = (resolved.dash, resolved.marker, resolved.marker_size)
    if kind == "single":
        _symbol(symbols, "0", family, entries[0], *look)
    elif kind == "categorised":
        renderer.set("attr", str(style["field"]))
        cats = ET.SubElement(renderer, "categories")
        for i, entry in enumerate(entries):
            value = "" if entry.value is None else str(entry.value)  # "" = all other values
            ET.SubElement(cats, "category", render="true", value=value, symbol=str(i),
                          label=entry.label(lang), type="string")
            _symbol(symbols, str(i), family, entry, *look)
    else:
        renderer.set("attr", str(style["field"]))
        renderer.set("graduatedMethod", "GraduatedColor")
        ranges = ET.SubElement(renderer, "ranges")
        for i, (entry, c) in enumerate(zip(entries, style.get("classes", []), strict=False)):
            ET.SubElement(ranges, "range", render="true", symbol=str(i), label=entry.label(lang),
                          lower=f"{float(c.get('min', -1e308)):g}",
                          upper=f"{float(c.get('max', 1e308)):g}")
            _symbol(symbols, str(i), family, entry, *look)
    renderer.append(symbols)
    if kind != "single":
        source = ET.SubElement(renderer, "source-symbol")
        _symbol(source, "0", family, entries[-1], *look)
    if resolved.label_field:
        _labeling(root, resolved.label_field)
    if aliases:
        names = ET.SubElement(root, "aliases")
        for i, (field, alias) in enumerate(aliases.items()):
            ET.SubElement(names, "alias", field=str(field), index=str(i), name=str(alias))
    ET.SubElement(root, "layerGeometryType").text = _GEOMETRY_CODES[family]
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


def all_entries(style: dict, resolved: ResolvedStyle, standards=None) -> list:
    """Every category of a categorised style (QGIS draws from these), also where the legend
    shows fewer (``legend_single`` / ``legend_present_only``: a legend lists what is drawn)."""
    if style.get("type") != "categorised" or not (style.get("legend_single") or style.get("legend_present_only")):
        return list(resolved.legend)
    import pandas as pd

    from styles.resolve import resolve

    full = {k: v for k, v in style.items() if k not in ("legend_single", "legend_present_only")}
    columns = {str(full["field"]): pd.Series([], dtype=object)}
    if full.get("label_field"):
        columns[str(full["label_field"])] = pd.Series([], dtype=object)
    return list(resolve(full, pd.DataFrame(columns), standards).legend)


def category_values(style: dict, standards=None) -> list[str]:
    """Category values in legend order (explicit ones, or generated from a standards table),
    from the same function :func:`styles.resolve` uses, so rows and legend stay aligned."""
    from styles.resolve import _categories, _style_name

    return [str(c["value"]) for c in _categories(style, _style_name(style), standards)]


def _labeling(root: ET.Element, field_name: str) -> None:
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    ET.SubElement(settings, "text-style", fieldName=field_name, isExpression="0",
                  fontSize="9", fontSizeUnit="Point", textColor="43,43,43,255",
                  fontFamily="Noto Sans CJK SC")
    buffer = ET.SubElement(settings, "text-buffer")
    buffer.set("bufferDraw", "1")
    buffer.set("bufferSize", "1")
    buffer.set("bufferColor", "255,255,255,220")
    ET.SubElement(settings, "placement", placement="1")
    root.set("labelsEnabled", "1")


# --- SLD ---------------------------------------------------------------------------
def sld_document(style: dict, resolved: ResolvedStyle, family: str, layer_name: str,
                 lang: str, standards=None) -> str:
    """An OGC SLD 1.1 document with one rule per legend entry."""
    ET.register_namespace("se", SE)
    ET.register_namespace("ogc", OGC)
    root = ET.Element("StyledLayerDescriptor", {
        "version": "1.1.0", "xmlns": "http://www.opengis.net/sld",
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": "http://www.opengis.net/sld "
                              "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"})
    named = ET.SubElement(root, "NamedLayer")
    ET.SubElement(named, f"{{{SE}}}Name").text = layer_name
    user = ET.SubElement(named, "UserStyle")
    ET.SubElement(user, f"{{{SE}}}Name").text = layer_name
    fts = ET.SubElement(user, f"{{{SE}}}FeatureTypeStyle")
    kind = style.get("type", "single")
    classes = list(style.get("classes", []))
    for i, entry in enumerate(all_entries(style, resolved, standards)):
        rule = ET.SubElement(fts, f"{{{SE}}}Rule")
        ET.SubElement(rule, f"{{{SE}}}Name").text = entry.label(lang)
        if kind == "categorised" and entry.value is not None:
            _sld_filter(rule, "PropertyIsEqualTo", style["field"], str(entry.value))
        elif kind == "categorised":
            ET.SubElement(rule, f"{{{SE}}}ElseFilter")
        elif kind == "graduated" and i < len(classes):
            filt = ET.SubElement(rule, f"{{{OGC}}}Filter")
            both = ET.SubElement(filt, f"{{{OGC}}}And")
            for op, key in (("PropertyIsGreaterThanOrEqualTo", "min"),
                            ("PropertyIsLessThanOrEqualTo", "max")):
                cmp_ = ET.SubElement(both, f"{{{OGC}}}{op}")
                ET.SubElement(cmp_, f"{{{OGC}}}PropertyName").text = style["field"]
                ET.SubElement(cmp_, f"{{{OGC}}}Literal").text = f"{float(classes[i][key]):g}"
        _sld_symbolizer(rule, family, entry, resolved)
    return ET.tostring(root, encoding="unicode")


def _sld_filter(rule: ET.Element, op: str, field_name: str, value: str) -> None:
    filt = ET.SubElement(rule, f"{{{OGC}}}Filter")
    cmp_ = ET.SubElement(filt, f"{{{OGC}}}{op}")
    ET.SubElement(cmp_, f"{{{OGC}}}PropertyName").text = field_name
    ET.SubElement(cmp_, f"{{{OGC}}}Literal").text = value


def _param(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, f"{{{SE}}}SvgParameter", name=name).text = value


def _sld_fill(parent: ET.Element, rgba: Sequence[int]) -> None:
    fill = ET.SubElement(parent, f"{{{SE}}}Fill")
    _param(fill, "fill", "#{:02x}{:02x}{:02x}".format(*rgba[:3]))
    _param(fill, "fill-opacity", f"{rgba[3] / 255:.3g}")


def _sld_stroke(parent: ET.Element, rgba: Sequence[int], width: float, dash: str) -> None:
    stroke = ET.SubElement(parent, f"{{{SE}}}Stroke")
    _param(stroke, "stroke", "#{:02x}{:02x}{:02x}".format(*rgba[:3]))
    _param(stroke, "stroke-opacity", f"{rgba[3] / 255:.3g}")
    _param(stroke, "stroke-width", f"{width:g}")
    if _SLD_DASH.get(dash):
        _param(stroke, "stroke-dasharray", _SLD_DASH[dash])


def _sld_symbolizer(rule: ET.Element, family: str, entry: LegendEntry,
                    resolved: ResolvedStyle) -> None:
    if family == "polygon":
        sym = ET.SubElement(rule, f"{{{SE}}}PolygonSymbolizer")
        _sld_fill(sym, entry.fill)
        if entry.stroke_width > 0:
            _sld_stroke(sym, entry.stroke, entry.stroke_width, resolved.dash)
    elif family == "line":
        sym = ET.SubElement(rule, f"{{{SE}}}LineSymbolizer")
        _sld_stroke(sym, entry.stroke, entry.stroke_width, resolved.dash)
    else:
        sym = ET.SubElement(rule, f"{{{SE}}}PointSymbolizer")
        graphic = ET.SubElement(sym, f"{{{SE}}}Graphic")
        mark = ET.SubElement(graphic, f"{{{SE}}}Mark")
        ET.SubElement(mark, f"{{{SE}}}WellKnownName").text = resolved.marker
        _sld_fill(mark, entry.fill)
        _sld_stroke(mark, entry.stroke, 1.0, "solid")
        ET.SubElement(graphic, f"{{{SE}}}Size").text = f"{resolved.marker_size:g}"
