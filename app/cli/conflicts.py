"""``precinct conflicts PROJECT``: pipeline overlaps, crossings, clearance, dig-once groups."""

from __future__ import annotations

import argparse

from layers.errors import ProjectError, T
from layers.i18n import current_language


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (.gpkg)")
    p.add_argument("--layer", help="pipelines layer (default: every layer of kind pipelines)")
    p.add_argument("--tolerance", type=float, help="parallel-run tolerance in m (default 1.0)")
    p.add_argument("--min-length", type=float, help="minimum parallel length in m (default 10)")
    p.add_argument("--unit-cost", type=float, metavar="YUAN_PER_M",
                   help="excavation + reinstatement per metre of trench (for dig-once savings)")
    p.add_argument("--out", help="write the report (.csv or .xlsx)")
    p.add_argument("--save", action="store_true",
                   help="store the conflicts layer in the project (keeps statuses)")


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit, records
    from layers.exports.reports import write_report
    from layers.pipelines import (
        TYPE_LABELS,
        counts_by_type,
        find_conflicts,
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
    counts = counts_by_type(conflicts)
    unchecked = int((conflicts["checked"] == False).sum())  # noqa: E712 (nullable boolean)
    rows = records(conflicts.reset_index())
    payload = {"project": args.project, "counts": counts, "total": len(conflicts),
               "unchecked": unchecked, "out": args.out, "saved": bool(args.save), "rows": rows}
    lines = [T(f"{len(conflicts)} pipeline conflicts in {args.project}",
               f"{args.project}：管线冲突 {len(conflicts)} 处")()]
    lines += [f"  {TYPE_LABELS[k]():<18} {n}" for k, n in counts.items()]
    lines.append(T(f"  ({unchecked} could not be checked: no confirmed value or data missing)",
                   f"  （其中 {unchecked} 处无法校核：规范值未确认或数据缺失）")())
    if args.out:
        lines.append(T(f"Report written to {args.out}", f"报告已写出：{args.out}")())
    if args.save:
        lines.append(T("Conflicts layer saved in the project", "冲突图层已保存到项目")())
    emit(args, payload, "\n".join(lines))
    return 0

