"""Streets imported as a walking network: the walkable filter applied, levels carried,
and the report of what was left out, islands and dead ends.

:func:`layers.importing.core.prepare_import` calls :func:`streets_step` for a
``streets`` import; :func:`layers.importing.network.import_street_network` uses the
same filter and notes, so every path into a streets layer judges lines alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import ProjectError, T
from layers.importing.levels import LEVEL_FIELD
from layers.importing.walkable import REASONS, TABLE, Walkable, nothing_walkable, walkable_lines


def walkable_notes(walk: Walkable) -> list[T]:
    """What the filter did, for a person: lines left out and why, the class mapping used,
    lines at other levels."""
    out: list[T] = []
    left = walk.left_out
    if left:
        total = sum(left.values())
        en = "; ".join(f"{n} {REASONS[r].en}" + _examples(walk, r) for r, n in left.items())
        zh = "；".join(f"{REASONS[r].zh} {n} 条" + _examples(walk, r) for r, n in left.items())
        out.append(T(f"{total} of {len(walk.keep)} line(s) left out as not walkable: {en}",
                     f"{len(walk.keep)} 条线中 {total} 条不可步行，未导入：{zh}"))
    if walk.basis == "road_class_field":
        pairs = [(v, m) for v, m in walk.mapping.items()]
        out.append(T(f"road class from field '{walk.by_field}' (table {TABLE}): "
                     + ", ".join(f"{v} → {m['en']} ×{m['count']}" for v, m in pairs),
                     f"道路等级取自字段“{walk.by_field}”（对照表 {TABLE}）："
                     + "，".join(f"{v} → {m['zh']} ×{m['count']}" for v, m in pairs)))
    elif walk.basis == "none":
        out.append(T("no road-class field (道路等级, class, fclass …) with known values: every line "
                     "is taken as walkable", "未找到可识别的道路等级字段（道路等级、class、fclass 等）："
                     "所有线均按可步行处理"))
    if walk.unknown:
        listed = ", ".join(f"{v} ×{n}" for v, n in list(walk.unknown.items())[:8])
        out.append(T(f"{sum(walk.unknown.values())} line(s) of a class the table {TABLE} does not know, "
                     f"kept as walkable (check them): {listed}",
                     f"{sum(walk.unknown.values())} 条线的道路等级不在对照表 {TABLE} 中，按可步行保留"
                     f"（请核对）：{listed}"))
    up = int(((walk.level > 0) & walk.keep).sum())
    down = int(((walk.level < 0) & walk.keep).sum())
    if up or down:
        out.append(T(f"{up} line(s) on bridges or upper layers and {down} in tunnels or below: they join "
                     "other streets where they meet them, never where they only cross",
                     f"{up} 条线位于桥梁或上层、{down} 条位于隧道或下层：仅在相接处与其他道路连通，"
                     "立体交叉处不连通"))
    return out


def _examples(walk: Walkable, reason: str) -> str:
    found = walk.examples(reason)
    return " (" + ", ".join(f"{d} ×{n}" for d, n in found) + ")" if found else ""


def network_facts(net) -> dict[str, Any]:
    """Counts a planner checks on a walking network: its largest connected part, the islands
    apart from it (count, edges, length) and the dead ends (nodes only one edge reaches)."""
    u, v = net.edges["u"].to_numpy(), net.edges["v"].to_numpy()
    length = net.edges["length_m"].to_numpy(dtype=float)
    sizes = net.component_sizes()
    main = int(np.argmax(sizes)) if len(sizes) else -1
    in_main = net.labels[u] == main if len(u) else np.zeros(0, dtype=bool)
    degree = np.bincount(np.concatenate([u, v]), minlength=net.node_count)
    return {"nodes": int(net.node_count), "edges": int(len(u)),
            "largest_nodes": int(sizes.max()) if len(sizes) else 0, "largest_edges": int(in_main.sum()),
            "islands": max(len(sizes) - 1, 0), "island_edges": int((~in_main).sum()),
            "island_length_m": round(float(length[~in_main].sum()), 1),
            "dead_ends": int((degree == 1).sum())}


def facts_note(facts: dict[str, Any]) -> T:
    return T(f"{facts['islands']} island(s) apart from the largest connected part: {facts['island_edges']} "
             f"edge(s), {facts['island_length_m']:.0f} m in all; {facts['dead_ends']} dead end(s) (street "
             f"ends that meet no other street); largest part {facts['largest_edges']} edges",
             f"最大连通部分之外有 {facts['islands']} 处孤立路网：共 {facts['island_edges']} 条边、"
             f"{facts['island_length_m']:.0f} 米；尽端 {facts['dead_ends']} 处（未与其他道路相接的路端）；"
             f"最大连通部分 {facts['largest_edges']} 条边")


@dataclass
class StreetsStep:
    """The walkable filter's verdict on a source, applied along :func:`prepare_import`."""

    walk: Walkable
    where: str

    def keep(self, frame: gpd.GeoDataFrame, repairs: list) -> tuple[gpd.GeoDataFrame, list]:
        """The repaired rows (``_row``: 1-based source row) that are walkable, and the repairs
        of those rows only."""
        keep = self.walk.keep
        rows = frame["_row"].to_numpy()
        return frame[keep[rows - 1]], [r for r in repairs if not 0 < r.row <= len(keep) or keep[r.row - 1]]

    def finish(self, rows: gpd.GeoDataFrame, frame: gpd.GeoDataFrame, report) -> gpd.GeoDataFrame:
        """The schema rows with level, walkable and (where the class field gave none) road class."""
        at = frame["_row"].to_numpy() - 1
        rows = rows.copy()
        rows[LEVEL_FIELD] = pd.array(self.walk.level[at], dtype="Int64")
        if "walkable" in rows.columns:
            rows["walkable"] = rows["walkable"].astype("boolean").fillna(True)
        if self.walk.road_class is not None and "road_class" in rows.columns:
            given = pd.Series(self.walk.road_class[at], index=rows.index, dtype=object)
            rows["road_class"] = rows["road_class"].astype(object).where(rows["road_class"].notna(), given)
        report.notes += walkable_notes(self.walk)
        report.walkable = self.walk.to_dict()
        return rows

    def network(self, lines, report) -> None:
        """Build the walking network of the imported lines (a new layer: cached for coverage)
        and report its islands and dead ends; a network that cannot be built is a note."""
        from layers.importing.network import build_network, network_for

        try:
            net = network_for(lines) if hasattr(lines, "gdf") else build_network(lines)
        except ProjectError as exc:
            report.notes.append(T(f"walking network not checked: {exc.what.en}",
                                  f"未检查步行路网：{exc.what.zh}"))
            return
        facts = network_facts(net)
        report.notes += [*net.notes(), facts_note(facts)]
        report.walkable["network"] = facts


def streets_step(kind: str, frame: gpd.GeoDataFrame, project, where: str) -> StreetsStep | None:
    """For a ``streets`` import, the walkable filter's verdict on the source ``frame`` (None
    for other kinds); refuses a file of which no line can be walked."""
    if kind != "streets":
        return None
    walk = walkable_lines(frame, project.standards().table(TABLE))
    if len(walk.keep) and not walk.keep.any():
        raise nothing_walkable(walk, where)
    return StreetsStep(walk, where)
