"""Open one vector table of a GeoPackage with QGIS and report what a QGIS user gets: the
style QGIS loads from the file's ``layer_styles`` (renderer, classification field, its
categories' values and labels) and the field aliases. For test_qgis_themes.py.

Run with the *system* Python, where Debian's python3-qgis lives::

    /usr/bin/python3 tests/qgis_open_vector.py export.gpkg TABLE
"""

from __future__ import annotations

import json
import sys

from qgis_common import finish, start_qgis


def main(argv: list[str]) -> int:
    path, table = argv[0], argv[1]
    app = start_qgis()
    if app is None:
        return 2
    from qgis.core import QgsVectorLayer
    layer = QgsVectorLayer(f"{path}|layername={table}", table, "ogr")
    out = {"valid": layer.isValid()}
    if layer.isValid():
        message, loaded = layer.loadDefaultStyle()
        renderer = layer.renderer()
        out.update(style_loaded=bool(loaded), message=str(message), renderer=renderer.type(),
                   features=layer.featureCount())
        if renderer.type() == "categorizedSymbol":
            out["field"] = renderer.classAttribute()
            out["categories"] = [[str(c.value()), c.label()] for c in renderer.categories()]
            out["colours"] = {str(c.value()): list(c.symbol().color().getRgb()[:3])
                              for c in renderer.categories()}
        fields = layer.fields()
        out["aliases"] = {fields.at(i).name(): layer.attributeAlias(i) for i in range(fields.count())}
    print(json.dumps(out, ensure_ascii=False), flush=True)
    del layer
    finish(app)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
