"""``precinct new PROJECT.gpkg [--crs auto|EPSG:n] [--from FILE --kind KIND]``: start a project
anywhere in China.

``--crs auto`` (the default) takes the CGCS2000 3-degree zone whose central meridian is
nearest the data (:mod:`layers.crs_zones`): from ``--from FILE`` when given, else from the
first file imported into the project later. ``--crs EPSG:n`` takes any projected CRS.
Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["new"]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from layers.errors import ProjectError, T
from layers.kinds import KINDS

HELP = T("start a new project (CRS from the data, or given)", "新建项目（坐标系取自数据或指定）")
AUTO = "auto"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="new project file (.gpkg)")
    parser.add_argument("--crs", default=AUTO,
                        help="auto (default: the CGCS2000 3-degree zone of the data) or EPSG:n")
    parser.add_argument("--from", dest="source", metavar="FILE",
                        help="data that places the project (and is imported with --kind)")
    parser.add_argument("--kind", choices=list(KINDS), help="import --from FILE as this kind")
    parser.add_argument("--coords", default="auto",
                        help="coordinates of --from FILE: auto (default), wgs84, gcj02, bd09 or EPSG:n")
    parser.add_argument("--title", help="project title (default: the file name)")


def _check_target(path: Path) -> None:
    if path.suffix.lower() != ".gpkg":
        raise ProjectError(T("a project file must end in .gpkg", "项目文件扩展名必须为 .gpkg"), str(path),
                           T("add .gpkg to the file name", "请在文件名后加 .gpkg"))
    if path.exists():
        raise ProjectError(T("the file exists already; a new project never overwrites it",
                             "文件已存在；新建项目不会覆盖它"), str(path),
                           T("choose another name, or open the existing project",
                             "请换一个文件名，或直接打开已有项目"))


def project_crs(crs: str, source: str | None, coords: str = "auto") -> tuple[str, str]:
    """(CRS, how it was chosen) for ``--crs`` and ``--from``."""
    from layers.crs_zones import zone_for

    if crs.lower() != AUTO:
        return crs, "given"
    if source is None:
        return "", "first import"
    from layers.importing.read import read_source

    frame = read_source(source).frame
    if frame.crs is None:
        frame = frame.set_crs(_guess_lonlat(frame, source))
    if coords.lower() not in ("auto", "wgs84", "gcj02", "bd09"):
        frame = frame.set_crs(coords, allow_override=True)
    return zone_for(frame), "from data"


def _guess_lonlat(frame, source: str) -> str:
    west, south, east, north = frame.total_bounds
    if -180 <= west <= east <= 180 and -90 <= south <= north <= 90:
        return "EPSG:4326"
    raise ProjectError(T("the file does not say its CRS and its coordinates are not lon/lat",
                         "文件未声明坐标系，且坐标不是经纬度"), str(source),
                       T("give the project CRS with --crs EPSG:n", "请用 --crs EPSG:n 指定项目坐标系"))


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit
    from layers.project import DEFAULT_CRS, Project
    from layers.store import save_project

    target = Path(args.project)
    _check_target(target)
    if args.kind and not args.source:
        raise ProjectError(T("--kind needs --from FILE", "--kind 需要配合 --from 文件 使用"), "--kind",
                           T("add --from FILE, or leave --kind out", "请加上 --from 文件，或去掉 --kind"))
    crs, how = project_crs(args.crs, args.source, args.coords)
    title = args.title or target.stem
    metadata = {"title": title}
    if how == "first import":
        metadata["crs_auto"] = True  # the first import chooses the zone
    project = Project(crs=crs or DEFAULT_CRS, metadata=metadata)
    imported = None
    if args.source and args.kind:
        from layers.importing import import_layer

        imported = import_layer(project, args.source, args.kind, coords=args.coords)
    project.undo.set_clean()
    save_project(project, target)
    auth = project.crs.to_authority()
    label = f"{auth[0]}:{auth[1]}" if auth else project.crs.name
    payload = {"project": str(target), "crs": label, "crs_name": project.crs.name,
               "crs_chosen": how, "layers": project.names(),
               "imported": imported.to_dict() if imported is not None else None}
    lines = [T(f"Created {target}", f"已新建 {target}")()]
    if how == "first import":
        lines.append(T("CRS: chosen from the first file you import (CGCS2000 3-degree zone)",
                       "坐标系：将按首个导入文件所在的 CGCS2000 3 度带确定")())
    else:
        lines.append(T(f"CRS: {label} ({project.crs.name})", f"坐标系：{label}（{project.crs.name}）")())
    if imported is not None:
        lines.append(T(f"Imported {imported.imported_count} features as '{imported.layer_name}'",
                       f"已导入 {imported.imported_count} 个要素为图层“{imported.layer_name}”")())
    emit(args, payload, "\n".join(lines))
    return 0
