"""``precinct schemes PROJECT``: named scheme versions (方案) kept in the project — save,
list, compare, restore, delete.

Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["schemes"] = (configure, run, HELP)``.
"""

from __future__ import annotations

import argparse
from typing import Any

from layers.errors import ProjectError, T

HELP = T("scheme versions: save, list, compare, restore", "方案版本：保存、列出、比较、恢复")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project (.gpkg or postgresql://…?schema=NAME)")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--save", metavar="NAME", help="keep the project as it is now as NAME")
    action.add_argument("--list", action="store_true", help="list the schemes (the default)")
    action.add_argument("--diff", nargs=2, metavar=("A", "B"),
                        help="what changed from scheme A to scheme B (current: the project now)")
    action.add_argument("--restore", metavar="NAME",
                        help="bring back scheme NAME (the present state is kept as a scheme first)")
    action.add_argument("--delete", metavar="NAME", help="delete scheme NAME")
    p.add_argument("--note", default="", help="a note saved with --save")
    p.add_argument("--author", help="who saves it (default: the login name)")
    p.add_argument("--out", help="with --diff: write one sheet per part (.xlsx)")


def run(args: argparse.Namespace) -> int:
    from layers.store import open_project

    project = open_project(args.project)
    if args.diff:
        return _diff(args, project)
    if args.out:
        raise ProjectError(T("--out goes with --diff", "--out 须与 --diff 一起使用"), "precinct schemes",
                           T("add --diff A B", "请加上 --diff A B"))
    if args.save is not None:
        return _save(args, project)
    if args.restore is not None:
        return _restore(args, project)
    if args.delete is not None:
        return _delete(args, project)
    return _list(args, project)


def _entry(scheme) -> dict[str, Any]:
    return {"name": scheme.name, "created": scheme.created, "author": scheme.author,
            "note": scheme.note, "automatic": scheme.origin == "auto",
            "layers": list(scheme.layers), "bytes": len(scheme.payload)}


def _list(args: argparse.Namespace, project) -> int:
    from app.cli.output import emit
    from layers import display

    schemes = [_entry(s) for s in project.schemes]
    lines = [T(f"{len(schemes)} schemes in {args.project}", f"{args.project} 中有 {len(schemes)} 个方案")()]
    for s in schemes:
        auto = T(" (automatic)", "（自动）")() if s["automatic"] else ""
        lines.append(f"  {s['name']}{auto}  {display.date(s['created'][:10])}  "
                     f"{s['author'] or display.MISSING}  {s['note']}")
    if not schemes:
        lines.append(T("  none yet: save one with --save NAME", "  尚无方案：请用 --save 名称 保存")())
    emit(args, {"project": args.project, "schemes": schemes}, "\n".join(lines))
    return 0


def _save(args: argparse.Namespace, project) -> int:
    from app.cli.output import emit
    from layers.schemes import save_scheme
    from layers.store import save_project

    scheme = save_scheme(project, args.save, author=args.author, note=args.note)
    save_project(project, args.project)
    emit(args, {"project": args.project, "saved": _entry(scheme)},
         T(f"Scheme “{scheme.name}” saved in {args.project} ({len(scheme.layers)} layers)",
           f"方案“{scheme.name}”已保存到 {args.project}（{len(scheme.layers)} 个图层）")())
    return 0


def _restore(args: argparse.Namespace, project) -> int:
    from app.cli.output import emit
    from layers.schemes import restore_scheme
    from layers.store import save_project

    macro = restore_scheme(project, args.restore)
    save_project(project, args.project)
    kept = macro.kept_as
    emit(args, {"project": args.project, "restored": args.restore, "kept_as": kept},
         T(f"Scheme “{args.restore}” restored; the previous state is kept as the scheme “{kept}”",
           f"已恢复方案“{args.restore}”；恢复前的状态已保存为方案“{kept}”")())
    return 0


def _delete(args: argparse.Namespace, project) -> int:
    from app.cli.output import emit
    from layers.schemes import delete_scheme
    from layers.store import save_project

    delete_scheme(project, args.delete)
    save_project(project, args.project)
    emit(args, {"project": args.project, "deleted": args.delete},
         T(f"Scheme “{args.delete}” deleted", f"已删除方案“{args.delete}”")())
    return 0


def _side(project, name: str):
    from layers.schemes import CURRENT_NAMES, find_scheme, scheme_project

    if name.strip().lower() in CURRENT_NAMES:
        return project
    return scheme_project(find_scheme(project, name))


def _diff(args: argparse.Namespace, project) -> int:
    from app.cli.output import emit
    from layers.schemes.diff import diff_projects
    from layers.schemes.report import as_data, frames, text_lines

    if args.out and not str(args.out).lower().endswith(".xlsx"):
        raise ProjectError(T("the comparison is written as .xlsx (one sheet per part)",
                             "比较结果须写出为 .xlsx（每部分一个工作表）"), str(args.out),
                           T("name the file .xlsx", "请将文件命名为 .xlsx"))
    name_a, name_b = args.diff
    diff = diff_projects(_side(project, name_a), _side(project, name_b), name_a, name_b)
    std = project.standards()
    lines = text_lines(diff, std)
    if args.out:
        from layers.exports.table_writer import write_table

        write_table(frames(diff, std), args.out, what=T("scheme comparison", "方案比较"))
        lines.append(T(f"Comparison written to {args.out}", f"比较结果已写出：{args.out}")())
    emit(args, {"project": args.project, **as_data(diff), "out": args.out}, "\n".join(lines))
    return 0
