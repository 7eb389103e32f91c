"""A whole siting run on a project, and how its result joins the project (one undo step)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.commands import AddLayer, MacroCommand, RemoveLayer
from layers.errors import T
from layers.siting.candidates import assess_candidates, parcels_frame, siting_parameters
from layers.siting.matrix import CoverageMatrix, project_matrix
from layers.siting.solve import SitingResult, solve_siting

RESULT_LAYER = "siting_results"
RESULT_STYLE = {"name": "siting_results", "type": "single", "label_en": "Chosen sites",
                "label_zh": "推荐选址", "fill": "#e7298a", "fill_alpha": 0.85, "stroke": "#67001f",
                "stroke_width": 2.5, "label_field": "name"}


@dataclass
class SitingRun:
    """Candidates with their checks, the coverage matrix and the answers."""

    candidates: pd.DataFrame
    matrix: CoverageMatrix
    result: SitingResult

    def before_after(self) -> dict[str, float]:
        """Communities and residents covered before and after the chosen sites."""
        pop = self.matrix.weights(None)
        rows = [self.matrix.row_of(f) for f in self.result.table["parcel_fid"]]
        before = self.matrix.existing_covered
        after = self.matrix.covered_by(rows)
        total = float(pop.sum())
        return {"communities": len(pop), "communities_before": int(before.sum()),
                "communities_after": int(after.sum()), "residents": total,
                "residents_before": float(pop[before].sum()), "residents_after": float(pop[after].sum()),
                "residents_new": float(pop[after & ~before].sum()),
                "share_before": float(pop[before].sum() / total) if total else float("nan"),
                "share_after": float(pop[after].sum() / total) if total else float("nan")}


def run_siting(project, service: str = "elder_care", objective: str = "mclp", k: int | None = None,
               share: float | None = None, weight: str | None = None, *, method: str = "both",
               by_precinct: bool = False, parcels: str | None = None,
               include_unavailable: bool = False, **params) -> SitingRun:
    """Check the project's parcels for ``service`` and choose sites among the candidates.

    Examples
    --------
    >>> from layers.demo import example_project
    >>> run = run_siting(example_project(), "elder_care", "mclp", k=1, weight="60plus")
    >>> run.result.table["name"].tolist()  # the idle parcel beside 南湖
    ['空地']
    >>> after = run.before_after()
    >>> after["communities_before"], after["communities_after"], after["share_after"]
    (2, 3, 1.0)
    """
    std = project.standards()
    frame = parcels_frame(project, parcels)
    matrix = project_matrix(project, service, parcels=parcels, **params)
    sp = siting_parameters(std, [service])
    homes = project.layers_of_kind("communities")
    checks = assess_candidates(frame, service, std, homes[0].gdf if homes else None, sp)
    ok = np.ones(len(checks), dtype=bool) if include_unavailable else checks["candidate"].to_numpy(bool)
    result = solve_siting(matrix, objective, k, share, weight, candidates=ok, method=method,
                          by_precinct=by_precinct, time_limit=sp.time_limit_s, names=checks["name"])
    return SitingRun(checks, matrix, result)


def apply_siting(project, run: SitingRun, parcels: str | None = None) -> MacroCommand:
    """Put the chosen parcels into the project as the ``siting_results`` layer (replacing
    an earlier one), as one undoable step."""
    macro = siting_command(project, run, parcels)
    project.apply(macro)
    return macro


def siting_command(project, run: SitingRun, parcels: str | None = None) -> MacroCommand:
    """The one command that adds ``run``'s chosen parcels to ``project`` (not yet applied)."""
    from layers.layer import VectorLayer

    frame = parcels_frame(project, parcels)
    table = run.result.table
    chosen = frame.loc[table["parcel_fid"].to_numpy(np.int64), ["name", "parcel_type", "geometry"]]
    chosen = chosen.reset_index(names="parcel_fid")
    for col in ("rank", "communities_new", "residents_new", "weighted_new"):
        chosen[col] = table[col].to_numpy()
    chosen["service"] = run.result.service
    chosen.index = pd.Index(np.arange(1, len(chosen) + 1, dtype=np.int64), name="fid")
    commands = []
    if RESULT_LAYER in project.names():
        commands.append(RemoveLayer(project.layer(RESULT_LAYER).id))
    commands.append(AddLayer(VectorLayer(RESULT_LAYER, "other", chosen, style=dict(RESULT_STYLE))))
    return MacroCommand(T("siting results", "选址结果"), commands)
