"""Which adjacency a project's precincts use: its rule (``walk`` or ``touch``) and the
walking distance, from the standards tables (``parameters.csv``: ``precinct_adjacency_rule``,
``precinct_adjacency_walk_m``) or the project's overrides (GUI-free).
"""

from __future__ import annotations

import geopandas as gpd

from layers.errors import ProjectError, T
from layers.precincts.adjacency import Adjacency, community_adjacency

WALK_PARAMETER = "precinct_adjacency_walk_m"
RULE_PARAMETER = "precinct_adjacency_rule"
DEFAULT_WALK_M = 300.0
#: ``walk``: within a walk on the streets (and the touch rule's pairs); ``touch``: the
#: strict rule, touching or across a street narrower than the gap tolerance
RULES = ("walk", "touch")


def _parameter(standards, key: str, default):
    if standards is None:
        return default
    try:
        value = standards.value("parameters", key, "value")
    except Exception:  # a standards set without the row: the default
        return default
    return default if value is None else value


def default_walk_m(standards=None) -> float:
    """The walking reach from ``parameters.csv`` (or the project's override)."""
    return float(_parameter(standards, WALK_PARAMETER, DEFAULT_WALK_M))


def default_rule(standards=None) -> str:
    """``walk`` or ``touch``, from ``parameters.csv`` (or the project's override).

    Raises
    ------
    ProjectError
        The project sets another word.
    """
    rule = str(_parameter(standards, RULE_PARAMETER, "walk")).strip().lower()
    if rule not in RULES:
        raise ProjectError(
            T(f"unknown precinct adjacency rule '{rule}'", f"未知的片区相邻判定规则“{rule}”"),
            f"parameters.{RULE_PARAMETER}",
            T(f"set it to walk or touch: precinct config PROJECT parameters.{RULE_PARAMETER}=walk",
              f"请设为 walk 或 touch：precinct config 项目 parameters.{RULE_PARAMETER}=walk"))
    return rule


def default_max_snap_m(standards=None) -> float:
    """How far a community may lie from every street and still walk (the coverage
    analysis' ``coverage_max_snap_m``)."""
    from layers.coverage.options import MAX_SNAP_M

    return float(_parameter(standards, "coverage_max_snap_m", MAX_SNAP_M))


def project_adjacency(project, rule: str | None = None, walk_m: float | None = None,
                      gap_m: float | None = None, communities: gpd.GeoDataFrame | None = None
                      ) -> Adjacency:
    """The adjacency of ``project``'s communities by ``rule`` (default from the standards:
    ``walk`` on its first streets layer; ``touch`` — with a note saying so — when the
    project has no walkable streets)."""
    from dataclasses import replace

    from layers.precincts.stats import communities_layer

    std = project.standards()
    rule = default_rule(std) if rule is None else str(rule)
    if rule not in RULES:
        raise ProjectError(T(f"unknown adjacency rule '{rule}'", f"未知的相邻规则“{rule}”"),
                           "precinct adjacency",
                           T("use walk (a short walk on the streets) or touch (strict)",
                             "请使用 walk（步行可达）或 touch（严格相接）"))
    comm = communities_layer(project).gdf if communities is None else communities
    if rule == "touch":
        return community_adjacency(comm, gap_m, standards=std)
    from layers.coverage.engine import street_network
    from layers.precincts.walking import walking_adjacency

    streets = [layer for layer in project.layers_of_kind("streets") if len(layer.gdf)]
    net = None
    if streets:
        try:
            net = street_network(streets[0], comm.crs)
        except ProjectError:  # nothing walkable in it
            net = None
    if net is not None:
        return walking_adjacency(comm, net, walk_m, gap_m=gap_m, standards=std)
    strict = community_adjacency(comm, gap_m, standards=std)
    return replace(strict, notes=(T("the project has no walkable streets: neighbours by the "
                                    "touch rule (import a street network to group by walking "
                                    "distance)", "项目没有可步行的道路：按相接规则判定相邻（导入路网后"
                                    "可按步行距离分组）"),))
