"""Siting new elder care, childcare and meal points on idle land and public buildings
(GUI-free).

``assess_candidates`` checks parcels against the standards (area, floor area, green
space, sunlight spacing); ``project_matrix`` finds which communities each candidate
would cover on walking distances (the coverage engine); ``solve_siting`` answers the
set covering (LSCP) and maximal covering (MCLP) problems exactly (HiGHS) and greedily;
``run_siting`` does all three on a project and ``apply_siting`` adds the chosen parcels
as a layer; ``SitingWhatIf`` places parcels by hand and updates coverage live.
"""

from layers.siting.candidates import SitingParameters, assess_candidates, siting_parameters
from layers.siting.matrix import CoverageMatrix, coverage_matrix, project_matrix
from layers.siting.run import RESULT_LAYER, SitingRun, apply_siting, run_siting
from layers.siting.solve import (
           Answer,
           SitingResult,
           exact_lscp,
           exact_mclp,
           greedy_lscp,
           greedy_mclp,
           solve_siting,
)
from layers.siting.whatif import SitingWhatIf, WhatIfChange

__all__ = ["RESULT_LAYER", "Answer", "CoverageMatrix", "SitingParameters", "SitingResult",
           "SitingRun", "SitingWhatIf", "WhatIfChange", "apply_siting", "assess_candidates",
           "coverage_matrix", "exact_lscp", "exact_mclp", "greedy_lscp", "greedy_mclp",
           "project_matrix", "run_siting", "siting_parameters", "solve_siting"]
