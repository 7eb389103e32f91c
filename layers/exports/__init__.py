"""Exports for reviewers: an offline interactive HTML map, a QGIS-ready GeoPackage with
``layer_styles``, and attribute tables as XLSX / CSV. GUI-free (the PNG/PDF map sheet,
which needs Qt's painter, lives in :mod:`app.map_sheet`).

Every export reads the styles through :func:`styles.resolve`, as the canvas does.
"""

from __future__ import annotations

from layers.exports.gpkg_styles import write_gpkg
from layers.exports.html import export_html, render_html
from layers.exports.tables import table_frame, write_csv_folder, write_xlsx

__all__ = ["export_html", "render_html", "table_frame", "write_csv_folder", "write_gpkg",
           "write_xlsx"]
