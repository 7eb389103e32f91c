"""Service areas drawn as rings by level, never as stacked translucent fills.

Nine service areas (three services × three levels) filled one over the other made a
purple and orange smear. In the HTML map each is an outline in its service's colour, the
level told by the line: the innermost level solid over a very light fill of the same
colour, the next dashed, the outer ones dotted. The legend says both (colours for the
services, line patterns for the levels).

A service area is drawn (and answers a click) by its outer boundary: the holes the corridor
model leaves between reachable streets (the inside of each block) would outline every block
of the city six times over.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layers.errors import T

# innermost level first: (dash pattern in px, line width in px, fill opacity); levels
# beyond the last row look like the last row
LEVEL_LOOK: tuple[tuple[list[int] | None, float, float], ...] = (
    (None, 2.4, 0.10),
    ([9, 5], 2.0, 0.0),
    ([2, 4], 1.8, 0.0),
)


def is_ringed(layer) -> bool:
    """A service-area layer with its levels: drawn by outer boundaries (in a map theme with the
    theme's own ring style, else with :func:`ring_styles`)."""
    return layer.kind == "service_areas" and "level_m" in layer.gdf.columns


def level_ranks(layer, rows: np.ndarray) -> tuple[list[float], np.ndarray]:
    """The distinct levels (m, nearest first) and each row's rank among them (an area with no
    level counts as the outermost)."""
    metres = layer.gdf["level_m"].to_numpy(dtype="float64", na_value=np.nan)[rows]
    levels = sorted({float(v) for v in metres if v == v})
    rank = np.searchsorted(np.asarray(levels), np.nan_to_num(metres, nan=np.inf))
    return levels, np.minimum(rank, max(len(levels) - 1, 0))


def _look(rank: int) -> tuple[list[int] | None, float, float]:
    return LEVEL_LOOK[min(rank, len(LEVEL_LOOK) - 1)]


def _hex(rgba) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgba[:3]))


def ring_styles(layer, resolved, rows: np.ndarray) -> tuple[list[dict], np.ndarray] | None:
    """Drawing options per (service colour, level) and each row's option; None for a layer
    that is not a service-area layer."""
    if not is_ringed(layer):
        return None
    _, rank = level_ranks(layer, rows)
    colour = resolved.stroke[rows].view(np.uint32).ravel().astype(np.int64)
    keys = np.column_stack([colour, rank])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    options = []
    for i in first:
        row = rows[i]
        dash, width, fill = _look(int(rank[i]))
        stroke = resolved.stroke[row]
        opt: dict[str, Any] = {"color": _hex(stroke), "opacity": 0.95, "weight": width,
                               "fillColor": _hex(stroke), "fillOpacity": fill}
        if dash:
            opt["dash"] = dash
        limit = np.inf if resolved.max_mpp is None else float(resolved.max_mpp[row])
        if np.isfinite(limit):
            opt["maxMpp"] = limit
        options.append(opt)
    return options, inverse.ravel()


def ring_legend(layer, resolved, lang: str, level_label) -> list[dict]:
    """Legend rows: one line per service colour, then one line pattern per level
    (``level_label(metres)`` names a level)."""
    rows: list[dict] = []
    for entry in resolved.legend:
        rows.append({"label": entry.label(lang), "kind": "line", "color": _hex(entry.stroke),
                     "width": 2.4})
    levels, _ = level_ranks(layer, np.arange(len(layer.gdf)))
    for rank, metres in enumerate(levels):
        dash, width, fill = _look(rank)
        rows.append({"label": level_label(metres), "kind": "line", "color": "#555555",
                     "width": width, "dash": dash, "fill": fill > 0})
    if not levels:
        rows.append({"label": T("service area", "服务范围")(lang), "kind": "line",
                     "color": "#555555", "width": 2.0})
    return rows
