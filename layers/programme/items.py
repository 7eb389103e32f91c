"""Renovation items: the catalogue (4 categories, 26 items), per-community checklists
pre-filled from the data, and cost totals by category and by basic / upgrade.

Unit costs come from the checklist row (``programme_items.unit_cost_yuan``) if set, else
from the catalogue (``renovation_items.unit_cost_yuan`` with the project's overrides).
The plan gives no costs, so until someone enters them a cost is reported as missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from layers import display
from layers.commands import AddFeatures, AddLayer, MacroCommand
from layers.errors import T
from layers.labels import ITEM_LEVEL_LABELS
from layers.layer import TableLayer
from layers.programme.data import (
    Sourced,
    clean,
    communities_layer,
    coverage,
    number,
    set_standard_value,
    table_layer,
    text,
)

ITEMS_LAYER = "programme_items"
LEVEL_LABELS = ITEM_LEVEL_LABELS


def catalogue(std) -> pd.DataFrame:
    """The renovation items with unit, level and unit cost (and where the cost comes from)."""
    frame = std.table("renovation_items")
    sources = [std.provenance("renovation_items", k, "unit_cost_yuan") for k in frame["key"]]
    frame["cost_source"] = [s for s, _ in sources]
    frame["cost_confidence"] = [c for _, c in sources]
    return frame.set_index("key", drop=False)


def set_catalogue_unit_cost(project, item: str, yuan: float | None) -> None:
    """Set (or clear, with ``None``) the project's unit cost of a catalogue item."""
    set_standard_value(project, "renovation_items", item, "unit_cost_yuan", yuan)


# --- suggestions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    item: str
    rule: str
    reason: T
    quantity: float | None
    quantity_from: Sourced | None
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "rule": self.rule, "reason": self.reason(),
                "quantity": self.quantity, "source": self.source,
                "quantity_from": self.quantity_from.as_dict() if self.quantity_from else None}


def _quantity(basis: str | None, row, std) -> tuple[float | None, Sourced | None]:
    if not basis:
        return None, None
    if basis == "one":
        return 1.0, None
    if basis == "buildings":
        n = clean(row.get("buildings"))
        return (None if n is None else float(n)), None
    if basis.startswith("households_per_100:"):
        rate = number(std, "parameters", basis.split(":", 1)[1], "value")
        households = clean(row.get("households"))
        if rate.value is None or households is None:
            return None, rate
        return round(households / 100.0 * rate.value, 1), rate
    return None, None


def suggestions(project, fid: int, row=None, std=None, cov=...) -> list[Suggestion]:
    """Items the data suggests for one community, each with its reason and rule."""
    std = std or project.standards()
    row = communities_layer(project).gdf.loc[int(fid)] if row is None else row
    cov = coverage(project) if cov is ... else cov
    found = cov.of(int(fid)) if cov is not None else None
    gaps = found[1] if found else []
    out: list[Suggestion] = []
    for rule in std.table("item_suggestions").itertuples(index=False):
        trigger, param = rule.trigger, clean(rule.param)
        reason = _triggered(trigger, param, row, gaps, std)
        if reason is None:
            continue
        qty, qty_from = _quantity(clean(rule.quantity_basis), row, std)
        out.append(Suggestion(rule.item, rule.key, reason, qty, qty_from, str(rule.source)))
    return out


def _triggered(trigger: str, param: Any, row, gaps: list[str], std=None) -> T | None:
    if trigger == "always":
        return T("every community (plan 二(二)4)", "所有小区（方案 二(二)4）")
    if trigger == "no_lift_min_floors":
        lifts, floors = clean(row.get("lifts")), clean(row.get("floors_max"))
        if lifts == 0 and floors is not None and floors >= float(param):
            return T(f"no lift and {floors} floors (≥ {param})", f"无电梯且 {floors} 层（≥ {param}）")
        return None
    if trigger == "coverage_gap":
        if param in gaps:
            return T(f"service gap: {display.service(param, 'en')} not covered",
                     f"服务缺口：{display.service(param, 'zh')}未覆盖")
        return None
    if trigger == "old_community":  # the one year rule: built by the end of 2000
        from layers.programme.eligibility import built_by

        if built_by(row, std):
            limit = std.value("programme_parameters", "old_community_built_by_year", "value")
            year = float(clean(row.get("year_built")))
            return T(f"built in {year:.0f} (by the end of {float(limit):.0f})",
                     f"{year:.0f} 年建成（{float(limit):.0f} 年底前）")
        return None
    return None


def items_layer(project):
    return table_layer(project, "programme_items")


def prefill_command(project, fids=None) -> MacroCommand | None:
    """Rows for the suggested items not yet on the communities' checklists (one undo step).

    Without ``fids`` every community not ineligible is pre-filled. ``None`` when nothing is new.
    """
    from layers.programme.eligibility import eligibility

    layer = items_layer(project)
    commands = []
    if layer is None:
        layer = TableLayer(project.unique_name(ITEMS_LAYER), "programme_items")
        commands.append(AddLayer(layer))
    if fids is None:
        fids = [f for f, e in eligibility(project).items() if e.status != "ineligible"]
    std, cov = project.standards(), coverage(project)
    communities = communities_layer(project).gdf
    listed = set(zip(layer.df["community_fid"].astype("int64"), layer.df["item"]))
    rows = []
    for fid in fids:
        for s in suggestions(project, fid, communities.loc[int(fid)], std, cov):
            if (int(fid), s.item) in listed:
                continue
            listed.add((int(fid), s.item))
            rows.append({"community_fid": int(fid), "item": s.item, "selected": True,
                         "quantity": s.quantity, "suggested_by": s.reason()})
    if not rows:
        return None
    commands.append(AddFeatures(layer.id, pd.DataFrame(rows)))
    return MacroCommand(T("pre-fill renovation items", "预填改造项目"), commands)


def add_item_command(project, fid: int, item: str, quantity: float | None = None,
                     unit_cost_yuan: float | None = None) -> MacroCommand:
    """Add one item to a community's checklist (creating the checklist table if needed)."""
    project.standards().row("renovation_items", item)  # a clear error for an unknown item
    layer = items_layer(project)
    commands = []
    if layer is None:
        layer = TableLayer(project.unique_name(ITEMS_LAYER), "programme_items")
        commands.append(AddLayer(layer))
    row = {"community_fid": int(fid), "item": item, "selected": True, "quantity": quantity,
           "unit_cost_yuan": unit_cost_yuan, "suggested_by": "user"}
    commands.append(AddFeatures(layer.id, pd.DataFrame([row])))
    return MacroCommand(T("add renovation item", "添加改造项目"), commands)


# --- checklist and costs ----------------------------------------------------------------------
def unit_cost(std, item: str, row_override: Any = None, row_fid: int | None = None) -> Sourced:
    """The unit cost of an item: the checklist row's override, else the catalogue's."""
    if clean(row_override) is not None:
        return Sourced(float(row_override), "programme_items", str(row_fid), "unit_cost_yuan",
                       "checklist row (user)", "user")
    return number(std, "renovation_items", item, "unit_cost_yuan")


LINE_COLUMNS = ("row_fid", "community_fid", "item", "label", "category", "level", "unit",
                "selected", "quantity", "unit_cost", "unit_cost_ref", "unit_cost_source",
                "unit_cost_confidence", "cost", "suggested_by")


def checklist(project, fid: int | None = None) -> pd.DataFrame:
    """Checklist lines (every community, or one) with unit costs, their sources and costs."""
    layer = items_layer(project)
    if layer is None or len(layer) == 0:
        return pd.DataFrame(columns=list(LINE_COLUMNS))
    std = project.standards()
    cat = catalogue(std)
    rows = layer.df if fid is None else layer.df[layer.df["community_fid"] == int(fid)]

    def column(name: str) -> list:
        values = rows[name].to_numpy(dtype=object) if name in rows.columns else [None] * len(rows)
        return [clean(v) for v in values]

    per_item: dict[str, tuple] = {}  # item → (catalogue row, catalogue cost, label): asked once

    def about(item: str) -> tuple:
        if item not in per_item:
            info = cat.loc[item] if item in cat.index else None
            default = unit_cost(std, item) if info is not None \
                else Sourced(None, "", item, "", "unknown item", "NF")
            if info is None:
                per_item[item] = (None, default, item, None, None, None)
            else:
                per_item[item] = (info, default, T(str(info["label_en"]), str(info["label_zh"]))(),
                                  str(info["category"]), str(info["level"]), clean(info["unit"]))
        return per_item[item]

    lines = []  # one pass over plain values: the city's 38,000 lines took a minute by row
    for row_fid, community, item, selected, qty, override, suggested in zip(
            rows.index.to_numpy(), rows["community_fid"].to_numpy(), column("item"),
            column("selected"), column("quantity"), column("unit_cost_yuan"),
            column("suggested_by"), strict=True):
        item = str(item)
        info, cost_of, label, category, level, unit = about(item)
        if info is not None and override is not None:
            cost_of = unit_cost(std, item, override, int(row_fid))
        cost = None if qty is None or cost_of.value is None else float(qty) * cost_of.value
        lines.append({
            "row_fid": int(row_fid), "community_fid": int(community), "item": item,
            "label": label, "category": category, "level": level, "unit": unit,
            "selected": bool(selected), "quantity": qty,
            "unit_cost": cost_of.value, "unit_cost_ref": cost_of.ref,
            "unit_cost_source": cost_of.source, "unit_cost_confidence": cost_of.confidence,
            "cost": cost, "suggested_by": suggested,
        })
    return pd.DataFrame(lines, columns=list(LINE_COLUMNS))


@dataclass
class CostSummary:
    total: float
    by_category: dict[str, float]
    by_level: dict[str, float]
    missing: list[str]  # selected items whose cost cannot be computed (and why): stable keys
    items: int
    missing_text: list[T] = field(default_factory=list)  # the same in words, for a reader
    extra: dict[str, float] = field(default_factory=dict)  # pipeline-works costs outside the items

    @property
    def complete(self) -> bool:
        return self.items > 0 and not self.missing

    def as_dict(self) -> dict[str, Any]:
        return {"total_yuan": self.total, "by_category": self.by_category, "by_level": self.by_level,
                "extra_yuan": self.extra, "missing": self.missing, "items": self.items,
                "complete": self.complete}


def cost_summary(lines: pd.DataFrame) -> CostSummary:
    """Totals of the selected lines by category and by basic / upgrade."""
    chosen = lines[lines["selected"].astype(bool)] if len(lines) else lines
    by_category: dict[str, float] = {}
    by_level: dict[str, float] = {"basic": 0.0, "upgrade": 0.0}
    missing: list[str] = []
    missing_text: list[T] = []
    total = 0.0
    for line in chosen.itertuples(index=False):
        if line.cost is None or pd.isna(line.cost):
            why = "quantity not set" if line.quantity is None or pd.isna(line.quantity) \
                else "unit cost not set"
            missing.append(f"{line.item}: {why}")
            name = display.code_labels("renovation_items").get(line.item, T(line.item, line.item))
            missing_text.append(T(f"{name.en}: {why}", f"{name.zh}：" + (
                "数量未填写" if why == "quantity not set" else "单价未填写")))
            continue
        total += float(line.cost)
        by_category[line.category] = by_category.get(line.category, 0.0) + float(line.cost)
        by_level[line.level] = by_level.get(line.level, 0.0) + float(line.cost)
    return CostSummary(total, by_category, by_level, missing, len(chosen), missing_text)


def community_costs(project) -> dict[int, CostSummary]:
    """Cost summary per community with a checklist or pipeline-works costs; the total holds
    the road opening and reinstatement and 广电 relocation costs (what the funding splits)."""
    lines = checklist(project)
    out = {int(fid): cost_summary(group) for fid, group in lines.groupby("community_fid")} if len(lines) else {}
    extras = ((project.settings.get("programme") or {}).get("extra_costs") or {})
    for fid, costs in extras.items():
        amounts = {k: float(v) for k, v in (costs or {}).items() if v}
        if not amounts:
            continue
        summary = out.setdefault(int(fid), CostSummary(0.0, {}, {"basic": 0.0, "upgrade": 0.0}, [], 0))
        summary.extra = amounts
        summary.total += sum(amounts.values())
    return out


def item_rule(std, item: str) -> Sourced:
    """How an item is funded: ``pipeline_relocation``, ``weak_current`` or ``level``."""
    keys = std.__dict__.get("_item_funding_keys")  # a Standards never changes: asked once
    if keys is None:
        keys = std.__dict__["_item_funding_keys"] = frozenset(std.table("item_funding")["key"])
    if item in keys:
        return text(std, "item_funding", item, "rule")
    return Sourced("level", "renovation_items", item, "level",
                   *std.provenance("renovation_items", item, "level"))
