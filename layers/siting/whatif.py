"""What-if siting: place a candidate parcel by hand and see coverage change at once.

A :class:`~layers.coverage.CoverageSession` of the one service keeps the distance
fields; placing a parcel adds a facility at its representative point (one limited
search), removing it re-solves only what it served.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from layers.coverage import CoverageSession
from layers.siting.candidates import parcels_frame


@dataclass
class WhatIfChange:
    placed: list[int]
    communities_before: int
    communities_after: int
    residents_before: float
    residents_after: float
    residents_new: float
    weighted_new: float
    share_before: float
    share_after: float
    newly_covered: list[int]  # community fids


class SitingWhatIf:
    """Coverage of one service as parcels are placed and removed by hand.

    Examples
    --------
    >>> from layers.demo import example_project
    >>> w = SitingWhatIf(example_project(), "elder_care")
    >>> change = w.place(2)  # the idle parcel beside 南湖
    >>> change.newly_covered, change.residents_new, change.share_after
    ([3], 500.0, 1.0)
    >>> _ = w.place(1)
    >>> w.remove(2).residents_new  # parcel 1 alone, 500 m from 南湖, reaches nobody new
    0.0
    """

    def __init__(self, project, service: str, weight: str | None = None, *,
                 parcels: str | None = None, **params) -> None:
        from layers.siting.matrix import WEIGHTS

        self.parcels = parcels_frame(project, parcels)
        self.service = service
        self.session = CoverageSession(project, [service], **params)
        self.required = float(self.session.options.required_m[service])
        comm = self.session.inputs.communities
        self.population = pd.to_numeric(comm["population"], errors="coerce").fillna(0).to_numpy(float)
        column = WEIGHTS.get(weight, "population") or "population"
        self.weights = pd.to_numeric(comm[column], errors="coerce").fillna(0).to_numpy(float)
        self.before = self._covered()
        fac = self.session.layer.gdf
        self._offset = (int(fac.index.max()) if len(fac) else 0) + 1_000_000
        self.placed: list[int] = []

    def _covered(self) -> np.ndarray:
        nearest = self.session.d.nearest_m[self.service]
        return np.nan_to_num(nearest, nan=np.inf) <= self.required

    def place(self, parcel_fid: int) -> WhatIfChange:
        """Count a facility on the parcel (again: no change)."""
        fid = int(parcel_fid)
        if fid not in self.placed:
            geom = self.parcels.geometry.loc[fid]
            point = geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)
            if self.session.add_facility(self._offset + fid, point, self.service):
                self.placed.append(fid)
        return self.change()

    def remove(self, parcel_fid: int) -> WhatIfChange:
        fid = int(parcel_fid)
        if fid in self.placed:
            self.session.delete_facility(self._offset + fid)
            self.placed.remove(fid)
        return self.change()

    def clear(self) -> WhatIfChange:
        for fid in list(self.placed):
            self.remove(fid)
        return self.change()

    def change(self) -> WhatIfChange:
        after = self._covered()
        new = after & ~self.before
        pop = self.population
        total = float(pop.sum())
        comm = self.session.inputs.communities.index.to_numpy(np.int64)
        return WhatIfChange(list(self.placed), int(self.before.sum()), int(after.sum()),
                            float(pop[self.before].sum()), float(pop[after].sum()),
                            float(pop[new].sum()), float(self.weights[new].sum()),
                            float(pop[self.before].sum() / total) if total else float("nan"),
                            float(pop[after].sum() / total) if total else float("nan"),
                            [int(f) for f in comm[new]])
