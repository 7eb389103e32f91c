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


def _repeated(values: pd.Series, rows: np.ndarray):
    """``values`` at positions ``rows``, as the column a frame built from its objects
    would hold (string columns stay Arrow-backed, without a round trip through objects)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.array.take(rows)
    return values.to_numpy(dtype=object)[rows]


def _constant_strings(values: list, n: int):
    """Each value repeated ``n`` times, typed as the concatenated columns of those scalars
    would be: strings when all are strings, else objects."""
    if all(isinstance(v, str) for v in values):
        return pd.array(values, dtype="str").take(np.repeat(np.arange(len(values)), n))
    return pd.array(np.repeat(np.array(values, dtype=object), n), dtype=object)


def results_table(inputs: CoverageInputs, options: CoverageOptions, d: Distances) -> pd.DataFrame:
    """Rows of a ``coverage_results`` table (service by service, communities in fid order)."""
    comm = inputs.communities
    n, services = len(comm), list(options.services)
    if not services:
        table = pd.DataFrame()
        table.index = pd.Index(np.arange(1, 1, dtype=np.int64), name="fid")
        return table
    rows = np.tile(np.arange(n), len(services))
    nearest = np.concatenate([d.nearest_m[s] for s in services])
    fid = np.concatenate([d.nearest_fid[s] for s in services]).astype(np.int64)
    required = np.repeat(np.array([options.required_m[s] for s in services], dtype=float), n)
    table = pd.DataFrame({
        "community_fid": comm.index.to_numpy(np.int64)[rows],
        "community": _repeated(comm["name"], rows),
        "service": _constant_strings(services, n),
        "mode": _constant_strings([options.mode] * len(services), n),
        "nearest_m": nearest,
        "nearest_facility_fid": pd.arrays.IntegerArray(np.where(fid >= 0, fid, 0), fid < 0),
        "snap_m": np.concatenate([d.snap_m[s] for s in services]),
        "required_level": _constant_strings([options.required_level.get(s) for s in services], n),
        "required_m": required,
        "covered": np.nan_to_num(nearest, nan=np.inf) <= required,
        **{c: pd.array(comm[c], dtype="Int64").take(rows) for c in POP_COLUMNS},
        "flag": pd.array(np.concatenate([d.flags[s] for s in services]), dtype="str"),
    })
    table.index = pd.Index(np.arange(1, len(table) + 1, dtype=np.int64), name="fid")
    return table


def _weights(comm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Population columns as floats (unknown → 0) and whether each is known."""
    values = np.zeros((len(comm), len(POP_COLUMNS)))
    known = np.zeros((len(comm), len(POP_COLUMNS)), dtype=bool)
    for j, col in enumerate(POP_COLUMNS):
        series = comm[col]
        if not isinstance(series.dtype, pd.Int64Dtype):
            series = pd.to_numeric(series, errors="coerce")
        known[:, j] = series.notna().to_numpy()
        values[:, j] = series.fillna(0).to_numpy(dtype=float)
    return values, known


def _units(comm: pd.DataFrame, unit_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Each community's unit (codes into the sorted unit labels) and the labels."""
    if unit_type == "city":
        return np.zeros(len(comm), dtype=np.int64), np.array(["city"], dtype=object)
    if unit_type == "community":
        labels = np.array([f"{n} ({f})" for n, f in zip(comm["name"], comm.index)], dtype=object)
        return np.arange(len(comm)), labels
    column = comm[unit_type]
    if isinstance(column.dtype, pd.StringDtype):  # factorise the (Arrow) strings, then name the few
        codes, uniques = pd.factorize(column)
        names = [UNASSIGNED if v is pd.NA or v != v or v == "" else str(v) for v in uniques]
        names += [UNASSIGNED] if (codes < 0).any() else []  # code -1 (missing) picks this last one
        labels = sorted(set(names))
        where = np.searchsorted(np.array(labels, dtype=object), np.array(names, dtype=object))
        return where[codes], np.array(labels, dtype=object)
    values = column.astype("string").fillna(UNASSIGNED).replace("", UNASSIGNED)
    return pd.factorize(values.to_numpy(dtype=object), sort=True)


def _sums(codes: np.ndarray, k: int, x: np.ndarray) -> np.ndarray:
    """Column sums of ``x`` per unit (every unit ``0 … k-1`` has a community)."""
    if k == 1:
        return x.sum(axis=0, keepdims=True)
    order = np.argsort(codes, kind="stable")
    return np.add.reduceat(x[order], np.searchsorted(codes[order], np.arange(k)), axis=0)


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
    n, nl = len(comm), len(levels)
    # per community, one column each (sums of whole numbers: exact in any order):
    # count, the 3 populations, 0–3 known; per service: flagged, covered per level,
    # covered population per level and population column
    per = 1 + nl + 3 * nl
    parts = [np.ones((n, 1)), weights, known[:, 2:3].astype(float)]
    for service in options.services:
        nearest = np.nan_to_num(d.nearest_m[service], nan=np.inf)
        hit = (nearest[:, None] <= levels[None, :]).astype(float)  # communities × levels
        parts += [(d.flags[service] != "ok").astype(float)[:, None], hit,
                  (hit[:, :, None] * weights[:, None, :]).reshape(n, 3 * nl)]
    x = np.concatenate(parts, axis=1)
    services = list(options.services)
    ns = len(services)
    columns: dict[str, list] = {name: [] for name in SUMMARY_COLUMNS}  # one frame at the end
    for unit_type in units if ns and nl else ():
        codes, labels = _units(comm, unit_type)
        k = len(labels)
        sums = _sums(codes, k, x)
        # rows service by service, level by level, unit by unit: arrays (services, levels, units)
        shape = (ns, nl, k)
        block = sums[:, 5:].reshape(k, ns, per)
        flagged = np.broadcast_to(block[:, :, 0].T[:, None, :], shape)
        covered_n = block[:, :, 1:1 + nl].transpose(1, 2, 0)
        covered_pop = block[:, :, 1 + nl:].reshape(k, ns, nl, 3).transpose(1, 2, 0, 3)
        columns["unit_type"].append(np.full(ns * nl * k, unit_type, dtype=object))
        columns["unit"].append(np.tile(np.asarray(labels, dtype=object), ns * nl))
        columns["service"].append(np.repeat(np.array(services, dtype=object), nl * k))
        columns["level_m"].append(np.broadcast_to(levels[None, :, None], shape).ravel())
        columns["communities"].append(np.broadcast_to(sums[:, 0], shape).ravel().astype(np.int64))
        columns["covered_communities"].append(covered_n.ravel().astype(np.int64))
        columns["flagged"].append(flagged.ravel().astype(np.int64))
        for j, col in enumerate(("population", "pop_60plus", "pop_0_3")):
            total = np.broadcast_to(sums[:, 1 + j], shape).ravel()
            cov = covered_pop[..., j].ravel()
            columns[col].append(total.astype(np.int64))
            columns[f"{col}_covered"].append(cov.astype(np.int64))
            with np.errstate(invalid="ignore", divide="ignore"):
                columns[f"{col}_share"].append(np.where(total > 0, cov / total, np.nan))
        columns["pop_0_3_known"].append(np.broadcast_to(sums[:, 4], shape).ravel().astype(np.int64))
    if not columns["unit"]:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})


def gap_list(inputs: CoverageInputs, table: pd.DataFrame) -> pd.DataFrame:
    """Community × service pairs not covered at the required level, most residents first,
    with the community's bounds (to zoom to it)."""
    rows = np.flatnonzero(~table["covered"].to_numpy(dtype=bool))
    fid = table["community_fid"].to_numpy()[rows]
    population = pd.array(table["population"], dtype="Int64")[rows]
    unknown = population.isna()
    most = -population.to_numpy(dtype=np.int64, na_value=0)
    rows = rows[np.lexsort((fid, most, unknown))]  # stable: as sort_values(kind="stable")
    keep = ["community_fid", "community", "service", "nearest_m", "required_m", "population",
            "pop_60plus", "pop_0_3", "flag"]
    pos = inputs.communities.index.get_indexer(table["community_fid"].to_numpy()[rows])
    bounds = inputs.bounds[pos] if len(pos) else np.empty((0, 4))
    columns = {c: table[c].array.take(rows) for c in keep}
    columns.update({c: bounds[:, j] for j, c in enumerate(("minx", "miny", "maxx", "maxy"))})
    return pd.DataFrame(columns)
