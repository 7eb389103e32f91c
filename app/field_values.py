"""What the attribute table and the feature form share about one field's values: the
allowed choices with their labels in both languages, how a value reads on screen, and
the check a typed-in value goes through before it becomes a command.

The check is the one the commands and the layer use: the value is brought to the
field's type exactly as :class:`~layers.commands.ChangeAttributes` does, then the
layer schema validates it (range, allowed values, required) on a one-row frame.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from layers.commands import _coerce_value
from layers.errors import EditError, ProjectError, T, ValidationError
from layers.i18n import current_language
from layers.schema import Field

YES, NO = T("yes", "是"), T("no", "否")
EMPTY = T("(empty)", "（空）")
_ALLOWED = T("enter a value this field allows (its range or list)", "请输入该字段允许的值（范围或列表内）")

_OWN = {  # labels of the schema's fixed choices, per (kind or None, field)
    (None, "property_type"): {
        "commercial": T("commercial housing", "商品房"),
        "work_unit": T("work-unit housing", "单位公房（房改房）"),
        "resettlement": T("resettlement housing", "安置房"),
        "affordable": T("affordable housing", "保障性住房"),
        "mixed": T("mixed", "混合"), "other": T("other", "其他")},
    (None, "illegal_structures"): {
        "none": T("none", "无违建"), "cleared": T("cleared", "已拆除"),
        "mostly_cleared": T("mostly cleared", "基本拆除"), "remaining": T("remaining", "尚未拆除"),
        "unknown": T("unknown", "不详")},
    ("facilities", "status"): {
        "existing": T("existing", "现状"), "planned": T("planned", "规划"),
        "under_construction": T("under construction", "在建"), "closed": T("closed", "已关闭")},
    ("pipelines", "status"): {
        "existing": T("existing", "现状"), "relocation": T("to be relocated", "迁改"),
        "new": T("new", "新建"), "abandoned": T("abandoned", "废弃")},
    (None, "parcel_type"): {"idle_land": T("idle land", "闲置用地"),
                            "public_building": T("public building", "存量公房")},
    (None, "ownership"): {
        "state": T("state", "国有"), "collective": T("collective", "集体"),
        "work_unit": T("work unit", "单位"), "private": T("private", "私有"),
        "unknown": T("unknown", "不详")},
    (None, "availability"): {
        "available": T("available", "可用"), "negotiating": T("negotiating", "协商中"),
        "unavailable": T("unavailable", "不可用"), "unknown": T("unknown", "不详")},
    (None, "road_class"): {
        "arterial": T("arterial", "主干路"), "secondary": T("secondary", "次干路"),
        "branch": T("branch", "支路"), "lane": T("lane", "街巷"), "footway": T("footway", "步行道")},
    (None, "level"): {
        "city": T("city", "市"), "district": T("district", "区（县）"),
        "subdistrict": T("sub-district", "街道（乡镇）"),
        "neighbourhood": T("neighbourhood", "社区（居委会）")},
    ("coverage_results", "flag"): {
        "ok": T("ok", "满足"), "far_from_network": T("far from the street network", "距路网过远"),
        "unreachable": T("unreachable", "不可达"), "no_facility": T("no facility", "无设施")},
    ("coverage_results", "mode"): {"network": T("along streets", "路网距离"),
                                   "euclidean": T("straight line", "直线距离")},
}


@lru_cache(maxsize=1)
def _labels() -> dict[tuple[str | None, str], dict[str, T]]:
    """Every label dictionary, the ones kept next to their analyses included."""
    from layers.pipelines.conflicts import STATUS_LABELS, TYPE_LABELS
    from layers.programme.items import LEVEL_LABELS
    from layers.programme.status import STATE_LABELS

    return {**_OWN, (None, "programme_status"): STATE_LABELS,
            ("programme_events", "status"): STATE_LABELS,
            ("conflicts", "conflict_type"): TYPE_LABELS, ("conflicts", "status"): STATUS_LABELS,
            ("renovation_items", "level"): LEVEL_LABELS}


def field_label(field: Field, required_mark: bool = False) -> str:
    """The field's label in the UI language with its unit, e.g. ``Population (人)``."""
    text = field.label(current_language())
    if field.unit:
        text += f" ({field.unit})"
    return text + " *" if required_mark and field.required else text


def choice_items(project, kind: str, field: Field) -> list[tuple[str, str]] | None:
    """``(key, label)`` of every allowed value of ``field`` (None: any value goes).

    Fixed choices come from the schema; ``choices_from`` fields from the project's
    standards table, whose ``label_en`` / ``label_zh`` columns name them.
    """
    lang = current_language()
    if field.choices is not None:
        labels = _labels().get((kind, field.name)) or _labels().get((None, field.name)) or {}
        return [(k, labels[k](lang) if k in labels else k) for k in field.choices]
    if field.choices_from and project is not None:
        keys = project.allowed_values(field) or []
        table = project.standards().table(field.choices_from)
        names: dict[str, str] = {}
        if "label_en" in table.columns and "label_zh" in table.columns:
            for key, en, zh in zip(table["key"], table["label_en"], table["label_zh"]):
                if isinstance(en, str) and isinstance(zh, str):
                    names[str(key)] = T(en, zh)(lang)
        return [(k, names.get(k, k)) for k in keys]
    return None


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def plain(value: Any) -> Any:
    """A stored cell as a plain Python value (None when missing)."""
    if is_missing(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def number_text(value: float) -> str:
    """A float without noise: up to 4 decimals, trailing zeros dropped."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def date_text(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M")


def display_text(value: Any, field: Field | None = None, labels: dict | None = None) -> str:
    """How a stored value reads in the table (choices by their label, yes / no …)."""
    value = plain(value)
    if value is None:
        return ""
    if labels and value in labels:
        return labels[value]
    if isinstance(value, (bool, np.bool_)):
        return YES() if value else NO()
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)) or (field is not None and field.type == "date"):
        return date_text(value)
    return str(value)


def edit_text(value: Any) -> str:
    """A stored value as typed text (floats with their full precision)."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, pd.Timestamp):
        return date_text(value)
    return str(value)


def short_message(error: ProjectError, lang: str | None = None) -> str:
    """The problem alone (no place, no fix): for a red label next to a field."""
    if isinstance(error, ValidationError) and error.issues:
        return error.issues[0].problem(lang)
    return error.what(lang)


def check_values(project, layer, fid: int | None,
                 values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, ProjectError]]:
    """Bring typed-in values to their field types and validate them with the layer schema.

    Returns the converted values and, per field, the problem as an ``EditError`` (a value
    of the wrong type, or one the schema refuses: range, list, required). Fields outside
    the schema are converted only (as ``ChangeAttributes`` does).
    """
    converted: dict[str, Any] = {}
    problems: dict[str, ProjectError] = {}
    where = -1 if fid is None else int(fid)
    for name, value in values.items():
        if isinstance(value, str) and not value.strip():
            value = None
        try:
            converted[name] = _coerce_value(layer, where, name, value)
        except EditError as exc:
            problems[name] = exc
    schema = layer.schema
    checked = [n for n in converted if schema.has_field(n)]
    if checked:
        frame = pd.DataFrame(
            {n: pd.Series([converted[n]], dtype=schema.field(n).dtype) for n in checked})
        frame.index = pd.Index([where], dtype="int64", name="fid")
        allowed = project.allowed_values if project is not None else None
        issues = schema.validate(frame, layer.name, allowed=allowed)
        for issue in issues:
            if issue.field in checked and issue.field not in problems:
                if fid is None:  # a new feature has no id yet
                    issue = type(issue)(issue.layer, None, issue.field, issue.problem)
                problems[issue.field] = EditError(issue.problem, issue.where(), _ALLOWED)
    return converted, problems


def same_value(a: Any, b: Any) -> bool:
    a, b = plain(a), plain(b)
    if a is None or b is None:
        return a is None and b is None
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
