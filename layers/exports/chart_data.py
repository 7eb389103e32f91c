"""What the report's chart page shows, read from the project (no Qt): residents covered per
service and life-circle level, residents of the smallest precincts against the floor,
conflicts by utility pair and category, renovation cost by category. Each chart is
``(title, rows, series, marks)`` with rows ``(label, {series key: value})``; a chart with no
data is left out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from layers import display
from layers.errors import T

Chart = tuple[str, list[tuple[str, dict[str, float]]], list[tuple[str, str, str]], list[tuple[float, str, str]]]
LEVEL_COLOURS = ("#08519c", "#4292c6", "#9ecae1")
CATEGORY_COLOURS = {"violation": "#e31a1c", "unchecked": "#ff7f00", "notice": "#1f78b4"}


def _first(project, kind: str):
    found = project.layers_of_kind(kind)
    return found[0] if found and len(found[0]) else None


def coverage_chart(project, lang: str) -> Chart | None:
    """Share of residents (%) within each level's walk of the nearest facility, per service."""
    results = _first(project, "coverage_results")
    if results is None:
        return None
    from layers.standards import level_distance_m

    frame = results.df
    std = project.standards()
    levels = [(k, float(level_distance_m(std, k))) for k in ("5min", "10min", "15min")]
    rows = []
    for service, group in frame.groupby("service", sort=False):
        pop = pd.to_numeric(group.get("population"), errors="coerce").fillna(0).to_numpy(float)
        dist = pd.to_numeric(group["nearest_m"], errors="coerce").to_numpy(float)
        total = pop.sum() or 1.0
        values = {k: float(100 * pop[np.nan_to_num(dist, nan=np.inf) <= d].sum() / total) for k, d in levels}
        rows.append((display.service(service, lang, std), values))
    series = [(k, display.level(k, lang, std), c) for (k, _d), c in zip(levels, LEVEL_COLOURS)]
    return (T("Residents within reach of the nearest facility (%)", "最近设施步行可达的居民占比（%）")(lang),
            rows, series, [])


def precinct_chart(project, lang: str, most: int = 12) -> Chart | None:
    """Residents of the smallest precincts with the floor as a line."""
    layer = _first(project, "communities")
    if layer is None or "precinct" not in layer.gdf:
        return None
    gdf = layer.gdf
    named = gdf["precinct"].notna() & (gdf["precinct"].astype(str).str.strip() != "")
    if not named.any():
        return None
    pop = pd.to_numeric(gdf.loc[named, "population"], errors="coerce").fillna(0)
    sums = pop.groupby(gdf.loc[named, "precinct"].astype(str)).sum().sort_values(kind="mergesort")[:most]
    floor = project.standards().value("parameters", "complete_community_population_min", "value")
    marks = [(float(floor), T("floor", "下限")(lang), "#b2182b")] if floor else []
    return (T("Residents of the smallest precincts", "人口最少的片区居民数")(lang),
            [(name, {"population": float(v)}) for name, v in sums.items()],
            [("population", T("residents", "居民")(lang), "#74a9cf")], marks)


def conflict_chart(project, lang: str, top: int = 8) -> Chart | None:
    """Findings per utility pair, split by category (violations first)."""
    layer = _first(project, "conflicts")
    if layer is None or not {"utility_a", "utility_b", "category"} <= set(layer.gdf):
        return None
    from layers.labels import CONFLICT_CATEGORY_LABELS

    std = project.standards()
    gdf = layer.gdf
    pairs = [f"{display.utility(a, lang, std)}–{display.utility(b, lang, std)}"
             for a, b in zip(gdf["utility_a"], gdf["utility_b"])]
    counts = gdf.assign(pair=pairs).groupby(["pair", "category"]).size().unstack(fill_value=0)
    counts = counts.loc[counts.sum(axis=1).sort_values(ascending=False).index[:top]]
    rows = [(str(p), {str(k): float(v) for k, v in r.items()}) for p, r in counts.iterrows()]
    series = [(k, CONFLICT_CATEGORY_LABELS[k](lang), c) for k, c in CATEGORY_COLOURS.items()]
    return (T("Pipeline findings by utility pair", "按管线类别组合的管线问题")(lang), rows, series, [])


def cost_chart(project, lang: str) -> Chart | None:
    """Renovation cost of the selected items by category (yuan)."""
    from layers.programme.items import checklist, cost_summary

    lines = checklist(project)
    if not len(lines):
        return None
    summary = cost_summary(lines)
    if not summary.by_category:
        return None
    items = project.standards().table("renovation_items")
    names: dict[Any, str] = {c: T(str(en), str(zh))(lang) for c, en, zh in
                             zip(items["category"], items["category_en"], items["category_zh"])}
    rows = [(names.get(k, str(k)), {"cost": float(v)}) for k, v in
            sorted(summary.by_category.items(), key=lambda kv: -kv[1])]
    return (T("Renovation cost by category (yuan)", "按大类的改造费用（元）")(lang), rows,
            [("cost", T("cost", "费用")(lang), "#fd8d3c")], [])


def report_charts(project, lang: str) -> list[tuple[Chart, bool]]:
    """Every chart that has data, each with whether its bars are grouped (levels side by
    side) rather than stacked."""
    charts = [(coverage_chart(project, lang), True), (precinct_chart(project, lang), False),
              (conflict_chart(project, lang), False), (cost_chart(project, lang), False)]
    return [(c, grouped) for c, grouped in charts if c is not None and c[1]]
