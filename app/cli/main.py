"""The ``precinct`` command.

``precinct [gui] [PROJECT]`` opens the app (the bundled sample city when no
project is named); ``precinct demo`` writes a synthetic sample city;
``precinct info`` describes a project. Exit 0 on success, 2 on usage errors,
1 on an error a person can fix (one line; the traceback only with --debug).
Later issues add more subcommands through :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.cli.output import emit
from layers.errors import ProjectError, T
from layers.i18n import current_language, set_language

UNEXPECTED = T("unexpected problem ({what}); run again with --debug for the details and "
              "report it", "发生意外问题（{what}）；请加 --debug 重新运行查看详情并报告")
Handler = Callable[[argparse.Namespace], int]
SUBCOMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler, T]] = {}


# --- gui --------------------------------------------------------------------------------
def _configure_gui(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", help="project file (.gpkg); default: the sample city")
    p.add_argument("--screenshot", metavar="PNG",
                   help="draw the window once, save it as PNG and exit")


def _run_gui(args: argparse.Namespace) -> int:
    from app.window.gui import run_gui  # Qt is imported only here

    code = run_gui(args.project, lang=args.lang, screenshot=args.screenshot)
    if args.json:
        print(json.dumps({"exit_code": code}))
    return code


# --- demo -------------------------------------------------------------------------------
def _configure_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", choices=["small", "city", "metro"], default="small")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output project file (.gpkg)")


def _run_demo(args: argparse.Namespace) -> int:
    from layers.demo import build_sample_project
    from layers.store import save_project

    out = Path(args.out)
    if out.suffix.lower() != ".gpkg":
        raise ProjectError(T("the output must be a .gpkg file", "输出文件必须为 .gpkg"), str(out),
                           T("add .gpkg to the file name", "请在文件名后加 .gpkg"))
    t0 = time.perf_counter()
    project = build_sample_project(args.scale, args.seed)
    t1 = time.perf_counter()
    save_project(project, out)
    t2 = time.perf_counter()
    counts = {layer.name: len(layer) if layer.layer_type in ("vector", "table") else None
              for layer in project.layers}
    payload = {"out": str(out), "scale": args.scale, "seed": args.seed, "layers": counts,
               "crs": "EPSG:4546", "generate_s": round(t1 - t0, 2), "save_s": round(t2 - t1, 2)}
    lines = [T(f"Wrote {out} (synthetic sample city, scale {args.scale}, seed {args.seed})",
               f"已写出 {out}（虚构示例城区，规模 {args.scale}，种子 {args.seed}）")()]
    lines += [f"  {name}: {n if n is not None else 'raster'}" for name, n in counts.items()]
    emit(args, payload, "\n".join(lines))
    return 0


# --- info -------------------------------------------------------------------------------
def _configure_info(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (.gpkg)")


def describe(project) -> dict[str, Any]:
    """What ``precinct info`` reports, as plain data."""
    auth = project.crs.to_authority()
    layers = []
    for layer in project.layers:
        entry: dict[str, Any] = {
            "name": layer.name, "kind": layer.kind, "type": layer.layer_type,
            "label": layer.schema.label(), "visible": layer.visible,
        }
        if layer.layer_type == "table":
            entry["count"] = len(layer)
        elif layer.layer_type == "vector":
            entry["count"] = len(layer)
            entry["geometry_types"] = sorted(
                str(t) for t in layer.gdf.geometry.geom_type.dropna().unique())
        elif layer.layer_type == "tiles":  # a basemap read where it lies
            entry["count"] = None
            entry["source"] = str(layer.path)
            entry["zoom_levels"] = sorted(layer.source.matrices) if layer.source else []
        else:
            entry["count"] = None
            entry["shape"] = list(layer.array.shape)
        bounds = layer.bounds()
        entry["bounds"] = [round(v, 2) for v in bounds] if bounds else None
        layers.append(entry)
    return {
        "path": str(project.path) if project.path else None,
        "crs": f"{auth[0]}:{auth[1]}" if auth else project.crs.to_wkt(),
        "crs_name": project.crs.name,
        "metadata": project.metadata,
        "synthetic": project.is_synthetic,
        "layers": layers,
    }


def _run_info(args: argparse.Namespace) -> int:
    from layers.display import layer_name
    from layers.store import open_project

    project = open_project(args.project)
    info = describe(project)
    lines = [f"{info['path'] or args.project}", f"CRS: {info['crs']} ({info['crs_name']})"]
    if info["synthetic"]:
        lines.append(T("synthetic data", "虚构数据")())
    for entry in info["layers"]:
        count = entry["count"] if entry["count"] is not None else (
            "×".join(map(str, entry["shape"])) if "shape" in entry
            else f"{entry['source']} (z{','.join(map(str, entry['zoom_levels'])) or '—'})")
        name = layer_name(entry["name"], entry["kind"])  # 人口格网, not population_grid
        lines.append(f"  {name:<20} {entry['label']:<12} {count}")
    emit(args, info, "\n".join(lines))
    return 0


from app.cli import config as cli_config  # noqa: E402  (a module per subcommand)
from app.cli import conflicts as cli_conflicts  # noqa: E402
from app.cli import copy_project as cli_copy  # noqa: E402
from app.cli import coverage as cli_coverage  # noqa: E402
from app.cli import export as cli_export  # noqa: E402
from app.cli import importing as cli_import  # noqa: E402
from app.cli import new as cli_new  # noqa: E402
from app.cli import precincts as cli_precincts  # noqa: E402
from app.cli import programme as cli_programme  # noqa: E402
from app.cli import schemes as cli_schemes  # noqa: E402
from app.cli import siting as cli_siting  # noqa: E402

SUBCOMMANDS["gui"] = (_configure_gui, _run_gui, T("open the desktop app", "打开桌面程序"))
SUBCOMMANDS["demo"] = (_configure_demo, _run_demo,
                       T("write a synthetic sample city project", "生成虚构示例城区项目"))
SUBCOMMANDS["info"] = (_configure_info, _run_info, T("describe a project", "显示项目信息"))
SUBCOMMANDS["new"] = (cli_new.configure, cli_new.run, cli_new.HELP)
SUBCOMMANDS["import"] = (cli_import.configure, cli_import.run, cli_import.HELP)
SUBCOMMANDS["export"] = (cli_export.configure, cli_export.run, cli_export.HELP)
SUBCOMMANDS["precincts"] = (cli_precincts.configure, cli_precincts.run, cli_precincts.HELP)
SUBCOMMANDS["sites"] = (cli_siting.configure, cli_siting.run, cli_siting.HELP)
SUBCOMMANDS["coverage"] = (cli_coverage.configure, cli_coverage.run, cli_coverage.HELP)
SUBCOMMANDS["programme"] = (cli_programme.configure, cli_programme.run, cli_programme.HELP)
SUBCOMMANDS["config"] = (cli_config.configure, cli_config.run, cli_config.HELP)
SUBCOMMANDS["conflicts"] = (cli_conflicts.configure, cli_conflicts.run,
                            T("find pipeline conflicts", "管线冲突检查"))
SUBCOMMANDS["copy"] = (cli_copy.configure, cli_copy.run, cli_copy.HELP)
SUBCOMMANDS["schemes"] = (cli_schemes.configure, cli_schemes.run, cli_schemes.HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="precinct",
        description=T("Precinct Planner — old-community renovation, precincts and life circles",
                      "片区规划 —— 老旧小区改造、片区统筹与生活圈分析")())
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    common.add_argument("--lang", choices=["zh", "en"], help="language (default: system locale)")
    sub = parser.add_subparsers(dest="command")
    for name, (configure, _handler, help_text) in SUBCOMMANDS.items():
        configure(sub.add_parser(name, parents=[common], help=help_text()))
    return parser


def _needs_gui(argv: list[str]) -> bool:
    """True when no subcommand is named (only options, or just a project path)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("-h", "--help"):
            return False
        if arg in ("--lang", "--screenshot"):
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return arg not in SUBCOMMANDS
    return True


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _needs_gui(argv):
        argv = ["gui", *argv]  # `precinct` and `precinct PROJECT` open the app
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.lang:
        set_language(args.lang)
    handler = SUBCOMMANDS[args.command][1]
    try:
        return handler(args)
    except ProjectError as exc:
        if args.debug:
            traceback.print_exc()
        if args.json:
            print(json.dumps({"error": exc.message("en"), "error_zh": exc.message("zh")},
                             ensure_ascii=False))
        print(f"precinct {args.command}: {exc.message(current_language())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped early (`| head`): nothing is wrong
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout at exit
        except OSError:
            pass
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug or a library error: one line, not a traceback
        if args.debug:
            traceback.print_exc()
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        text = UNEXPECTED.format(what=f"{type(exc).__name__}: {first}")
        if args.json:
            print(json.dumps({"error": text("en"), "error_zh": text("zh")}, ensure_ascii=False))
        print(f"precinct {args.command}: {text(current_language())}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
