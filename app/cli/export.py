"""``precinct export PROJECT``: offline HTML map, PNG/PDF map sheet, styled GeoPackage, tables."""

from __future__ import annotations

import argparse
import time

from layers.errors import ProjectError, T
from layers.i18n import current_language
from styles.themes import THEMES

THEME_KEYS = tuple(THEMES)

HELP = T("export maps and tables for reviewers (HTML, PDF, PNG, GeoPackage, XLSX, CSV)",
         "导出地图和表格（HTML、PDF、PNG、GeoPackage、XLSX、CSV）")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (.gpkg)")
    p.add_argument("--html", metavar="FILE", help="interactive map that works offline (.html)")
    p.add_argument("--pdf", metavar="FILE", help="map sheet as PDF")
    p.add_argument("--png", metavar="FILE", help="map sheet as PNG")
    p.add_argument("--gpkg", metavar="FILE", help="GeoPackage with QGIS styles (layer_styles)")
    p.add_argument("--xlsx", metavar="FILE", help="attribute tables, one sheet per layer")
    p.add_argument("--csv", metavar="DIR", help="attribute tables as CSV (UTF-8 with BOM)")
    p.add_argument("--layers", nargs="+", metavar="NAME", help="layers to export (default: all)")
    p.add_argument("--title", help="map title (default: the project's title)")
    p.add_argument("--paper", choices=["auto", "A4", "A3"], default="auto",
                   help="map sheet paper (auto: A3 for a city-sized extent, else A4)")
    p.add_argument("--orientation", choices=["auto", "landscape", "portrait"], default="auto",
                   help="map sheet orientation (auto: from the extent's shape)")
    p.add_argument("--landscape", action="store_true", help="same as --orientation landscape")
    p.add_argument("--grid", action="store_true", help="map sheet: coordinate grid (metres) over the map")
    p.add_argument("--inset", action="store_true", help="map sheet: overview map of the whole project")
    p.add_argument("--charts", action="store_true",
                   help="PDF: a second page of charts (coverage, precincts, conflicts, cost)")
    p.add_argument("--theme", choices=["none", *THEME_KEYS], default=None,
                   help="draw every export under this map theme (default: the project's own)")
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution / PDF map picture (dpi)")


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit
    from layers.exports import export_html, write_csv_folder, write_gpkg, write_xlsx
    from layers.store import open_project

    outputs = {k: getattr(args, k) for k in ("html", "pdf", "png", "gpkg", "xlsx", "csv")}
    if not any(outputs.values()):
        raise ProjectError(T("nothing to export", "没有指定导出内容"), "precinct export",
                           T("add at least one of --html, --pdf, --png, --gpkg, --xlsx, --csv",
                             "请至少指定 --html、--pdf、--png、--gpkg、--xlsx、--csv 之一"))
    if not 30 <= args.dpi <= 600:
        raise ProjectError(T("--dpi must be from 30 to 600", "--dpi 应在 30 到 600 之间"), "--dpi")
    lang = getattr(args, "lang", None) or current_language()
    project = open_project(args.project)
    if args.theme is not None:
        from layers.themes import apply_theme

        apply_theme(project, None if args.theme == "none" else args.theme)
    layers = args.layers or None
    written: dict[str, object] = {}
    timings: dict[str, float] = {}

    def timed(key: str, action):
        t0 = time.perf_counter()
        written[key] = action()
        timings[key] = round(time.perf_counter() - t0, 2)

    if outputs["html"]:
        timed("html", lambda: export_html(project, args.html, layers, args.title, lang))
    if outputs["pdf"] or outputs["png"]:
        from app.canvas.map_sheet import SheetSpec, default_title, export_pdf, export_png

        orientation = "landscape" if args.landscape else args.orientation
        spec = SheetSpec(title=args.title or default_title(project, lang), paper=args.paper,
                         landscape=None if orientation == "auto" else orientation == "landscape",
                         lang=lang, layers=layers, dpi=args.dpi, grid=args.grid, inset=args.inset,
                         charts=args.charts)
        if outputs["pdf"]:
            timed("pdf", lambda: str(export_pdf(project, args.pdf, spec)))
        if outputs["png"]:
            timed("png", lambda: str(export_png(project, args.png, spec)))
    if outputs["gpkg"]:
        timed("gpkg", lambda: str(write_gpkg(project, args.gpkg, layers, lang)))
    if outputs["xlsx"]:
        timed("xlsx", lambda: str(write_xlsx(project, args.xlsx, layers, lang)))
    if outputs["csv"]:
        timed("csv", lambda: [str(p) for p in write_csv_folder(project, args.csv, layers, lang)])
    payload = {"project": args.project, "written": written, "seconds": timings}
    lines = [T(f"Exported {args.project}:", f"已导出 {args.project}：")(lang)]
    for key, value in written.items():
        shown = value if not isinstance(value, dict) else outputs[key]
        lines.append(f"  {key}: {shown}  ({timings[key]} s)")
    emit(args, payload, "\n".join(lines))
    return 0
