"""QGIS styles of a PostGIS project, in QGIS's own ``public.layer_styles`` table.

QGIS's PostgreSQL provider looks a layer's default style up in ``layer_styles`` (found on
the search path, which is where QGIS creates it: ``public``) by database, schema, table
and geometry column. We create the table as QGIS does when it is missing, replace the rows
of this schema's tables, and write the same QML and SLD as the styled GeoPackage export
(:func:`layers.exports.gpkg_styles.style_documents`). Styles are in the language of the
person saving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project
    from layers.store.pgwrite import Written

STYLES_TABLE = ("public", "layer_styles")
# the columns QGIS creates (QGIS 3.x); styleqml / stylesld / ui are xml in QGIS's own DDL,
# text here so a QML with a DOCTYPE is always accepted (QGIS reads both)
CREATE_STYLES = """
CREATE TABLE IF NOT EXISTS public.layer_styles (
    id serial PRIMARY KEY,
    f_table_catalog varchar,
    f_table_schema varchar,
    f_table_name varchar,
    f_geometry_column varchar,
    stylename text,
    styleqml text,
    stylesld text,
    useasdefault boolean,
    description text,
    owner varchar(63),
    ui text,
    update_time timestamp DEFAULT CURRENT_TIMESTAMP,
    type varchar
)"""


def write_styles(cur: Any, project: Project, schema: str, written: list[Written]) -> None:
    """Replace the schema's rows in ``public.layer_styles`` by the layers' styles."""
    from layers.exports.gpkg_styles import style_documents
    from layers.i18n import current_language

    cur.execute(CREATE_STYLES)
    cur.execute("DELETE FROM public.layer_styles WHERE f_table_catalog = current_database() "
                "AND f_table_schema = %s", (schema,))
    lang = current_language()
    rows = []
    for item in written:
        qml, sld, description, _family = style_documents(project, item.layer, lang)
        rows.append((schema, item.table, item.geometry_column, item.layer.name[:30], qml, sld,
                     True, description))
    if not rows:
        return
    # ``type`` stays NULL: QGIS matches it against the geometry type in the layer's URI,
    # which a layer added by hand often lacks, and a NULL type matches every URI
    cur.executemany(
        "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, "
        "f_geometry_column, stylename, styleqml, stylesld, useasdefault, description, owner) "
        "VALUES (current_database(), %s, %s, %s, %s, %s, %s, %s, %s, current_user)", rows)


def drop_styles(cur: Any, schema: str) -> None:
    """Remove the schema's style rows (when the project's schema is dropped)."""
    cur.execute("SELECT to_regclass('public.layer_styles')")
    if cur.fetchone()[0] is not None:
        cur.execute("DELETE FROM public.layer_styles WHERE f_table_catalog = current_database() "
                    "AND f_table_schema = %s", (schema,))
