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


def facilities_inside(facilities, outline, members: pd.DataFrame | None = None) -> pd.Series:
    """Number of open facilities per service inside ``outline`` (or naming a member)."""
    if facilities is None or not len(facilities) or outline is None or outline.is_empty:
        return pd.Series(dtype="int64")
    fac = facilities
    if "status" in fac.columns:
        fac = fac[fac["status"].astype(object).fillna("existing") != "closed"]
    inside = shapely.intersects(outline, fac.geometry.to_numpy())
    if members is not None and "community" in fac.columns and "name" in members.columns:
        inside |= fac["community"].isin(set(members["name"].dropna())).to_numpy(bool)
    return fac.loc[inside, "service"].value_counts().astype("int64")


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
