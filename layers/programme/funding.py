"""Funding split (资金共担, plan 二(四)3) per community and per precinct.

Payers: residents, original property unit, district funds, the city award (以奖代补), central
funds, pipeline owners, market finance — and ``unassigned`` for money whose share the plan does
not give and the project has not set ("share not set"; never invented).

* Items by level: ``funding_shares`` (basic mainly public, upgrade mainly residents / unit /
  market; shares NF until the project sets them). The public part is paid first by the central
  subsidy (a per-community amount the user enters), the rest by the district.
* Pipeline relocation (water, gas, power; cable TV): paid by the pipeline owner, the district
  awards ``funding_rules.pipeline_relocation_award`` (20 %).
* Weak current: the shared duct, networking and fibre-cabinet-to-stairwell cabling are public,
  the rest is shared by the pipeline owners. Road opening and reinstatement: public.
* City award = ``districts.city_award_rate`` × (district public input on the works after
  deducting the central subsidy): 50 % 西陵区/伍家岗区/点军区, 20 % 猇亭区/宜昌高新区, none
  where the rate is not set (夷陵区). The district's pipeline awards are awards themselves and
  are not counted in that base. The city award reduces what the district pays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from layers import display
from layers.errors import ProjectError, T
from layers.programme.data import (
    Sourced,
    clean,
    communities_layer,
    community_setting,
    number,
    user_value,
)
from layers.programme.items import checklist, item_rule
from layers.programme.settings import RELOCATABLE, community_value, set_community_values

PAYERS = ("residents", "property_unit", "district", "city_award", "central", "pipeline_owners",
          "market", "unassigned")
PAYER_LABELS = {
    "residents": T("residents", "居民出资"), "property_unit": T("original property unit", "原产权单位"),
    "district": T("district funds", "区级财政"), "city_award": T("city award", "市级以奖代补"),
    "central": T("central funds", "中央财政"), "pipeline_owners": T("pipeline owners", "管线单位"),
    "market": T("market finance", "市场化融资"), "unassigned": T("share not set", "份额未设定"),
}
LEVEL_PAYERS = ("public", "residents", "property_unit", "market")
EXTRA_COSTS = {
    "road_opening_reinstatement_yuan": T("road opening and reinstatement", "路面开挖与恢复"),
    "cable_tv_relocation_yuan": T("cable TV relocation", "广电管线迁改"),
}


@dataclass
class Split:
    """Who pays what for one community (or a precinct: the sum of its communities)."""

    name: str
    total: float
    amounts: dict[str, float]
    provenance: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    district_input_net: float = 0.0
    city_award_rate: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "total_yuan": self.total, "amounts_yuan": dict(self.amounts),
                "district_input_net_of_central_yuan": self.district_input_net,
                "city_award_rate": self.city_award_rate, "notes": self.notes,
                "provenance": self.provenance}


def set_central_subsidy(project, fid: int, yuan: float | None) -> None:
    """The central subsidy (中央财政补助) a community receives, in yuan (``None`` clears it)."""
    _check_amount(yuan, "central subsidy")
    set_community_values(project, fid, {"central_subsidy_yuan": None if yuan is None else float(yuan)})


def set_extra_cost(project, fid: int, kind: str, yuan: float | None) -> None:
    """Pipeline-works costs outside the item catalogue (keys of :data:`EXTRA_COSTS`)."""
    if kind not in EXTRA_COSTS:
        raise ProjectError(T(f"unknown cost {kind!r}", f"未知费用 {kind!r}"), "funding",
                           T(f"use one of {', '.join(EXTRA_COSTS)}", f"请使用 {'、'.join(EXTRA_COSTS)}"))
    _check_amount(yuan, kind)
    set_community_values(project, fid, {kind: None if yuan is None else float(yuan)})


def set_relocation(project, fid: int, items: list[str] | None) -> None:
    """The items of a community funded as pipeline relocation (迁改): the owner pays, the
    district awards 20 %. Others of 供水/供电/供气 are basic items (public funds first)."""
    bad = [i for i in items or [] if i not in RELOCATABLE]
    if bad:
        raise ProjectError(T(f"{', '.join(bad)} cannot be funded as pipeline relocation",
                             f"{'、'.join(bad)} 不能按管线迁改出资"), "funding",
                           T("choose water supply, power supply or gas supply", "请选择供水、供电或供气"))
    set_community_values(project, fid, {"relocation": list(items) if items else None})


def set_award_scope(project, fid: int, in_scope: bool | None) -> None:
    """Mark a community in (or out of) the city award scope; ``None``: the default (pilot projects)."""
    set_community_values(project, fid, {"award_scope": in_scope})


def _check_amount(yuan: float | None, what: str) -> None:
    if yuan is not None and not float(yuan) >= 0:
        raise ProjectError(T(f"{what} must be a number ≥ 0", f"{what} 须为不小于 0 的数"), "funding",
                           T("enter an amount in yuan", "请以元为单位填写金额"))


def _district_names(std) -> list[tuple[str, str | None, str, set[str]]]:
    """Per district: key, code, Chinese name and every way it may be written (cached on the
    standards object, which never changes)."""
    memo = std.__dict__.get("_memo_district_names")
    if memo is None:
        frame = std.table("districts")
        memo = []
        for k, c, zh, en, aliases in frame[["key", "code", "label_zh", "label_en", "aliases"]].itertuples(
                index=False):
            names = {str(zh), str(en), str(k), *(str(clean(aliases) or "").split("|"))}
            memo.append((str(k), None if clean(c) is None else str(clean(c)), str(zh),
                         {"".join(n.split()).lower() for n in names if n and n != "None"}))
        std.__dict__["_memo_district_names"] = memo
    return memo


def district_award_rate(std, district: str | None, code: str | None) -> tuple[Sourced | None, str | None]:
    """The city award rate of a community's district (by code, else by any of its names)."""
    wanted = "".join(str(district).split()).lower() if district else None
    for k, c, zh, names in _district_names(std):
        if (code and c is not None and c == str(code)) or (wanted and wanted in names):
            return number(std, "districts", k, "city_award_rate"), zh
    return None, None


class _Ledger:
    def __init__(self, std) -> None:
        self.std = std
        self.amounts = dict.fromkeys(PAYERS, 0.0)
        self.public_works = 0.0  # public money on the works (before central subsidy)
        self.district_awards = 0.0  # district awards on pipeline relocation
        self.provenance: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self._seen: set[tuple[str, str]] = set()
        self.district_net = 0.0
        self.city_rate: float | None = None

    def used(self, value: Sourced, what: str) -> float | None:
        tag = (value.ref, what)
        if tag not in self._seen:
            self._seen.add(tag)
            self.provenance.append(value.as_dict(what))
        return value.value

    def relocation(self, cost: float, award_key: str, what: str) -> None:
        owner = self.used(number(self.std, "funding_rules", "pipeline_relocation_owner", "rate"),
                          "pipeline owner pays relocation")
        award = self.used(number(self.std, "funding_rules", award_key, "rate"),
                          f"district award on {what}")
        owner = 1.0 if owner is None else owner
        award = award or 0.0
        self.amounts["pipeline_owners"] += cost * owner - cost * award
        self.district_awards += cost * award
        self.amounts["unassigned"] += cost * (1.0 - owner)

    def weak_current(self, cost: float) -> None:
        self.used(number(self.std, "funding_rules", "weak_current_shared_works_public", "rate"),
                  "weak current shared works paid by public funds")
        self.used(number(self.std, "funding_rules", "weak_current_other_owners", "rate"),
                  "rest of weak current shared by pipeline owners")
        share = self.used(number(self.std, "funding_shares", "weak_current_shared_works", "share"),
                          "share of weak current that is shared works")
        if share is None:
            self.amounts["unassigned"] += cost
            self.notes.append(T("weak current: share of shared works not set",
                                "弱电：共同管道等所占份额未设定")())
            return
        _share_range(share, "weak_current_shared_works")
        self.public_works += cost * share
        self.amounts["pipeline_owners"] += cost * (1.0 - share)

    def by_level(self, cost: float, level: str) -> None:
        shares = {p: self.used(number(self.std, "funding_shares", f"{level}_{p}", "share"),
                               f"{level} items: {p} share") for p in LEVEL_PAYERS}
        set_total = sum(v for v in shares.values() if v is not None)
        for p, v in shares.items():
            if v is not None:
                _share_range(v, f"{level}_{p}")
        if set_total > 1.0 + 1e-9:
            raise ProjectError(T(f"{level} item shares add up to {set_total:g} (> 1)",
                                 f"{level} 类份额合计 {set_total:g}（大于 1）"), "funding_shares",
                               T("make the shares add up to 1", "请使各份额合计为 1"))
        for p, v in shares.items():
            if v is None:
                continue
            if p == "public":
                self.public_works += cost * v
            else:
                self.amounts[p] += cost * v
        rest = cost * (1.0 - set_total)
        if rest > 1e-9:
            self.amounts["unassigned"] += rest
            unset = [p for p, v in shares.items() if v is None]
            self.notes.append(T(f"{level} items: share not set ({', '.join(unset) or 'remainder'})",
                                f"{level} 类：份额未设定（{'、'.join(unset) or '余额'}）")())


def _share_range(value: float, key: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ProjectError(T(f"share {key} = {value:g} is outside 0–1", f"份额 {key} = {value:g} 超出 0–1"),
                           f"funding_shares[{key}]", T("enter a share from 0 to 1", "请填写 0–1 之间的份额"))


def community_split(project, fid: int, central_subsidy: float | None = None,
                    shared: _Shared | None = None) -> Split:
    """The funding split of one community's selected items and pipeline-works costs
    (``shared``: what many splits read once — the checklist, the pilot checks)."""
    std = project.standards()
    row = communities_layer(project).gdf.loc[int(fid)]
    led = _Ledger(std)
    led.shared = shared
    lines = shared.lines_of(fid) if shared is not None else \
        list(checklist(project, fid).itertuples(index=False))
    lines = [line for line in lines if bool(line.selected)]
    relocated = set(community_value(project, "relocation", fid) or [])
    total = 0.0
    for line in lines:
        if line.unit_cost is not None and not _nan(line.unit_cost):
            led.provenance.append({"what": f"unit cost {line.item}", "value": line.unit_cost,
                                   "ref": line.unit_cost_ref, "source": line.unit_cost_source,
                                   "confidence": line.unit_cost_confidence})
        if line.cost is None or _nan(line.cost):
            item = display.code_labels("renovation_items", std).get(line.item, T(line.item, line.item))
            led.notes.append(T(f"{item.en}: cost not computed (quantity or unit cost not set)",
                               f"{item.zh}：费用无法计算（数量或单价未设定）")())
            continue
        cost = float(line.cost)
        total += cost
        rule = item_rule(std, line.item)
        if line.item in relocated:
            rule = user_value("pipeline_relocation", f"{line.item} funded as relocation (迁改)")
        led.used(rule, f"funding rule of {line.item}")
        if rule.value == "pipeline_relocation":
            led.relocation(cost, "pipeline_relocation_award", f"{line.item} relocation")
        elif rule.value == "weak_current":
            led.weak_current(cost)
        else:
            led.by_level(cost, str(line.level))
    extra = community_setting(project, "extra_costs", fid, {}) or {}
    road = float(extra.get("road_opening_reinstatement_yuan") or 0.0)
    if road:
        total += road
        led.used(user_value(road, "road opening and reinstatement (yuan)"), "")
        led.used(number(std, "funding_rules", "road_opening_reinstatement_public", "rate"),
                 "road opening and reinstatement paid by public funds")
        led.public_works += road
    cable = float(extra.get("cable_tv_relocation_yuan") or 0.0)
    if cable:
        total += cable
        led.used(user_value(cable, "cable TV relocation (yuan)"), "")
        led.relocation(cable, "cable_tv_relocation_award", "cable TV relocation")
    _public_money(led, project, fid, row, central_subsidy)
    name = str(clean(row.get("name")) or fid)
    rate = led.city_rate
    return Split(name, total, led.amounts, led.provenance, led.notes, led.district_net, rate)


def _in_award_scope(led: _Ledger, project, fid: int) -> bool:
    """The city award goes to pilot projects within the city's scope (the plan's annex, which
    we do not have): a community the user marked; unmarked, one that meets the pilot conditions."""
    marked = community_value(project, "award_scope", fid)
    if marked is not None:
        led.used(user_value(bool(marked), "in the city award scope (marked)"), "city award scope")
        if not marked:
            led.notes.append(T("marked outside the city award scope: no city award",
                               "已标记为不属于市级以奖代补范围：无市级奖补")())
        return bool(marked)
    from layers.programme.pilot import pilot_check

    shared = getattr(led, "shared", None)
    pilot = shared.pilot(fid) if shared is not None else pilot_check(project, [fid])[fid]
    led.provenance.append({"what": "city award scope: pilot projects (default)", "value": pilot.status == "pass",
                           "ref": "plan 二(四)3(1)", "confidence": "S",
                           "source": "宜昌市城镇老旧小区改造试点工作实施方案(征求意见稿) 二(四)3(1)"
                                     "（试点项目，符合市财政以奖代补范围，详见附件；附件未获得）"})
    if pilot.status != "pass":
        led.notes.append(T("not in the city award scope: the award goes to pilot projects and this one does "
                           "not meet the pilot conditions yet (mark it in scope if the city has admitted it)",
                           "不在市级以奖代补范围：奖补对象为试点项目，本小区尚未满足试点条件（如市里已纳入，请标记为属于范围）")())
    return pilot.status == "pass"


def _public_money(led: _Ledger, project, fid: int, row, central_subsidy: float | None) -> None:
    given = central_subsidy if central_subsidy is not None else \
        community_setting(project, "central_subsidy_yuan", fid)
    central = float(given or 0.0)
    if given is not None:
        led.used(user_value(central, "central subsidy (yuan)"), "central subsidy")
    used_central = min(central, led.public_works)
    if central > led.public_works + 1e-9:
        led.notes.append(T(f"central subsidy exceeds the public input by {central - led.public_works:,.0f} yuan",
                           f"中央补助超出财政投入 {central - led.public_works:,.0f} 元")())
    net = led.public_works - used_central
    rate, district = district_award_rate(led.std, clean(row.get("district")), clean(row.get("district_code")))
    if rate is None:
        led.notes.append(T(f"district {clean(row.get('district'))!s} not in the districts table: no city award "
                           "(add it to the district's aliases or correct the name)",
                           f"区 {clean(row.get('district'))!s} 不在区表中：无市级奖补（请更正区名或加入别名）")())
        award_rate = 0.0
    else:
        value = led.used(rate, f"city award rate ({district})")
        if value is None:
            led.notes.append(T(f"no city award rate for {district} (not in the plan; set one to use it)",
                               f"{district} 无市级以奖代补比例（方案未规定；如需请设定）")())
        award_rate = value or 0.0
    base_share = 0.0
    if led.district_awards:
        base_share = led.used(number(led.std, "funding_rules", "city_award_base_pipeline_awards", "rate"),
                              "district relocation awards counted in the city award base") or 0.0
    base = net + led.district_awards * base_share
    if award_rate and not _in_award_scope(led, project, fid):
        award_rate = 0.0
    award = base * award_rate
    led.amounts["central"] += used_central
    led.amounts["city_award"] += award
    led.amounts["district"] += net - award + led.district_awards
    led.district_net = base
    led.city_rate = award_rate if rate is not None and rate.value is not None else None


def _nan(v: Any) -> bool:
    return clean(v) is None


class _Shared:
    """What the splits of many communities read once: the whole checklist (grouped by
    community) and the pilot checks (computed for all on first need)."""

    def __init__(self, project, fids) -> None:
        self.project, self.fids = project, list(fids)
        self._lines: dict[int, list] = {}  # plain tuples per community: a frame per
        for line in checklist(project).itertuples(index=False):  # community cost 15 ms each
            self._lines.setdefault(int(line.community_fid), []).append(line)
        self._pilot = None

    def lines_of(self, fid: int):
        return self._lines.get(int(fid), [])

    def pilot(self, fid: int):
        if self._pilot is None:
            from layers.programme.pilot import pilot_check

            self._pilot = pilot_check(self.project, self.fids)
        return self._pilot[int(fid)]


def precinct_splits(project, fids=None) -> dict[str, Split]:
    """Splits summed per precinct (a community without precinct stands alone as ``#fid name``)."""
    gdf = communities_layer(project).gdf
    fids = list(gdf.index) if fids is None else [int(f) for f in fids]
    shared = _Shared(project, fids)
    out: dict[str, Split] = {}
    for fid in fids:
        split = community_split(project, fid, shared=shared)
        precinct = clean(gdf.at[fid, "precinct"]) or f"#{fid} {split.name}"
        agg = out.setdefault(str(precinct), Split(str(precinct), 0.0, dict.fromkeys(PAYERS, 0.0)))
        agg.total += split.total
        agg.district_input_net += split.district_input_net
        for p in PAYERS:
            agg.amounts[p] += split.amounts[p]
        seen = {(d["ref"], d["what"]) for d in agg.provenance}
        agg.provenance += [d for d in split.provenance if (d["ref"], d["what"]) not in seen]
        agg.notes += [f"{split.name}: {n}" for n in split.notes]
    return out
