"""``precinct import PROJECT SOURCE --kind KIND``: import a file into a project and save it.

Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["import"] = (configure, run, HELP)``.
The project file is written atomically and only after the import succeeded, so a
refused import leaves it byte for byte as it was.
"""

from __future__ import annotations

import argparse
import json

from layers.errors import ProjectError, T
from layers.kinds import KINDS

HELP = T("import a GIS file or table into a project", "将 GIS 文件或表格导入项目")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="project file (.gpkg)")
    parser.add_argument("source", help="file to import (GeoPackage, Shapefile/.zip, GeoJSON, KML, DXF, "
                                       "CSV/XLSX with lon/lat, OSM .osm/.pbf, GeoTIFF)")
    parser.add_argument("--kind", required=True, choices=list(KINDS), help="target layer kind")
    parser.add_argument("--layer", help="target layer name (an existing layer of the kind: append)")
    parser.add_argument("--source-layer", help="layer or sheet inside the source file")
    parser.add_argument("--encoding", default="auto",
                        help="attribute encoding: auto (default), gbk, gb18030, utf-8")
    parser.add_argument("--coords", default="auto",
                        help="coordinates: auto (default), wgs84, gcj02, bd09 or EPSG:n")
    parser.add_argument("--map", action="append", default=[], metavar="SRC=FIELD",
                        help="map a source field onto a schema field (repeatable; replaces auto-matching)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="value for a schema field no source field gives (e.g. utility=water)")


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ProjectError(T(f"{option} {item!r} is not NAME=VALUE",
                                 f"{option} {item!r} 不是 名称=取值 的形式"), option,
                               T(f"write e.g. {option} 小区名称=name", f"例如：{option} 小区名称=name"))
        out[key.strip()] = value.strip()
    return out


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit
    from layers.importing import import_layer
    from layers.store import open_project, save_project

    mapping = _pairs(args.map, "--map") or None
    defaults = _pairs(args.set, "--set") or None
    project = open_project(args.project)
    report = import_layer(project, args.source, args.kind, layer_name=args.layer, mapping=mapping,
                          encoding=args.encoding, coords=args.coords, defaults=defaults,
                          source_layer=args.source_layer)
    save_project(project, args.project)
    payload = {"project": str(args.project), **report.to_dict()}
    emit(args, json.loads(json.dumps(payload, ensure_ascii=False, default=str)), "\n".join(report.lines()))
    return 0
