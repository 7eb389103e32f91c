"""Synthetic programme inputs for the sample city, so its funding split is seen out of the
box: plausible unit costs per item, funding shares, a checklist with quantities derived from
each community's size, and five pilot communities in the city award scope with a central
subsidy and road-opening costs.

Every number here is invented for demonstration (labelled "synthetic sample" as their
source, like the rest of the city); a real project sets its own with ``precinct config`` or
the programme panel.
"""

from __future__ import annotations

import math

import pandas as pd

SOURCE = "synthetic sample: a plausible demonstration value, not a real cost or decision"

#: yuan per catalogue unit (m, m², 个, 项, 处, 盏, 台)
UNIT_COSTS = {
    "water_supply": 450, "power_supply": 600, "gas_supply": 520, "weak_current": 180, "drainage": 850,
    "access_roads": 260, "parking": 3_000, "fire_safety": 80_000, "security": 60_000, "sanitation": 15_000,
    "street_lights": 3_500, "sports_culture": 400, "greening": 180, "roof_waterproofing": 120,
    "stairwell_repair": 90, "stairwell_lighting": 600, "unit_access_control": 4_000, "facade": 260,
    "lift_addition": 550_000, "energy_retrofit": 180, "roof_greening": 300, "functional_rooms": 2_500,
    "elder_care": 3_000, "childcare": 3_000, "meal_service": 2_800, "community_governance": 20_000,
}
SHARES = {"basic_public": 0.8, "basic_residents": 0.1, "basic_property_unit": 0.1,
          "upgrade_public": 0.1, "upgrade_residents": 0.5, "upgrade_property_unit": 0.1,
          "upgrade_market": 0.3, "weak_current_shared_works": 0.6}
PILOTS = 5  # the plan: 继续完成5个以上试点


def _quantities(row) -> dict[str, float]:
    h = float(row.get("households") or 0)
    b = float(row.get("buildings") or 0)
    floors = float(row.get("floors_max") or 0)
    lifts = float(row.get("lifts") or 0)
    out = {"water_supply": 2.5 * h, "power_supply": 2.0 * h, "gas_supply": 1.5 * h,
           "weak_current": 2.0 * h, "drainage": 1.8 * h, "access_roads": 12.0 * h,
           "roof_waterproofing": 600.0 * b, "stairwell_repair": 150.0 * b,
           "street_lights": max(4.0, math.ceil(h / 25)), "fire_safety": 1.0, "security": 1.0,
           "community_governance": 1.0, "facade": 1200.0 * b}
    if floors >= 5 and lifts == 0:
        out["lift_addition"] = 2.0 * b
    return {k: round(v, 1) for k, v in out.items() if v > 0}


def checklist_rows(communities: pd.DataFrame) -> pd.DataFrame:
    """Checklist rows for the old communities (built by the end of 2000)."""
    rows = []
    for fid, row in communities.iterrows():
        year = row.get("year_built")
        if year is None or pd.isna(year) or float(year) > 2000:
            continue
        for item, qty in _quantities(row).items():
            rows.append({"community_fid": int(fid), "item": item, "selected": True, "quantity": qty,
                         "unit_cost_yuan": None, "suggested_by": "synthetic sample"})
    return pd.DataFrame(rows, columns=["community_fid", "item", "selected", "quantity", "unit_cost_yuan",
                                       "suggested_by"])


def pilot_fids(communities: pd.DataFrame) -> list[int]:
    """The oldest willing, non-shantytown communities: the sample's pilot projects."""
    frame = communities
    ok = (frame["willingness"].astype(float) >= 2 / 3) & ~frame["shantytown"].fillna(False).astype(bool)
    ok &= frame["year_built"].astype(float) <= 2000
    chosen = frame[ok].sort_values(["year_built", "willingness"], ascending=[True, False], kind="mergesort")
    return [int(f) for f in chosen.index[:PILOTS]]


def settings(communities: pd.DataFrame, checklist: pd.DataFrame) -> dict:
    """The project settings: overrides with their synthetic source, pilot inputs."""
    overrides = {"renovation_items": {k: {"unit_cost_yuan": float(v)} for k, v in UNIT_COSTS.items()},
                 "funding_shares": {k: {"share": v} for k, v in SHARES.items()}}
    sources = {f"renovation_items.{k}.unit_cost_yuan": SOURCE for k in UNIT_COSTS}
    sources.update({f"funding_shares.{k}.share": SOURCE for k in SHARES})
    pilots = pilot_fids(communities)
    programme: dict = {"award_scope": {}, "central_subsidy_yuan": {}, "extra_costs": {}}
    for fid in pilots:
        lines = checklist[checklist["community_fid"] == fid]
        basic = sum(q * UNIT_COSTS[i] for i, q in zip(lines["item"], lines["quantity"])
                    if i not in ("facade", "lift_addition"))
        pipes = sum(q for i, q in zip(lines["item"], lines["quantity"])
                    if i in ("water_supply", "power_supply", "gas_supply", "drainage"))
        programme["award_scope"][str(fid)] = True
        programme["central_subsidy_yuan"][str(fid)] = float(round(0.25 * basic, -3))
        programme["extra_costs"][str(fid)] = {"road_opening_reinstatement_yuan": float(round(60 * pipes, -2))}
    return {"standards_overrides": overrides, "standards_override_sources": sources, "programme": programme}
