"""Scheme changes on the map: which features changed between two schemes A and B, kept in
the project's settings so that the "scheme changes" map theme (:mod:`styles.themes`)
colours them on the canvas, the map sheet, the HTML map and the QGIS styles alike.

The classes, keyed the way :mod:`layers.schemes.diff` compares (so map and tables agree):

* communities by fid: ``moved`` (its precinct differs), ``added`` (only in B),
  ``removed`` (only in A; drawn when the map holds it);
* precincts by name: ``added`` (a name only in B), ``removed`` (only in A);
* pipeline conflicts by conflict id: ``opened`` (open in B, not in A), ``closed``.

A precinct removed in B is not on a map that shows B, but each of its communities moved
(its old precinct no longer exists), so the area is marked through them.

The comparison is frozen when it is shown (``settings["scheme_changes"]``): later edits
do not re-run it; showing it again does. Showing it is one undo step (the settings and
the layers' looks under the theme).

Why not pygeodiff (MIT) for the changed set: it diffs two GeoPackage files table by table
by primary key. Here one side is often the project in memory (it would be written out
whole first), the store names tables by layer position (``layer_8_precincts`` in one
scheme, ``layer_7_precincts`` in the other) and geodiff refuses two files whose table
names differ (a layer added or removed between schemes); and only the communities are a
row diff — precincts are re-created by every grouping (new fids; compared by name) and
conflicts by their ``conflict_id`` and status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from layers.errors import T

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project
    from layers.schemes.diff import SchemeDiff

SETTING = "scheme_changes"
THEME_KEY = "scheme_changes"
CURRENT = T("current project", "当前项目")
#: layer kind → the column its features are matched by (None: the fid)
KEYS = {"communities": None, "precincts": "name", "conflicts": "conflict_id"}


def is_current(name: str) -> bool:
    from layers.schemes.book import CURRENT_NAMES

    return str(name).strip().lower() in CURRENT_NAMES


def side(project: Project, name: str, frozen: bool = False) -> Project:
    """The project itself for "current" (a frozen copy with ``frozen``), else the scheme's."""
    from layers.schemes.book import find_scheme, scheme_project

    if is_current(name):
        if frozen:
            from layers.snapshot import snapshot_project

            return snapshot_project(project)
        return project
    return scheme_project(find_scheme(project, name))


def label(name: str, lang: str | None = None) -> str:
    """How a side is named to a reader: the scheme's name, or "current project"."""
    return CURRENT(lang) if is_current(name) else str(name)


def changed_features(diff: SchemeDiff) -> dict[str, dict[str, str]]:
    """Per layer kind, the changed features' keys (fids as text) and their class."""
    communities = {str(int(f)): "moved" for f in diff.moved["fid"]}
    communities.update({str(int(f)): "added" for f in diff.communities_added})
    communities.update({str(int(f)): "removed" for f in diff.communities_removed})
    precincts = {str(n): "added" for n in diff.precincts_added}
    precincts.update({str(n): "removed" for n in diff.precincts_removed})
    conflicts: dict[str, str] = {}
    if diff.conflict_changes is not None:
        for cid, change in zip(diff.conflict_changes["conflict_id"],
                               diff.conflict_changes["change"], strict=True):
            conflicts[str(cid)] = str(change)
    return {"communities": communities, "precincts": precincts, "conflicts": conflicts}


def stored(project: Project) -> dict[str, Any]:
    value = (project.settings or {}).get(SETTING)
    return value if isinstance(value, dict) else {}


def change_values(project: Project, layer) -> pd.Series | None:
    """The ``theme`` field of ``layer`` under the scheme-changes theme (None for a layer
    the theme does not colour; unchanged features get None)."""
    if layer.kind not in KEYS:
        return None
    gdf = layer.gdf
    column = KEYS[layer.kind]
    if column is not None and column not in gdf.columns:
        return None
    classes = stored(project).get(layer.kind) or {}
    keys = (gdf.index.astype("int64").astype(str) if column is None
            else gdf[column].astype(object).where(gdf[column].notna(), None).map(
                lambda v: None if v is None else str(v)))
    values = [classes.get(k) if k is not None else None for k in keys]
    return pd.Series(values, index=gdf.index, dtype=object)


def show_command(project: Project, diff: SchemeDiff, a: str, b: str):
    """One undo step: keep the changed set of ``diff`` (A = ``a``, B = ``b``) in the
    settings and show the project under the scheme-changes theme."""
    from layers.commands import MacroCommand
    from layers.config.command import ChangeSettings
    from layers.themes import theme_command

    payload = {"a": str(a), "b": str(b), **changed_features(diff)}
    keep = ChangeSettings({(SETTING,): payload})
    look = theme_command(project, THEME_KEY)
    return MacroCommand(T(f"map theme: scheme changes {label(a, 'en')} → {label(b, 'en')}",
                          f"专题图：方案变化 {label(a, 'zh')} → {label(b, 'zh')}"),
                        [keep, *look.commands])


def show_changes(project: Project, a: str, b: str) -> SchemeDiff:
    """Compare ``a`` with ``b`` and show the changes on the map (one undo step)."""
    from layers.schemes.diff import diff_projects

    diff = diff_projects(side(project, a), side(project, b), a, b)
    project.apply(show_command(project, diff, a, b))
    return diff
