"""``precinct copy SRC DST [--overwrite]``: move a project between a GeoPackage file and a
PostgreSQL/PostGIS schema, either way (or file to file, schema to schema).

Everything the project holds goes across unchanged: layer order, names, kinds, ids,
feature ids, column types, geometries, our styles, visibility and opacity, metadata and
settings. Raster layers go into a PostGIS schema as lossless GeoTIFF bytes (QGIS does not
show those; the app does) and come back as GeoPackage rasters; a basemap read where its
tiles lie keeps the path to them. A destination that already holds a project is refused
unless ``--overwrite``. Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["copy"]``.
"""

from __future__ import annotations

import argparse
import time

from app.cli.output import emit
from layers.errors import ProjectError, T

HELP = T("copy a project between a GeoPackage and PostGIS (either way)",
         "在 GeoPackage 与 PostGIS 之间复制项目（双向）")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="project: FILE.gpkg or postgresql://host/db?schema=NAME")
    parser.add_argument("destination",
                        help="where to write it: FILE.gpkg or postgresql://host/db?schema=NAME "
                             "(or 'service=NAME schema=NAME')")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a project already at the destination")


def run(args: argparse.Namespace) -> int:
    from layers.display import layer_name
    from layers.store import location_of, open_project, save_project, store_for

    source, target = location_of(args.source), location_of(args.destination)
    if str(source) == str(target) and type(source) is type(target):
        raise ProjectError(T("the source and the destination are the same project",
                             "源项目与目标位置相同"), str(target),
                           T("name another file or schema as the destination",
                             "请指定其他文件或模式作为目标"))
    t0 = time.perf_counter()
    project = open_project(source)
    if project.metadata.get("opened_as_import"):
        raise ProjectError(T("the source is not a Precinct Planner project",
                             "源文件不是片区规划项目"), str(source),
                           T("import its layers into a project with precinct import",
                             "请用 precinct import 把其中的图层导入项目"))
    t1 = time.perf_counter()
    if not args.overwrite and store_for(target).exists():
        raise ProjectError(T("a project is already stored at the destination",
                             "目标位置已有项目"), str(target),
                           T("add --overwrite to replace it, or choose another destination",
                             "如需替换请加 --overwrite，或另选目标位置"))
    save_project(project, target, overwrite=True)
    t2 = time.perf_counter()
    counts = {layer.name: len(layer) if layer.layer_type in ("vector", "table") else None
              for layer in project.layers}
    payload = {"source": str(source), "destination": str(target), "layers": counts,
               "read_s": round(t1 - t0, 2), "write_s": round(t2 - t1, 2)}
    what = T(f"Copied {source} to {target}", f"已将 {source} 复制到 {target}")()
    raster = T("raster", "栅格")()
    lines = [what] + [f"  {layer_name(layer.name, layer.kind)}: "
                      f"{counts[layer.name] if counts[layer.name] is not None else raster}"
                      for layer in project.layers]
    emit(args, payload, "\n".join(lines))
    return 0



