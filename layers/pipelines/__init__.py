"""Pipeline analyses: near, crossing and parallel pairs, clearances, dig-once groups,
pipes under communities, and the project's conflicts layer and report (GUI-free).
"""

from layers.pipelines.clearance import (
    clearance_violations,
    max_confirmed_clearance,
    required_clearance,
    vertical_check,
)
from layers.pipelines.conflicts import (
    STATUS_LABELS,
    TYPE_LABELS,
    conflict_id,
    counts_by_type,
    find_conflicts,
    update_conflicts_layer,
)
from layers.pipelines.digonce import dig_once_groups, under_communities
from layers.pipelines.pairs import (
    crossing_pairs,
    near_pairs,
    overlap_lengths,
    parallel_runs,
    require_projected,
)
from layers.pipelines.rules import CONFIRMED
from layers.pipelines.summary import (
    CATEGORIES,
    CATEGORY_LABELS,
    categories_of,
    counts_by_category,
    headline,
    to_check,
)

__all__ = [
    "CATEGORIES", "CATEGORY_LABELS", "CONFIRMED", "categories_of", "counts_by_category",
    "headline", "to_check",
    "STATUS_LABELS", "TYPE_LABELS", "clearance_violations", "conflict_id", "counts_by_type",
    "crossing_pairs", "dig_once_groups", "find_conflicts", "max_confirmed_clearance",
    "near_pairs", "overlap_lengths", "parallel_runs", "require_projected", "required_clearance",
    "under_communities", "update_conflicts_layer", "vertical_check",
]
