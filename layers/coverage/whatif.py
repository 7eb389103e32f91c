"""Live what-if: keep the distance fields and update them when one facility changes.

Adding a facility runs one limited Dijkstra from the two ends of the street piece it
stands on and keeps, per node, the smaller of the stored and the new distance.
Deleting one re-solves only the nodes it served (its Voronoi cell): every other
node keeps its distance, and the cell is searched again seeded from its border,
whose distances come from the other facilities. A move is a deletion and an
addition. The graph itself never changes (a new facility hangs on piece ends
rather than on a new node), so nothing is rebuilt. ``recompute()`` runs the full
search for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from layers.coverage.aggregate import gap_list, results_table, summarise
from layers.coverage.engine import Distances, _fill_service, _service_notes
from layers.coverage.inputs import inputs_from_project
from layers.coverage.options import resolve_options
from layers.coverage.run import coverage
from layers.coverage.snap import Snapped, attach, snap_points
from layers.errors import T


@dataclass
class _Facility:
    service: str
    point: object
    edge: int
    pos: float
    snap_m: float
    left: int
    right: int
    wl: float
    wr: float


class CoverageSession:
    """Coverage of a project kept up to date as facilities are added, moved or deleted.

    Examples
    --------
    >>> import shapely
    >>> from layers.demo import example_project
    >>> session = CoverageSession(example_project(), "elder_care")
    >>> session.table()["covered"].tolist()  # 东湖, 西湖 near the station; 南湖 1 km away
    [True, True, False]
    >>> session.move_facility(1, shapely.Point(528_950, 3_396_995))  # to 南湖's end
    True
    >>> session.table()["covered"].tolist(), session.table()["nearest_m"].round(1).tolist()
    ([False, False, True], [965.0, 845.0, 165.0])
    """

    def __init__(self, project, services=None, levels=None, *, communities: str | None = None,
                 facilities: str | None = None, streets: str | None = None,
                 gates: str | None = None, **params) -> None:
        self.project = project
        self._names = (communities, facilities, streets, gates)
        self.options = resolve_options(project.standards(), services, levels, "network", **params)
        self.layer = project.layer(facilities) if facilities else project.layers_of_kind("facilities")[0]
        self.inputs = inputs_from_project(project, communities, facilities, streets, gates,
                                          self.options.statuses)
        first = coverage(self.inputs, self.options)
        self.d: Distances = first.distances
        self.graph = self.d.graph
        self._registry: dict[int, _Facility] = {}
        snapped = self.d.facilities
        for k, fid in enumerate(self.d.fac_fid):
            if snapped.ok[k]:
                self._registry[int(fid)] = _Facility(
                    str(self.d.fac_service[k]), self.d.fac_points[k], int(snapped.edge[k]),
                    float(snapped.pos[k]), float(snapped.snap_m[k]), int(self.graph.leaf_left[k]),
                    int(self.graph.leaf_right[k]), float(self.graph.leaf_wl[k]),
                    float(self.graph.leaf_wr[k]))
        self.notes: list[T] = list(first.notes)
        self._connected = False

    # --- results ------------------------------------------------------------------------
    def table(self):
        return results_table(self.inputs, self.options, self.d)

    def summary(self):
        return summarise(self.inputs, self.options, self.d)

    def gaps(self):
        return gap_list(self.inputs, self.table())

    def service_areas(self):
        from layers.coverage.areas import service_areas

        self._sync_facility_arrays()
        return service_areas(self.d, self.options, self.inputs.crs)

    def recompute(self):
        """A full, independent run on the project as it is now (for checks)."""
        comm, fac, streets, gates = self._names
        opts = self.options
        inputs = inputs_from_project(self.project, comm, fac, streets, gates, opts.statuses)
        return coverage(inputs, opts)

    # --- edits ----------------------------------------------------------------------------
    def add_facility(self, fid: int, point, service: str) -> bool:
        """Count a new facility; False when its service is not tested or it is off the network."""
        fid = int(fid)
        if fid in self._registry:
            self.delete_facility(fid)
        if service not in self.options.services:
            return False
        index = self.graph.index
        snapped = snap_points(index, np.array([point], dtype=object), self.options.max_snap_m)
        if not snapped.ok[0]:
            self.notes.append(T(f"facility {fid} lies more than {self.options.max_snap_m:g} m from "
                                "every street and is not counted",
                                f"设施 {fid} 距最近道路超过 {self.options.max_snap_m:g} 米，未计入"))
            self.d.partial = True
            return False
        left, right, wl, wr = attach(index, self.graph.chains, snapped)
        fac = _Facility(service, point, int(snapped.edge[0]), float(snapped.pos[0]),
                        float(snapped.snap_m[0]), int(left[0]), int(right[0]), float(wl[0]),
                        float(wr[0]))
        self._registry[fid] = fac
        field = self.d.fields[service]
        reach = self._reach(fac)
        better = reach < field.dist
        field.dist[better] = reach[better]
        field.src[better] = fid
        self._refresh(service)
        return True

    def delete_facility(self, fid: int) -> bool:
        """Stop counting a facility; re-solve only the nodes it served."""
        fac = self._registry.pop(int(fid), None)
        if fac is None:
            return False
        field = self.d.fields[fac.service]
        cell = np.flatnonzero(field.src == int(fid))
        if len(cell):
            dist, src = self._resolve_cell(cell, field.dist, field.src, fac.service)
            field.dist[cell], field.src[cell] = dist, src
        self._refresh(fac.service)
        return True

    def move_facility(self, fid: int, point) -> bool:
        fac = self._registry.get(int(fid))
        service = fac.service if fac is not None else self._service_of(fid)
        self.delete_facility(fid)
        return self.add_facility(fid, point, service) if service else False

    # --- the project's facility layer, live ------------------------------------------------
    def connect(self) -> None:
        """Follow edits of the facilities layer (add, move, delete, change service or status)."""
        if not self._connected:
            self.layer.events.connect(self._on_layer)
            self._connected = True

    def disconnect(self) -> None:
        if self._connected:
            self.layer.events.disconnect(self._on_layer)
            self._connected = False

    def _on_layer(self, event) -> None:
        if event.type != "data":
            return
        change, fids = event.info.get("change"), event.info.get("fids")
        if change == "reset" or fids is None:
            self.__init__(self.project, self.options.services, self.options.levels_m,
                          communities=self._names[0], facilities=self._names[1],
                          streets=self._names[2], gates=self._names[3])
            return
        gdf = self.layer.gdf
        for fid in fids:
            if change == "deleted" or fid not in gdf.index:
                self.delete_facility(fid)
                continue
            row = gdf.loc[fid]
            status = row.get("status")
            status = "existing" if status is None or status != status else str(status)
            if status not in self.options.statuses:
                self.delete_facility(fid)
            else:
                point = shapely.point_on_surface(row.geometry) if row.geometry.geom_type != "Point" \
                    else row.geometry
                self.add_facility(fid, point, str(row.get("service")))

    def _service_of(self, fid: int) -> str | None:
        gdf = self.layer.gdf
        return str(gdf.at[int(fid), "service"]) if int(fid) in gdf.index else None

    # --- the searches ---------------------------------------------------------------------
    def _reach(self, fac: _Facility) -> np.ndarray:
        limit = self.options.search_limit_m
        reach = np.full(self.graph.n_nodes, np.inf)
        start = min(fac.wl, fac.wr)
        if start > limit:
            return reach
        rows = dijkstra(self.graph.matrix, directed=True, indices=[fac.left, fac.right],
                        limit=limit - start)
        reach = np.minimum(fac.wl + rows[0], fac.wr + rows[1])
        reach[reach > limit] = np.inf
        return reach

    def _resolve_cell(self, cell: np.ndarray, dist: np.ndarray, src: np.ndarray, service: str):
        """Distances in ``cell`` from the other facilities, seeded across its border."""
        matrix = self.graph.matrix
        n = matrix.shape[0]
        local = np.full(n, -1, dtype=np.int64)
        local[cell] = np.arange(len(cell))
        rows = matrix[cell].tocoo()
        a, b, w = rows.row, rows.col, rows.data
        inside = local[b] >= 0
        # edges within the cell
        ia, ib, iw = a[inside], local[b[inside]], w[inside]
        # seeds: the best way in per cell node, from outside the cell or from a facility
        # standing on a piece that ends in it (facilities added here have no node)
        oa, ob, ow = a[~inside], b[~inside], w[~inside]
        seed = dist[ob] + ow
        seed_src = src[ob]
        facs = [f for fid, f in self._registry.items() if f.service == service]
        fids = np.array([fid for fid, f in self._registry.items() if f.service == service],
                        dtype=np.int64)
        ends = np.array([f.left for f in facs] + [f.right for f in facs], dtype=np.int64)
        end_w = np.array([f.wl for f in facs] + [f.wr for f in facs], dtype=float)
        hit = local[ends] >= 0 if len(ends) else np.zeros(0, dtype=bool)
        oa = np.concatenate([cell[oa], ends[hit]]) if len(oa) else ends[hit]
        seed = np.concatenate([seed, end_w[hit]])
        seed_src = np.concatenate([seed_src, np.concatenate([fids, fids])[hit]])
        oa = local[oa]
        ok = np.isfinite(seed) & (seed <= self.options.search_limit_m)
        oa, seed, seed_src = oa[ok], seed[ok], seed_src[ok]
        order = np.lexsort((seed, oa))
        oa, seed, seed_src = oa[order], seed[order], seed_src[order]
        first = np.ones(len(oa), dtype=bool)
        first[1:] = oa[1:] != oa[:-1]
        oa, seed, seed_src = oa[first], seed[first], seed_src[first]
        k, m = len(cell), len(oa)
        if not m:
            return np.full(k, np.inf), np.full(k, -1, dtype=np.int64)
        leaves = k + np.arange(m)
        r = np.concatenate([ia, leaves])
        c = np.concatenate([ib, oa])
        graph = csr_matrix((np.concatenate([iw, seed]), (r, c)), shape=(k + m, k + m))
        d, _pred, s = dijkstra(graph, directed=True, indices=leaves, min_only=True,
                               limit=self.options.search_limit_m, return_predecessors=True)
        d = d[:k]
        s = s[:k]
        new_src = np.where(s >= 0, seed_src[np.maximum(s - k, 0)], -1)
        new_src[~np.isfinite(d)] = -1
        return d, new_src

    # --- bookkeeping -----------------------------------------------------------------------
    def _refresh(self, service: str) -> None:
        has = any(f.service == service for f in self._registry.values())
        _fill_service(self.d, self.inputs, self.options, service, has)
        self.d.notes = [n for n in self.d.notes if not n.en.startswith(service)]
        _service_notes(self.d, self.options)

    def _sync_facility_arrays(self) -> None:
        items = list(self._registry.items())
        self.d.fac_fid = np.array([f for f, _ in items], dtype=np.int64)
        self.d.fac_service = np.array([x.service for _, x in items], dtype=object)
        self.d.fac_points = np.array([x.point for _, x in items], dtype=object)
        self.d.facilities = Snapped(np.array([x.edge for _, x in items], dtype=np.int64),
                                    np.array([x.pos for _, x in items], dtype=float),
                                    np.array([x.snap_m for _, x in items], dtype=float))
