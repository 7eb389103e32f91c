"""The renovation programme by the Yichang plan: eligibility, pilot check, items and costs,
annual-plan ranking, funding split and status tracking (GUI-free)."""

from layers.programme.eligibility import Eligibility, eligibility
from layers.programme.funding import (
    PAYER_LABELS,
    PAYERS,
    Split,
    community_split,
    precinct_splits,
    set_award_scope,
    set_central_subsidy,
    set_extra_cost,
    set_relocation,
)
from layers.programme.items import (
    catalogue,
    checklist,
    community_costs,
    cost_summary,
    prefill_command,
    set_catalogue_unit_cost,
    suggestions,
)
from layers.programme.pilot import pilot_check, set_exemplary
from layers.programme.ranking import Plan, plan_year, rank, set_weight, weights
from layers.programme.status import STATE_LABELS, advance, advance_command, history, next_status

__all__ = [
    "PAYERS", "PAYER_LABELS", "STATE_LABELS", "Eligibility", "Plan", "Split", "advance",
    "advance_command", "catalogue", "checklist", "community_costs", "community_split",
    "cost_summary", "eligibility", "history", "next_status", "pilot_check", "plan_year",
    "precinct_splits", "prefill_command", "rank", "set_catalogue_unit_cost", "set_central_subsidy",
    "set_award_scope", "set_exemplary", "set_extra_cost", "set_relocation", "set_weight",
    "suggestions", "weights",
]
