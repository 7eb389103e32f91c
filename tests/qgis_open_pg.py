"""Open one table of a PostGIS project schema with QGIS's own PostgreSQL provider, for
test_postgis_store.py. Run with the *system* Python (Debian's python3-qgis)::

    /usr/bin/python3 tests/qgis_open_pg.py DBNAME SCHEMA TABLE GEOMCOLUMN [HOST]

Prints one JSON object: whether the layer is valid, its feature count and CRS, what
loading the default style from the database said, the renderer type QGIS built from it,
the fill colours of its symbols and the renderer's classification field.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    dbname, schema, table, geom = argv[:4]
    host = argv[4] if len(argv) > 4 else ""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from qgis.core import QgsApplication, QgsDataSourceUri, QgsVectorLayer
    except ImportError as exc:
        print(json.dumps({"error": f"QGIS is not importable: {exc}"}))
        return 2
    app = QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    uri = QgsDataSourceUri()
    uri.setConnection(host, "", dbname, "", "")
    uri.setDataSource(schema, table, geom, "", "fid")
    layer = QgsVectorLayer(uri.uri(False), table, "postgres")
    info = {"valid": layer.isValid()}
    if layer.isValid():
        message, loaded = layer.loadDefaultStyle()
        renderer = layer.renderer()
        symbols = renderer.symbols(__import__("qgis.core", fromlist=["QgsRenderContext"])
                                   .QgsRenderContext()) if renderer else []
        info.update(count=layer.featureCount(), crs=layer.crs().authid(), style_loaded=loaded,
                    message=message, renderer=renderer.type() if renderer else None,
                    colours=[s.color().name() for s in symbols],
                    field=getattr(renderer, "classAttribute", lambda: None)())
    print(json.dumps(info, ensure_ascii=False), flush=True)
    app.exitQgis()
    os._exit(0)  # QGIS 3.22's bindings may crash while Python tears down


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
