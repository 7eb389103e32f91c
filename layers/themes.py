"""Map themes on a project: the ``theme`` field each feature gets under the chosen theme,
and applying a theme as one undoable step (each layer's style and visibility, and the
theme's name in the project's settings).

The styles themselves are :mod:`styles.themes`; this module computes what they colour by:

* coverage themes — a community's best life-circle level reached for the service, from the
  coverage results (nearest facility along the streets against the 300 / 500 / 1000 m of
  ``life_circle_levels``): ``5min``, ``10min``, ``15min``, ``beyond`` or ``unreachable``;
  service areas of that service by their level (rings); that service's facilities.
* life-circle gaps — ``gap`` where a required service is not covered, ``gap_elderly`` where
  besides the 60+ share reaches ``parameters.ageing_share_60plus``; ``no_gap``;
  ``not_computed`` without results.
* precinct scheme — precincts coloured so that neighbours differ (greedy colouring of the
  touching graph, ``p1``…``p8``); communities not in a precinct ``unassigned``.
* scheme changes — the features that changed between two schemes, as kept in the settings
  by :mod:`layers.schemes.changes` (``moved``, ``added``, ``removed``, ``opened``, ``closed``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from layers.commands import Command, MacroCommand
from layers.config.command import ChangeSettings
from layers.errors import T
from styles import default_style
from styles.themes import PRECINCT_COLOURS, THEME_FIELD, THEMES, theme

SETTING = "map_theme"
THEMED_KINDS = ("communities", "service_areas", "facilities", "precincts", "conflicts")
LEVELS = ("5min", "10min", "15min")


def active(project) -> str | None:
    key = (project.settings or {}).get(SETTING)
    return key if key in THEMES else None


# --- the theme field ----------------------------------------------------------------------
def themed_frame(project, layer):
    """The layer's features with the ``theme`` field of the project's active theme (the layer
    itself, unchanged, when no theme needs one)."""
    key = active(project)
    gdf = layer.gdf
    if key is None or layer.kind not in THEMED_KINDS:
        return gdf
    values = theme_values(project, layer, key)
    if values is None:
        return gdf
    out = gdf.copy(deep=False)
    out[THEME_FIELD] = values
    return out


def theme_values(project, layer, key: str) -> pd.Series | None:
    th = theme(key)
    gdf = layer.gdf
    if th.service is not None:
        if layer.kind == "communities":
            return _reached(project, gdf.index, th.service)
        if layer.kind == "service_areas" and "service" in gdf.columns:
            return _ring_levels(project, gdf, th.service)
        if layer.kind == "facilities" and "service" in gdf.columns:
            return pd.Series(np.where(gdf["service"].astype(str) == th.service, "this_service", None),
                             index=gdf.index, dtype=object)
        return None
    if key == "scheme_changes":  # the changed set kept by layers.schemes.changes
        from layers.schemes.changes import change_values

        return change_values(project, layer)
    if key == "life_circle_gaps" and layer.kind == "communities":
        return _gaps(project, gdf)
    if key == "precinct_scheme":
        if layer.kind == "precincts":
            return _colours(gdf)
        if layer.kind == "communities" and "precinct" in gdf.columns:
            empty = gdf["precinct"].isna() | (gdf["precinct"].astype(str).str.strip() == "")
            return pd.Series(np.where(empty, "unassigned", "assigned"), index=gdf.index, dtype=object)
    return None


def _results(project) -> pd.DataFrame | None:
    found = project.layers_of_kind("coverage_results")
    if not found or len(found[0]) == 0:
        return None
    return found[0].df


def _level_distances(project) -> dict[str, float]:
    from layers.standards import level_distance_m

    std = project.standards()
    return {k: float(level_distance_m(std, k)) for k in LEVELS}


def _reached(project, index: pd.Index, service: str) -> pd.Series:
    out = pd.Series("unreachable", index=index, dtype=object)
    res = _results(project)
    if res is None:
        return out
    rows = res[res["service"].astype(str) == service]
    rows = rows[rows["community_fid"].isin(index)]
    if not len(rows):
        return out
    dist = pd.to_numeric(rows["nearest_m"], errors="coerce").to_numpy(dtype=float)
    bad = rows["flag"].isin(["unreachable", "no_facility", "far_from_network"]).to_numpy() \
        if "flag" in rows.columns else np.zeros(len(rows), bool)
    levels = _level_distances(project)
    best = np.full(len(rows), "beyond", dtype=object)
    for key in reversed(LEVELS):  # 15, 10, 5: the nearest circle wins
        best[dist <= levels[key] + 1e-9] = key
    best[np.isnan(dist) | bad] = "unreachable"
    out.loc[rows["community_fid"].astype("int64").to_numpy()] = best
    return out


def _ring_levels(project, gdf, service: str) -> pd.Series:
    if "level" in gdf.columns and gdf["level"].notna().any():
        level = gdf["level"].astype(object)
    else:
        levels = _level_distances(project)
        metres = pd.to_numeric(gdf.get("level_m"), errors="coerce")
        level = pd.Series([next((k for k, d in levels.items() if abs(m - d) < 1e-6), None)
                           if m == m else None for m in metres], index=gdf.index, dtype=object)
    mine = gdf["service"].astype(str) == service
    return level.where(mine, None)


def _gaps(project, gdf) -> pd.Series:
    out = pd.Series("not_computed", index=gdf.index, dtype=object)
    res = _results(project)
    if res is None:
        return out
    tested = res.groupby("community_fid")["covered"].agg(lambda s: bool((s == False).any()))  # noqa: E712
    tested = tested[tested.index.isin(gdf.index)]
    out.loc[tested.index] = np.where(tested.to_numpy(), "gap", "no_gap")
    threshold = project.standards().value("parameters", "ageing_share_60plus", "value")
    if threshold is not None and {"pop_60plus", "population"} <= set(gdf.columns):
        share = pd.to_numeric(gdf["pop_60plus"], errors="coerce") / \
            pd.to_numeric(gdf["population"], errors="coerce").replace(0, np.nan)
        out[(out == "gap") & (share >= float(threshold))] = "gap_elderly"
    return out


def _colours(gdf) -> pd.Series:
    """Greedy colouring: each precinct the first colour none of its neighbours has."""
    n = len(gdf)
    geoms = gdf.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=1.0)
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for a, b in zip(left.tolist(), right.tolist()):
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    order = sorted(range(n), key=lambda i: -len(neighbours[i]))
    colour = [-1] * n
    k = len(PRECINCT_COLOURS)
    for i in order:
        taken = {colour[j] for j in neighbours[i]}
        colour[i] = next((c for c in range(k) if c not in taken), i % k)
    return pd.Series([f"p{c + 1}" for c in colour], index=gdf.index, dtype=object)


# --- applying a theme ---------------------------------------------------------------------
class SetLayerLook(Command):
    """A layer's style and visibility (undoable)."""

    def __init__(self, layer_id: str, style: dict, visible: bool) -> None:
        self.layer_id = layer_id
        self.style, self.visible = dict(style), bool(visible)
        self.old: tuple[dict, bool] | None = None
        self.text = T("layer look", "图层显示")

    def apply(self, project) -> None:
        layer = project.layer_by_id(self.layer_id)
        if self.old is None:
            self.old = (layer.style, layer.visible)
        layer.style = self.style
        layer.visible = self.visible

    def revert(self, project) -> None:
        layer = project.layer_by_id(self.layer_id)
        layer.style, layer.visible = dict(self.old[0]), self.old[1]


def theme_command(project, key: str | None) -> MacroCommand:
    """One undoable step that shows the project under theme ``key`` (``None``: each layer's
    default style again, visibility kept)."""
    commands: list[Any] = []
    th = theme(key) if key is not None else None
    for layer in project.layers:
        if layer.layer_type != "vector":
            continue
        if th is None:
            commands.append(SetLayerLook(layer.id, default_style(layer.kind), layer.visible))
            continue
        visible, style = th.look(layer.kind)
        style = style if style is not None else default_style(layer.kind)
        if style.get("field") == THEME_FIELD and theme_values(project, layer, key) is None:
            style = default_style(layer.kind)  # the layer lacks what the theme colours by
        commands.append(SetLayerLook(layer.id, style, visible))
    commands.append(ChangeSettings({(SETTING,): key}))
    label = T(f"map theme: {th.label.en}", f"专题图：{th.label.zh}") if th else \
        T("map theme: none", "专题图：无")
    return MacroCommand(label, commands)


def apply_theme(project, key: str | None) -> None:
    project.apply(theme_command(project, key))
