"""What the QGIS scripts of the tests share (run with the system Python, where Debian's
python3-qgis lives): starting QGIS offscreen, and leaving at once once the answer is out."""

from __future__ import annotations

import json
import os


def start_qgis():
    """A started ``QgsApplication``; ``None`` (an error JSON printed) when QGIS is missing."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from qgis.core import QgsApplication
    except ImportError as exc:
        print(json.dumps({"error": f"QGIS is not importable: {exc}"}))
        return None
    app = QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    return app


def finish(app) -> None:
    """Stop QGIS and leave: QGIS 3.22's bindings may crash while Python tears down."""
    app.exitQgis()
    os._exit(0)
