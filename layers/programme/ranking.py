"""Annual-plan ranking (项目生成机制, plan 二(四)2) and the plan for a year and a budget.

优先将2000年建成、配套设施欠账较多的非商品房小区纳入改造计划，且同等条件下优先对居民改造意愿强、
参与积极性高的小区实施改造 — the score is a weighted sum of those terms (weights in
``ranking_weights``, editable per project); equal scores break by willingness, then by fid.
"有条件申报、竞争性入围", "成熟一个、推动一个": only *ready* communities enter the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from layers import display
from layers.config import shares
from layers.config.shares import reaches
from layers.errors import ProjectError, T
from layers.labels import PROPERTY_TYPE_LABELS
from layers.programme.data import (
    NOT_COMPUTED,
    Sourced,
    clean,
    communities_layer,
    coverage,
    number,
    parameter,
    set_standard_value,
)
from layers.programme.eligibility import built_by, eligibility
from layers.programme.items import community_costs
from layers.programme.pilot import cleared_states
from layers.programme.settings import community_value

TERMS = ("non_commercial", "built_by_2000", "facility_gaps", "priority_group", "willingness")
UNDER_WAY = ("design", "works", "accepted")


def weights(std) -> dict[str, Sourced]:
    """The ranking weights with their sources (a missing weight counts as 0, said so)."""
    out = {}
    for key in TERMS:
        w = number(std, "ranking_weights", key, "weight")
        if w.value is not None and w.value < 0:
            raise ProjectError(T(f"ranking weight {key} is negative", f"排序权重 {key} 为负数"),
                               f"ranking_weights[{key}]", T("enter a weight ≥ 0", "请填写不小于 0 的权重"))
        out[key] = w
    return out


def set_weight(project, term: str, value: float | None) -> None:
    """Change a ranking weight for this project (``None`` restores the default)."""
    if term not in TERMS:
        raise ProjectError(T(f"unknown ranking term {term!r}", f"未知的排序项 {term!r}"), "ranking",
                           T(f"use one of {', '.join(TERMS)}", f"请使用 {'、'.join(TERMS)}"))
    if value is not None and not float(value) >= 0:
        raise ProjectError(T("a weight must be a number ≥ 0", "权重须为不小于 0 的数"),
                           f"ranking_weights[{term}]", T("enter a weight ≥ 0", "请填写不小于 0 的权重"))
    set_standard_value(project, "ranking_weights", term, "weight", value)


def term_values(row, std, cov) -> dict[str, tuple[float, T]]:
    """Each term's value (0–1) and what it is based on."""
    fid = int(row.name)
    ptype = clean(row.get("property_type"))
    if ptype is None:
        nc = (0.0, T("property type unknown", "产权类型未知"))
    elif ptype == "commercial":
        nc = (0.0, T("commercial housing", "商品房"))
    elif ptype == "mixed":
        nc = (0.5, T("mixed (half)", "混合（计一半）"))
    else:
        nc = (1.0, T(f"non-commercial ({display.choice(None, 'property_type', ptype, 'en')})",
                     f"非商品房（{display.choice(None, 'property_type', ptype, 'zh')}）"))
    limit = parameter(std, "old_community_built_by_year").value
    year = clean(row.get("year_built"))
    early = built_by(row, std)
    if early is None:
        built = (0.0, T("year built unknown", "建成年代未知"))
    else:
        built = (1.0 if early else 0.0, T(f"built {year:.0f} ({'≤' if early else '>'} {limit:.0f})",
                                          f"{year:.0f} 年建成（{'≤' if early else '>'} {limit:.0f}）"))
    found = cov.of(fid) if cov is not None else None
    if found is None:
        gaps = (0.0, NOT_COMPUTED if cov is None else T("not in the coverage results", "不在覆盖结果中"))
    else:
        tested, missing = found
        share = len(missing) / len(tested) if tested else 0.0
        gaps = (share, T(f"{len(missing)} of {len(tested)} services not covered",
                         f"{len(tested)} 项服务中 {len(missing)} 项未覆盖"))
    marks = [PROPERTY_TYPE_LABELS[m] for m in ("resettlement", "affordable") if ptype == m]
    if clean(row.get("disabled_residents")):
        marks.append(T("disabled residents live together", "残障人士集中居住"))
    prio = (1.0 if marks else 0.0, T(", ".join(m.en for m in marks) or "none",
                                     "、".join(m.zh for m in marks) or "无"))
    will = clean(row.get("willingness"))
    willing = (0.0, T("willingness not surveyed", "未调查意愿")) if will is None else \
        (float(will), T(f"{will:.0%} agree", f"{will:.0%} 同意"))
    return {"non_commercial": nc, "built_by_2000": built, "facility_gaps": gaps,
            "priority_group": prio, "willingness": willing}


def readiness(row, std) -> tuple[bool, list[T]]:
    """Ready filters: willingness ≥ threshold and illegal structures largely cleared."""
    threshold = parameter(std, "ready_min_willingness").value
    states = cleared_states(std)
    why: list[T] = []
    will = clean(row.get("willingness"))
    if will is None:
        why.append(T("willingness not surveyed", "未调查改造意愿"))
    elif not reaches(will, threshold):
        why.append(T(f"willingness {shares.shown(will)} < {shares.shown(threshold)}",
                     f"改造意愿 {shares.shown(will)} < {shares.shown(threshold)}"))
    state = clean(row.get("illegal_structures"))
    if state not in states:
        why.append(T(f"illegal structures: {display.choice(None, 'illegal_structures', state, 'en')}",
                     f"违章建筑：{display.choice(None, 'illegal_structures', state, 'zh')}"))
    return not why, why


def rank(project, layer_name: str | None = None) -> pd.DataFrame:
    """Every community not ineligible, ranked; each score explained term by term."""
    layer = communities_layer(project, layer_name)
    std, cov = project.standards(), coverage(project)
    w = weights(std)
    elig = eligibility(project, layer_name=layer_name)
    costs = community_costs(project)
    rows = []
    for fid, row in layer.gdf.iterrows():
        e = elig[int(fid)]
        if e.status == "ineligible":
            continue
        values = term_values(row, std, cov)
        terms, parts = {}, []
        for key in TERMS:
            value, basis = values[key]
            weight = w[key].value or 0.0
            terms[key] = {"value": value, "weight": weight, "points": value * weight,
                          "basis": basis(), "weight_ref": w[key].ref, "weight_source": w[key].source,
                          "weight_confidence": w[key].confidence}
            parts.append(f"{display.code('ranking_weights', key, standards=std)} "
                         f"{value:g}×{weight:g}={value * weight:g} ({basis()})")
        ready, why = readiness(row, std)
        admitted = community_value(project, "admit_unknown", int(fid)) if e.status == "unknown" else None
        if e.status == "unknown" and not admitted:
            ready = False
            open_checks = [c.reason for c in e.checks if c.blocking and c.status == "unknown"]
            why.insert(0, T(f"eligibility unknown ({'; '.join(c.en for c in open_checks)}): "
                            "admit it with a reason to plan it",
                            f"对象范围无法判定（{'；'.join(c.zh for c in open_checks)}）：须说明理由方可纳入计划"))
        cost = costs.get(int(fid))
        rows.append({
            "fid": int(fid), "name": str(clean(row.get("name")) or fid),
            "district": clean(row.get("district")), "precinct": clean(row.get("precinct")),
            "households": clean(row.get("households")),
            "score": sum(t["points"] for t in terms.values()),
            "willingness": clean(row.get("willingness")), "eligibility": e.status,
            "ready": ready, "not_ready_because": [t() for t in why],
            "admitted_because": admitted,
            "status": clean(row.get("programme_status")) or "none",
            "cost_yuan": None if cost is None else cost.total,
            "cost_complete": bool(cost is not None and cost.complete),
            "cost_missing": [] if cost is None else cost.missing,
            "explanation": "; ".join(parts), "terms": terms,
        })
    frame = pd.DataFrame(rows)
    if not len(frame):
        return frame
    frame["_will"] = frame["willingness"].fillna(-1.0).astype(float)
    frame = frame.sort_values(["score", "_will", "fid"], ascending=[False, False, True],
                              kind="mergesort").drop(columns="_will")
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame.reset_index(drop=True)


@dataclass
class Plan:
    year: int | None
    budget: float | None
    by: str
    rows: pd.DataFrame  # every candidate in rank order, with in_plan and reason
    notes: list[str] = field(default_factory=list)

    @property
    def selected(self) -> pd.DataFrame:
        return self.rows[self.rows["in_plan"]]

    @property
    def total_cost(self) -> float:
        return float(sum(c for c in self.selected["cost_yuan"] if c is not None and not pd.isna(c)))

    def as_dict(self) -> dict[str, Any]:
        records = [{k: (None if _na(v) else v) for k, v in r.items()}
                   for r in self.rows.to_dict("records")]
        return {"year": self.year, "budget_yuan": self.budget, "by": self.by,
                "total_cost_yuan": self.total_cost, "selected": int(self.rows["in_plan"].sum())
                if len(self.rows) else 0, "notes": self.notes, "rows": records}


def _already(status: str) -> T:
    """"already in works" for a community (precincts join their communities' states with /)."""
    en = "/".join(display.choice(None, "programme_status", s, "en") for s in str(status).split("/"))
    zh = "/".join(display.choice(None, "programme_status", s, "zh") for s in str(status).split("/"))
    return T(f"already at the {en} stage", f"已处于{zh}阶段")


def _na(v: Any) -> bool:
    return not isinstance(v, (list, dict)) and clean(v) is None


def _precinct_rows(ranked: pd.DataFrame) -> pd.DataFrame:
    """Precincts (a community without one stands alone): mean score, summed cost."""
    frame = ranked.copy()
    frame["unit"] = [p if p else f"#{f} {n}" for p, f, n in zip(frame["precinct"], frame["fid"], frame["name"])]
    out = []
    for unit, g in frame.groupby("unit", sort=False):
        ready = g[g["ready"] & ~g["status"].isin(UNDER_WAY)]
        use = ready if len(ready) else g
        costs = [c for c in use["cost_yuan"]]
        out.append({
            "precinct": unit, "communities": [int(f) for f in use["fid"]],
            "names": [str(n) for n in use["name"]], "score": float(use["score"].mean()),
            "willingness": float(use["willingness"].dropna().mean()) if use["willingness"].notna().any()
            else None, "ready": bool(len(ready)), "status": "none" if len(ready) else "/".join(g["status"]),
            "not_ready_because": [] if len(ready) else sorted({w for ws in g["not_ready_because"] for w in ws}),
            "cost_yuan": None if any(c is None or pd.isna(c) for c in costs) else float(sum(costs)),
            "cost_complete": bool(use["cost_complete"].all()),
            "explanation": T(f"mean of {len(use)} ready communities", f"{len(use)} 个就绪小区的平均分")()
            if len(ready) else T("no ready community", "无就绪小区")(),
        })
    res = pd.DataFrame(out)
    res["_will"] = res["willingness"].fillna(-1.0).astype(float)
    res = res.sort_values(["score", "_will", "precinct"], ascending=[False, False, True],
                          kind="mergesort").drop(columns="_will")
    res.insert(0, "rank", range(1, len(res) + 1))
    return res.reset_index(drop=True)


def plan_year(project, year: int | None = None, budget: float | None = None,
              by: str = "community", layer_name: str | None = None) -> Plan:
    """The ranked list of ready candidates cut at the budget (by community or by precinct).

    The list is walked in rank order; the first candidate that does not fit the remaining
    budget ends the plan ("cut at the budget"). Candidates whose cost is unknown or incomplete
    are passed over with that reason, as are those not ready or already under way.
    """
    if by not in ("community", "precinct"):
        raise ProjectError(T(f"--by must be community or precinct, not {by!r}",
                             f"--by 只能为 community 或 precinct，不能为 {by!r}"), "plan",
                           T("choose community or precinct", "请选择 community 或 precinct"))
    if budget is not None and not float(budget) >= 0:
        raise ProjectError(T("the budget must be a number ≥ 0", "预算须为不小于 0 的数"), "plan",
                           T("give the budget in yuan", "请以元为单位给出预算"))
    ranked = rank(project, layer_name)
    notes = []
    if coverage(project) is None:
        notes.append(T("facility gaps: coverage not computed", "设施缺口：未计算生活圈覆盖")())
    if not len(ranked):
        return Plan(year, budget, by, pd.DataFrame(columns=["rank", "in_plan", "reason", "cost_yuan"]),
                    notes)
    rows = _precinct_rows(ranked) if by == "precinct" else ranked.copy()
    in_plan, reasons, cumulative = [], [], []
    spent, cut = 0.0, False
    for r in rows.itertuples(index=False):
        reason, ok = "", False
        if r.status in UNDER_WAY:
            reason = _already(r.status)()
        elif not r.ready:
            reason = T("not ready: ", "未就绪：")() + "; ".join(r.not_ready_because)
        elif budget is None:
            ok = True
        elif r.cost_yuan is None or pd.isna(r.cost_yuan) or not r.cost_complete:
            reason = T("cost unknown or incomplete (set quantities and unit costs)",
                       "费用未知或不完整（请填写数量和单价）")()
        elif cut or spent + float(r.cost_yuan) > float(budget) + 1e-6:
            cut = True
            reason = T("below the budget line", "超出预算线")()
        else:
            ok = True
        if ok and r.cost_yuan is not None and not pd.isna(r.cost_yuan):
            spent += float(r.cost_yuan)
        in_plan.append(ok)
        reasons.append(reason)
        cumulative.append(spent if ok else None)
    rows["in_plan"], rows["reason"], rows["cumulative_yuan"] = in_plan, reasons, cumulative
    return Plan(year, budget, by, rows, notes)
