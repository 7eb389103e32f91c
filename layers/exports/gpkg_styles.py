"""A GeoPackage of chosen layers with a QGIS ``layer_styles`` table, so QGIS opens each
layer with our colours, categories and classes (QML as default style, SLD beside it).

The table has the columns QGIS itself creates when it saves a style into a GeoPackage
(f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName,
styleQML, styleSLD, useAsDefault, description, owner, ui, update_time).

The file is a GeoPackage 1.2 (``PRAGMA user_version`` 10200), as the project file is:
GDAL 3.6 and QGIS 3.22, which many offices run, warn on every layer of a 1.4 file, and
nothing here needs 1.4.
"""

from __future__ import annotations

import datetime as _dt
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pyogrio

from layers.errors import ProjectError, T
from layers.exports.common import (
    check_language,
    field_label,
    is_table,
    is_vector,
    layer_style,
    output_path,
    select_layers,
)
from layers.exports.qml import qml_document, sld_document
from layers.store.atomic import atomic_target
from layers.store.gpkg import GPKG_OPTIONS
from layers.themes import themed_frame
from styles.themes import THEME_FIELD

LAYER_STYLES_SQL = """
CREATE TABLE layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT CURRENT_TIMESTAMP
)"""
LAYER_STYLES_COLUMNS = ("f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                        "styleName", "styleQML", "styleSLD", "useAsDefault", "description",
                        "owner", "ui", "update_time")
_FAMILIES = {"Polygon": "polygon", "MultiPolygon": "polygon", "LineString": "line",
             "MultiLineString": "line", "Point": "point", "MultiPoint": "point"}


def geometry_family(layer) -> str | None:
    """polygon / line / point from the data (else the schema); None for mixed or empty."""
    types = {_FAMILIES.get(t) for t in layer.gdf.geometry.geom_type.dropna().unique()}
    if len(types) == 1 and None not in types:
        return types.pop()
    if not types:
        return layer.schema.geometry
    return None


def table_name(name: str, used: set[str]) -> str:
    """A GeoPackage table name from a layer name (Chinese kept, unique, no gpkg_/rtree_)."""
    base = re.sub(r"\W+", "_", name).strip("_") or "layer"
    if base.lower().startswith(("gpkg", "rtree", "sqlite")) or base[0].isdigit():
        base = f"layer_{base}"
    candidate, n = base, 2
    while candidate.lower() in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate.lower())
    return candidate


def write_gpkg(project, path: str | Path, names: Sequence[str] | None = None,
               lang: str = "zh") -> Path:
    """Write the chosen vector and table layers with their QGIS styles (atomic write)."""
    check_language(lang)
    target = output_path(path, (".gpkg",), T("output", "输出"))
    layers = [la for la in select_layers(project, names) if is_vector(la) or is_table(la)]
    if not layers:
        raise ProjectError(T("none of the chosen layers has features to export",
                             "所选图层中没有可导出的要素图层"), str(target),
                           T("choose vector or table layers", "请选择矢量或表格图层"))
    try:
        with atomic_target(target) as tmp:
            rows = []
            used: set[str] = set()
            for layer in layers:
                table = table_name(layer.name, used)
                _write_layer(layer, tmp, table, themed_frame(project, layer) if is_vector(layer) else None)
                if is_vector(layer):
                    rows.append(_style_row(project, layer, table, tmp, lang))
            _write_styles(tmp, rows)
    except OSError as exc:
        raise ProjectError(T(f"cannot write the GeoPackage ({exc.strerror})",
                             f"无法写出 GeoPackage（{exc.strerror}）"), str(target),
                           T("choose a folder you can write to", "请选择可写入的文件夹")) from exc
    return target


def _write_layer(layer, tmp: Path, table: str, frame=None) -> None:
    """One layer's rows; ``frame``: its features with the map theme's field (QGIS draws the
    theme's renderer from that column)."""
    frame = (layer.gdf if frame is None else frame).reset_index()
    options = {"FID": "fid", "IDENTIFIER": layer.name,
               "DESCRIPTION": f"{layer.schema.label('zh')} / {layer.schema.label('en')}"}
    kwargs = {"append": True} if tmp.exists() else {"dataset_options": GPKG_OPTIONS}
    if is_vector(layer):
        family = geometry_family(layer)
        geometry_type = {"polygon": "MultiPolygon", "line": "MultiLineString",
                         "point": "MultiPoint"}.get(family or "", "Unknown")
        if family == "point" and set(layer.gdf.geom_type.dropna()) == {"Point"}:
            geometry_type = "Point"
        elif family is not None:
            kwargs["promote_to_multi"] = True
        options["GEOMETRY_NAME"] = "geom"
        options["SPATIAL_INDEX"] = "YES"
        pyogrio.write_dataframe(frame, tmp, layer=table, driver="GPKG",
                                geometry_type=geometry_type, layer_options=options, **kwargs)
    else:
        pyogrio.write_dataframe(frame, tmp, layer=table, driver="GPKG", layer_options=options,
                                **kwargs)


def _geometry_column(tmp: Path, table: str) -> str:
    with sqlite3.connect(tmp) as db:
        row = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                         (table,)).fetchone()
    return row[0] if row else ""


def style_documents(project, layer, lang: str, themed: bool = True) -> tuple[str, str, str, str]:
    """The QGIS style of a vector layer as QGIS keeps it in ``layer_styles``: QML, SLD,
    a description, and the geometry family the documents were made for (shared by this
    export and the PostGIS project store). ``themed=False``: a layer drawn by the map theme's
    computed field gets its kind's own style (a project file holds no theme column)."""
    style, resolved = layer_style(project, layer)
    if not themed and style.get("field") == THEME_FIELD:
        from styles import effective_style, resolve

        style = effective_style(layer.kind, {})
        resolved = resolve(style, layer.gdf, project.standards() if style.get("colors_from") else None)
    family = geometry_family(layer) or "polygon"
    standards = project.standards() if style.get("colors_from") else None
    columns = (themed_frame(project, layer) if themed else layer.gdf).columns
    aliases = {c: field_label(layer, c, lang) for c in columns if c != "geometry"}
    qml = qml_document(style, resolved, family, lang, standards, aliases=aliases)
    sld = sld_document(style, resolved, family, layer.name, lang, standards)
    description = f"Precinct Planner style '{style.get('name', layer.kind)}' ({layer.kind})"
    return qml, sld, description, family


def _style_row(project, layer, table: str, tmp: Path, lang: str, themed: bool = True) -> tuple:
    qml, sld, description, _family = style_documents(project, layer, lang, themed)
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return ("", "", table, _geometry_column(tmp, table), layer.name[:30], qml, sld, 1,
            description, "", "", now)


def write_layer_styles(project, path: Path, tables: list[tuple], lang: str) -> int:
    """Write QGIS's ``layer_styles`` for ``(layer, table)`` pairs of vector layers already in
    the GeoPackage at ``path`` (the project store calls this, so QGIS opens a project file
    styled as the app draws it); returns the number of styles written."""
    rows = [_style_row(project, layer, table, path, lang, themed=False)
            for layer, table in tables if is_vector(layer)]
    if rows:
        _write_styles(path, rows)
    return len(rows)


def _write_styles(tmp: Path, rows: list[tuple]) -> None:
    """Create ``layer_styles`` (registered as an attributes table) and insert the rows."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with sqlite3.connect(tmp) as db:
        db.execute(LAYER_STYLES_SQL)
        db.executemany(f"INSERT INTO layer_styles ({', '.join(LAYER_STYLES_COLUMNS)}) "
                       f"VALUES ({', '.join('?' * len(LAYER_STYLES_COLUMNS))})", rows)
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
                   " last_change) VALUES ('layer_styles', 'attributes', 'layer_styles',"
                   " 'QGIS layer styles', ?)", (now,))
    db.close()
