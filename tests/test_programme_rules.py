"""The plan's rules at their edges: the year 2000 (one rule, 2000年底前), exactly two thirds
willing (三分之二以上), and eligibility that cannot be decided (kept out of the plan unless the
user admits it with a reason)."""

from __future__ import annotations

import pytest
from test_programme import make_project

from layers.config.keys import apply_assignments
from layers.programme import pilot_check, plan_year, rank
from layers.programme.eligibility import eligibility


def test_year_2000_boundary_is_one_rule():
    p = make_project([{"name": "1999", "year_built": 1999}, {"name": "2000", "year_built": 2000},
                      {"name": "2001", "year_built": 2001}])
    elig = eligibility(p)
    marks = {e.name: "built_before_2000" in e.priority for e in elig.values()}
    assert marks == {"1999": True, "2000": True, "2001": False}  # built by the end of 2000
    ranked = rank(p).set_index("name")
    assert [ranked.at[y, "terms"]["built_by_2000"]["value"] for y in ("1999", "2000", "2001")] == [1, 1, 0]
    pilot = {r.name: r.checks[0] for r in pilot_check(p).values()}
    # condition 1 names a priority (优先): 2001 is not a priority, never a failure
    assert all(c.status != "fail" for c in pilot.values())
    assert "a priority" in pilot["2000"].reason.en and "not a priority" in pilot["2001"].reason.en
    # the rule's year is one table row a project may change, and all three readings follow it
    apply_assignments(p, [("programme_parameters.old_community_built_by_year", "1999")])
    marks = {e.name: "built_before_2000" in e.priority for e in eligibility(p).values()}
    assert marks == {"1999": True, "2000": False, "2001": False}
    ranked = rank(p).set_index("name")
    assert ranked.at["2000", "terms"]["built_by_2000"]["value"] == 0


@pytest.mark.parametrize("willing, ready", [(2 / 3, True), (0.6667, True), (0.67, True),
                                            (0.6666, False), (0.66, False)])
def test_exactly_two_thirds_is_willing_enough(willing, ready):
    p = make_project([{"willingness": willing}])
    row = rank(p).iloc[0]
    assert bool(row["ready"]) is ready, row["not_ready_because"]
    check = pilot_check(p)[1].checks[4]
    assert check.status == ("pass" if ready else "fail")
    assert ("≥ 2/3" if ready else "< 2/3") in check.reason.en
    if not ready:
        assert "< 2/3" in row["not_ready_because"][0]


def test_threshold_set_as_a_share_or_fraction():
    p = make_project([{"willingness": 0.75}])
    apply_assignments(p, [("programme_parameters.ready_min_willingness", "3/4")])
    assert bool(rank(p).iloc[0]["ready"])
    apply_assignments(p, [("programme_parameters.ready_min_willingness", "76%")])
    assert not bool(rank(p).iloc[0]["ready"])


def test_unknown_eligibility_stays_out_of_the_plan_unless_admitted():
    p = make_project([{"name": "已知"}, {"name": "未知", "in_urban_centre": None}])
    elig = eligibility(p)
    assert elig[2].status == "unknown" and "in_urban_centre not recorded" in elig[2].reasons[0]
    plan = plan_year(p, 2026)
    rows = plan.rows.set_index("name")
    assert list(plan.selected["name"]) == ["已知"]
    reason = rows.at["未知", "reason"]
    assert "eligibility unknown" in reason and "admit it with a reason" in reason
    assert rows.at["未知", "eligibility"] == "unknown"  # shown as unknown, not as eligible
    apply_assignments(p, [("community.未知.admit_unknown", "区住建局确认位于中心城区")])
    plan = plan_year(p, 2026)
    assert set(plan.selected["name"]) == {"已知", "未知"}
    assert plan.rows.set_index("name").at["未知", "admitted_because"] == "区住建局确认位于中心城区"
    p.undo.undo()
    assert list(plan_year(p, 2026).selected["name"]) == ["已知"]
