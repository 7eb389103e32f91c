"""Time QGIS rendering one GeoPackage polygon layer, for test_bench_canvas.py.

Run with the *system* Python, where Debian's python3-qgis lives (not the project's venv)::

    /usr/bin/python3 tests/benchmarks/qgis_render.py --gpkg city.gpkg --layer communities \
        --size 1600 1000 --view 518000 3390000 537000 3405000 --fill "#f4a582" --fill-alpha 0.45 \
        --stroke "#b2182b" --stroke-width 1.2 --repeat 5

Prints one JSON object. The layer is loaded once through the OGR provider and drawn with a
simple fill symbol (fill, outline colour, outline width in pixels) like ours, antialiased,
at 96 dpi, with the layer's default on-the-fly simplification (what a QGIS user gets).
Each ``--view`` (xmin ymin xmax ymax, world metres) is one render. The first render warms
the provider and is reported apart; the rest are the redraws a pan or zoom causes.

The job is ``QgsMapRendererSequentialJob``: it renders the layers one after another in a
single worker thread, as our canvas does in the GUI thread. (``QgsMapRendererParallelJob``
gives each *layer* its own thread, so with one layer it would only add thread hand-off.)

With ``--styled`` the ``--layer`` option may be given once per table (bottom layer first):
each is drawn with the style QGIS loads from the GeoPackage's ``layer_styles`` (what a QGIS
user opening the file sees) instead of the simple fill, and ``--job parallel`` takes
``QgsMapRendererParallelJob`` (QGIS's map canvas job: layers in parallel threads).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpkg", required=True)
    parser.add_argument("--layer", required=True, action="append", help="table (repeat with --styled)")
    parser.add_argument("--styled", action="store_true", help="each layer in its layer_styles style")
    parser.add_argument("--job", choices=("sequential", "parallel"), default="sequential")
    parser.add_argument("--size", nargs=2, type=int, default=(1600, 1000))
    parser.add_argument("--view", nargs=4, type=float, action="append", required=True)
    parser.add_argument("--fill", default="#f4a582")
    parser.add_argument("--fill-alpha", type=float, default=1.0)
    parser.add_argument("--stroke", default="#b2182b")
    parser.add_argument("--stroke-width", type=float, default=1.0, help="pixels")
    parser.add_argument("--background", default="#fbfaf7")
    parser.add_argument("--repeat", type=int, default=3, help="rounds over all views")
    parser.add_argument("--save", help="write the image of the first view here (PNG)")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import (
        Qgis,
        QgsApplication,
        QgsFillSymbol,
        QgsMapRendererParallelJob,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsRectangle,
        QgsSingleSymbolRenderer,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    app = QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    t0 = time.perf_counter()
    layers = []
    for table in args.layer:
        layer = QgsVectorLayer(f"{args.gpkg}|layername={table}", table, "ogr")
        if not layer.isValid():
            print(json.dumps({"error": f"QGIS cannot open {args.gpkg} layer {table}"}))
            return 1
        if args.styled:
            message, loaded = layer.loadDefaultStyle()
            if not loaded:
                print(json.dumps({"error": f"no stored style for {table}: {message}"}))
                return 1
        layers.append(layer)
    load_s = time.perf_counter() - t0
    layer = layers[0]
    if not args.styled:
        layer.setRenderer(QgsSingleSymbolRenderer(_simple_fill(args, QgsFillSymbol, QColor)))

    settings = QgsMapSettings()
    settings.setLayers(list(reversed(layers)))  # QGIS lists the top layer first
    settings.setDestinationCrs(layer.crs())
    settings.setOutputSize(QSize(*args.size))
    settings.setOutputDpi(96)
    settings.setBackgroundColor(QColor(args.background))
    settings.setFlag(QgsMapSettings.Antialiasing, True)

    def render(view) -> tuple[float, object]:
        settings.setExtent(QgsRectangle(*view))
        job = (QgsMapRendererParallelJob if args.job == "parallel" else QgsMapRendererSequentialJob)(settings)
        start = time.perf_counter()
        job.start()
        job.waitForFinished()
        return time.perf_counter() - start, job.renderedImage()

    first_s, image = render(args.view[0])
    times = []
    for _ in range(args.repeat):
        for view in args.view:
            elapsed, rendered = render(view)
            times.append(elapsed)
            image = rendered if view is args.view[0] else image  # keep the first view's picture
    if args.save:
        image.save(args.save)
    times.sort()
    print(json.dumps({
        "qgis_version": Qgis.QGIS_VERSION,
        "job": "QgsMapRendererParallelJob" if args.job == "parallel" else "QgsMapRendererSequentialJob",
        "features": sum(la.featureCount() for la in layers), "layers": len(layers),
        "load_s": load_s, "first_s": first_s,
        "best_s": times[0], "median_s": times[len(times) // 2], "renders": len(times),
        "simplify_threshold_px": layer.simplifyMethod().threshold(),
        "simplify_hints": int(layer.simplifyMethod().simplifyHints()),
    }), flush=True)
    os._exit(0)  # QgsApplication.exitQgis() can crash at interpreter exit; nothing is left to save


def _simple_fill(args, fill_symbol, qcolor):
    fill = qcolor(args.fill)
    fill.setAlphaF(args.fill_alpha)
    stroke = qcolor(args.stroke)
    return fill_symbol.createSimple({
        "color": ",".join(str(v) for v in fill.getRgb()),
        "outline_color": ",".join(str(v) for v in stroke.getRgb()),
        "outline_width": str(args.stroke_width), "outline_width_unit": "Pixel",
        "outline_style": "solid", "joinstyle": "round",
    })


if __name__ == "__main__":
    sys.exit(main())
