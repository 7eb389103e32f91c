"""``precinct conflicts PROJECT``: GB 50289 clearance violations first, then the pairs to
check (the rule's value not confirmed, or data missing) and the coordination notices
(parallel runs and crossings without a rule, dig-once groups, pipes under communities)."""

from __future__ import annotations

import argparse

from layers.errors import ProjectError, T
from layers.i18n import current_language


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (.gpkg)")
    p.add_argument("--layer", help="pipelines layer (default: every layer of kind pipelines)")
    p.add_argument("--tolerance", type=float,
                   help="screening distance in m (default 1.0): pairs whose clearance is not "
                        "confirmed are listed to check within it; never makes a violation")
    p.add_argument("--min-length", type=float,
                   help="minimum length in m of a parallel-run notice (default 10)")
    p.add_argument("--unit-cost", type=float, metavar="YUAN_PER_M",
                   help="excavation + reinstatement per metre of trench (for dig-once savings)")
    p.add_argument("--out", help="write the report (.csv or .xlsx)")
    p.add_argument("--save", action="store_true",
                   help="store the conflicts layer in the project (keeps statuses)")


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit, records
    from layers.exports.reports import write_report
    from layers.pipelines import (
        categories_of,
        counts_by_category,
        counts_by_type,
        find_conflicts,
        headline,
        to_check,
        update_conflicts_layer,
    )
    from layers.store import open_project, save_project

    for flag, value in (("--tolerance", args.tolerance), ("--min-length", args.min_length),
                        ("--unit-cost", args.unit_cost)):
        if value is not None and not value >= 0:
            raise ProjectError(T(f"{flag} must be a number ≥ 0", f"{flag} 必须为不小于 0 的数"),
                               f"option {flag}", T("give a non-negative number", "请给出非负数"))
    project = open_project(args.project)
    conflicts = find_conflicts(project, args.layer, args.tolerance, args.min_length, args.unit_cost)
    if args.save:
        layer = update_conflicts_layer(project, conflicts)
        conflicts = layer.gdf
        save_project(project, args.project)
    if args.out:
        write_report(conflicts, args.out, current_language())
    standards = project.standards()
    categories = counts_by_category(conflicts)
    table = conflicts.reset_index()
    table["category"] = categories_of(conflicts).to_numpy()
    payload = {"project": args.project, "violations": categories["violation"],
               "unchecked": categories["unchecked"], "notices": categories["notice"],
               "categories": categories, "counts": counts_by_type(conflicts),
               "to_check": to_check(conflicts, standards), "total": len(conflicts),
               "out": args.out, "saved": bool(args.save), "rows": records(table)}
    lines = headline(conflicts, standards=standards)
    lines[0] = T(f"{lines[0]} in {args.project}", f"{lines[0]}（{args.project}）")()
    if args.out:
        lines.append(T(f"Report written to {args.out}", f"报告已写出：{args.out}")())
    if args.save:
        lines.append(T("Conflicts layer saved in the project", "冲突图层已保存到项目")())
    emit(args, payload, "\n".join(lines))
    return 0
