"""``precinct coverage PROJECT``: which communities reach elder care, childcare and meal
points within a 5-, 10- or 15-minute walk, and how many residents are left out.

Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["coverage"] = (configure, run, HELP)``.
"""

from __future__ import annotations

import argparse

from layers.errors import ProjectError, T

HELP = T("life-circle coverage of communities by services", "小区生活圈服务设施覆盖分析")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (.gpkg)")
    p.add_argument("--services", help="service keys, comma separated "
                                      "(default elder_care,childcare,meal_point)")
    p.add_argument("--levels", help="walking distances in m or level keys, comma separated "
                                    "(default 300,500,1000)")
    p.add_argument("--mode", choices=["network", "euclidean"], default="network",
                   help="walk along the streets (default) or straight lines for a quick check")
    p.add_argument("--out", help="write the per-community results (.csv)")
    p.add_argument("--save", action="store_true",
                   help="store the results table and service areas in the project")


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit, records
    from layers import display
    from layers.coverage import apply_results, compute_coverage
    from layers.store import open_project, save_project

    project = open_project(args.project)
    result = compute_coverage(project, args.services, args.levels, args.mode, areas=bool(args.save))
    if args.out:
        if not str(args.out).lower().endswith(".csv"):
            raise ProjectError(T("the results file must be .csv", "结果文件必须为 .csv"), str(args.out),
                               T("add .csv to the file name", "请在文件名后加 .csv"))
        from layers.exports.table_writer import write_table

        write_table(result.table, args.out, index=True)  # names like "=…" stay text
    if args.save:
        apply_results(project, result)
        save_project(project, args.project)
    city = result.summary[result.summary["unit_type"] == "city"]
    rows = records(city)
    gaps = records(result.gaps)
    payload = {"project": args.project, "mode": result.options.mode,
               "services": list(result.options.services), "levels_m": list(result.options.levels_m),
               "partial": result.partial, "notes": [n() for n in result.notes],
               "city": rows, "gaps": gaps, "out": args.out, "saved": bool(args.save)}
    lines = [T(f"Coverage of {len(result.inputs.communities)} communities in {args.project} "
               f"({display.choice('coverage_results', 'mode', result.options.mode, 'en')})",
               f"{args.project}：{len(result.inputs.communities)} 个小区的覆盖分析"
               f"（{display.choice('coverage_results', 'mode', result.options.mode, 'zh')}）")()]
    std = project.standards()
    for rec in rows:
        lines.append(f"  {display.service(rec['service'], standards=std):<14} {rec['level_m']:>6.0f} m  "
                     f"{rec['covered_communities']:>5}/{rec['communities']:<5} "
                     f"{100 * (rec['population_share'] or 0):5.1f}%  "
                     f"60+ {100 * (rec['pop_60plus_share'] or 0):5.1f}%")
    lines.append(T(f"  {len(result.gaps)} gaps (community × service below the required level)",
                   f"  缺口 {len(result.gaps)} 处（未达到要求层级的小区 × 服务）")())
    if result.partial:
        lines.append(T("  PARTIAL: some inputs were left out —", "  部分结果：有输入未参与计算 —")())
    lines += [f"  {n()}" for n in result.notes]
    if args.out:
        lines.append(T(f"Results written to {args.out}", f"结果已写出：{args.out}")())
    if args.save:
        lines.append(T("Results saved in the project", "结果已保存到项目")())
    emit(args, payload, "\n".join(lines))
    return 0

