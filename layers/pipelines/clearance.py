"""Clearances between pipes against the GB 50289 tables in ``data/standards``.

Which row applies to a pair and whether its value is confirmed is
:mod:`layers.pipelines.rules`. Each pair gets a ``verdict``:

- ``violation``: closer than a confirmed clearance (or, when the diameter or
  pressure that picks the row is unknown, closer than every confirmed value the
  row could be);
- ``met``: at least the confirmed clearance (or every value it could be) — never
  reported anywhere;
- ``unchecked``: the applicable row's value is not confirmed (NF), or the data the
  check needs are unknown — a to-do, never a violation;
- ``no_rule``: the tables have no row for the two classes.
"""

from __future__ import annotations

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
from layers.pipelines.rules import (
    NOTE_DEPTH,
    NOTE_NO_RULE,
    REASON_DATA,
    REASON_NO_RULE,
    column,
    required_clearance,
    standards_or_default,
)

VERDICTS = ("violation", "met", "unchecked", "no_rule")
NOTE_BELOW = "diameter or pressure unknown: closer than every value the table gives for the pair"
NOTE_ABOVE = "diameter or pressure unknown: farther than every value the table gives for the pair"


def verdicts(violation: np.ndarray, met: np.ndarray, reason: np.ndarray) -> np.ndarray:
    """One verdict per pair (see the module docstring)."""
    return np.where(violation, "violation", np.where(
        met, "met", np.where(reason == REASON_NO_RULE, "no_rule", "unchecked"))).astype(object)


def max_confirmed_clearance(standards=None, table: str = "clearance_horizontal") -> float:
    """Largest confirmed pipe-to-pipe clearance in the table (building rows left out)."""
    frame = standards_or_default(standards).table(table)
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
        ``required_m`` (the confirmed value checked against, NaN when unchecked),
        ``checked``, ``violation`` (only ever True when checked), ``verdict``
        (module docstring), ``length_m`` (stretch closer than required),
        ``rule``, ``reason``, ``low_m`` / ``high_m`` (the confirmed values an unknown
        diameter or pressure leaves open), ``note``, ``source`` and ``confidence`` of the row,
        ``rule_class_a`` / ``rule_class_b``; geometry = the shortest line between
        the pipes.

    Examples
    --------
    >>> from shapely import LineString
    >>> g = gpd.GeoDataFrame({"utility": ["drainage_storm", "power"], "diameter_mm": [400, 200]},
    ...     geometry=[LineString([(0, 0), (50, 0)]), LineString([(0, 0.7), (50, 0.7)])],
    ...     crs="EPSG:4546")
    >>> r = clearance_violations(g)
    >>> round(float(r["distance_m"][0]), 2), float(r["required_m"][0]), r["verdict"][0]
    (0.4, 0.5, 'violation')
    """
    require_projected(gdf)
    require_utility(gdf)
    std = standards_or_default(standards)
    geoms = _geoms(gdf)
    diameter = column(gdf, "diameter_mm", True)
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
    exact = rule["checked"]
    with np.errstate(invalid="ignore"):
        below = ~exact & (wall < rule["low_m"])  # NaN bounds compare False
        above = ~exact & (wall >= rule["high_m"])
        violation = (exact & (wall < rule["required_m"])) | below
        met = (exact & (wall >= rule["required_m"])) | above
    checked = exact | below | above
    required = np.where(exact, rule["required_m"],
                        np.where(below, rule["low_m"], np.where(above, rule["high_m"], np.nan)))
    note = np.where(below, NOTE_BELOW, np.where(above, NOTE_ABOVE, rule["note"]))
    radii = (np.nan_to_num(diameter[i], nan=0.0) + np.nan_to_num(diameter[j], nan=0.0)) / 2000
    length = np.zeros(len(i))
    v = np.flatnonzero(violation)
    if len(v):
        length[v], _ = overlap_lengths(geoms[i[v]], geoms[j[v]], required[v] + radii[v],
                                       with_where=False)
    lines = shapely.shortest_line(geoms[i], geoms[j])
    lines = np.where(centre > 0, lines, None)
    frame = _pair_frame(gdf, i, j, centre_distance_m=centre, distance_m=wall, wall_to_wall=both,
                        required_m=required, checked=checked, violation=violation,
                        verdict=verdicts(violation, met, rule["reason"]), length_m=length,
                        rule=rule["rule"], reason=np.where(checked, "", rule["reason"]),
                        low_m=rule["low_m"], high_m=rule["high_m"],
                        note=note, source=rule["source"], confidence=rule["confidence"],
                        rule_class_a=rule["rule_class_a"], rule_class_b=rule["rule_class_b"])
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(lines, crs=gdf.crs), crs=gdf.crs)
    return gpd.GeoDataFrame(_sorted(out), geometry="geometry", crs=gdf.crs)


def vertical_check(gdf: gpd.GeoDataFrame, i: np.ndarray, j: np.ndarray,
                   standards=None) -> dict[str, np.ndarray]:
    """Vertical clear distance at crossings and its check against ``clearance_vertical``.

    ``depth_m`` is the depth to the pipe's top, so the clear distance is the
    lower pipe's top minus the upper pipe's bottom (its depth plus its
    diameter). Needs both depths and diameters; otherwise unchecked (reason
    ``data_missing``). Returns arrays ``vertical_m, required_m, checked, violation,
    verdict, reason, note, source, confidence, rule_class_a, rule_class_b``.
    """
    depth = column(gdf, "depth_m", True)
    diameter = column(gdf, "diameter_mm", True)
    da, db, ra, rb = depth[i], depth[j], diameter[i], diameter[j]
    known = ~np.isnan(da) & ~np.isnan(db) & ~np.isnan(ra) & ~np.isnan(rb)
    a_upper = da <= db
    bottom_upper = np.where(a_upper, da + ra / 1000, db + rb / 1000)
    top_lower = np.where(a_upper, db, da)
    vertical = np.where(known, top_lower - bottom_upper, np.nan)
    if len(i) and "utility" in gdf.columns:
        rule = required_clearance(gdf, i, j, standards, table="clearance_vertical")
    else:
        util = _utilities(gdf)
        rule = {"required_m": np.full(len(i), np.nan), "checked": np.zeros(len(i), bool),
                "reason": np.full(len(i), REASON_NO_RULE, dtype=object),
                "note": np.full(len(i), NOTE_NO_RULE, dtype=object),
                "source": np.full(len(i), None, dtype=object),
                "confidence": np.full(len(i), None, dtype=object),
                "rule_class_a": util[i], "rule_class_b": util[j]}
    checked = rule["checked"] & known
    reason = np.where(rule["checked"] & ~known, REASON_DATA, rule["reason"])
    note = np.where(rule["checked"] & ~known, NOTE_DEPTH, rule["note"])
    with np.errstate(invalid="ignore"):
        violation = checked & (vertical < rule["required_m"])
        met = checked & (vertical >= rule["required_m"])
    return {"vertical_m": vertical, "required_m": rule["required_m"], "checked": checked,
            "violation": violation, "verdict": verdicts(violation, met, reason),
            "reason": reason, "note": note, "source": rule["source"],
            "confidence": rule["confidence"], "rule_class_a": rule["rule_class_a"],
            "rule_class_b": rule["rule_class_b"]}
