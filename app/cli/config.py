"""``precinct config PROJECT [KEY[=VALUE] …]``: list and set a project's own values.

Any value of the standards tables (funding shares, award rates, unit costs, thresholds …)
and any programme input of a community (central subsidy, road opening, 广电 relocation,
relocation items, award scope …). Values are typed and checked; all the assignments of one
call are one undoable step, saved in the project. See :mod:`layers.config.keys`.

Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["config"]``.
"""

from __future__ import annotations

import argparse

from layers.errors import ProjectError, T

HELP = T("list and set the project's own values (standards overrides, programme inputs)",
         "列出并设定项目取值（标准覆盖值、改造计划输入）")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="project file (.gpkg)")
    parser.add_argument("items", nargs="*", metavar="KEY[=VALUE]",
                        help="KEY shows one value (or lists a table / community.FID); KEY=VALUE sets it, "
                             "KEY= removes the project's value")
    parser.add_argument("--all", action="store_true", help="list every settable value")
    parser.add_argument("--source", help="where the values come from (kept and shown as their source)")


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit
    from layers.config.keys import CONFIDENCE_LABELS, apply_assignments, entries, entry
    from layers.store import open_project, save_project

    sets = [i.split("=", 1) for i in args.items if "=" in i]
    shows = [i for i in args.items if "=" not in i]
    if sets and shows:
        raise ProjectError(T("give either keys to show or KEY=VALUE to set, not both",
                             "请只给出要显示的键或 KEY=VALUE 赋值，不要混用"),
                           " ".join(args.items), T("run the command twice", "请分两次运行"))
    project = open_project(args.project)
    changed: list[str] = []
    if sets:
        for key, _ in sets:
            if not key.strip():
                raise ProjectError(T("a key is missing before '='", "“=”前缺少键"), " ".join(args.items),
                                   T("write KEY=VALUE, e.g. funding_shares.basic_public=80%",
                                     "请写作 KEY=VALUE，例如 funding_shares.basic_public=80%"))
        found = apply_assignments(project, [(k.strip(), v) for k, v in sets], args.source)
        save_project(project, args.project)
        changed = [e.key for e in found]
        listed = found
    elif shows:
        listed = []
        for key in shows:
            parts = key.split(".")
            if parts[0] == "community" and len(parts) == 2:
                listed += [e for e in entries(project, "community") if e.key.split(".")[1] == parts[1]]
            elif len(parts) == 1:
                listed += entries(project, key) if key != "community" else entries(project, "community")
                if not listed:
                    entry(project, key)  # raises the one-line message for an unknown name
            else:
                listed.append(entry(project, key))
    else:
        listed = entries(project, "all" if args.all else "set")
    payload = {"project": args.project, "changed": changed, "source": args.source,
               "entries": [e.as_dict() for e in listed]}
    lines = []
    if changed:
        lines.append(T(f"Set {len(changed)} value(s) in {args.project} (one undo step, saved)",
                       f"已在 {args.project} 中设定 {len(changed)} 项（一步可撤销，已保存）")())
    elif not args.items:
        lines.append(T("What this project sets, and what the plan leaves to you (—: not set yet):",
                       "本项目的设定值，以及方案未规定、需您设定的值（—：尚未设定）：")() if not args.all else
                     T("Every settable value:", "全部可设定的值：")())
    for e in listed:
        lines.append(f"  {e.key} = {e.shown()}    {e.label()} · {CONFIDENCE_LABELS[e.confidence]()}"
                     + (f" · {e.source_text()}" if e.source else ""))
    if not listed:
        lines.append(T("  (nothing set)", "  （无设定）")())
    emit(args, payload, "\n".join(lines))
    return 0
