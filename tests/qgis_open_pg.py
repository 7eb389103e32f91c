"""Open one table of a PostGIS project schema with QGIS's own PostgreSQL provider, for
test_postgis_store.py. Run with the *system* Python (Debian's python3-qgis)::

    /usr/bin/python3 tests/qgis_open_pg.py DBNAME SCHEMA TABLE GEOMCOLUMN [HOST]

Prints one JSON object: whether the layer is valid, its feature count and CRS, what
loading the default style from the database said, the renderer type QGIS built from it,
the fill colours of its symbols and the renderer's classification field.
"""

from __future__ import annotations

import json
import sys

from qgis_common import finish, start_qgis


def main(argv: list[str]) -> int:
    dbname, schema, table, geom = argv[:4]
    host = argv[4] if len(argv) > 4 else ""
    app = start_qgis()
    if app is None:
        return 2
    from qgis.core import QgsDataSourceUri, QgsVectorLayer
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
    finish(app)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
