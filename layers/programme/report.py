"""The annual plan, its funding and their sources as tables in the reader's language
(written by :func:`layers.exports.reports.write_plan`): headings, states, yes/no and the
names of the standards' numbers as :mod:`layers.display` says them; numbers stay numbers."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from layers import display
from layers.errors import T
from layers.programme.funding import PAYER_LABELS, PAYERS, Split
from layers.programme.ranking import Plan

SUFFIXES = (".csv", ".xlsx")
PLAN_COLUMNS = ("rank", "fid", "precinct", "name", "names", "district", "score", "willingness",
                "ready", "status", "cost_yuan", "in_plan", "reason", "cumulative_yuan", "explanation")
HEADINGS = {
    "rank": T("Rank", "排名"), "fid": T("Feature id", "要素编号"), "precinct": T("Precinct", "片区"),
    "name": T("Name", "名称"), "names": T("Communities", "小区"), "district": T("District", "区"),
    "score": T("Score", "得分"), "willingness": T("Willingness (%)", "改造意愿 (%)"),
    "ready": T("Ready", "就绪"), "status": T("Programme status", "改造计划状态"),
    "cost_yuan": T("Cost (yuan)", "费用 (元)"), "in_plan": T("In the plan", "入选"),
    "reason": T("Why not", "未入选原因"), "cumulative_yuan": T("Cumulative cost (yuan)", "累计费用 (元)"),
    "explanation": T("Score explained", "得分说明"), "total_yuan": T("Total (yuan)", "合计 (元)"),
    "notes": T("Notes", "说明"), "what": T("Number", "数值"), "value": T("Value", "值"),
    "ref": T("Standards cell", "标准表位置"), "source": T("Source", "来源"),
    "confidence": T("Confidence", "可信度"),
}
SHEETS = {"plan": T("Annual plan", "年度计划"), "funding": T("Funding", "资金"),
          "sources": T("Sources", "数据来源")}
CONFIDENCE = {"V": T("verified", "已核实"), "S": T("secondary source", "二手来源"),
              "NF": T("not found", "未找到"), "user": T("entered by the user", "用户填写")}
_REF = re.compile(r"^(\w+)\[([^\]]+)\]\.(\w+)$")


def _headed(frame: pd.DataFrame, lang: str | None) -> pd.DataFrame:
    frame.columns = [HEADINGS[c](lang) if c in HEADINGS else str(c) for c in frame.columns]
    return frame


def _status(value: Any, lang: str | None) -> str:
    return "/".join(display.choice(None, "programme_status", s, lang) for s in str(value).split("/"))


def plan_frame(plan: Plan, lang: str | None = None) -> pd.DataFrame:
    cols = [c for c in PLAN_COLUMNS if c in plan.rows.columns]
    frame = plan.rows[cols].copy().astype(object)
    if "names" in frame:
        frame["names"] = [display.join(v, lang) if isinstance(v, list) else v for v in frame["names"]]
    for col in ("ready", "in_plan"):
        if col in frame:
            frame[col] = [display.yes_no(v, lang) for v in frame[col]]
    if "status" in frame:
        frame["status"] = [_status(v, lang) for v in frame["status"]]
    if "willingness" in frame:
        frame["willingness"] = [None if display.is_missing(v) else round(float(v) * 100, 1)
                                for v in frame["willingness"]]
    return _headed(frame, lang)


def funding_frame(splits: dict[str, Split], lang: str | None = None) -> pd.DataFrame:
    rows = []
    for name, s in splits.items():
        row = {"name": name, "total_yuan": s.total}
        row.update({PAYER_LABELS[p](lang): s.amounts[p] for p in PAYERS})
        row["notes"] = "; ".join(s.notes)
        rows.append(row)
    return _headed(pd.DataFrame(rows), lang)


#: numbers a user entered, by what the funding split calls them
USER_WHATS = {
    "central subsidy (yuan)": T("central subsidy", "中央财政补助"),
    "central subsidy": T("central subsidy", "中央财政补助"),
    "road opening and reinstatement (yuan)": T("road opening and reinstatement", "路面开挖与恢复"),
    "cable TV relocation (yuan)": T("cable TV (广电) relocation", "广电管线迁改"),
    "in the city award scope (marked)": T("in the city award scope (marked)", "属于市级以奖代补范围（已标记）"),
    "city award scope": T("in the city award scope (marked)", "属于市级以奖代补范围（已标记）"),
    "city award scope: pilot projects (default)": T("city award scope: pilot projects (default)",
                                                    "市级以奖代补范围：试点项目（默认）"),
}
_RELOCATED = re.compile(r"^(\w+) funded as relocation \(迁改\)$")
_SHARE_COLUMNS = ("share", "rate", "city_award_rate")


def provenance_value(entry: dict[str, Any], lang: str | None = None) -> str:
    """A number of the funding split as a person reads it: shares as %, money in yuan,
    yes/no, an item's rule in words (never 0.5 printed as "0")."""
    from layers.config import shares

    value = entry.get("value")
    if display.is_missing(value):
        return display.MISSING
    if isinstance(value, bool):
        return display.yes_no(value, lang)
    ref, what = str(entry.get("ref") or ""), str(entry.get("what") or "")
    match = _REF.match(ref)
    column = match.group(3) if match else ""
    if column in _SHARE_COLUMNS or (match and match.group(1) == "programme_parameters"
                                    and shares.as_fraction(value) is not None and "willingness" in ref):
        return shares.shown(value)
    if column.endswith("_yuan") or "yuan" in what or what.startswith(("unit cost", "central subsidy")):
        return display.yuan(value, lang)
    if isinstance(value, str):
        if column == "rule" or what.startswith("funding rule") or _RELOCATED.match(ref):
            return _rule_text(value, lang)
        return value
    return display.number(value)


def _rule_text(rule: str, lang: str | None) -> str:
    return {"pipeline_relocation": T("pipeline relocation (owner pays, district awards 20%)",
                                     "管线迁改（产权单位承担，区财政奖补20%）"),
            "weak_current": T("weak current (shared works public, the rest the owners)",
                              "弱电（共同部分财政承担，其余管线单位分摊）"),
            "level": T("by item level (basic / upgrade shares)", "按项目类别（基础类/提升类份额）"),
            "basic": T("basic item", "基础类"), "upgrade": T("upgrade item", "提升类")}.get(
        rule, T(rule, rule))(lang)


def provenance_label(entry: dict[str, Any], lang: str | None = None) -> str:
    """What a number of the funding split is, in words (from its standards cell)."""
    match = _REF.match(str(entry.get("ref") or ""))
    if match is None:
        what = str(entry.get("what") or "")
        relocated = _RELOCATED.match(str(entry.get("ref") or ""))
        if relocated:
            item = display.code("renovation_items", relocated.group(1), lang)
            return T(f"{item}: funded as relocation (your choice)", f"{item}：按管线迁改出资（您的选择）")(lang)
        label = USER_WHATS.get(what) or USER_WHATS.get(str(entry.get("ref") or ""))
        return label(lang) if label is not None else what
    table, key, _column = match.groups()
    if table == "item_funding":
        item = display.code("renovation_items", key, lang)
        return T(f"funding rule: {item}", f"出资规则：{item}")(lang)
    name = display.code(table, key, lang)
    if table == "renovation_items":
        return f"{T('unit cost', '单价')(lang)}: {name}"
    if table == "districts":
        return f"{T('city award rate', '市级以奖代补比例')(lang)}: {name}"
    return name


def confidence_label(code: Any, lang: str | None = None) -> str:
    """``V (verified)`` / ``S (secondary source)`` / ``NF (not found)`` — the letters are the
    standards' own marks; a user's value is "entered by the user" (no internal key)."""
    label = CONFIDENCE.get(str(code))
    if label is None:
        return str(code)
    return label(lang) if str(code) == "user" else f"{code} ({label(lang)})"


def source_text(source: Any, lang: str | None = None) -> str:
    """A source as read: the project's own values say so in the reader's language."""
    text = str(source or "")
    for ours in ("project override", "project setting"):
        if text.startswith(ours):
            return T("project setting", "项目设定")(lang) + text[len(ours):]
    return text


def _sheet_value(entry: dict[str, Any], lang: str | None) -> Any:
    """Numbers stay numbers in a sheet; texts and yes/no are said in words."""
    value = entry.get("value")
    if isinstance(value, (str, bool)):
        return provenance_value(entry, lang)
    return value


def provenance_frame(splits: dict[str, Split], lang: str | None = None) -> pd.DataFrame:
    rows = [{"name": name, **d, "what": provenance_label(d, lang), "value": _sheet_value(d, lang),
             "source": source_text(d.get("source"), lang),
             "confidence": confidence_label(d.get("confidence"), lang)}
            for name, s in splits.items() for d in s.provenance]
    frame = pd.DataFrame(rows, columns=["name", "what", "value", "ref", "source", "confidence"])
    return _headed(frame, lang)


def sheet_name(key: str, lang: str | None = None) -> str:
    return SHEETS[key](lang)
