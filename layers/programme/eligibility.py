"""Eligibility (对象范围) with reasons and the priority marks of the plan 二(一).

城镇老旧小区应为城市及县城(中心城区)中配套设施不全…的住宅小区。已纳入城镇棚户区改造计划，以及以
居民自建住房为主的区域和城中村等，不属于老旧小区范畴。优先对2000年以前建成的老旧小区及安置房小区、
保障房小区、残障人士集中居住小区实施改造。
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from layers import display
from layers.errors import T
from layers.programme.data import (
    NOT_COMPUTED,
    Coverage,
    clean,
    communities_layer,
    coverage,
    parameter,
)

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
STATUS_LABELS = {PASS: T("pass", "符合"), FAIL: T("fail", "不符合"), UNKNOWN: T("unknown", "未知")}
RESULT_LABELS = {"eligible": T("eligible", "符合改造对象范围"),
                 "ineligible": T("not eligible", "不属于改造对象"),
                 "unknown": T("unknown (data missing)", "无法判定（数据缺失）")}
PRIORITY_LABELS = {
    "built_before_2000": T("built by the end of 2000", "2000年底前建成"),
    "resettlement": T("resettlement housing (安置房)", "安置房小区"),
    "affordable": T("affordable housing (保障房)", "保障房小区"),
    "disabled_residents": T("disabled residents live together", "残障人士集中居住小区"),
}


@dataclass
class Check:
    """One condition: pass / fail / unknown, the data behind it and the reason in words."""

    key: str
    label: T
    status: str
    data: dict[str, Any]
    reason: T
    blocking: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label(), "status": self.status, "data": self.data,
                "reason": self.reason(), "blocking": self.blocking}


@dataclass
class Eligibility:
    fid: int
    name: str
    status: str
    checks: list[Check]
    priority: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """The reasons that decide the result (failed checks, else unknown ones)."""
        wanted = FAIL if self.status == "ineligible" else UNKNOWN
        return [c.reason() for c in self.checks if c.blocking and c.status == wanted]

    def as_dict(self) -> dict[str, Any]:
        return {"fid": self.fid, "name": self.name, "status": self.status,
                "label": RESULT_LABELS[self.status](), "reasons": self.reasons,
                "priority": self.priority, "checks": [c.as_dict() for c in self.checks]}


def _flag(value: Any) -> bool | None:
    value = clean(value)
    return None if value is None else bool(value)


def facility_check(fid: int, cov: Coverage | None) -> Check:
    """配套设施不全: a service gap in the coverage results (informative, not blocking)."""
    label = T("facilities incomplete (service gap)", "配套设施不全（服务缺口）")
    found = cov.of(fid) if cov is not None else None
    if found is None:
        why = NOT_COMPUTED if cov is None else T("community not in the coverage results",
                                                 "覆盖结果中没有该小区")
        return Check("facility_gaps", label, UNKNOWN, {"gaps": None}, why, blocking=False)
    tested, gaps = found
    if gaps:
        names = [display.code_labels("services").get(g, T(g, g)) for g in gaps]
        return Check("facility_gaps", label, PASS, {"gaps": gaps, "tested": len(tested)},
                     T(f"not covered: {', '.join(n.en for n in names)}",
                       f"未覆盖：{'、'.join(n.zh for n in names)}"),
                     blocking=False)
    return Check("facility_gaps", label, UNKNOWN, {"gaps": [], "tested": len(tested)},
                 T("no service gap found (buildings and networks not assessed)",
                   "未发现服务缺口（建筑与管网未评估）"), blocking=False)


def assess(row, std, cov: Coverage | None) -> Eligibility:
    """Eligibility of one community row (a Series of the communities layer)."""
    fid = int(row.name)
    checks: list[Check] = []
    centre = _flag(row.get("in_urban_centre"))
    checks.append(Check(
        "in_urban_centre", T("in a city or county-town centre", "位于城市或县城中心城区"),
        UNKNOWN if centre is None else (PASS if centre else FAIL), {"in_urban_centre": centre},
        T("in_urban_centre not recorded", "未记录是否位于中心城区") if centre is None else
        (T("in a city or county-town centre", "位于中心城区") if centre else
         T("not in a city or county-town centre", "不在城市或县城中心城区"))))
    shanty = _flag(row.get("shantytown"))
    checks.append(Check(
        "shantytown", T("not in the shantytown programme", "未纳入城镇棚户区改造计划"),
        UNKNOWN if shanty is None else (FAIL if shanty else PASS), {"shantytown": shanty},
        T("shantytown not recorded", "未记录是否纳入棚改") if shanty is None else
        (T("in the shantytown programme (已纳入城镇棚户区改造计划)", "已纳入城镇棚户区改造计划") if shanty else
         T("not in the shantytown programme", "未纳入棚户区改造计划"))))
    limit = parameter(std, "self_built_mainly_share")
    share = clean(row.get("self_built_share"))
    checks.append(Check(
        "self_built", T("not mainly self-built housing", "不以居民自建住房为主"),
        UNKNOWN if share is None else (FAIL if share > limit.value else PASS),
        {"self_built_share": share, "limit": limit.value, "limit_ref": limit.ref},
        T("self-built share not recorded", "未记录自建房占比") if share is None else
        (T(f"mainly self-built housing ({share:.0%} > {limit.value:.0%})",
           f"以居民自建住房为主（{share:.0%} > {limit.value:.0%}）") if share > limit.value else
         T(f"self-built share {share:.0%} ≤ {limit.value:.0%}", f"自建房占比 {share:.0%} ≤ {limit.value:.0%}"))))
    village = _flag(row.get("urban_village"))
    checks.append(Check(
        "urban_village", T("not an urban village", "不属于城中村"),
        UNKNOWN if village is None else (FAIL if village else PASS), {"urban_village": village},
        T("urban_village not recorded", "未记录是否城中村") if village is None else
        (T("an urban village (城中村)", "属于城中村") if village else T("not an urban village", "不属于城中村"))))
    checks.append(facility_check(fid, cov))
    blocking = [c.status for c in checks if c.blocking]
    status = "ineligible" if FAIL in blocking else ("unknown" if UNKNOWN in blocking else "eligible")
    return Eligibility(fid, str(clean(row.get("name")) or fid), status, checks, priority_marks(row, std))


def built_by(row, std) -> bool | None:
    """Built by the end of the rule's year (2000年底前, ``old_community_built_by_year``):
    ``None`` when the year built or the rule's year is not known."""
    limit = parameter(std, "old_community_built_by_year").value
    year = clean(row.get("year_built"))
    if year is None or limit is None:
        return None
    return float(year) <= float(limit)


def priority_marks(row, std) -> list[str]:
    """Keys of :data:`PRIORITY_LABELS` that apply (plan 二(一))."""
    marks = []
    if built_by(row, std) is True:
        marks.append("built_before_2000")
    ptype = clean(row.get("property_type"))
    if ptype in ("resettlement", "affordable"):
        marks.append(ptype)
    if _flag(row.get("disabled_residents")):
        marks.append("disabled_residents")
    return marks


def eligibility(project, fids=None, layer_name: str | None = None) -> dict[int, Eligibility]:
    """Eligibility with reasons for every community (or the given fids)."""
    layer = communities_layer(project, layer_name)
    std, cov = project.standards(), coverage(project)
    frame = layer.gdf if fids is None else layer.gdf.loc[[int(f) for f in fids]]
    return {int(fid): assess(row, std, cov) for fid, row in frame.iterrows()}
