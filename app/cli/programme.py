"""``precinct programme PROJECT``: eligibility, ranking, the annual plan for a budget, funding.

Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["programme"] = (configure, run, HELP)``.
"""

from __future__ import annotations

import argparse
from typing import Any

from layers.errors import ProjectError, T

HELP = T("renovation programme: eligibility, ranking, annual plan and funding",
         "改造计划：对象范围、排序、年度计划与资金分摊")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="project file (.gpkg)")
    parser.add_argument("--year", type=int, help="plan year")
    parser.add_argument("--budget", type=float, metavar="YUAN", help="budget in yuan: cut the ranked list")
    parser.add_argument("--by", choices=["community", "precinct"], default="community",
                        help="plan by community (default) or by precinct")
    parser.add_argument("--out", help="write the plan (.xlsx with funding and sources, or .csv)")


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit
    from layers.exports.reports import write_plan
    from layers.i18n import current_language
    from layers.programme import community_split, eligibility, plan_year, precinct_splits
    from layers.store import open_project

    if args.budget is not None and not args.budget >= 0:
        raise ProjectError(T("--budget must be a number ≥ 0", "--budget 必须为不小于 0 的数"),
                           "option --budget", T("give the budget in yuan", "请以元为单位给出预算"))
    project = open_project(args.project)
    elig = eligibility(project)
    plan = plan_year(project, args.year, args.budget, args.by)
    selected = plan.selected
    if args.by == "precinct":
        fids = [f for fs in selected["communities"] for f in fs] if len(selected) else []
        splits = precinct_splits(project, fids)
    else:
        splits = {str(r.name): community_split(project, int(r.fid)) for r in selected.itertuples()}
    if args.out:
        write_plan(plan, splits, args.out, current_language())
    counts = {k: sum(1 for e in elig.values() if e.status == k) for k in ("eligible", "ineligible", "unknown")}
    payload: dict[str, Any] = {
        "project": args.project, "eligibility": counts,
        "ineligible": [{"fid": e.fid, "name": e.name, "reasons": e.reasons}
                       for e in elig.values() if e.status == "ineligible"],
        "plan": plan.as_dict(), "funding": [s.as_dict() for s in splits.values()], "out": args.out,
    }
    emit(args, payload, _text(args, plan, splits, counts))
    return 0


def _text(args, plan, splits, counts) -> str:
    from layers.programme import PAYER_LABELS, PAYERS

    year = f" {args.year}" if args.year else ""
    budget = "" if args.budget is None else \
        T(f", budget {args.budget:,.0f} yuan", f"，预算 {args.budget:,.0f} 元")()
    lines = [T(f"Annual plan{year} by {args.by}{budget}: {len(plan.selected)} selected, "
               f"{plan.total_cost:,.0f} yuan",
               f"{year}年度计划（按{'片区' if args.by == 'precinct' else '小区'}）{budget}："
               f"入选 {len(plan.selected)} 个，{plan.total_cost:,.0f} 元")(),
             T(f"  eligible {counts['eligible']}, not eligible {counts['ineligible']}, "
               f"unknown {counts['unknown']}",
               f"  符合 {counts['eligible']}，不符合 {counts['ineligible']}，无法判定 {counts['unknown']}")()]
    name_col = "precinct" if args.by == "precinct" else "name"
    for r in plan.rows.itertuples(index=False):
        cost = "—" if r.cost_yuan is None or r.cost_yuan != r.cost_yuan else f"{r.cost_yuan:,.0f}"
        mark = "✓" if r.in_plan else " "
        lines.append(f"  {mark} {r.rank:>3} {getattr(r, name_col)!s:<20} {r.score:6.1f} {cost:>14}  {r.reason}")
    for name, s in splits.items():
        parts = ", ".join(f"{PAYER_LABELS[p]()} {s.amounts[p]:,.0f}" for p in PAYERS if s.amounts[p])
        lines.append(f"  {name}: {parts or '—'}")
    lines += [f"  ! {n}" for n in plan.notes]
    if args.out:
        lines.append(T(f"Plan written to {args.out}", f"计划已写出：{args.out}")())
    return "\n".join(lines)
