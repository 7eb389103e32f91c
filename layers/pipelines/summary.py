"""What the pipeline conflicts mean, in three categories, and the words for them.

- ``violation``: a confirmed clearance (V, S or the project's own value, see
  :mod:`layers.pipelines.rules`) is breached — horizontally (``clearance``) or
  at a crossing (``crossing``);
- ``unchecked``: a rule exists but its value is not confirmed (NF) or the data it
  needs (diameter, gas pressure, depth) are missing — a to-do ("clearance not
  confirmed: check 给水–电力"), never a conflict;
- ``notice``: coordination information — parallel runs and crossings of classes the
  clearance tables have no rule for, dig-once groups, pipes under communities
  whose renovation is planned.

A pair that meets its confirmed clearance is in no category. The CLI, the panel and
the reports lead with the violations (:func:`headline`).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from layers import display
from layers.errors import T
from layers.kinds import CONFLICT_CATEGORIES, CONFLICT_TYPES
from layers.labels import CONFLICT_CATEGORY_LABELS

CATEGORIES = CONFLICT_CATEGORIES
CATEGORY_LABELS = CONFLICT_CATEGORY_LABELS
WHY = {
    "not_confirmed": T("the table's value is not confirmed", "规范表中该项数值未确认"),
    "unknown_condition": T("diameter or gas pressure unknown", "管径或燃气压力等级不详"),
    "data_missing": T("depth or diameter unknown", "埋深或管径不详"),
    "no_rule": T("the clearance tables have no rule for these classes",
                 "净距表中没有这两类管线的规定"),
}


# --- notes (written in the reader's language when the conflicts are found) ------------
def pair_text(a, b, lang: str, standards=None) -> str:
    """Two pipeline classes as the reader names them: 给水–电力."""
    return f"{display.utility(a, lang, standards)}–{display.utility(b, lang, standards)}"


def _m(value: float) -> str:
    return f"{float(value):g}"


def violation_note(kind: str, pair: str, lang: str, bound: bool = False,
                   overlap: bool = False) -> str:
    if kind == "crossing":
        text = T(f"breaches the {pair} vertical clearance", f"不满足{pair}最小垂直净距")
        if overlap:
            text = T(f"{text.en}: the pipes overlap in depth", f"{text.zh}：两管埋深范围重叠")
        return text(lang)
    text = T(f"breaches the {pair} horizontal clearance", f"不满足{pair}最小水平净距")
    if bound:
        text = T(f"{text.en} (diameter or pressure unknown: closer than every value the table "
                 "gives for the pair)", f"{text.zh}（管径或压力等级不详：小于表中该组合的所有取值）")
    return text(lang)


def unchecked_note(kind: str, pair: str, reason: str, lang: str, low: float = np.nan,
                   high: float = np.nan) -> str:
    why = WHY.get(reason, WHY["not_confirmed"])
    if kind == "crossing":
        text = T(f"vertical clearance not confirmed: check the {pair} crossing ({why.en})",
                 f"垂直净距未确认：请核对{pair}交叉（{why.zh}）")
    else:
        text = T(f"clearance not confirmed: check {pair} ({why.en})",
                 f"净距未确认：请核对{pair}（{why.zh}）")
    if np.isfinite(low) and np.isfinite(high):
        text = T(f"{text.en}; the table gives {_m(low)}–{_m(high)} m",
                 f"{text.zh}；表中取值 {_m(low)}–{_m(high)} m")
    return text(lang)


def notice_note(kind: str, pair: str, lang: str, length: float = np.nan) -> str:
    why = WHY["no_rule"]
    if kind == "parallel":
        return T(f"{pair} run alongside for {length:.0f} m; {why.en}",
                 f"{pair}并行 {length:.0f} m；{why.zh}")(lang)
    return T(f"{pair} cross; {why.en}", f"{pair}交叉；{why.zh}")(lang)


def dig_once_note(works: str, separate: float, once: float, lang: str) -> str:
    return T(f"works {works}; trench {separate:.1f} m dug separately, {once:.1f} m dug once",
             f"工程 {works}；分别开挖沟槽 {separate:.1f} m，统一开挖 {once:.1f} m")(lang)


#: how the notes the software writes begin or read (this version in both languages, and
#: the English notes and rule keys of the versions before categories)
_SOFTWARE_NOTE = re.compile(
    r"^(breaches the |不满足|clearance not confirmed: |净距未确认：|vertical clearance not "
    r"confirmed: |垂直净距未确认：|works .*; trench |工程 .*；分别开挖|unchecked: |"
    r"centre-line distance \(diameter unknown\)$|pipes overlap in depth$|"
    r"[a-z_]+\|[a-z_]+\|[^ ]*$)"
    r"|.+ run alongside for \d+ m; |.+并行 \d+ m；|.+ cross; the clearance tables|.+交叉；净距表中")


def software_note(text: str) -> bool:
    """A note the software wrote (re-running writes it anew), not one a person wrote."""
    return bool(_SOFTWARE_NOTE.match(str(text)))


# --- counting -----------------------------------------------------------------------
def categories_of(conflicts: pd.DataFrame) -> pd.Series:
    """The category of each row; rows of a layer found before categories existed get
    theirs from their type and ``checked`` (such a layer only held clearance and
    crossing rows that breached a value or could not be checked)."""
    kinds = conflicts["conflict_type"] if "conflict_type" in conflicts else \
        pd.Series([None] * len(conflicts), index=conflicts.index)
    checked = conflicts["checked"] if "checked" in conflicts else \
        pd.Series([None] * len(conflicts), index=conflicts.index)
    stored = conflicts["category"] if "category" in conflicts else \
        pd.Series([None] * len(conflicts), index=conflicts.index)
    out = []
    for cat, kind, ok in zip(stored, kinds, checked, strict=True):
        if isinstance(cat, str) and cat in CATEGORIES:
            out.append(cat)
        elif kind in ("clearance", "crossing"):
            out.append("violation" if not display.is_missing(ok) and bool(ok) else "unchecked")
        else:
            out.append("notice")
    return pd.Series(out, index=conflicts.index, dtype=object)


def counts_by_category(conflicts: pd.DataFrame) -> dict[str, int]:
    """Rows of each category (every category listed, zeros included)."""
    found = Counter(categories_of(conflicts))
    return {c: int(found.get(c, 0)) for c in CATEGORIES}


def _rule_of(kind: str, a: str, b: str, standards, cache: dict) -> tuple[str, str, str]:
    """The clearance table row's classes for two pipe classes, and why it could not be
    checked: ``not_confirmed`` when none of its rows has a confirmed value, else the
    data were missing (``unknown_condition`` / ``data_missing``)."""
    key = (kind, a, b)
    if key not in cache:
        from layers.pipelines.rules import candidates, class_chains, rules, standards_or_default

        std = standards_or_default(standards)
        table = "clearance_vertical" if kind == "crossing" else "clearance_horizontal"
        if ("chains", None, None) not in cache:
            cache[("chains", None, None)] = class_chains(std)
        if ("rules", table, None) not in cache:
            cache[("rules", table, None)] = rules(std, table)
        found = candidates(a, b, cache[("rules", table, None)], cache[("chains", None, None)])
        if not found:
            cache[key] = (a, b, "no_rule")
        else:
            rule = found[0][0]
            confirmed = any(r.confirmed for r, _ in found)
            data = "data_missing" if kind == "crossing" else "unknown_condition"
            cache[key] = (rule.class_a, rule.class_b, data if confirmed else "not_confirmed")
    return cache[key]


def to_check(conflicts: pd.DataFrame, standards=None) -> list[dict]:
    """The unchecked rows grouped by what to check: one entry per clearance table row
    (class pair), type and reason, most rows first. Each: ``conflict_type, class_a,
    class_b`` (the table row's classes, in its order), ``reason`` and ``pairs`` (rows)."""
    if not len(conflicts):
        return []
    rows = conflicts[(categories_of(conflicts) == "unchecked").to_numpy()]
    keys: Counter = Counter()
    cache: dict = {}
    for kind, ua, ub in zip(rows["conflict_type"], rows["utility_a"], rows["utility_b"],
                            strict=True):
        a, b, reason = _rule_of(str(kind), str(ua), str(ub), standards, cache)
        if reason == "no_rule":  # the pipes' own classes: one order for both
            a, b = sorted([a, b])
        keys[(str(kind), a, b, reason)] += 1
    return [{"conflict_type": k[0], "class_a": k[1], "class_b": k[2], "reason": k[3], "pairs": n}
            for k, n in sorted(keys.items(), key=lambda kv: (-kv[1], kv[0]))]


def by_type(conflicts: pd.DataFrame, category: str) -> dict[str, int]:
    """Rows of one category by conflict type (types without rows left out)."""
    if not len(conflicts):
        return {}
    kinds = conflicts["conflict_type"][(categories_of(conflicts) == category).to_numpy()]
    found = kinds.value_counts()
    return {k: int(found[k]) for k in CONFLICT_TYPES if found.get(k, 0)}


# --- headline -----------------------------------------------------------------------
def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def violations_text(n: int) -> T:
    return T(f"{n} clearance {_plural(n, 'violation', 'violations')}", f"{n} 项净距违规")


def unchecked_text(n: int) -> T:
    return T(f"{n} {_plural(n, 'pair', 'pairs')} to check (clearance not confirmed, not counted "
             "as conflicts)", f"{n} 处待核（净距未确认，不计为冲突）")


def notices_text(n: int) -> T:
    return T(f"{n} coordination {_plural(n, 'notice', 'notices')}", f"{n} 条协调提示")


def headline(conflicts: pd.DataFrame, lang: str | None = None, standards=None,
             details: int = 5) -> list[str]:
    """The summary a person reads first: violations, then the pairs to check (by rule),
    then the notices (by type)."""
    lang = display.lang_of(lang)
    counts = counts_by_category(conflicts)
    from layers.labels import CONFLICT_TYPE_LABELS as TYPES

    lines = [violations_text(counts["violation"])(lang)]
    kinds = by_type(conflicts, "violation")
    if kinds:
        lines.append("  " + display.join([f"{TYPES[k](lang)} {n}" for k, n in kinds.items()], lang))
    lines.append(unchecked_text(counts["unchecked"])(lang))
    groups = to_check(conflicts, standards)
    for g in groups[:details]:
        pair = pair_text(g["class_a"], g["class_b"], lang, standards)
        what = T("crossing", "交叉")(lang) if g["conflict_type"] == "crossing" else ""
        why = WHY.get(g["reason"], WHY["not_confirmed"])(lang)
        lines.append(T(f"  check {pair}{' ' + what if what else ''}: {g['pairs']} ({why})",
                       f"  核对{pair}{what}：{g['pairs']} 处（{why}）")(lang))
    if len(groups) > details:
        rest = sum(g["pairs"] for g in groups[details:])
        lines.append(T(f"  … {rest} more in {len(groups) - details} other rules",
                       f"  ……另有 {len(groups) - details} 条规定共 {rest} 处")(lang))
    lines.append(notices_text(counts["notice"])(lang))
    kinds = by_type(conflicts, "notice")
    if kinds:
        lines.append("  " + display.join([f"{TYPES[k](lang)} {n}" for k, n in kinds.items()], lang))
    return lines
