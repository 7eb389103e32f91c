"""What changed between two schemes, the way a reviewer asks.

* communities moved between precincts: ``fid``, name, from, to (the ``precinct`` column of
  the communities, compared by fid; communities only on one side are counted apart);
* precincts added and removed (by name);
* coverage per service: residents covered at each life-circle level and at the required
  level, from each side's ``coverage_results`` (``None``: not computed on that side);
* cost and funding: totals by payer of :func:`layers.programme.precinct_splits`;
* pipeline conflicts opened and closed, by category (open = status ``open``; keyed by
  ``conflict_id``, which names the pair of features, so a re-run keeps it).

The comparison is pandas keyed by fid (or conflict id) on the two projects in memory. A
changeset library (pygeodiff, MIT) diffs two GeoPackage files table by table; here only
one column of one table is compared row by row and the rest are aggregates of derived
tables (coverage, funding, conflicts), and the "current" side is not a file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from layers.errors import ProjectError

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

MOVED_COLUMNS = ["fid", "name", "from_precinct", "to_precinct"]
COVERAGE_COLUMNS = ["service", "level_m", "required_level", "residents_a", "residents_b",
                    "change"]
FUNDING_COLUMNS = ["payer", "a_yuan", "b_yuan", "change_yuan"]
CONFLICT_COLUMNS = ["category", "open_a", "open_b", "opened", "closed"]
CONFLICT_ROW_COLUMNS = ["conflict_id", "category", "conflict_type", "street", "change"]


@dataclass
class SchemeDiff:
    a: str
    b: str
    moved: pd.DataFrame
    communities_added: list[int] = field(default_factory=list)
    communities_removed: list[int] = field(default_factory=list)
    precincts_added: list[str] = field(default_factory=list)
    precincts_removed: list[str] = field(default_factory=list)
    coverage: pd.DataFrame | None = None  # None: computed on neither side
    coverage_computed: tuple[bool, bool] = (False, False)
    funding: pd.DataFrame | None = None
    funding_computed: tuple[bool, bool] = (False, False)
    conflicts: pd.DataFrame | None = None
    conflict_changes: pd.DataFrame | None = None
    conflicts_computed: tuple[bool, bool] = (False, False)


def _first(project: Project, kind: str):
    found = project.layers_of_kind(kind)
    return found[0] if found else None


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


# --- communities and precincts ----------------------------------------------------------
def moved_communities(a: Project, b: Project) -> tuple[pd.DataFrame, list[int], list[int]]:
    """Communities whose precinct differs (by fid), and the fids only in b / only in a."""
    la, lb = _first(a, "communities"), _first(b, "communities")
    if la is None or lb is None:
        return pd.DataFrame(columns=MOVED_COLUMNS), [], []
    ga, gb = la.gdf, lb.gdf
    both = ga.index.intersection(gb.index)
    pa = ga.loc[both, "precinct"] if "precinct" in ga else pd.Series(None, index=both)
    pb = gb.loc[both, "precinct"] if "precinct" in gb else pd.Series(None, index=both)
    old = [_text(v) for v in pa]
    new = [_text(v) for v in pb]
    rows = [(int(fid), _text(gb.at[fid, "name"]) if "name" in gb else None, o, n)
            for fid, o, n in zip(both, old, new, strict=True) if o != n]
    moved = pd.DataFrame(rows, columns=MOVED_COLUMNS)
    added = sorted(int(f) for f in gb.index.difference(ga.index))
    removed = sorted(int(f) for f in ga.index.difference(gb.index))
    return moved, added, removed


def precinct_names(project: Project) -> set[str]:
    layer = _first(project, "precincts")
    if layer is not None and "name" in layer.gdf:
        return {str(v) for v in layer.gdf["name"] if not _missing(v)}
    comm = _first(project, "communities")
    if comm is None or "precinct" not in comm.gdf:
        return set()
    return {str(v) for v in comm.gdf["precinct"] if not _missing(v)}


# --- coverage ---------------------------------------------------------------------------
def covered_residents(project: Project) -> dict[tuple[str, float | None], int] | None:
    """Residents covered per (service, level in m) and (service, None) = at the required
    level, from the project's coverage results; None when it has none."""
    from layers.coverage.options import parse_levels

    layer = _first(project, "coverage_results")
    if layer is None or len(layer) == 0:
        return None
    df = layer.df
    levels, _keys = parse_levels(None, project.standards())
    out: dict[tuple[str, float | None], int] = {}
    population = pd.to_numeric(df["population"], errors="coerce").fillna(0).to_numpy(float)
    nearest = pd.to_numeric(df["nearest_m"], errors="coerce").fillna(np.inf).to_numpy(float)
    covered = df["covered"].astype("boolean").fillna(False).to_numpy(bool)
    services = df["service"].astype(str).to_numpy()
    for service in dict.fromkeys(services):
        mine = services == service
        for level in levels:
            out[(service, float(level))] = int(population[mine & (nearest <= level)].sum())
        out[(service, None)] = int(population[mine & covered].sum())
    return out


def coverage_change(a: Project, b: Project) -> tuple[pd.DataFrame | None, tuple[bool, bool]]:
    ca, cb = covered_residents(a), covered_residents(b)
    if ca is None and cb is None:
        return None, (False, False)
    keys = list(dict.fromkeys([*(ca or {}), *(cb or {})]))
    services = list(dict.fromkeys(k[0] for k in keys))
    keys.sort(key=lambda k: (services.index(k[0]), np.inf if k[1] is None else k[1]))
    rows = []
    for service, level in keys:
        va = None if ca is None else ca.get((service, level))
        vb = None if cb is None else cb.get((service, level))
        change = None if va is None or vb is None else vb - va
        rows.append((service, level, level is None, va, vb, change))
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS), (ca is not None, cb is not None)


# --- funding ----------------------------------------------------------------------------
def _fingerprint(project: Project, fid: int, settings: str) -> str:
    """What one community's funding split reads: the settings, its row (but its precinct),
    its programme items and its coverage results."""
    h = hashlib.sha1(f"{fid}:{settings}".encode())
    comm = _first(project, "communities").gdf
    row = comm.loc[fid].drop(labels=["precinct"], errors="ignore")
    h.update(repr(row.drop(labels=["geometry"], errors="ignore").to_dict()).encode())
    if "geometry" in row and row["geometry"] is not None:
        h.update(row["geometry"].wkb)
    for kind in ("programme_items", "coverage_results"):
        layer = _first(project, kind)
        if layer is None:
            h.update(b"-")
            continue
        df = layer.df
        if kind == "coverage_results":  # the pilot check reads only which services are met
            df = df[[c for c in ("community_fid", "service", "covered") if c in df]]
        mine = df[df["community_fid"] == fid] if "community_fid" in df else df.iloc[:0]
        h.update(f"{kind}:{len(df) > 0}:".encode() + mine.to_json(default_handler=str).encode())
    return h.hexdigest()


def funding_totals(project: Project, cache: dict[str, Any] | None = None
                   ) -> dict[str, float] | None:
    """Total cost and the amount of each payer over all communities (None when the project
    has no communities); ``cache`` reuses the split of a community whose inputs are equal."""
    from layers.programme import PAYERS, community_split

    if _first(project, "communities") is None:
        return None
    cache = {} if cache is None else cache
    settings = json.dumps(project.settings, sort_keys=True, default=str)
    totals = dict.fromkeys(["total", *PAYERS], 0.0)
    try:
        for fid in _first(project, "communities").gdf.index:
            key = _fingerprint(project, int(fid), settings)
            if key not in cache:
                cache[key] = community_split(project, int(fid))
            split = cache[key]
            totals["total"] += split.total
            for payer in PAYERS:
                totals[payer] += split.amounts.get(payer, 0.0)
    except ProjectError:
        return None
    return totals


def funding_change(a: Project, b: Project) -> tuple[pd.DataFrame | None, tuple[bool, bool]]:
    cache: dict[str, Any] = {}
    fa, fb = funding_totals(a, cache), funding_totals(b, cache)
    if fa is None and fb is None:
        return None, (False, False)
    payers = list(fa or fb or {})
    rows = []
    for payer in payers:
        va = None if fa is None else round(fa[payer], 2)
        vb = None if fb is None else round(fb[payer], 2)
        rows.append((payer, va, vb, None if va is None or vb is None else round(vb - va, 2)))
    return pd.DataFrame(rows, columns=FUNDING_COLUMNS), (fa is not None, fb is not None)


# --- conflicts --------------------------------------------------------------------------
def _open_conflicts(project: Project) -> pd.DataFrame | None:
    layer = _first(project, "conflicts")
    if layer is None:
        return None
    gdf = pd.DataFrame(layer.gdf.drop(columns="geometry"))
    return gdf[gdf["status"].astype(str) == "open"].set_index("conflict_id", drop=False)


def conflict_change(a: Project, b: Project
                    ) -> tuple[pd.DataFrame | None, pd.DataFrame | None, tuple[bool, bool]]:
    from layers.kinds import CONFLICT_CATEGORIES

    oa, ob = _open_conflicts(a), _open_conflicts(b)
    if oa is None and ob is None:
        return None, None, (False, False)
    empty = pd.DataFrame(columns=["conflict_id", "category", "conflict_type", "street"])
    ea = oa if oa is not None else empty.set_index("conflict_id", drop=False)
    eb = ob if ob is not None else empty.set_index("conflict_id", drop=False)
    opened = eb.loc[eb.index.difference(ea.index)]
    closed = ea.loc[ea.index.difference(eb.index)]
    rows = []
    categories = list(CONFLICT_CATEGORIES) + sorted(
        {str(c) for c in [*ea["category"], *eb["category"]] if str(c) not in CONFLICT_CATEGORIES})
    for cat in categories:
        rows.append((cat, None if oa is None else int((ea["category"] == cat).sum()),
                     None if ob is None else int((eb["category"] == cat).sum()),
                     int((opened["category"] == cat).sum()), int((closed["category"] == cat).sum())))
    changes = pd.concat([opened.assign(change="opened"), closed.assign(change="closed")])
    changes = changes.reindex(columns=CONFLICT_ROW_COLUMNS).reset_index(drop=True)
    return (pd.DataFrame(rows, columns=CONFLICT_COLUMNS), changes,
            (oa is not None, ob is not None))


def diff_projects(a: Project, b: Project, name_a: str = "A", name_b: str = "B") -> SchemeDiff:
    """Everything that changed from ``a`` to ``b``."""
    moved, added, removed = moved_communities(a, b)
    pa, pb = precinct_names(a), precinct_names(b)
    coverage, cov_on = coverage_change(a, b)
    funding, fund_on = funding_change(a, b)
    conflicts, conflict_rows, conf_on = conflict_change(a, b)
    return SchemeDiff(name_a, name_b, moved, added, removed, sorted(pb - pa), sorted(pa - pb),
                      coverage, cov_on, funding, fund_on, conflicts, conflict_rows, conf_on)
