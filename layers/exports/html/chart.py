"""The coverage chart of the HTML map: residents covered per service at each life-circle
level (an inline SVG bar chart, no script) and the counts behind it (communities and
residents covered), read from the project's saved coverage results.

A community counts as covered at a level when its nearest facility is within that walking
distance (as :func:`layers.coverage.aggregate.summarise` counts it); communities that reach
no facility stay in the totals as not covered.
"""

from __future__ import annotations

import html as _html

import numpy as np
import pandas as pd

from layers import display
from layers.errors import T

# bar colours, nearest level first: one blue ramp that also reads in greyscale
LEVEL_COLOURS = ("#08519c", "#4292c6", "#9ecae1", "#c6dbef")
WIDTH, HEIGHT = 330, 150
_LEFT, _BOTTOM, _TOP = 34, 22, 14


def _table(project, kind: str):
    for layer in project.layers:
        if layer.kind == kind and getattr(layer, "gdf", None) is not None:
            return layer
    return None


def coverage_levels(project) -> list[float]:
    """The levels of the saved run: those of its service areas, else the standard's."""
    areas = _table(project, "service_areas")
    if areas is not None and "level_m" in areas.gdf.columns:
        found = sorted({float(v) for v in areas.gdf["level_m"].dropna()})
        if found:
            return found
    from layers.coverage.options import resolve_options

    return list(resolve_options(project.standards()).levels_m)


def coverage_rows(project) -> pd.DataFrame:
    """One row per service and level: communities and residents in all, and covered."""
    results = _table(project, "coverage_results")
    columns = ["service", "level_m", "communities", "covered_communities", "population",
               "population_covered"]
    if results is None or not {"service", "nearest_m"} <= set(results.gdf.columns):
        return pd.DataFrame(columns=columns)
    frame = results.gdf
    levels = coverage_levels(project)
    rows = []
    for service in dict.fromkeys(frame["service"].dropna().astype(str)):
        sub = frame[frame["service"].astype(str) == service]
        nearest = sub["nearest_m"].to_numpy(dtype="float64", na_value=np.nan)
        nearest = np.nan_to_num(nearest, nan=np.inf)
        people = (sub["population"].to_numpy(dtype="float64", na_value=0.0)
                  if "population" in sub.columns else np.zeros(len(sub)))
        for level in levels:
            hit = nearest <= level
            rows.append([service, level, len(sub), int(hit.sum()), int(people.sum()),
                         int(people[hit].sum())])
    return pd.DataFrame(rows, columns=columns)


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def chart_svg(rows: pd.DataFrame, service_label, level_label, lang: str) -> str:
    """Grouped bars: services along the bottom, one bar per level, height = residents covered."""
    services = list(dict.fromkeys(rows["service"]))
    levels = sorted(set(rows["level_m"]))
    plot_w, plot_h = WIDTH - _LEFT - 6, HEIGHT - _BOTTOM - _TOP
    group = plot_w / max(len(services), 1)
    bar = min(24.0, group * 0.8 / max(len(levels), 1))
    out = [f'<svg class="pp-chart" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{_html.escape(T("residents covered", "居民覆盖率")(lang))}">']
    for pct in (0, 50, 100):
        y = _TOP + plot_h * (1 - pct / 100)
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - 6}" y2="{y:.1f}" '
                   f'stroke="#ccc" stroke-width="1"/>'
                   f'<text x="{_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{pct}%</text>')
    by_key = {(r.service, r.level_m): r for r in rows.itertuples()}
    for i, service in enumerate(services):
        x0 = _LEFT + i * group + (group - bar * len(levels)) / 2
        for j, level in enumerate(levels):
            r = by_key.get((service, level))
            share = _share(r.population_covered, r.population) if r is not None else 0.0
            h = plot_h * share
            x, y = x0 + j * bar, _TOP + plot_h - h
            colour = LEVEL_COLOURS[min(j, len(LEVEL_COLOURS) - 1)]
            tip = f"{service_label(service)} · {level_label(level)}: {share * 100:.0f}%"
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                       f'fill="{colour}"><title>{_html.escape(tip)}</title></rect>'
                       f'<text x="{x + (bar - 2) / 2:.1f}" y="{y - 2:.1f}" text-anchor="middle" '
                       f'class="pp-chart-value">{share * 100:.0f}</text>')
        out.append(f'<text x="{_LEFT + (i + 0.5) * group:.1f}" y="{HEIGHT - _BOTTOM + 14}" '
                   f'text-anchor="middle">{_html.escape(service_label(service))}</text>')
    out.append("</svg>")
    return "".join(out)


def chart_key(levels: list[float], level_label) -> str:
    """The bar colours named by level, as HTML under the chart."""
    items = []
    for j, level in enumerate(levels):
        colour = LEVEL_COLOURS[min(j, len(LEVEL_COLOURS) - 1)]
        items.append(f'<span class="pp-key"><i style="background:{colour}"></i>'
                     f"{_html.escape(level_label(level))}</span>")
    return f'<div class="pp-chart-keys">{"".join(items)}</div>'


def coverage_html(project, lang: str) -> str:
    """The chart box (empty when the project holds no coverage results)."""
    rows = coverage_rows(project)
    if rows.empty:
        return ""
    from layers.coverage.options import resolve_options

    std = project.standards()
    options = resolve_options(std)

    def service_label(key: str) -> str:
        return display.service(key, lang=lang, standards=std)

    def level_label(metres: float) -> str:
        return options.level_label(metres, lang)

    head = T("Life-circle coverage: residents within reach", "生活圈覆盖：步行可达的居民占比")(lang)
    cols = [T("Service", "服务")(lang), T("Level", "层级")(lang),
            T("Communities covered", "覆盖小区")(lang), T("Residents covered", "覆盖居民")(lang)]
    table = ["<table class=\"pp-chart-table\"><tr>",
             *(f"<th>{_html.escape(c)}</th>" for c in cols), "</tr>"]
    for r in rows.itertuples():
        share = _share(r.population_covered, r.population)
        cells = [service_label(r.service), level_label(r.level_m),
                 f"{r.covered_communities:,} / {r.communities:,}",
                 f"{r.population_covered:,} ({share * 100:.1f}%)"]
        table.append("<tr>" + "".join(f"<td>{_html.escape(c)}</td>" for c in cells) + "</tr>")
    table.append("</table>")
    return ('<details class="pp-chart-box pp-box" id="pp-coverage" open>'
            f"<summary>{_html.escape(head)}</summary>"
            f"{chart_svg(rows, service_label, level_label, lang)}"
            f"{chart_key(sorted(set(rows['level_m'])), level_label)}"
            f'<details class="pp-chart-more"><summary>'
            f'{_html.escape(T("Numbers", "数字")(lang))}</summary>{"".join(table)}</details>'
            "</details>")
