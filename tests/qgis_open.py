"""Open the raster layers of a GeoPackage with QGIS, for test_rasters_qgis.py.

Run with the *system* Python, where Debian's python3-qgis lives (not the project's venv)::

    /usr/bin/python3 tests/qgis_open.py project.gpkg [--render out.png]

Prints one JSON object: for every raster table QGIS's GDAL provider lists in the file,
whether QGIS opened it as a valid layer, its size, band count, data type of band 1 and
CRS; with ``--render``, also the RGBA of the centre pixel of each layer drawn alone
(what a QGIS user would see), written as PNG to the given path with the table appended.
"""

from __future__ import annotations

import argparse
import json
import sys

from qgis_common import finish, start_qgis


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gpkg")
    parser.add_argument("--render", help="PNG path prefix: draw each raster layer alone")
    args = parser.parse_args(argv)
    app = start_qgis()
    if app is None:
        return 2
    from qgis.core import QgsProviderRegistry, QgsRasterLayer
    metadata = QgsProviderRegistry.instance().providerMetadata("gdal")
    found, opened = {}, []
    for sub in metadata.querySublayers(args.gpkg):
        uri = sub.uri()
        layer = QgsRasterLayer(uri, sub.name(), "gdal")
        opened.append(layer)
        info = {"uri": uri, "valid": layer.isValid()}
        if layer.isValid():
            provider = layer.dataProvider()
            info.update(width=layer.width(), height=layer.height(), bands=layer.bandCount(),
                        dtype=int(provider.dataType(1)), crs=layer.crs().authid(),
                        renderer=layer.renderer().type() if layer.renderer() else None)
            if args.render:
                info["centre_rgba"] = _render(layer, f"{args.render}-{sub.name()}.png")
        found[sub.name()] = info
    print(json.dumps({"qgis": _version(), "layers": found}, ensure_ascii=False), flush=True)
    del opened
    finish(app)


def _render(layer, path: str) -> list[int]:
    from qgis.core import QgsMapRendererSequentialJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(400, 400))
    settings.setBackgroundColor(QColor(255, 255, 255, 0))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(path)
    colour = QColor(image.pixel(200, 200))
    return [colour.red(), colour.green(), colour.blue(), colour.alpha()]


def _version() -> str:
    from qgis.core import Qgis

    return Qgis.QGIS_VERSION


if __name__ == "__main__":
    sys.exit(main())
