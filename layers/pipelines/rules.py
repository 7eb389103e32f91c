"""Which clearance rule of the GB 50289 tables applies to a pair of pipes, and whether
its value is confirmed.

A rule row ``(class_a, class_b, condition, min_clearance_m)`` applies to a pair
of pipes when one pipe's class (or a parent class, e.g. ``drainage`` for
``drainage_storm``) is ``class_a`` and the other's is ``class_b``, in either
order. The most specific rows win (exact class before parent). A condition
(``d<=200``, ``d>200``, ``pressure=low`` …) is read on the pipe matching
``class_b`` — in GB 50289 Table 4.1.9 that is the water main's diameter or the
gas main's pressure class.

Confirmed
---------
A rule's value is *confirmed* when the table holds a number for it and the
cell's provenance (:meth:`layers.standards.Standards.provenance`) is ``V``
(verified from the standard), ``S`` (a secondary source, shipped to be checked
against the official text) or ``user`` (a value the project entered, e.g. from
the official table). ``NF`` — a cell the standard's text was not found for,
left empty — is not confirmed, and neither is an empty cell of a V/S row.
Only a confirmed value can make a violation; a pair whose rule is not confirmed
is *unchecked* (a to-do), never a conflict.

Each pair gets one ``reason`` code: ``""`` (checked against a confirmed value),
``not_confirmed`` (the applicable row's value is not confirmed),
``unknown_condition`` (a diameter or pressure the condition needs is unknown;
``low_m`` / ``high_m`` then bound the value when every row it could be is
confirmed) or ``no_rule`` (the tables have no row for these classes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.pipelines.pairs import _utilities

CONFIRMED = ("V", "S", "user")
REASON_NOT_CONFIRMED = "not_confirmed"
REASON_UNKNOWN = "unknown_condition"
REASON_NO_RULE = "no_rule"
REASON_DATA = "data_missing"  # crossings: a depth or diameter is unknown

_CONDITION = re.compile(r"^\s*(d|pressure)\s*(<=|>=|<|>|=)\s*([\w.]+)\s*$")
NOTE_NO_RULE = "no rule for this pair of classes in the table"
NOTE_EMPTY = "the table's cell has no confirmed value (NF)"
NOTE_UNKNOWN = "diameter or pressure unknown, so the rule cannot be chosen"
NOTE_DEPTH = "depth or diameter unknown"
NOTES = {"": "", REASON_NOT_CONFIRMED: NOTE_EMPTY, REASON_UNKNOWN: NOTE_UNKNOWN,
         REASON_NO_RULE: NOTE_NO_RULE, REASON_DATA: NOTE_DEPTH}


@dataclass(frozen=True)
class Rule:
    class_a: str
    class_b: str
    condition: str
    value: float | None
    source: str = ""
    confidence: str = "NF"

    @property
    def confirmed(self) -> bool:
        """The table holds a value for the rule and it is V, S or the user's own."""
        return self.value is not None and self.confidence in CONFIRMED

    @property
    def label(self) -> str:
        return f"{self.class_a}|{self.class_b}|{self.condition}"


def standards_or_default(standards):
    if standards is None:
        from layers.standards import load_standards

        return load_standards()
    return standards


def class_chains(standards) -> dict[str, list[str]]:
    """Each pipeline class with its parents, most specific first."""
    table = standards.table("pipeline_classes")
    parent = {str(k): (str(p) if isinstance(p, str) and p else None)
              for k, p in zip(table["key"], table["parent"], strict=True)}
    chains: dict[str, list[str]] = {}
    for key in parent:
        chain, cur = [key], parent[key]
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = parent.get(cur)
        chains[key] = chain
    return chains


def rules(standards, table: str) -> list[Rule]:
    """The rows of a clearance table with each value's provenance."""
    frame = standards.table(table)
    has_condition = "condition" in frame.columns
    conditions = frame["condition"] if has_condition else [""] * len(frame)
    out = []
    for a, b, c, v in zip(frame["class_a"], frame["class_b"], conditions, frame["min_clearance_m"],
                          strict=True):
        value = None if v is None or pd.isna(v) else float(v)
        cond = "" if c is None or pd.isna(c) else str(c)
        key = f"{a}|{b}|{cond}" if has_condition else f"{a}|{b}"
        source, confidence = standards.provenance(table, key, "min_clearance_m")
        out.append(Rule(str(a), str(b), cond, value, str(source), str(confidence)))
    return out


def candidates(p: str, q: str, table_rules: list[Rule], chains: dict[str, list[str]]
               ) -> list[tuple[Rule, bool]]:
    """Most specific rules for classes p, q; the flag is True when the condition reads q."""
    cp, cq = chains.get(p, [p]), chains.get(q, [q])
    found: list[tuple[int, Rule, bool]] = []
    for rule in table_rules:
        if rule.class_a in cp and rule.class_b in cq:
            found.append((cp.index(rule.class_a) + cq.index(rule.class_b), rule, True))
        elif rule.class_b in cp and rule.class_a in cq:
            found.append((cp.index(rule.class_b) + cq.index(rule.class_a), rule, False))
    if not found:
        return []
    best = min(r for r, _, _ in found)
    return [(rule, reads_q) for r, rule, reads_q in found if r == best]


def condition_holds(condition: str, diameter: np.ndarray, pressure: np.ndarray) -> np.ndarray:
    """1 where the condition holds, 0 where not, -1 where it cannot be told."""
    n = len(diameter)
    if not condition.strip():
        return np.ones(n, dtype=np.int8)
    m = _CONDITION.match(condition)
    if m is None:
        return np.full(n, -1, dtype=np.int8)
    field, op, text = m.groups()
    if field == "pressure":
        known = np.array([isinstance(v, str) and bool(v) for v in pressure])
        holds = np.array([v == text for v in pressure]) if op == "=" else np.zeros(n, bool)
        return np.where(known, holds.astype(np.int8), -1).astype(np.int8)
    value = float(text)
    d = diameter.astype(float)
    with np.errstate(invalid="ignore"):
        holds = {"<=": d <= value, "<": d < value, ">": d > value, ">=": d >= value,
                 "=": d == value}[op]
    return np.where(np.isnan(d), -1, holds.astype(np.int8)).astype(np.int8)


def column(gdf: gpd.GeoDataFrame, name: str, numeric: bool) -> np.ndarray:
    if name not in gdf.columns:
        return np.full(len(gdf), np.nan) if numeric else np.full(len(gdf), None, dtype=object)
    col = gdf[name]
    if numeric:
        return pd.to_numeric(col, errors="coerce").astype("float64").to_numpy()
    return col.astype(object).where(col.notna(), None).to_numpy()


def _empty_result(n: int, util_i: np.ndarray, util_j: np.ndarray) -> dict[str, np.ndarray]:
    return {"required_m": np.full(n, np.nan), "checked": np.zeros(n, dtype=bool),
            "rule": np.full(n, "", dtype=object), "reason": np.full(n, REASON_NO_RULE, dtype=object),
            "low_m": np.full(n, np.nan), "high_m": np.full(n, np.nan),
            "source": np.full(n, None, dtype=object), "confidence": np.full(n, None, dtype=object),
            "rule_class_a": np.asarray(util_i, dtype=object).copy(),
            "rule_class_b": np.asarray(util_j, dtype=object).copy()}


def required_clearance(gdf: gpd.GeoDataFrame, i: np.ndarray, j: np.ndarray, standards,
                       table: str = "clearance_horizontal") -> dict[str, np.ndarray]:
    """The required clearance of each pair ``(i[k], j[k])`` of positions.

    Returns arrays ``required_m`` (NaN unless a confirmed value applies), ``checked``,
    ``rule`` (``class_a|class_b|condition``), ``reason`` (module docstring),
    ``note`` (the reason in words), ``low_m`` / ``high_m`` (for ``unknown_condition``:
    the smallest and largest confirmed value the pair's rule could be, NaN when one of
    them is not confirmed), ``source`` / ``confidence`` of the row used and
    ``rule_class_a`` / ``rule_class_b`` (the row's classes; the pipes' own classes
    when there is no row).
    """
    standards = standards_or_default(standards)
    table_rules, chains = rules(standards, table), class_chains(standards)
    util = _utilities(gdf)
    diameter, pressure = column(gdf, "diameter_mm", True), column(gdf, "pressure", False)
    n = len(i)
    out = _empty_result(n, util[i] if n else [], util[j] if n else [])
    keys = pd.DataFrame({"a": util[i], "b": util[j]}).astype(str)
    for (p, q), rows in keys.groupby(["a", "b"], sort=False).indices.items():
        cands = candidates(p, q, table_rules, chains)
        if cands:
            _fill_group(out, rows, cands, i, j, diameter, pressure)
    out["note"] = np.array([NOTES[r] for r in out["reason"]], dtype=object)
    return out


def _fill_group(out: dict[str, np.ndarray], rows: np.ndarray, cands: list[tuple[Rule, bool]],
                i: np.ndarray, j: np.ndarray, diameter: np.ndarray, pressure: np.ndarray) -> None:
    """Choose the rule of each pair of one class pair (rows) among its candidate rows."""
    m = len(rows)
    best = np.full(m, np.nan)
    chosen = np.full(m, -1)  # the confirmed rule used
    unconfirmed = np.full(m, -1)  # an applicable rule without a confirmed value
    low, high = np.full(m, np.inf), np.full(m, -np.inf)
    low_at, high_at = np.full(m, -1), np.full(m, -1)
    unknown = np.zeros(m, dtype=bool)
    bound_ok = np.ones(m, dtype=bool)  # every rule the pair could be under is confirmed
    for k, (rule, reads_q) in enumerate(cands):
        side = j[rows] if reads_q else i[rows]
        holds = condition_holds(rule.condition, diameter[side], pressure[side])
        hit, maybe = holds == 1, holds == -1
        unknown |= maybe
        if not rule.confirmed:
            unconfirmed = np.where(hit & (unconfirmed < 0), k, unconfirmed)
            bound_ok &= ~maybe
            continue
        better = hit & ~(best >= rule.value)
        best = np.where(better, rule.value, best)
        chosen = np.where(better, k, chosen)
        lower, higher = maybe & (rule.value < low), maybe & (rule.value > high)
        low, low_at = np.where(lower, rule.value, low), np.where(lower, k, low_at)
        high, high_at = np.where(higher, rule.value, high), np.where(higher, k, high_at)
    ok = chosen >= 0
    pending = ~ok & (unconfirmed >= 0)
    guess = ~ok & ~pending & unknown
    reason = np.where(ok, "", np.where(pending, REASON_NOT_CONFIRMED,
                                       np.where(guess, REASON_UNKNOWN, REASON_NO_RULE)))
    bounded = guess & bound_ok & (low_at >= 0)
    used = np.where(ok, chosen, np.where(pending, unconfirmed, np.where(guess, low_at, -1)))
    used = np.where(used < 0, 0, used)  # no row applies: name the class pair by its first row
    picked = [cands[u][0] for u in used]
    out["required_m"][rows] = best
    out["checked"][rows] = ok
    out["reason"][rows] = reason
    out["low_m"][rows] = np.where(bounded, low, np.nan)
    out["high_m"][rows] = np.where(bounded, high, np.nan)
    out["rule"][rows] = [r.label if has else "" for r, has in
                         zip(picked, ok | pending | guess, strict=True)]
    out["source"][rows] = [r.source for r in picked]
    out["confidence"][rows] = [r.confidence for r in picked]
    out["rule_class_a"][rows] = [r.class_a for r in picked]
    out["rule_class_b"][rows] = [r.class_b for r in picked]
