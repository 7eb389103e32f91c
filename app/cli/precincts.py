"""``precinct precincts PROJECT``: group communities into precincts (片区) automatically
(``--auto``) or list each precinct's statistics and warnings (``--stats``).

Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["precincts"] = (configure, run, HELP)``.
"""

from __future__ import annotations

import argparse
from typing import Any

from layers.errors import ProjectError, T

HELP = T("group communities into precincts; precinct statistics", "小区划分片区；片区统计")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (.gpkg)")
    p.add_argument("--auto", action="store_true",
                   help="group automatically (locked precincts are kept)")
    p.add_argument("--stats", action="store_true", help="list the statistics of every precinct")
    p.add_argument("--min-population", type=float,
                   help="floor per precinct (default: complete-community minimum, 5000)")
    p.add_argument("--max-population", type=float, help="ceiling per precinct (default: none)")
    p.add_argument("--households", action="store_true",
                   help="apply the floor and ceiling to households instead of population")
    p.add_argument("--within", choices=["subdistrict"],
                   help="keep every precinct inside one sub-district (街道)")
    p.add_argument("--gap", type=float, help="widest street bridged, m (default 40)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--save", action="store_true", help="store the precincts in the project")


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit, plain
    from layers.precincts import (
        Limits,
        apply_grouping,
        communities_layer,
        community_adjacency,
        group_communities,
        locked_precincts,
        precinct_stats,
    )
    from layers.store import open_project, save_project

    if not args.auto and not args.stats:
        raise ProjectError(T("say what to do: --auto or --stats", "请指定 --auto 或 --stats"),
                           "precinct precincts", T("add --auto or --stats", "请加上 --auto 或 --stats"))
    project = open_project(args.project)
    comm = communities_layer(project).gdf
    adj = community_adjacency(comm, args.gap, standards=project.standards())
    weight = "households" if args.households else "population"
    std_limits = Limits.from_standards(project.standards())
    floor = args.min_population if args.min_population is not None else std_limits.minimum
    limits = Limits(floor, args.max_population, weight)
    payload: dict[str, Any] = {"project": args.project, "gap_m": adj.gap_m,
                               "communities": len(comm), "saved": bool(args.save)}
    lines: list[str] = []
    if args.auto:
        _, locked_fids = locked_precincts(project)
        result = group_communities(comm, adj, floor, args.max_population, weight=weight,
                                   within=args.within, locked_fids=locked_fids, seed=args.seed)
        apply_grouping(project, result, adj.gap_m)
        payload.update({"precincts": result.n_regions, "unassigned": len(result.unassigned()),
                        "seconds": round(result.seconds, 3), "seed": args.seed,
                        "floor": floor, "ceiling": args.max_population, "weight": weight,
                        "within": args.within})
        lines.append(T(f"{result.n_regions} precincts from {len(comm)} communities "
                       f"({len(result.unassigned())} left unassigned: no neighbours enough to "
                       f"reach {floor:g}) in {result.seconds:.2f} s",
                       f"{len(comm)} 个小区分为 {result.n_regions} 个片区（{len(result.unassigned())} 个"
                       f"小区未分配：相邻小区合计达不到 {floor:g}），用时 {result.seconds:.2f} 秒")())
    stats = precinct_stats(project, adj, limits, adj.gap_m)
    payload["stats"] = [{"precinct": name, **{k: plain(v) for k, v in row.items()}}
                        for name, row in stats.iterrows()]
    if args.stats or args.auto:
        for name, row in stats.iterrows():
            warn = ", ".join(row["warnings"])
            lines.append(f"  {name:<16} {row['communities']:>4} {row[weight]:>8} "
                         f"{row['area_m2'] / 1e4:8.1f} ha  {warn}")
    if args.save:
        save_project(project, args.project)
        lines.append(T("Precincts saved in the project", "片区已保存到项目")())
    emit(args, payload, "\n".join(lines))
    return 0

