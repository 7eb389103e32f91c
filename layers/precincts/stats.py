"""Statistics and warnings per precinct (GUI-free).

One row per precinct: communities, households, population, residents 60+ and
0–3, area, share of communities built before 2000, open facilities inside by
service, coverage share per service where computed, the status of the shared
services, and warnings (not contiguous in the adjacency graph, by the project's
default rule unless one is given; outside the population limits, by default the
complete-community rows of the standards).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.precincts.adjacency import Adjacency, default_gap_m
from layers.precincts.outline import outlines
from layers.precincts.services import (
    SHARED_SERVICES,
    coverage_shares,
    facilities_inside,
    missing_services,
    open_facilities,
    service_status,
)

OLD_BEFORE = 2000


@dataclass(frozen=True)
class Limits:
    """Population (or household) limits of a precinct; ``maximum`` None for no ceiling."""

    minimum: float | None = 5000
    maximum: float | None = 12000
    weight: str = "population"

    @classmethod
    def from_standards(cls, standards) -> Limits:
        def value(key: str, default: float) -> float:
            try:
                return float(standards.value("parameters", key, "value"))
            except Exception:
                return default

        return cls(value("complete_community_population_min", 5000),
                   value("complete_community_population_max", 12000))


def _first(project, kind: str):
    layers = project.layers_of_kind(kind)
    return layers[0] if layers else None


def communities_layer(project):
    layer = _first(project, "communities")
    if layer is None:
        from layers.errors import ProjectError, T

        raise ProjectError(T("the project has no communities layer", "项目中没有小区图层"),
                           "precincts", T("import or draw communities first", "请先导入或绘制小区"))
    return layer


def members_by_precinct(communities: pd.DataFrame) -> dict[str, np.ndarray]:
    names = communities["precinct"].astype(object)
    names = names.where(names.notna() & (names.astype(str).str.strip() != ""), None)
    out: dict[str, np.ndarray] = {}
    for name, idx in names.dropna().groupby(names.dropna()).groups.items():
        out[str(name)] = np.asarray(idx, dtype=np.int64)
    return out


def precinct_stats(project, adj: Adjacency | None = None, limits: Limits | None = None,
                   gap_m: float | None = None) -> pd.DataFrame:
    """Statistics of every precinct of ``project`` (index: precinct name).

    Example
    -------
    >>> from layers.demo import example_project
    >>> stats = precinct_stats(example_project())
    >>> int(stats.loc["片区A", "population"]), bool(stats.loc["片区A", "contiguous"])
    (1400, True)
    >>> stats.loc["片区B", "warnings"]  # one community of 500 residents is too few
    ['below_minimum']
    """
    comm = communities_layer(project).gdf
    gap = default_gap_m(project.standards()) if gap_m is None else gap_m
    limits = limits or Limits.from_standards(project.standards())
    if adj is None:
        from layers.precincts.rules import project_adjacency

        adj = project_adjacency(project, gap_m=gap)
    groups = members_by_precinct(comm)
    player = _first(project, "precincts")
    if player is not None:
        for name in player.gdf["name"].dropna().astype(str):
            groups.setdefault(name, np.empty(0, dtype=np.int64))
    shapes = outlines(comm, groups, gap)
    fac_layer = _first(project, "facilities")
    facilities = fac_layer.gdf if fac_layer is not None else None
    cov_layer = _first(project, "coverage_results")
    coverage = cov_layer.gdf if cov_layer is not None else None
    ctx = _Context(comm, adj, groups, facilities, coverage)
    rows = [ctx.row(name, fids, shapes[name], limits) for name, fids in groups.items()]
    frame = pd.DataFrame(rows, columns=list(_COLUMNS) if not rows else None)
    return frame.set_index("precinct") if len(frame) else frame.set_index("precinct")


_COLUMNS = ("precinct", "communities", "households", "population", "pop_60plus", "pop_0_3",
            "area_m2", "share_before_2000", "facilities", "coverage", "services", "missing",
            "contiguous", "warnings")
_SUMS = ("households", "population", "pop_60plus", "pop_0_3")


class _Context:
    """What every precinct's row reads, prepared once: the communities' numbers as arrays,
    the open facilities in a tree, the coverage rows, and which precincts are connected
    in the adjacency graph (one pass over its edges)."""

    def __init__(self, comm: pd.DataFrame, adj: Adjacency, groups: dict[str, np.ndarray],
                 facilities, coverage) -> None:
        self.index = comm.index
        self.values = {c: pd.to_numeric(comm[c], errors="coerce").fillna(0).to_numpy(float)
                       for c in {*_SUMS} if c in comm.columns}
        self.years = pd.to_numeric(comm["year_built"], errors="coerce").to_numpy(float) \
            if "year_built" in comm.columns else None
        self.names = comm["name"].to_numpy(object) if "name" in comm.columns else None
        self.facilities = open_facilities(facilities)
        self.coverage = coverage
        self.connected = _connected(adj, groups)

    def _sum(self, col: str, pos: np.ndarray) -> int:
        values = self.values.get(col)
        return 0 if values is None else int(values[pos].sum())

    def row(self, name: str, fids: np.ndarray, outline, limits: Limits) -> dict:
        pos = self.index.get_indexer(fids)
        known = self.years[pos][~np.isnan(self.years[pos])] if self.years is not None else \
            np.empty(0)
        members = self.names[pos] if self.names is not None else None
        fac = facilities_inside(self.facilities, outline, member_names=members)
        shares = coverage_shares(self.coverage, fids)
        status = service_status(fac, shares, self.coverage is not None)
        contiguous = self.connected.get(name, True)
        total = self._sum(limits.weight, pos)
        warnings = []
        if not len(fids):
            warnings.append("empty")
        if not contiguous:
            warnings.append("not_contiguous")
        if len(fids) and limits.minimum is not None and total < limits.minimum:
            warnings.append("below_minimum")
        if limits.maximum is not None and total > limits.maximum:
            warnings.append("above_maximum")
        return {
            "precinct": name,
            "communities": len(fids),
            **{c: self._sum(c, pos) for c in _SUMS},
            "area_m2": float(outline.area) if outline is not None else 0.0,
            "share_before_2000": float((known < OLD_BEFORE).mean()) if len(known) else None,
            "facilities": {str(k): int(v) for k, v in fac.items()},
            "coverage": shares,
            "services": status,
            "missing": missing_services(status),
            "contiguous": contiguous,
            "warnings": warnings,
        }


def _connected(adj: Adjacency, groups: dict[str, np.ndarray]) -> dict[str, bool]:
    """Per precinct: its members form one piece of the adjacency graph."""
    label = np.full(adj.n, -1, dtype=np.int64)
    names = list(groups)
    for k, name in enumerate(names):
        pos = np.searchsorted(adj.fids, np.asarray(groups[name], dtype=np.int64))
        label[pos[(pos < adj.n)]] = k
    if not len(adj.edges):
        return {n: len(groups[n]) <= 1 for n in names}
    a, b = adj.edges[:, 0], adj.edges[:, 1]
    inside = (label[a] >= 0) & (label[a] == label[b])
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    matrix = csr_matrix((np.ones(inside.sum(), dtype=bool), (a[inside], b[inside])),
                        shape=(adj.n, adj.n))
    _, comp = connected_components(matrix, directed=False)
    out = {}
    for k, name in enumerate(names):
        pieces = np.unique(comp[label == k])
        out[name] = len(pieces) <= 1
    return out


WARNING_TEXT = {
    "empty": ("no communities", "无小区"),
    "not_contiguous": ("not contiguous", "不连片"),
    "below_minimum": ("below the minimum", "低于下限"),
    "above_maximum": ("above the maximum", "超过上限"),
}

__all__ = ["Limits", "SHARED_SERVICES", "WARNING_TEXT", "communities_layer", "members_by_precinct",
           "precinct_stats"]
