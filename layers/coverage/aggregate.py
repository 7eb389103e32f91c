"""Coverage results as tables: one row per community and service, population-weighted
shares per sub-district, precinct and city at every level, and the gap list."""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.coverage.engine import Distances
from layers.coverage.inputs import POP_COLUMNS, CoverageInputs
from layers.coverage.options import CoverageOptions

UNITS = ("city", "subdistrict", "precinct")
UNASSIGNED = "—"
SUMMARY_COLUMNS = ("unit_type", "unit", "service", "level_m", "communities", "covered_communities",
                   "flagged", "population", "population_covered", "population_share",
                   "pop_60plus", "pop_60plus_covered", "pop_60plus_share", "pop_0_3",
                   "pop_0_3_covered", "pop_0_3_share", "pop_0_3_known")


def results_table(inputs: CoverageInputs, options: CoverageOptions, d: Distances) -> pd.DataFrame:
    """Rows of a ``coverage_results`` table (service by service, communities in fid order)."""
    comm = inputs.communities
    n = len(comm)
    parts = []
    for service in options.services:
        nearest = d.nearest_m[service]
        required = options.required_m[service]
        fid = d.nearest_fid[service]
        parts.append(pd.DataFrame({
            "community_fid": comm.index.to_numpy(np.int64),
            "community": comm["name"].to_numpy(dtype=object),
            "service": service,
            "mode": options.mode,
            "nearest_m": nearest,
            "nearest_facility_fid": pd.array(np.where(fid >= 0, fid, 0), dtype="Int64"),
            "snap_m": d.snap_m[service],
            "required_level": options.required_level.get(service),
            "required_m": np.full(n, required),
            "covered": np.nan_to_num(nearest, nan=np.inf) <= required,
            **{c: pd.array(comm[c], dtype="Int64") for c in POP_COLUMNS},
            "flag": d.flags[service],
        }))
        parts[-1].loc[fid < 0, "nearest_facility_fid"] = pd.NA
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    table.index = pd.Index(np.arange(1, len(table) + 1, dtype=np.int64), name="fid")
    return table


def _weights(comm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Population columns as floats (unknown → 0) and whether each is known."""
    values = np.zeros((len(comm), len(POP_COLUMNS)))
    known = np.zeros((len(comm), len(POP_COLUMNS)), dtype=bool)
    for j, col in enumerate(POP_COLUMNS):
        series = pd.to_numeric(comm[col], errors="coerce")
        known[:, j] = series.notna().to_numpy()
        values[:, j] = series.fillna(0).to_numpy(dtype=float)
    return values, known


def summarise(inputs: CoverageInputs, options: CoverageOptions, d: Distances,
              units: tuple[str, ...] = UNITS) -> pd.DataFrame:
    """Population-weighted coverage per unit, service and level.

    A community counts as covered at a level when its nearest facility is within that
    distance. Flagged communities (far from the network, unreachable, no facility) stay
    in the denominators as not covered, and are counted in ``flagged``; shares for 0–3
    year olds use only communities where that number is known (``pop_0_3_known``).
    """
    comm = inputs.communities
    weights, known = _weights(comm)
    levels = np.asarray(options.levels_m, dtype=float)
    columns: dict[str, list[np.ndarray]] = {}  # one frame at the end, not one per block
    for unit_type in units:
        if unit_type == "city":
            codes, labels = np.zeros(len(comm), dtype=np.int64), np.array(["city"], dtype=object)
        elif unit_type == "community":
            codes = np.arange(len(comm))
            labels = np.array([f"{n} ({f})" for n, f in zip(comm["name"], comm.index)], dtype=object)
        else:
            values = comm[unit_type].astype("string").fillna(UNASSIGNED).replace("", UNASSIGNED)
            codes, labels = pd.factorize(values.to_numpy(dtype=object), sort=True)
        k = len(labels)
        count = np.bincount(codes, minlength=k)
        pop = np.stack([np.bincount(codes, weights[:, j], minlength=k) for j in range(3)], axis=1)
        known03 = np.bincount(codes, known[:, 2].astype(float), minlength=k)
        for service in options.services:
            nearest = np.nan_to_num(d.nearest_m[service], nan=np.inf)
            flagged = np.bincount(codes, (d.flags[service] != "ok").astype(float), minlength=k)
            hit = nearest[:, None] <= levels[None, :]  # communities × levels
            covered_n = np.stack([np.bincount(codes, hit[:, i].astype(float), minlength=k)
                                  for i in range(len(levels))], axis=1)
            covered_pop = np.einsum("cl,cj->clj", hit, weights)
            sums = np.stack([np.stack([np.bincount(codes, covered_pop[:, i, j], minlength=k)
                                       for j in range(3)], axis=1) for i in range(len(levels))],
                            axis=1)  # units × levels × pops
            for i, level in enumerate(levels):
                block = {"unit_type": np.full(k, unit_type, dtype=object), "unit": labels,
                         "service": np.full(k, service, dtype=object),
                         "level_m": np.full(k, level), "communities": count,
                         "covered_communities": covered_n[:, i].astype(np.int64),
                         "flagged": flagged.astype(np.int64)}
                for j, col in enumerate(("population", "pop_60plus", "pop_0_3")):
                    total, cov = pop[:, j], sums[:, i, j]
                    block[col] = total.astype(np.int64)
                    block[f"{col}_covered"] = cov.astype(np.int64)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        block[f"{col}_share"] = np.where(total > 0, cov / total, np.nan)
                block["pop_0_3_known"] = known03.astype(np.int64)
                for name, values in block.items():
                    columns.setdefault(name, []).append(np.asarray(values))
    if not columns:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    out = pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})
    return out[list(SUMMARY_COLUMNS)]


def gap_list(inputs: CoverageInputs, table: pd.DataFrame) -> pd.DataFrame:
    """Community × service pairs not covered at the required level, most residents first,
    with the community's bounds (to zoom to it)."""
    gaps = table[~table["covered"].astype(bool)].copy()
    pos = inputs.communities.index.get_indexer(gaps["community_fid"].to_numpy())
    bounds = inputs.bounds[pos] if len(pos) else np.empty((0, 4))
    for j, col in enumerate(("minx", "miny", "maxx", "maxy")):
        gaps[col] = bounds[:, j]
    keep = ["community_fid", "community", "service", "nearest_m", "required_m", "population",
            "pop_60plus", "pop_0_3", "flag", "minx", "miny", "maxx", "maxy"]
    gaps = gaps[keep].sort_values(["population", "community_fid"], ascending=[False, True],
                                  na_position="last", kind="stable")
    return gaps.reset_index(drop=True)
