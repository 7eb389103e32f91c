"""Clearances between pipes against the GB 50289 tables in ``data/standards``.

A rule row ``(class_a, class_b, condition, min_clearance_m)`` applies to a pair
of pipes when one pipe's class (or a parent class, e.g. ``drainage`` for
``drainage_storm``) is ``class_a`` and the other's is ``class_b``, in either
order. The most specific rows win (exact class before parent). A condition
(``d<=200``, ``d>200``, ``pressure=low`` …) is read on the pipe matching
``class_b`` — in GB 50289 Table 4.1.9 that is the water main's diameter or the
gas main's pressure class. An empty cell, an unknown diameter or pressure, or
a class pair the table does not list leaves the pair *unchecked*: it is
reported with ``checked = False`` and never flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.pipelines.pairs import (
    _geoms,
    _pair_frame,
    _sorted,
    _utilities,
    candidate_pairs,
    overlap_lengths,
    require_projected,
    require_utility,
)

_CONDITION = re.compile(r"^\s*(d|pressure)\s*(<=|>=|<|>|=)\s*([\w.]+)\s*$")
NOTE_NO_RULE = "no rule for this pair of classes in the table"
NOTE_EMPTY = "the table's cell has no confirmed value (NF)"
NOTE_UNKNOWN = "diameter or pressure unknown, so the rule cannot be chosen"
NOTE_DEPTH = "depth or diameter unknown"


@dataclass(frozen=True)
class Rule:
    class_a: str
    class_b: str
    condition: str
    value: float | None


def _standards(standards):
    if standards is None:
        from layers.standards import load_standards

        return load_standards()
    return standards


def class_chains(standards) -> dict[str, list[str]]:
    """Each pipeline class with its parents, most specific first."""
    table = standards.table("pipeline_classes")
    parent = {str(k): (str(p) if isinstance(p, str) and p else None)
              for k, p in zip(table["key"], table["parent"], strict=True)}
    chains: dict[str, list[str]] = {}
    for key in parent:
        chain, cur = [key], parent[key]
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = parent.get(cur)
        chains[key] = chain
    return chains


def _rules(standards, table: str) -> list[Rule]:
    frame = standards.table(table)
    conditions = frame["condition"] if "condition" in frame.columns else [""] * len(frame)
    out = []
    for a, b, c, v in zip(frame["class_a"], frame["class_b"], conditions, frame["min_clearance_m"],
                          strict=True):
        value = None if v is None or pd.isna(v) else float(v)
        out.append(Rule(str(a), str(b), "" if c is None or pd.isna(c) else str(c), value))
    return out


def _candidates(p: str, q: str, rules: list[Rule], chains: dict[str, list[str]]
                ) -> list[tuple[Rule, bool]]:
    """Most specific rules for classes p, q; the flag is True when the condition reads q."""
    cp, cq = chains.get(p, [p]), chains.get(q, [q])
    found: list[tuple[int, Rule, bool]] = []
    for rule in rules:
        if rule.class_a in cp and rule.class_b in cq:
            found.append((cp.index(rule.class_a) + cq.index(rule.class_b), rule, True))
        elif rule.class_b in cp and rule.class_a in cq:
            found.append((cp.index(rule.class_b) + cq.index(rule.class_a), rule, False))
    if not found:
        return []
    best = min(r for r, _, _ in found)
    return [(rule, reads_q) for r, rule, reads_q in found if r == best]


def _condition_holds(condition: str, diameter: np.ndarray, pressure: np.ndarray) -> np.ndarray:
    """1 where the condition holds, 0 where not, -1 where it cannot be told."""
    n = len(diameter)
    if not condition.strip():
        return np.ones(n, dtype=np.int8)
    m = _CONDITION.match(condition)
    if m is None:
        return np.full(n, -1, dtype=np.int8)
    field, op, text = m.groups()
    if field == "pressure":
        known = np.array([isinstance(v, str) and bool(v) for v in pressure])
        holds = np.array([v == text for v in pressure]) if op == "=" else np.zeros(n, bool)
        return np.where(known, holds.astype(np.int8), -1).astype(np.int8)
    value = float(text)
    d = diameter.astype(float)
    with np.errstate(invalid="ignore"):
        holds = {"<=": d <= value, "<": d < value, ">": d > value, ">=": d >= value,
                 "=": d == value}[op]
    return np.where(np.isnan(d), -1, holds.astype(np.int8)).astype(np.int8)


def _column(gdf: gpd.GeoDataFrame, name: str, numeric: bool) -> np.ndarray:
    if name not in gdf.columns:
        return np.full(len(gdf), np.nan) if numeric else np.full(len(gdf), None, dtype=object)
    col = gdf[name]
    if numeric:
        return pd.to_numeric(col, errors="coerce").astype("float64").to_numpy()
    return col.astype(object).where(col.notna(), None).to_numpy()


def required_clearance(gdf: gpd.GeoDataFrame, i: np.ndarray, j: np.ndarray, standards,
                       table: str = "clearance_horizontal") -> dict[str, np.ndarray]:
    """The required clearance of each pair ``(i[k], j[k])`` of positions.

    Returns arrays ``required_m`` (NaN when unchecked), ``checked``, ``rule`` and ``note``.
    """
    standards = _standards(standards)
    rules, chains = _rules(standards, table), class_chains(standards)
    util = _utilities(gdf)
    diameter, pressure = _column(gdf, "diameter_mm", True), _column(gdf, "pressure", False)
    n = len(i)
    required = np.full(n, np.nan)
    checked = np.zeros(n, dtype=bool)
    rule_text = np.full(n, "", dtype=object)
    note = np.full(n, NOTE_NO_RULE, dtype=object)
    ua, ub = util[i], util[j]
    keys = pd.DataFrame({"a": ua, "b": ub}).astype(str)
    for (p, q), rows in keys.groupby(["a", "b"], sort=False).indices.items():
        cands = _candidates(p, q, rules, chains)
        if not cands:
            continue
        best = np.full(len(rows), np.nan)
        unknown = np.zeros(len(rows), dtype=bool)
        applies_empty = np.zeros(len(rows), dtype=bool)
        texts = np.full(len(rows), "", dtype=object)
        for rule, reads_q in cands:
            side = j[rows] if reads_q else i[rows]
            holds = _condition_holds(rule.condition, diameter[side], pressure[side])
            unknown |= holds == -1
            hit = holds == 1
            label = f"{rule.class_a}|{rule.class_b}|{rule.condition}"
            if rule.value is None:
                applies_empty |= hit
                texts = np.where(hit & (texts == ""), label, texts)
                continue
            better = hit & ~(best >= rule.value)
            best = np.where(better, rule.value, best)
            texts = np.where(better, label, texts)
        ok = ~np.isnan(best)
        required[rows] = best
        checked[rows] = ok
        rule_text[rows] = texts
        note[rows] = np.where(ok, "", np.where(applies_empty, NOTE_EMPTY,
                                               np.where(unknown, NOTE_UNKNOWN, NOTE_NO_RULE)))
    return {"required_m": required, "checked": checked, "rule": rule_text, "note": note}


def max_confirmed_clearance(standards=None, table: str = "clearance_horizontal") -> float:
    """Largest confirmed pipe-to-pipe clearance in the table (building rows left out)."""
    frame = _standards(standards).table(table)
    pipes = frame[(frame["class_a"] != "building") & (frame["class_b"] != "building")]
    values = pd.to_numeric(pipes["min_clearance_m"], errors="coerce").dropna()
    return float(values.max()) if len(values) else 0.0


def wall_distance(centre: np.ndarray, d_a: np.ndarray, d_b: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Wall-to-wall distance (known radii subtracted, never below 0) and whether both were known."""
    radii = np.nan_to_num(d_a, nan=0.0) / 2000 + np.nan_to_num(d_b, nan=0.0) / 2000
    both = ~np.isnan(d_a) & ~np.isnan(d_b)
    return np.clip(centre - radii, 0.0, None), both


def clearance_violations(gdf: gpd.GeoDataFrame, standards=None, distance: float | None = None,
                         cross_utility_only: bool = True,
                         include_crossings: bool = False) -> gpd.GeoDataFrame:
    """Horizontal clearance of every pair of pipes closer than ``distance`` (centre lines).

    Parameters
    ----------
    gdf : GeoDataFrame
        Pipes in a projected CRS with ``utility`` (CJJ 61 class) and, where
        known, ``diameter_mm`` and ``pressure``.
    standards : Standards, optional
        The tables to check against (default: the shipped tables); pass
        ``project.standards()`` so a project's filled-in cells apply.
    distance : float, optional
        Search distance between centre lines; default the largest confirmed
        clearance plus the largest pipe diameter, so no violation is missed.
    cross_utility_only : bool
        Only pairs of different utilities (default).
    include_crossings : bool
        Pairs that cross are left out by default: at a crossing the vertical
        clearance applies (see :func:`crossing_pairs`).

    Returns
    -------
    GeoDataFrame
        ``fid_a, fid_b, utility_a, utility_b, centre_distance_m, distance_m``
        (wall to wall where both diameters are known, ``wall_to_wall``),
        ``required_m`` (NaN when unchecked), ``checked``, ``violation`` (only
        ever True when checked), ``length_m`` (stretch closer than required),
        ``rule``, ``note``; geometry = the shortest line between the pipes.

    Examples
    --------
    >>> from shapely import LineString
    >>> g = gpd.GeoDataFrame({"utility": ["drainage_storm", "power"], "diameter_mm": [400, 200]},
    ...     geometry=[LineString([(0, 0), (50, 0)]), LineString([(0, 0.7), (50, 0.7)])],
    ...     crs="EPSG:4546")
    >>> r = clearance_violations(g)
    >>> round(float(r["distance_m"][0]), 2), float(r["required_m"][0]), bool(r["violation"][0])
    (0.4, 0.5, True)
    """
    require_projected(gdf)
    require_utility(gdf)
    std = _standards(standards)
    geoms = _geoms(gdf)
    diameter = _column(gdf, "diameter_mm", True)
    if distance is None:
        biggest = np.nanmax(diameter) / 1000 if np.isfinite(diameter).any() else 0.0
        distance = max_confirmed_clearance(std) + biggest
    i, j, centre = candidate_pairs(geoms, float(distance),
                                   _utilities(gdf) if cross_utility_only else None)
    if not include_crossings and len(i):
        keep = ~shapely.crosses(geoms[i], geoms[j])
        i, j, centre = i[keep], j[keep], centre[keep]
    wall, both = wall_distance(centre, diameter[i], diameter[j])
    rule = required_clearance(gdf, i, j, std)
    violation = rule["checked"] & (wall < np.nan_to_num(rule["required_m"], nan=-1.0))
    radii = (np.nan_to_num(diameter[i], nan=0.0) + np.nan_to_num(diameter[j], nan=0.0)) / 2000
    length = np.zeros(len(i))
    v = np.flatnonzero(violation)
    if len(v):
        length[v], _ = overlap_lengths(geoms[i[v]], geoms[j[v]],
                                       rule["required_m"][v] + radii[v], with_where=False)
    lines = shapely.shortest_line(geoms[i], geoms[j])
    lines = np.where(centre > 0, lines, None)
    frame = _pair_frame(gdf, i, j, centre_distance_m=centre, distance_m=wall, wall_to_wall=both,
                        required_m=rule["required_m"], checked=rule["checked"],
                        violation=violation, length_m=length, rule=rule["rule"], note=rule["note"])
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(lines, crs=gdf.crs), crs=gdf.crs)
    return gpd.GeoDataFrame(_sorted(out), geometry="geometry", crs=gdf.crs)


def vertical_check(gdf: gpd.GeoDataFrame, i: np.ndarray, j: np.ndarray,
                   standards=None) -> dict[str, np.ndarray]:
    """Vertical clear distance at crossings and its check against ``clearance_vertical``.

    ``depth_m`` is the depth to the pipe's top, so the clear distance is the
    lower pipe's top minus the upper pipe's bottom (its depth plus its
    diameter). Needs both depths and diameters; otherwise unchecked.
    """
    depth = _column(gdf, "depth_m", True)
    diameter = _column(gdf, "diameter_mm", True)
    da, db, ra, rb = depth[i], depth[j], diameter[i], diameter[j]
    known = ~np.isnan(da) & ~np.isnan(db) & ~np.isnan(ra) & ~np.isnan(rb)
    a_upper = da <= db
    bottom_upper = np.where(a_upper, da + ra / 1000, db + rb / 1000)
    top_lower = np.where(a_upper, db, da)
    vertical = np.where(known, top_lower - bottom_upper, np.nan)
    if len(i) and "utility" in gdf.columns:
        rule = required_clearance(gdf, i, j, standards, table="clearance_vertical")
    else:
        rule = {"required_m": np.full(len(i), np.nan), "checked": np.zeros(len(i), bool),
                "note": np.full(len(i), NOTE_NO_RULE, dtype=object)}
    checked = rule["checked"] & known
    note = np.where(rule["checked"] & ~known, NOTE_DEPTH, rule["note"])
    violation = checked & (vertical < np.nan_to_num(rule["required_m"], nan=-np.inf))
    return {"vertical_m": vertical, "required_m": rule["required_m"], "checked": checked,
            "violation": violation, "note": note}

