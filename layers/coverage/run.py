"""A whole coverage run and how its results join the project (one undoable step)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from layers.commands import AddLayer, MacroCommand, RemoveLayer
from layers.coverage.aggregate import gap_list, results_table, summarise
from layers.coverage.areas import service_areas
from layers.coverage.engine import Cancel, Distances, Progress, euclidean_distances, network_distances
from layers.coverage.inputs import CoverageInputs, inputs_from_project
from layers.coverage.options import CoverageOptions, resolve_options
from layers.errors import T

RESULTS_LAYER = "coverage_results"
AREAS_LAYER = "service_areas"


@dataclass
class CoverageResult:
    """Everything a run produced. ``partial`` is True when something was left out (see
    ``notes`` and the ``flag`` column): the numbers then describe only what was tested."""

    options: CoverageOptions
    table: pd.DataFrame
    summary: pd.DataFrame
    gaps: pd.DataFrame
    areas: gpd.GeoDataFrame | None
    notes: list[T] = field(default_factory=list)
    partial: bool = False
    distances: Distances | None = None
    inputs: CoverageInputs | None = None


def coverage(inputs: CoverageInputs, options: CoverageOptions, *, areas: bool = False,
             net=None, progress: Progress | None = None, cancel: Cancel | None = None) -> CoverageResult:
    """Run coverage on prepared inputs (see :func:`compute_coverage` for the project form)."""
    progress = progress or (lambda _f, _t: None)
    with_areas = areas and options.mode == "network"
    # service areas take most of a city run (the union of the reached streets): the bar
    # gives them most of its length, step by step, instead of sitting at 90 % meanwhile
    share = 0.3 if with_areas else 0.85
    if options.mode == "network":
        d = network_distances(inputs, options, net,
                              lambda f, text: progress(min(f, 0.85) / 0.85 * share, text), cancel)
    else:
        d = euclidean_distances(inputs, options)
    progress(share, T("population-weighted coverage", "按人口加权的覆盖率"))
    table = results_table(inputs, options, d)
    summary = summarise(inputs, options, d)
    gaps = gap_list(inputs, table)
    area_frame = None
    if with_areas:
        start = share + 0.02
        area_frame = service_areas(d, options, inputs.crs,
                                   progress=lambda f, text: progress(start + (0.99 - start) * f, text),
                                   cancel=cancel)
    progress(1.0, T("done", "完成"))
    return CoverageResult(options, table, summary, gaps, area_frame, list(d.notes), d.partial, d, inputs)


def compute_coverage(project, services=None, levels=None, mode: str = "network", *,
                     areas: bool = True, communities: str | None = None,
                     facilities: str | None = None, streets: str | None = None,
                     gates: str | None = None, progress: Progress | None = None,
                     cancel: Cancel | None = None, **params) -> CoverageResult:
    """Life-circle coverage of a project's communities by its facilities.

    Parameters
    ----------
    project : Project
    services : list of str or str, optional
        Service keys (default elder_care, childcare, meal_point).
    levels : list or str, optional
        Walking distances in metres or level keys (default 5/10/15 min: 300, 500, 1000 m).
    mode : {"network", "euclidean"}
    areas : bool
        Also draw the service areas (network mode).
    **params
        ``max_snap_m``, ``corridor_m``, ``search_limit_m``, ``statuses``.

    Examples
    --------
    >>> from layers.demo import example_project
    >>> result = compute_coverage(example_project(), "elder_care", levels="300,500,1000")
    >>> result.table[["community", "nearest_m", "covered"]].values.tolist()
    [['东湖', 65.0, True], ['西湖', 185.0, True], ['南湖', 1065.0, False]]
    >>> city = result.summary.query("unit_type == 'city'")
    >>> city["level_m"].tolist(), city["population_covered"].tolist()
    ([300.0, 500.0, 1000.0], [1400, 1400, 1400])
    """
    options = resolve_options(project.standards(), services, levels, mode, **params)
    inputs = inputs_from_project(project, communities, facilities, streets, gates, options.statuses)
    return coverage(inputs, options, areas=areas, progress=progress, cancel=cancel)


def apply_results(project, result: CoverageResult) -> MacroCommand:
    """Put the results table (and the service areas) into the project, replacing those of
    an earlier run, as one undoable step."""
    macro = coverage_command(project, result)
    project.apply(macro)
    return macro


def coverage_command(project, result: CoverageResult) -> MacroCommand:
    """The one command that puts ``result`` into ``project`` (not yet applied)."""
    from layers.layer import TableLayer, VectorLayer
    from styles import default_style

    commands = []
    names = project.names()
    for name in (RESULTS_LAYER, AREAS_LAYER):
        if name in names:
            commands.append(RemoveLayer(project.layer(name).id))
    commands.append(AddLayer(TableLayer(RESULTS_LAYER, "coverage_results", result.table)))
    if result.areas is not None:
        areas = result.areas.copy()
        areas.index = pd.Index(range(1, len(areas) + 1), name="fid")
        commands.append(AddLayer(VectorLayer(AREAS_LAYER, "service_areas", areas,
                                             style=default_style("service_areas"), opacity=0.6)))
    return MacroCommand(T("coverage results", "覆盖分析结果"), commands)
