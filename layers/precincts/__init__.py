"""Precincts (片区): road-aware adjacency, grouping, outlines, statistics (GUI-free).

``walking_adjacency`` finds neighbours within a short walk on the streets (the
default, ``project_adjacency`` picks the project's rule); ``community_adjacency``
the strict ones, touching or across a street but not across barriers;
``assign`` and ``apply_grouping`` change the grouping through undoable commands;
``group_communities`` groups automatically; ``precinct_stats`` gives the live
statistics and warnings; ``precinct_outline`` draws one clean boundary.
"""

from layers.precincts.adjacency import (
    Adjacency,
    community_adjacency,
    components,
    default_gap_m,
    is_contiguous,
)
from layers.precincts.commands import apply_grouping, assign, locked_precincts
from layers.precincts.grouping import GroupingResult, group_communities
from layers.precincts.outline import outlines, polsby_popper, precinct_outline
from layers.precincts.rules import RULES, default_rule, default_walk_m, project_adjacency
from layers.precincts.services import SHARED_SERVICES
from layers.precincts.stats import Limits, communities_layer, precinct_stats
from layers.precincts.walking import walking_adjacency

__all__ = ["RULES", "SHARED_SERVICES", "Adjacency", "GroupingResult", "Limits", "apply_grouping",
           "assign", "communities_layer", "community_adjacency", "components", "default_gap_m",
           "default_rule", "default_walk_m", "group_communities", "is_contiguous",
           "locked_precincts", "outlines", "polsby_popper", "precinct_outline", "precinct_stats",
           "project_adjacency", "walking_adjacency"]
