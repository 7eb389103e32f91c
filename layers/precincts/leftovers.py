"""Why a community is left out of every precinct after automatic grouping (GUI-free).

Each unassigned community gets one reason, the first that holds:

``no_street``
    walking rule: no street within the maximum snap distance, and no neighbour;
``no_neighbour``
    no other community within the walk (walking rule) or touching / across a narrow
    street (touch rule);
``locked_neighbours``
    all its neighbours are in locked precincts, which grouping keeps as they are;
``other_subdistrict``
    grouping within sub-districts and all its free neighbours lie in other ones;
``small_group``
    it and the free communities connected to it hold less than the floor together;
``ceiling``
    every precinct it could join would go over the ceiling (or no precinct under the
    ceiling reaches the floor in its group).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from layers import display
from layers.errors import T

REASONS = ("no_street", "no_neighbour", "locked_neighbours", "other_subdistrict",
           "small_group", "ceiling")
COLUMNS = ("fid", "name", "reason", "group_size", "group_total")


def explain(adj, graph: sp.csr_matrix, labels: np.ndarray, w: np.ndarray, floor: float,
            locked: np.ndarray, names: np.ndarray | None = None) -> pd.DataFrame:
    """One row per unassigned free community (positions of ``adj``): its reason, and the
    size and total of the free group it is connected to (``graph``: the free, nested
    graph the grouping used)."""
    todo = np.flatnonzero((labels < 0) & ~locked)
    if not len(todo):
        return pd.DataFrame({c: [] for c in COLUMNS}).set_index("fid")
    full = adj.matrix.tocsr()
    deg = np.diff(full.indptr)
    free_deg = np.diff(graph.indptr)
    locked_deg = np.asarray(full[:, locked].sum(axis=1)).ravel() if locked.any() else \
        np.zeros(adj.n)
    _, comp = connected_components(graph, directed=False)
    size = np.bincount(comp)
    total = np.bincount(comp, weights=w)
    no_street = adj.no_street if adj.no_street is not None else np.zeros(adj.n, dtype=bool)
    reason = np.full(len(todo), "ceiling", dtype=object)
    reason[total[comp[todo]] < floor] = "small_group"
    reason[(free_deg[todo] == 0) & (deg[todo] > locked_deg[todo])] = "other_subdistrict"
    reason[(deg[todo] > 0) & (locked_deg[todo] == deg[todo])] = "locked_neighbours"
    reason[deg[todo] == 0] = "no_neighbour"
    reason[(deg[todo] == 0) & no_street[todo]] = "no_street"
    frame = pd.DataFrame({
        "fid": adj.fids[todo],
        "name": names[todo] if names is not None else [None] * len(todo),
        "reason": reason,
        "group_size": size[comp[todo]].astype(np.int64),
        "group_total": total[comp[todo]],
    })
    return frame.set_index("fid")


def reason_text(row, adj_rule: str, walk_m: float | None, gap_m: float, floor: float,
                ceiling: float | None, weight: str = "population") -> T:
    """The reason of one row of :func:`explain` as a sentence."""
    unit = T("households", "户") if weight == "households" else T("residents", "人")
    code = row["reason"]
    if code == "no_street":
        return T("no street nearby, so no walk reaches another community",
                 "附近没有道路，无法步行到其他小区")
    if code == "no_neighbour":
        if adj_rule == "walk":
            walk = display.number(walk_m)
            return T(f"no other community within a {walk} m walk",
                     f"步行 {walk} 米内没有其他小区")
        gap = display.number(gap_m)
        return T(f"touches no other community and none lies across a street narrower than "
                 f"{gap} m", f"不与其他小区相接，也没有隔着 {gap} 米以内道路相邻的小区")
    if code == "locked_neighbours":
        return T("all its neighbours are in locked precincts", "相邻小区都在已锁定的片区中")
    if code == "other_subdistrict":
        return T("all its neighbours lie in other sub-districts (grouping within sub-districts)",
                 "相邻小区都在其他街道（按街道分组）")
    if code == "small_group":
        others = int(row["group_size"]) - 1
        total, low = display.number(round(float(row["group_total"]))), display.number(floor)
        if others == 0:
            return T(f"its own {total} {unit('en')} are under the floor of {low}, and it has "
                     f"no free neighbour", f"本身 {total} {unit('zh')}，低于下限 {low}，且没有可合并的相邻小区")
        with_en = "the community" if others == 1 else f"the {others} communities"
        return T(f"with {with_en} connected to it, {total} {unit('en')} in all: "
                 f"under the floor of {low}",
                 f"与相连的 {others} 个小区合计 {total} {unit('zh')}，低于下限 {low}")
    high = display.number(ceiling) if ceiling is not None else "—"
    return T(f"every precinct it could join would go over the ceiling of {high}",
             f"并入任何相邻片区都会超过上限 {high}")


def reason_label(code: str) -> T:
    """A short name of a reason (for counts)."""
    return {
        "no_street": T("no street nearby", "附近无道路"),
        "no_neighbour": T("no neighbour", "无相邻小区"),
        "locked_neighbours": T("neighbours locked", "相邻片区已锁定"),
        "other_subdistrict": T("neighbours in other sub-districts", "相邻小区在其他街道"),
        "small_group": T("group under the floor", "连片合计低于下限"),
        "ceiling": T("over the ceiling", "超过上限"),
    }[code]
