"""What the attribute table and the feature form share about one field's values: the
allowed choices with their labels in both languages, how a value reads on screen, and
the check a typed-in value goes through before it becomes a command.

The check is the one the commands and the layer use: the value is brought to the
field's type exactly as :class:`~layers.commands.ChangeAttributes` does, then the
layer schema validates it (range, allowed values, required) on a one-row frame.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from layers import display
from layers.commands import _coerce_value
from layers.errors import EditError, ProjectError, T, ValidationError
from layers.i18n import current_language
from layers.schema import Field

YES, NO = display.YES, display.NO
EMPTY = T("(empty)", "（空）")
_ALLOWED = T("enter a value this field allows (its range or list)", "请输入该字段允许的值（范围或列表内）")


def field_label(field: Field, required_mark: bool = False) -> str:
    """The field's label in the UI language with its unit, e.g. ``人口 (人)`` / ``Population``
    (:func:`layers.display.field_label`)."""
    text = display.field_label(field, current_language())
    return text + " *" if required_mark and field.required else text


def choice_items(project, kind: str, field: Field) -> list[tuple[str, str]] | None:
    """``(key, label)`` of every allowed value of ``field`` (None: any value goes).

    Fixed choices come from the schema; ``choices_from`` fields from the project's
    standards table, whose ``label_en`` / ``label_zh`` columns name them.
    """
    if field.choices is not None:
        labels = display.labels_for(field, kind)
        return [(k, labels.get(k, k)) for k in field.choices]
    if field.choices_from and project is not None:
        keys = project.allowed_values(field) or []
        names = display.labels_for(field, kind, standards=project.standards())
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
    """How a stored value reads in the table (choices by their label, 是/否, rates as %,
    Chinese or ISO dates: :func:`layers.display.text`); a missing value is a blank cell."""
    value = plain(value)
    if value is None:
        return ""
    if labels and value in labels:
        return labels[value]
    return display.text(value, field)


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
