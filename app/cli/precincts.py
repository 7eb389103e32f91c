"""``precinct precincts PROJECT``: group communities into precincts (片区) automatically
(``--auto``) or list each precinct's statistics and warnings (``--stats``).

Registered by :mod:`app.cli.main` as ``SUBCOMMANDS["precincts"] = (configure, run, HELP)``.
"""

from __future__ import annotations

import argparse
from typing import Any

from layers.errors import ProjectError, T
from layers.i18n import current_language

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
    p.add_argument("--adjacency", choices=["walk", "touch"],
                   help="neighbours within a short walk on the streets (walk, the default) or "
                        "only touching / across a narrow street (touch, strict)")
    p.add_argument("--walk", type=float,
                   help="walking distance between neighbours, m (default 300: the 5-minute circle)")
    p.add_argument("--gap", type=float, help="widest street bridged, m (default 40)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--save", action="store_true", help="store the precincts in the project")


def run(args: argparse.Namespace) -> int:
    from app.cli.output import emit, plain
    from layers import display
    from layers.precincts import (
        Limits,
        apply_grouping,
        communities_layer,
        group_communities,
        locked_precincts,
        precinct_stats,
        project_adjacency,
    )
    from layers.precincts.stats import WARNING_TEXT
    from layers.store import open_project, save_project

    if not args.auto and not args.stats:
        raise ProjectError(T("say what to do: --auto or --stats", "请指定 --auto 或 --stats"),
                           "precinct precincts", T("add --auto or --stats", "请加上 --auto 或 --stats"))
    project = open_project(args.project)
    comm = communities_layer(project).gdf
    adj = project_adjacency(project, args.adjacency, args.walk, args.gap, comm)
    weight = "households" if args.households else "population"
    std_limits = Limits.from_standards(project.standards())
    floor = args.min_population if args.min_population is not None else std_limits.minimum
    limits = Limits(floor, args.max_population, weight)
    payload: dict[str, Any] = {"project": args.project, "adjacency": adj.rule,
                               "walk_m": adj.walk_m, "gap_m": adj.gap_m,
                               "adjacency_edges": len(adj.edges),
                               "communities": len(comm), "saved": bool(args.save)}
    lines: list[str] = [_adjacency_line(adj)] + [note() for note in adj.notes]
    if args.auto:
        _, locked_fids = locked_precincts(project)
        result = group_communities(comm, adj, floor, args.max_population, weight=weight,
                                   within=args.within, locked_fids=locked_fids, seed=args.seed)
        apply_grouping(project, result, adj.gap_m)
        payload.update({"precincts": result.n_regions, "unassigned": len(result.unassigned()),
                        "seconds": round(result.seconds, 3), "seed": args.seed,
                        "floor": floor, "ceiling": args.max_population, "weight": weight,
                        "within": args.within,
                        "unassigned_reasons": {k: n for k, _t, n in result.reason_counts()},
                        "unassigned_communities": [
                            {"fid": int(fid), "name": plain(row["name"]), "reason": row["reason"],
                             "group_size": int(row["group_size"]),
                             "group_total": plain(row["group_total"])}
                            for fid, row in result.reasons.iterrows()]})
        lines.extend(_grouping_lines(result, len(comm), floor, display))
    stats = precinct_stats(project, adj, limits, adj.gap_m)
    payload["stats"] = [{"precinct": name, **{k: plain(v) for k, v in row.items()}}
                        for name, row in stats.iterrows()]
    if args.stats or args.auto:
        for name, row in stats.iterrows():
            warn = display.join(WARNING_TEXT[w][0 if current_language() == "en" else 1]
                                for w in row["warnings"])
            lines.append(f"  {name:<16} {row['communities']:>4} {row[weight]:>8} "
                         f"{row['area_m2'] / 1e4:8.1f} ha  {warn}")
    if args.save:
        save_project(project, args.project)
        lines.append(T("Precincts saved in the project", "片区已保存到项目")())
    emit(args, payload, "\n".join(lines))
    return 0


def _adjacency_line(adj) -> str:
    if adj.rule == "walk":
        walk = f"{adj.walk_m:g}"
        return T(f"Neighbours: within a {walk} m walk on the streets ({len(adj.edges)} pairs)",
                 f"相邻判定：道路步行 {walk} 米以内（{len(adj.edges)} 对）")()
    gap = f"{adj.gap_m:g}"
    return T(f"Neighbours: touching or across a street narrower than {gap} m "
             f"({len(adj.edges)} pairs)",
             f"相邻判定：相接或隔着 {gap} 米以内的道路（{len(adj.edges)} 对）")()


def _grouping_lines(result, n: int, floor: float, display) -> list[str]:
    """The summary of an automatic grouping and every community it left out, with why."""
    left = len(result.unassigned())
    placed = n - left - len(result.locked_fids)
    lines = [T(f"{result.n_regions} precincts from {n} communities in {result.seconds:.2f} s: "
               f"{placed} in a precinct, {left} left unassigned (floor {floor:g})",
               f"{n} 个小区分为 {result.n_regions} 个片区，用时 {result.seconds:.2f} 秒："
               f"{placed} 个已划入片区，{left} 个未划分（下限 {floor:g}）")()]
    if left:
        counts = display.join(f"{label()} {k}" for _code, label, k in result.reason_counts())
        lines.append(T(f"Left unassigned: {counts}", f"未划分原因：{counts}")())
        for fid, row in result.reasons.iterrows():
            name = display.text(row["name"])
            lines.append(f"  {name}: {result.why(fid)()}")
    return lines
