"""Which communities each candidate parcel would cover, on walking distances.

The coverage engine does the work: one coverage run of the service (existing
facilities) gives the routing graph with the communities' virtual nodes and which
communities are covered today; each candidate is snapped and hung on that graph
exactly as a facility would be (:func:`layers.coverage.snap.attach`), and limited
Dijkstra searches from the ends of the pieces candidates stand on give the distance
from every candidate to every community origin. A community is covered by a
candidate when that walk is within the service's required level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from layers.coverage.inputs import CoverageInputs, inputs_from_project
from layers.coverage.options import resolve_options
from layers.coverage.run import coverage
from layers.coverage.snap import attach, snap_points
from layers.errors import ProjectError, T

WEIGHTS = {None: "population", "population": "population", "60plus": "pop_60plus",
           "0_3": "pop_0_3", "communities": None}
CHUNK = 64  # search sources per Dijkstra call (memory: CHUNK × graph nodes floats)


@dataclass
class CoverageMatrix:
    """Candidates (rows) × communities (columns) of one service at its required level."""

    service: str
    required_m: float
    candidates: np.ndarray  # parcel fids, row order
    communities: pd.DataFrame  # the coverage inputs' table (index community fid)
    covers: csr_matrix  # bool
    existing_covered: np.ndarray  # per community: covered by existing facilities today
    existing_nearest_m: np.ndarray
    testable: np.ndarray  # per community: reached the street network
    candidate_snapped: np.ndarray  # per candidate: within the maximum snap distance
    notes: list[T] = field(default_factory=list)

    def weights(self, weight: str | None = None) -> np.ndarray:
        """Residents per community (``60plus``, ``0_3``; ``communities`` counts each as 1);
        missing counts are 0."""
        if weight not in WEIGHTS:
            raise ProjectError(T(f"unknown weight {weight!r}", f"未知的权重 {weight!r}"),
                               "siting option --weight",
                               T("use 60plus, 0_3 or leave it out (all residents)",
                                 "请使用 60plus、0_3，或不设（全部居民）"))
        column = WEIGHTS[weight]
        if column is None:
            return np.ones(len(self.communities))
        return pd.to_numeric(self.communities[column], errors="coerce").fillna(0).to_numpy(float)

    def covered_by(self, rows) -> np.ndarray:
        """Per community: covered by existing facilities or by any of the candidate rows."""
        out = self.existing_covered.copy()
        rows = list(rows)
        if rows:
            out[self.covers[rows].indices] = True
        return out

    def row_of(self, parcel_fid: int) -> int:
        hits = np.flatnonzero(self.candidates == int(parcel_fid))
        if not len(hits):
            raise ProjectError(T(f"parcel {parcel_fid} is not a candidate", f"地块 {parcel_fid} 不是候选地块"),
                               f"parcel fid {parcel_fid}",
                               T("choose a candidate parcel", "请选择候选地块"))
        return int(hits[0])


def candidate_points(parcels) -> np.ndarray:
    """A point inside each parcel (its representative point)."""
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    out = geoms.copy()
    poly = ~shapely.is_missing(out) & (shapely.get_type_id(out) != 0)
    out[poly] = shapely.point_on_surface(out[poly])
    return out


def coverage_matrix(inputs: CoverageInputs, options, service: str, points: np.ndarray,
                    fids: np.ndarray, net=None) -> CoverageMatrix:
    """The coverage sets of candidates at ``points`` (ids ``fids``) for ``service``."""
    if service not in options.services:
        raise ValueError(f"{service} is not in the run's services")
    first = coverage(inputs, options, net=net)
    d = first.distances
    graph = d.graph
    required = float(options.required_m[service])
    nearest = d.nearest_m[service]
    existing = np.nan_to_num(nearest, nan=np.inf) <= required
    notes = list(first.notes)
    snapped = snap_points(graph.index, np.asarray(points, dtype=object), options.max_snap_m)
    left, right, wl, wr = attach(graph.index, graph.chains, snapped)
    ok = np.flatnonzero((left >= 0) & (np.minimum(wl, wr) <= required))
    n_comm = len(inputs.communities)
    origin_ok = np.flatnonzero(graph.origin_node >= 0)
    onode = graph.origin_node[origin_ok]
    oleg = d.origins.snap_m[origin_ok]
    ocomm = inputs.communities.index.get_indexer(inputs.origin_community[origin_ok])
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    if len(ok) and len(origin_ok):
        ends, inverse = np.unique(np.concatenate([left[ok], right[ok]]), return_inverse=True)
        at_origin = np.empty((len(ends), len(onode)))
        for start in range(0, len(ends), CHUNK):
            block = dijkstra(graph.base, directed=True, indices=ends[start:start + CHUNK],
                             limit=required)
            at_origin[start:start + CHUNK] = block[:, onode] + oleg
        li, ri = inverse[:len(ok)], inverse[len(ok):]
        walk = np.minimum(wl[ok, None] + at_origin[li], wr[ok, None] + at_origin[ri])
        hit_c, hit_o = np.nonzero(walk <= required)
        pairs = np.unique(np.stack([ok[hit_c], ocomm[hit_o]], axis=1), axis=0)
        rows.append(pairs[:, 0])
        cols.append(pairs[:, 1])
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    covers = csr_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=(len(fids), n_comm))
    lost = ~snapped.ok
    if lost.any():
        notes.append(T(f"{int(lost.sum())} candidate parcel(s) lie more than {options.max_snap_m:g} m "
                       f"from every street and cover nothing: fid "
                       f"{', '.join(map(str, np.asarray(fids)[lost][:10]))}",
                       f"{int(lost.sum())} 个候选地块距最近道路超过 {options.max_snap_m:g} 米，不覆盖任何小区："
                       f"要素 {', '.join(map(str, np.asarray(fids)[lost][:10]))}"))
    return CoverageMatrix(service, required, np.asarray(fids, dtype=np.int64), inputs.communities,
                          covers, existing, nearest, ~d.far, snapped.ok, notes)


def project_matrix(project, service: str, candidate_fids=None, *, parcels: str | None = None,
                   communities: str | None = None, facilities: str | None = None,
                   streets: str | None = None, **params) -> CoverageMatrix:
    """:func:`coverage_matrix` of a project's parcels (all of them unless ``candidate_fids``).

    Raises
    ------
    ProjectError
        Unknown service, no communities, facilities, parcels or streets.
    """
    from layers.siting.candidates import parcels_frame

    options = resolve_options(project.standards(), [service], None, "network", **params)
    frame = parcels_frame(project, parcels)
    if candidate_fids is not None:
        frame = frame.loc[[int(f) for f in candidate_fids]]
    inputs = inputs_from_project(project, communities, facilities, streets, None, options.statuses)
    return coverage_matrix(inputs, options, service, candidate_points(frame),
                           frame.index.to_numpy(np.int64))
