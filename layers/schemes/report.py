"""A scheme diff as a person reads it (text lines, one XLSX sheet per part) and as plain
data with stable English keys (``--json``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from layers import display
from layers.errors import T
from layers.schemes.diff import SchemeDiff

NOT_COMPUTED = T("not computed", "未计算")
NOT_SET = T("none", "无")
REQUIRED = T("at the required level", "达到要求层级")


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    try:
        if value != value:  # NaN
            return None
    except (TypeError, ValueError):
        pass
    return value


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return [{k: _plain(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def as_data(diff: SchemeDiff) -> dict[str, Any]:
    """The diff as JSON-ready data (stable English keys)."""
    return {
        "a": diff.a, "b": diff.b,
        "moved": [{"fid": r["fid"], "name": r["name"], "from": r["from_precinct"],
                   "to": r["to_precinct"]} for r in _records(diff.moved)],
        "communities_added": list(diff.communities_added),
        "communities_removed": list(diff.communities_removed),
        "precincts_added": list(diff.precincts_added),
        "precincts_removed": list(diff.precincts_removed),
        "coverage": {"computed_a": diff.coverage_computed[0],
                     "computed_b": diff.coverage_computed[1],
                     "rows": _records(diff.coverage)},
        "funding": {"computed_a": diff.funding_computed[0], "computed_b": diff.funding_computed[1],
                    "rows": _records(diff.funding)},
        "conflicts": {"computed_a": diff.conflicts_computed[0],
                      "computed_b": diff.conflicts_computed[1],
                      "by_category": _records(diff.conflicts),
                      "changes": _records(diff.conflict_changes)},
    }


# --- labels ---------------------------------------------------------------------------
def _precinct(value: Any, lang: str | None) -> str:
    return NOT_SET(lang) if value is None else display.text(value)


def _level(level: Any, lang: str | None) -> str:
    return REQUIRED(lang) if level is None or level != level else f"{float(level):g} m"


def _count(value: Any, lang: str | None) -> Any:
    return NOT_COMPUTED(lang) if value is None else int(value)


def _money(value: Any, lang: str | None) -> Any:
    return NOT_COMPUTED(lang) if value is None else float(value)


def _payer(key: str, lang: str | None) -> str:
    from layers.programme import PAYER_LABELS

    if key == "total":
        return T("total cost", "总投资")(lang)
    label = PAYER_LABELS.get(key)
    return label(lang) if label is not None else key


def _change(value: str, lang: str | None) -> str:
    return (T("opened", "新增") if value == "opened" else T("closed", "消除"))(lang)


def frames(diff: SchemeDiff, standards: Any = None, lang: str | None = None
           ) -> dict[str, pd.DataFrame]:
    """One table per part, headed and valued for a reader (sheet name → frame)."""
    a, b = diff.a, diff.b
    moved = pd.DataFrame({
        T("Community (feature id)", "小区（要素编号）")(lang): diff.moved["fid"].astype(int),
        T("Community", "小区")(lang): [display.text(v) for v in diff.moved["name"]],
        T(f"Precinct in {a}", f"{a} 中的片区")(lang): [_precinct(v, lang) for v in diff.moved["from_precinct"]],
        T(f"Precinct in {b}", f"{b} 中的片区")(lang): [_precinct(v, lang) for v in diff.moved["to_precinct"]],
    })
    change = T("Change", "变化")(lang)
    precincts = pd.DataFrame(
        [(n, T("added", "新增")(lang)) for n in diff.precincts_added]
        + [(n, T("removed", "取消")(lang)) for n in diff.precincts_removed],
        columns=[T("Precinct", "片区")(lang), change])
    cov = diff.coverage if diff.coverage is not None else pd.DataFrame(
        [("—", None, True, None, None, None)],
        columns=["service", "level_m", "required_level", "residents_a", "residents_b", "change"])
    coverage = pd.DataFrame({
        T("Service", "服务类型")(lang): [display.service(s, lang, standards) if s != "—" else s
                                       for s in cov["service"]],
        T("Walking distance", "步行距离")(lang): [_level(v, lang) for v in cov["level_m"]],
        T(f"Residents covered in {a}", f"{a} 覆盖居民")(lang): [_count(v, lang) for v in cov["residents_a"]],
        T(f"Residents covered in {b}", f"{b} 覆盖居民")(lang): [_count(v, lang) for v in cov["residents_b"]],
        change: [_count(v, lang) for v in cov["change"]],
    })
    fund = diff.funding if diff.funding is not None else pd.DataFrame(
        [("total", None, None, None)], columns=["payer", "a_yuan", "b_yuan", "change_yuan"])
    funding = pd.DataFrame({
        T("Payer", "出资方")(lang): [_payer(p, lang) for p in fund["payer"]],
        T(f"{a} (yuan)", f"{a}（元）")(lang): [_money(v, lang) for v in fund["a_yuan"]],
        T(f"{b} (yuan)", f"{b}（元）")(lang): [_money(v, lang) for v in fund["b_yuan"]],
        T("Change (yuan)", "变化（元）")(lang): [_money(v, lang) for v in fund["change_yuan"]],
    })
    conf = diff.conflicts if diff.conflicts is not None else pd.DataFrame(
        columns=["category", "open_a", "open_b", "opened", "closed"])
    conflicts = pd.DataFrame({
        T("Category", "类别")(lang): [display.choice("conflicts", "category", c, lang)
                                    for c in conf["category"]],
        T(f"Open in {a}", f"{a} 未处理")(lang): [_count(v, lang) for v in conf["open_a"]],
        T(f"Open in {b}", f"{b} 未处理")(lang): [_count(v, lang) for v in conf["open_b"]],
        T("Opened", "新增")(lang): [_count(v, lang) for v in conf["opened"]],
        T("Closed", "消除")(lang): [_count(v, lang) for v in conf["closed"]],
    })
    rows = diff.conflict_changes if diff.conflict_changes is not None else pd.DataFrame(
        columns=["conflict_id", "category", "conflict_type", "street", "change"])
    conflict_rows = pd.DataFrame({
        T("Conflict id", "冲突编号")(lang): [display.text(v) for v in rows["conflict_id"]],
        T("Category", "类别")(lang): [display.choice("conflicts", "category", v, lang)
                                    for v in rows["category"]],
        T("Type", "冲突类型")(lang): [display.choice("conflicts", "conflict_type", v, lang)
                                    for v in rows["conflict_type"]],
        T("Street", "所在道路")(lang): [display.text(v) for v in rows["street"]],
        change: [_change(v, lang) for v in rows["change"]],
    })
    return {
        T("Communities moved", "小区调整")(lang): moved,
        T("Precincts", "片区增减")(lang): precincts,
        T("Coverage", "生活圈覆盖")(lang): coverage,
        T("Cost and funding", "投资与资金")(lang): funding,
        T("Conflicts", "管线冲突")(lang): conflicts,
        T("Conflicts opened, closed", "冲突明细")(lang): conflict_rows,
    }


def text_lines(diff: SchemeDiff, standards: Any = None, lang: str | None = None) -> list[str]:
    """The diff as a few short tables for the terminal."""
    a, b = diff.a, diff.b
    lines = [T(f"Scheme {a} → {b}", f"方案 {a} → {b}")(lang)]
    lines.append(T(f"Communities moved between precincts: {len(diff.moved)}",
                   f"调整片区的小区：{len(diff.moved)} 个")(lang))
    for r in diff.moved.itertuples(index=False):
        lines.append(f"  {r.fid:>6}  {display.text(r.name):<16} {_precinct(r.from_precinct, lang)}"
                     f" → {_precinct(r.to_precinct, lang)}")
    if diff.communities_added or diff.communities_removed:
        lines.append(T(f"Communities only in {b}: {len(diff.communities_added)}; only in {a}: "
                       f"{len(diff.communities_removed)}",
                       f"仅 {b} 有的小区：{len(diff.communities_added)} 个；仅 {a} 有的："
                       f"{len(diff.communities_removed)} 个")(lang))
    lines.append(T(f"Precincts added: {display.join(diff.precincts_added, lang) or '—'}; removed: "
                   f"{display.join(diff.precincts_removed, lang) or '—'}",
                   f"新增片区：{display.join(diff.precincts_added, lang) or '—'}；取消片区："
                   f"{display.join(diff.precincts_removed, lang) or '—'}")(lang))
    parts = frames(diff, standards, lang)
    computed = (diff.coverage is not None, diff.funding is not None, diff.conflicts is not None)
    for title, on in zip(list(parts)[2:5], computed, strict=True):
        if not on:
            lines.append(f"{title}: {NOT_COMPUTED(lang)}")
            continue
        lines.append(f"{title}:")
        frame = parts[title]
        lines.append("  " + " | ".join(str(c) for c in frame.columns))
        for rec in frame.itertuples(index=False):
            lines.append("  " + " | ".join(_cell(v) for v in rec))
    changed = diff.conflict_changes
    if changed is not None and len(changed):
        lines.append(T(f"Conflicts opened or closed: {len(changed)} (listed in the XLSX)",
                       f"新增或消除的冲突：{len(changed)} 处（明细见 XLSX）")(lang))
    return lines


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
