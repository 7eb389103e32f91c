"""Life-circle coverage: walking distances from communities to services (GUI-free).

``compute_coverage(project)`` snaps communities and facilities onto the street graph,
runs one multi-source Dijkstra per service, weights coverage by population per
sub-district, precinct and city, lists the gaps and draws service areas;
``apply_results`` joins them to the project in one undoable step;
``CoverageSession`` keeps the distance fields for live what-ifs.
"""

from layers.coverage.engine import CoverageCancelled
from layers.coverage.options import CoverageOptions, resolve_options
from layers.coverage.run import (
    AREAS_LAYER,
    RESULTS_LAYER,
    CoverageResult,
    apply_results,
    compute_coverage,
    coverage,
    coverage_command,
)
from layers.coverage.whatif import CoverageSession

__all__ = ["AREAS_LAYER", "RESULTS_LAYER", "CoverageCancelled", "CoverageOptions", "CoverageResult",
           "CoverageSession", "apply_results", "compute_coverage", "coverage", "coverage_command",
           "resolve_options"]
