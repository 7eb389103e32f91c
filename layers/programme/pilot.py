"""Pilot check (试点条件, plan 二(三)): five conditions, each pass / fail / unknown with its data.

1. 2000年以前建成的、配套设施不全…的住宅小区(不含居民自建住房为主的区域及城中村);
2. 未纳入棚户区改造范围; 3. 试点典型意义强、示范带动作用大; 4. 违章建筑拆除情况较好; 5. 居民改造意愿强。
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layers import display
from layers.config import shares
from layers.config.shares import reaches
from layers.errors import T
from layers.programme.data import (
    clean,
    communities_layer,
    community_setting,
    coverage,
    parameter,
    set_community_setting,
)
from layers.programme.eligibility import FAIL, PASS, UNKNOWN, Check, assess, built_by, facility_check


@dataclass
class PilotResult:
    fid: int
    name: str
    status: str  # pass when all five pass, fail when one fails, else unknown
    checks: list[Check]

    def as_dict(self) -> dict[str, Any]:
        return {"fid": self.fid, "name": self.name, "status": self.status,
                "checks": [c.as_dict() for c in self.checks]}


def cleared_states(std) -> tuple[str, ...]:
    value = parameter(std, "ready_illegal_states").value or ""
    return tuple(s.strip() for s in str(value).split("|") if s.strip())


def set_exemplary(project, fid: int, value: bool | None) -> None:
    """Record the planner's judgement of condition 3 (典型意义强、示范带动作用大)."""
    set_community_setting(project, "exemplary", fid, None if value is None else bool(value))


def _condition_1(row, std, cov, elig) -> Check:
    """Condition 1 names a priority (优先将2000年以前建成的…纳入试点范围): the year never fails
    it; self-built areas and urban villages do (不含…), facility gaps make the case."""
    label = T("1. facilities incomplete, not self-built, not an urban village (priority: built by 2000)",
              "1. 配套设施不全，不含自建房为主区域及城中村（优先：2000年底前建成）")
    limit = parameter(std, "old_community_built_by_year")
    year = clean(row.get("year_built"))
    gaps = facility_check(int(row.name), cov)
    excluded = [c for c in elig.checks if c.key in ("self_built", "urban_village")]
    data = {"year_built": year, "built_by_year": limit.value, "built_by_year_ref": limit.ref,
            "gaps": gaps.data.get("gaps"), **{c.key: c.status for c in excluded}}
    early = built_by(row, std)
    if early is None:
        when = T("year built not recorded (priority unknown)", "未记录建成年代（优先与否未知）")
    elif early:
        when = T(f"built in {year:.0f}: a priority (by the end of {limit.value:.0f})",
                 f"{year:.0f} 年建成：优先（{limit.value:.0f} 年底前建成）")
    else:
        when = T(f"built in {year:.0f}: not a priority (after {limit.value:.0f})",
                 f"{year:.0f} 年建成：非优先（{limit.value:.0f} 年以后建成）")
    if any(c.status == FAIL for c in excluded):
        why = next(c.reason for c in excluded if c.status == FAIL)
        return Check("built_before_with_gaps", label, FAIL, data, why)
    if gaps.status != PASS or any(c.status == UNKNOWN for c in excluded):
        return Check("built_before_with_gaps", label, UNKNOWN, data,
                     T(f"{when.en}; facility gaps: {gaps.reason.en}", f"{when.zh}；设施缺口：{gaps.reason.zh}"))
    return Check("built_before_with_gaps", label, PASS, data,
                 T(f"{when.en}; {gaps.reason.en}", f"{when.zh}；{gaps.reason.zh}"))


def _condition_4(row, std) -> Check:
    label = T("4. illegal structures largely cleared", "4. 违章建筑拆除情况较好")
    states = cleared_states(std)
    state = clean(row.get("illegal_structures"))
    data = {"illegal_structures": state, "counted_as_cleared": list(states)}
    if state in (None, "unknown"):
        return Check("illegal_cleared", label, UNKNOWN, data,
                     T("illegal structures not surveyed", "未调查违章建筑拆除情况"))
    ok = state in states
    return Check("illegal_cleared", label, PASS if ok else FAIL, data,
                 T(f"illegal structures: {display.choice(None, 'illegal_structures', state, 'en')}",
                   f"违章建筑：{display.choice(None, 'illegal_structures', state, 'zh')}"))


def _condition_5(row, std) -> Check:
    label = T("5. strong resident willingness", "5. 居民改造意愿强")
    limit = parameter(std, "pilot_min_willingness")
    value = clean(row.get("willingness"))
    data = {"willingness": value, "threshold": limit.value, "threshold_ref": limit.ref,
            "threshold_source": limit.source, "threshold_confidence": limit.confidence}
    if value is None:
        return Check("willingness", label, UNKNOWN, data, T("willingness not surveyed", "未调查改造意愿"))
    ok = reaches(value, limit.value)
    agree = shares.shown(value)
    return Check("willingness", label, PASS if ok else FAIL, data,
                 T(f"{agree} agree ({'≥' if ok else '<'} {shares.shown(limit.value)})",
                   f"{agree} 同意（{'≥' if ok else '<'} {shares.shown(limit.value)}）"))


def check_row(project, row, std, cov) -> PilotResult:
    elig = assess(row, std, cov)
    fid = int(row.name)
    shanty = next(c for c in elig.checks if c.key == "shantytown")
    exemplary = community_setting(project, "exemplary", fid)
    ex_label = T("3. typical and exemplary", "3. 试点典型意义强、示范带动作用大")
    if exemplary is None:
        ex = Check("exemplary", ex_label, UNKNOWN, {"exemplary": None},
                   T("a planner's judgement: not recorded yet", "需规划人员判断：尚未记录"))
    else:
        ex = Check("exemplary", ex_label, PASS if exemplary else FAIL, {"exemplary": exemplary},
                   T("judged typical and exemplary", "已判定典型意义强") if exemplary else
                   T("judged not exemplary", "已判定示范意义不足"))
    checks = [
        _condition_1(row, std, cov, elig),
        Check("not_shantytown", T("2. not in the shantytown programme", "2. 未纳入棚户区改造范围"),
              shanty.status, shanty.data, shanty.reason),
        ex,
        _condition_4(row, std),
        _condition_5(row, std),
    ]
    states = [c.status for c in checks]
    status = FAIL if FAIL in states else (UNKNOWN if UNKNOWN in states else PASS)
    return PilotResult(fid, elig.name, status, checks)


def pilot_check(project, fids=None, layer_name: str | None = None) -> dict[int, PilotResult]:
    """The five pilot conditions for every community (or the given fids)."""
    layer = communities_layer(project, layer_name)
    std, cov = project.standards(), coverage(project)
    frame = layer.gdf if fids is None else layer.gdf.loc[[int(f) for f in fids]]
    return {int(fid): check_row(project, row, std, cov) for fid, row in frame.iterrows()}
