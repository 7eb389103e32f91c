"""Shared services per precinct: elder care, childcare and meal points.

A service is *present* when an open facility of it lies inside the precinct
outline (or names a member community); *reachable* when every member community
is covered at the required level in the coverage results; *partial* when only
some are; *missing* when none is covered and none is present — missing for the
whole precinct, the gap to plan for together (片区共建共享). Without coverage
results a service that is not present is ``not_computed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

SHARED_SERVICES = ("elder_care", "childcare", "meal_point")
STATUSES = ("present", "reachable", "partial", "missing", "not_computed")


class OpenFacilities:
    """The facilities that are not closed, as arrays with a spatial index (prepared once
    for many precincts)."""

    def __init__(self, facilities) -> None:
        fac = facilities
        if "status" in fac.columns:
            fac = fac[fac["status"].astype(object).fillna("existing") != "closed"]
        self.service = fac["service"].astype(object).to_numpy()
        self.by_community: dict[str, list[int]] = {}
        if "community" in fac.columns:
            for i, name in enumerate(fac["community"].astype(object)):
                if isinstance(name, str):
                    self.by_community.setdefault(name, []).append(i)
        self.tree = shapely.STRtree(fac.geometry.to_numpy())

    def __len__(self) -> int:
        return len(self.service)


def open_facilities(facilities) -> OpenFacilities | None:
    return None if facilities is None or not len(facilities) else OpenFacilities(facilities)


def facilities_inside(facilities, outline, members: pd.DataFrame | None = None,
                      member_names=None) -> pd.Series:
    """Number of open facilities per service inside ``outline`` (or naming a member,
    by ``members``' names or ``member_names``); ``facilities`` a frame or
    :class:`OpenFacilities`."""
    if facilities is None or not len(facilities) or outline is None or outline.is_empty:
        return pd.Series(dtype="int64")
    fac = facilities if isinstance(facilities, OpenFacilities) else OpenFacilities(facilities)
    inside = set(fac.tree.query(outline, predicate="intersects").tolist())
    if member_names is None and members is not None and "name" in members.columns:
        member_names = members["name"].to_numpy(object)
    if member_names is not None and fac.by_community:
        for name in member_names:
            inside.update(fac.by_community.get(name, ()) if isinstance(name, str) else ())
    if not inside:
        return pd.Series(dtype="int64")
    keys, counts = np.unique(fac.service[np.fromiter(inside, dtype=np.int64)].astype(str),
                             return_counts=True)
    order = np.lexsort((keys, -counts))  # most first, as value_counts
    return pd.Series(counts[order].astype("int64"), index=keys[order])


def coverage_shares(coverage: pd.DataFrame | None, member_fids) -> dict[str, float]:
    """Share of member communities covered at the required level, per service."""
    if coverage is None or not len(coverage):
        return {}
    rows = coverage[coverage["community_fid"].isin(np.asarray(list(member_fids), dtype=np.int64))]
    if not len(rows):
        return {}
    covered = rows["covered"].astype("boolean").fillna(False).astype(bool)
    return {str(k): float(v) for k, v in covered.groupby(rows["service"]).mean().items()}


def service_status(present: pd.Series, shares: dict[str, float], coverage_known: bool,
                   services=SHARED_SERVICES) -> dict[str, str]:
    """Status of each shared service for one precinct (see the module docstring)."""
    out = {}
    for s in services:
        if int(present.get(s, 0)) > 0:
            out[s] = "present"
        elif not coverage_known or s not in shares:
            out[s] = "not_computed"
        elif shares[s] >= 1.0:
            out[s] = "reachable"
        elif shares[s] > 0:
            out[s] = "partial"
        else:
            out[s] = "missing"
    return out


def missing_services(status: dict[str, str]) -> list[str]:
    return [s for s, v in status.items() if v == "missing"]
