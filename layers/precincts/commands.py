"""Grouping changes as undoable commands.

``assign`` puts communities into a new or existing precinct; ``apply_grouping``
writes an automatic grouping. Each builds one :class:`MacroCommand` (community
attributes + precinct features with recomputed outlines), pushes it onto the
project's undo stack and returns it, so one undo restores the previous grouping.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.commands import (
    AddFeatures,
    AddLayer,
    ChangeAttributes,
    ChangeGeometry,
    Command,
    DeleteFeatures,
    MacroCommand,
)
from layers.errors import ProjectError, T
from layers.layer import VectorLayer
from layers.precincts.adjacency import default_gap_m
from layers.precincts.grouping import GroupingResult
from layers.precincts.outline import outlines
from layers.precincts.stats import communities_layer, members_by_precinct

PRECINCTS_LAYER = "precincts"


def _precincts_layer(project) -> tuple[VectorLayer, list[Command]]:
    layers = project.layers_of_kind("precincts")
    if layers:
        return layers[0], []
    from styles import default_style

    layer = VectorLayer(project.unique_name(PRECINCTS_LAYER), "precincts", crs=project.crs,
                        style=default_style("precincts"))
    return layer, [AddLayer(layer)]


def _mode(values: pd.Series):
    values = values.dropna()
    return None if not len(values) else values.mode().iloc[0]


def _modes(comm: gpd.GeoDataFrame, column: str, names: list[str],
           members: dict[str, np.ndarray]) -> list:
    """The most frequent value of ``column`` among each precinct's members (the smallest
    of a tie, as :func:`_mode`), in one pass."""
    if column not in comm.columns:
        return [None] * len(names)
    fids = [members[n] for n in names]
    owner = np.repeat(np.arange(len(names)), [len(f) for f in fids])
    values = comm[column].reindex(np.concatenate(fids) if fids else []).to_numpy(object)
    frame = pd.DataFrame({"owner": owner, "value": values}).dropna()
    if not len(frame):
        return [None] * len(names)
    counts = frame.groupby(["owner", "value"]).size().reset_index(name="n")
    counts = counts.sort_values(["owner", "n", "value"], ascending=[True, False, True])
    first = counts.drop_duplicates("owner").set_index("owner")["value"]
    return [first.get(k) for k in range(len(names))]


def _feature_rows(layer: VectorLayer, comm: gpd.GeoDataFrame, shapes: dict,
                  members: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    names = list(shapes)
    return gpd.GeoDataFrame({
        "name": names,
        "code": [None] * len(names),
        "district": _modes(comm, "district", names, members),
        "subdistrict": _modes(comm, "subdistrict", names, members),
        "locked": [False] * len(names),
    }, geometry=[shapes[n] for n in names], crs=comm.crs)


def assign(project, fids: Iterable[int], precinct_name: str, gap_m: float | None = None
           ) -> MacroCommand:
    """Assign communities ``fids`` to ``precinct_name`` (created if new), as one undo step."""
    name = str(precinct_name).strip()
    if not name:
        raise ProjectError(T("the precinct needs a name", "片区需要名称"), "assign to precinct",
                           T("type a precinct name", "请输入片区名称"))
    clayer = communities_layer(project)
    comm = clayer.gdf
    fids = [int(f) for f in dict.fromkeys(fids)]
    clayer._require(fids)
    if not fids:
        raise ProjectError(T("no communities selected", "未选择小区"), "assign to precinct",
                           T("select one or more communities", "请选择一个或多个小区"))
    gap = default_gap_m(project.standards()) if gap_m is None else gap_m
    after_col = comm["precinct"].astype(object).copy()
    after_col.loc[fids] = name
    after = members_by_precinct(pd.DataFrame({"precinct": after_col}))
    touched = {name} | {str(p) for p in comm.loc[fids, "precinct"].dropna()}
    players, cmds = _precincts_layer(project)
    cmds.append(ChangeAttributes(clayer.id, {f: {"precinct": name} for f in fids}))
    existing = {str(n): int(fid) for fid, n in players.gdf["name"].dropna().items()}
    groups = {p: after.get(p, np.empty(0, dtype=np.int64)) for p in touched}
    shapes = outlines(comm, groups, gap)
    geoms, deletes, new = {}, [], {}
    for p, shape in shapes.items():
        if p in existing:
            fid = existing[p]
            locked = bool(players.gdf.at[fid, "locked"]) if pd.notna(
                players.gdf.at[fid, "locked"]) else False
            if len(groups[p]) or locked:
                geoms[fid] = shape
            else:
                deletes.append(fid)
        elif len(groups[p]):
            new[p] = shape
    if geoms:
        cmds.append(ChangeGeometry(players.id, geoms))
    if deletes:
        cmds.append(DeleteFeatures(players.id, deletes))
    if new:
        cmds.append(AddFeatures(players.id, _feature_rows(players, comm, new, groups)))
    macro = MacroCommand(T(f"assign {len(fids)} communities to precinct {name}",
                           f"将 {len(fids)} 个小区划入片区“{name}”"), cmds)
    project.apply(macro)
    return macro


def locked_precincts(project) -> tuple[set[str], np.ndarray]:
    """Names of locked precincts and the fids of their communities."""
    layers = project.layers_of_kind("precincts")
    if not layers:
        return set(), np.empty(0, dtype=np.int64)
    gdf = layers[0].gdf
    flags = gdf["locked"].astype("boolean").fillna(False).astype(bool)
    names = set(gdf.loc[flags, "name"].dropna().astype(str))
    comm = communities_layer(project).gdf
    fids = comm.index[comm["precinct"].astype(object).isin(names)].to_numpy(np.int64)
    return names, fids


def precinct_names(result: GroupingResult, comm: gpd.GeoDataFrame, taken: set[str]) -> list[str]:
    """Names for the precincts of an automatic grouping, unique against ``taken``."""
    names, used = [], set(taken)
    counters: dict[str, int] = {}
    for fids in result.regions():
        prefix = ""
        if result.within and result.within in comm.columns:
            prefix = str(_mode(comm.loc[fids, result.within]) or "")
        k = counters.get(prefix, 0)
        while True:
            k += 1
            candidate = f"{prefix}片区{k:03d}"
            if candidate not in used:
                break
        counters[prefix] = k
        used.add(candidate)
        names.append(candidate)
    return names


def apply_grouping(project, result: GroupingResult, gap_m: float | None = None) -> MacroCommand:
    """Replace every unlocked precinct by the automatic grouping, as one undo step."""
    clayer = communities_layer(project)
    comm = clayer.gdf
    gap = default_gap_m(project.standards()) if gap_m is None else gap_m
    locked_names, locked_fids = locked_precincts(project)
    names = precinct_names(result, comm, locked_names)
    groups = dict(zip(names, result.regions(), strict=True))
    players, cmds = _precincts_layer(project)
    values: dict[int, dict] = {}
    for fid in comm.index.to_numpy(np.int64):
        if fid not in set(locked_fids):
            values[int(fid)] = {"precinct": None}
    for name, fids in groups.items():
        for f in fids:
            values[int(f)] = {"precinct": name}
    changed = {f: v for f, v in values.items()
               if _differs(comm.at[f, "precinct"], v["precinct"])}
    if changed:
        cmds.append(ChangeAttributes(clayer.id, changed))
    old = players.gdf
    flags = old["locked"].astype("boolean").fillna(False).astype(bool)
    drop = old.index[~flags].to_numpy(np.int64)
    if len(drop):
        cmds.append(DeleteFeatures(players.id, drop))
    if groups:
        shapes = outlines(comm, groups, gap)
        cmds.append(AddFeatures(players.id, _feature_rows(players, comm, shapes, groups)))
    macro = MacroCommand(T(f"automatic grouping: {len(groups)} precincts",
                           f"自动分组：{len(groups)} 个片区"), cmds)
    project.apply(macro)
    return macro


def _differs(old, new) -> bool:
    old_missing = old is None or (not isinstance(old, str) and pd.isna(old))
    if new is None:
        return not old_missing
    return old_missing or str(old) != new
