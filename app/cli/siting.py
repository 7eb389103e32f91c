"""``precinct sites PROJECT --service elder_care --count 3``: which idle parcels and public
buildings to use for a service so that the most residents (MCLP) or all communities
with the fewest sites (LSCP) are covered; exact (HiGHS) and greedy, with their gap.

Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["sites"] = (configure, run, HELP)``.
"""

from __future__ import annotations

import argparse

from layers.errors import T

HELP = T("choose sites for new facilities on idle land", "在存量用地上为新增设施选址")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (.gpkg)")
    p.add_argument("--service", default="elder_care", help="service key (default elder_care)")
    p.add_argument("--count", type=int, help="number of new sites (MCLP)")
    p.add_argument("--objective", choices=["mclp", "lscp"], default=None,
                   help="mclp: COUNT sites, most residents (default with --count); "
                        "lscp: fewest sites covering all communities or --share")
    p.add_argument("--weight", choices=["60plus", "0_3"], help="count residents aged 60+ or 0–3")
    p.add_argument("--share", type=float, help="LSCP: share of residents to cover (0–1)")
    p.add_argument("--by-precinct", action="store_true", help="solve each precinct on its own")
    p.add_argument("--all-parcels", action="store_true",
                   help="also use parcels that are unavailable or fail a check")
    p.add_argument("--save", action="store_true", help="store the chosen parcels in the project")


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit, records
    from layers.siting import apply_siting, run_siting
    from layers.store import open_project, save_project

    project = open_project(args.project)
    objective = args.objective or ("mclp" if args.count is not None else "lscp")
    siting = run_siting(project, args.service, objective, args.count, args.share, args.weight,
                        by_precinct=args.by_precinct, include_unavailable=args.all_parcels)
    result = siting.result
    if args.save:
        apply_siting(project, siting)
        save_project(project, args.project)
    ba = siting.before_after()
    sites = records(result.table)

    def answer(a):
        return None if a is None else {"parcels": [int(siting.matrix.candidates[r]) for r in a.rows],
                                       "added": a.added, "share_after": result.share_after(a),
                                       "optimal": a.optimal, "seconds": a.seconds}

    payload = {"project": args.project, "service": args.service, "objective": objective,
               "count": args.count, "share": args.share, "weight": args.weight,
               "required_m": siting.matrix.required_m,
               "candidates": int(siting.candidates["candidate"].sum()),
               "exact": answer(result.exact), "greedy": answer(result.greedy), "gap": result.gap,
               "sites": sites, "before_after": ba, "notes": [n() for n in result.notes],
               "saved": bool(args.save)}
    lines = [T(f"Siting {args.service} ({objective}) in {args.project}: "
               f"{payload['candidates']} candidate parcels, level {siting.matrix.required_m:g} m",
               f"{args.project}：{args.service} 选址（{objective}），候选地块 {payload['candidates']} 个，"
               f"层级 {siting.matrix.required_m:g} 米")()]
    for rec in sites:
        lines.append(f"  {rec['rank']:>3}. {rec['parcel_fid']:>6} {rec['name'] or '':<16} "
                     f"+{rec['communities_new']} " + T("communities", "个小区")() +
                     f"  +{rec['residents_new']:,.0f} " + T("residents", "人")())
    lines.append(T(f"  residents covered {100 * ba['share_before']:.1f}% → {100 * ba['share_after']:.1f}%"
                   f" (+{ba['residents_new']:,.0f})",
                   f"  居民覆盖率 {100 * ba['share_before']:.1f}% → {100 * ba['share_after']:.1f}%"
                   f"（新增 {ba['residents_new']:,.0f} 人）")())
    if result.gap is not None:
        lines.append(T(f"  greedy vs exact gap: {result.gap:.4g}", f"  贪心与精确解差距：{result.gap:.4g}")())
    lines += [f"  {n()}" for n in result.notes]
    if args.save:
        lines.append(T("Chosen parcels saved in the project", "选址结果已保存到项目")())
    emit(args, payload, "\n".join(lines))
    return 0
