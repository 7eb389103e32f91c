"""One display layer for the values a person reads: every enum, boolean, code, date,
number and unit on a screen, in a CLI's text or in an export goes through here.

Driven by the schemas (:mod:`layers.kinds`: field labels, units, fixed choices, the
standards table a field's values come from), the standards tables (``label_zh`` /
``label_en`` of services, levels, pipeline classes …) and the vocabulary of fixed
choices (:mod:`layers.labels`). GUI-free, so the CLI and the exports use it too; JSON
output keeps the stable raw keys and never comes through here.

>>> yuan(1234567.4, "zh"), yuan(1234567.4, "en")
('1,234,567 元', '1,234,567 yuan')
>>> rate(0.675, "zh"), yes_no(True, "zh"), yes_no(False, "en"), text(None)
('68%', '是', 'no', '—')
>>> date("2026-12-02", "zh"), date("2026-12-02", "en")
('2026年12月2日', '2026-12-02')
>>> from layers.kinds import COMMUNITIES
>>> field_label(COMMUNITIES.field("households"), "en"), field_label(COMMUNITIES.field("households"), "zh")
('Households', '户数 (户)')
>>> text("work_unit", COMMUNITIES.field("property_type"), "communities", "zh")
'单位公房（房改房）'
>>> layer_name("communities", "communities", "zh"), layer_name("我的小区", "communities", "zh")
('小区', '我的小区')
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from layers.errors import T
from layers.i18n import current_language
from layers.labels import (
    CODE_TABLES,
    DERIVED_COLUMNS,
    EXTRA_CODES,
    LAYER_FIELDS,
    OWN_LAYER_NAMES,
    choice_labels,
)
from layers.schema import Field

MISSING = "—"
YES, NO = T("yes", "是"), T("no", "否")
_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_UNITS = {"元": "yuan"}
_SHARE_UNITS = ("0–1", "0-1")
_NO_UNIT = ("year",)


def lang_of(lang: str | None = None) -> str:
    """``lang`` or the UI language."""
    return lang or current_language()


def is_missing(value: Any) -> bool:
    """None, NA, NaN and NaT (and empty text) are missing."""
    if value is None or value is pd.NA or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, (list, tuple, dict, set)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def plain(value: Any) -> Any:
    """A stored cell as a plain Python value (``None`` when missing)."""
    if is_missing(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def join(parts: Iterable[str], lang: str | None = None) -> str:
    """A list as a reader writes it: 、 in Chinese, commas in English."""
    return ("、" if lang_of(lang) == "zh" else ", ").join(str(p) for p in parts)


# --- numbers, money, rates, dates, booleans --------------------------------------------
def number(value: Any, digits: int = 4) -> str:
    """A number without noise: thousands separated from 10,000, up to ``digits`` decimals."""
    value = plain(value)
    if value is None:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    value = float(value)
    if not math.isfinite(value):
        return MISSING
    grouped = "," if abs(value) >= 10_000 else ""
    out = f"{value:{grouped}.{digits}f}".rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


def yuan(value: Any, lang: str | None = None, unit: bool = True) -> str:
    """Money in whole yuan with thousands separators (``1,234 元`` / ``1,234 yuan``)."""
    value = plain(value)
    if value is None:
        return MISSING
    amount = f"{float(value):,.0f}"
    return f"{amount} {T('yuan', '元')(lang_of(lang))}" if unit else amount


def rate(value: Any, lang: str | None = None, digits: int = 0) -> str:
    """A share 0–1 as a percentage (``68%``)."""
    value = plain(value)
    if value is None:
        return MISSING
    return f"{float(value) * 100:.{digits}f}%"


def date(value: Any, lang: str | None = None) -> str:
    """A date: ISO in English (2026-12-02), Chinese in Chinese (2026年12月2日)."""
    value = plain(value)
    if value is None:
        return MISSING
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(stamp):
        return MISSING
    timed = stamp != stamp.normalize()
    if lang_of(lang) == "zh":
        day = f"{stamp.year}年{stamp.month}月{stamp.day}日"
        return f"{day} {stamp:%H:%M}" if timed else day
    return stamp.strftime("%Y-%m-%d %H:%M" if timed else "%Y-%m-%d")


def yes_no(value: Any, lang: str | None = None) -> str:
    """是/否 or yes/no (— when unknown)."""
    value = plain(value)
    if value is None:
        return MISSING
    return (YES if bool(value) else NO)(lang_of(lang))


# --- codes from the standards tables ---------------------------------------------------
_CODE_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _standards(standards: Any) -> Any:
    if standards is not None:
        return standards
    from layers.standards import load_standards

    return load_standards()


def code_labels(table: str, standards: Any = None) -> dict[str, T]:
    """``key -> label`` of a standards table that has ``label_en`` / ``label_zh`` columns."""
    std = _standards(standards)
    cached = _CODE_CACHE.setdefault(std, {})
    if table not in cached:
        names: dict[str, T] = {}
        try:
            frame = std.table(table)
        except Exception:  # an unknown table names nothing  # noqa: BLE001
            frame = None
        if frame is not None and {"label_en", "label_zh"} <= set(frame.columns):
            for key, en, zh in zip(frame["key"], frame["label_en"], frame["label_zh"]):
                if isinstance(en, str) and isinstance(zh, str):
                    names[str(key)] = T(en, zh)
        cached[table] = names
    return cached[table]


def code(table: str, key: Any, lang: str | None = None, standards: Any = None) -> str:
    """A standards key by its label (``elder_care`` → 养老服务设施); unknown keys as they are."""
    key = plain(key)
    if key is None:
        return MISSING
    label = code_labels(table, standards).get(str(key))
    return label(lang_of(lang)) if label is not None else str(key)


def service(key: Any, lang: str | None = None, standards: Any = None) -> str:
    return code("services", key, lang, standards)


def level(key: Any, lang: str | None = None, standards: Any = None) -> str:
    return code("life_circle_levels", key, lang, standards)


def utility(key: Any, lang: str | None = None, standards: Any = None) -> str:
    """A pipeline class (``drainage_sewage`` → 污水) or ``building`` (建筑物)."""
    if plain(key) in EXTRA_CODES:
        return EXTRA_CODES[plain(key)](lang_of(lang))
    return code("pipeline_classes", key, lang, standards)


def choice(kind: str | None, field: str, key: Any, lang: str | None = None) -> str:
    """A fixed choice of a schema field by its label (``remaining`` → 尚未拆除)."""
    key = plain(key)
    if key is None:
        return MISSING
    label = choice_labels(kind, field).get(str(key))
    return label(lang_of(lang)) if label is not None else str(key)


# --- fields and values -----------------------------------------------------------------
def names_layer(kind: str | None, field: Field) -> bool:
    """The field's values are layer names (shown as :func:`layer_name` says)."""
    return (kind, field.name) in LAYER_FIELDS


def is_share(field: Field) -> bool:
    """A 0–1 share, shown as a percentage."""
    return field.type == "float" and field.unit in _SHARE_UNITS


def unit_text(field: Field, lang: str | None = None) -> str:
    """The unit as the reader's language writes it (English never shows a Chinese unit;
    shares read in %, a year needs no unit)."""
    unit = field.unit
    if is_share(field):
        return "%"
    if unit in _NO_UNIT:
        return ""
    if not unit or lang_of(lang) == "zh":
        return unit
    unit = _EN_UNITS.get(unit, unit)
    return "" if _CJK.search(unit) else unit


def field_label(field: Field, lang: str | None = None, unit: bool = True) -> str:
    """A field's label with its unit: ``户数 (户)`` / ``Households`` / ``Floor area (m²)``."""
    lang = lang_of(lang)
    label = field.label(lang)
    shown = unit_text(field, lang) if unit else ""
    if not shown:
        return label
    return f"{label} ({shown})"


def column_label(schema: Any, column: str, lang: str | None = None) -> str:
    """The schema label of a column, or the column name (a field the user imported)."""
    if schema is not None and schema.has_field(column):
        return field_label(schema.field(column), lang)
    if column in DERIVED_COLUMNS:
        return DERIVED_COLUMNS[column](lang_of(lang))
    return str(column)


def labels_for(field: Field, kind: str | None = None, lang: str | None = None,
               standards: Any = None) -> dict[str, str]:
    """``key -> label`` of every named value of a field (empty for free values)."""
    lang = lang_of(lang)
    if field.choices is not None:
        return {k: v(lang) for k, v in choice_labels(kind, field.name).items()}
    table = field.choices_from or CODE_TABLES.get((kind or "", field.name))
    if table:
        codes = {**EXTRA_CODES, **code_labels(table, standards)}
        return {k: v(lang) for k, v in codes.items()}
    return {}


def text(value: Any, field: Field | None = None, kind: str | None = None,
         lang: str | None = None, standards: Any = None) -> str:
    """How a stored value reads: choices and codes by their labels, 是/否, dates, rates …"""
    value = plain(value)
    lang = lang_of(lang)
    if value is None:
        return MISSING
    if field is not None:
        if field.choices is not None:
            return choice(kind, field.name, value, lang)
        if (kind, field.name) in LAYER_FIELDS:
            return layer_name(str(value), lang=lang)
        table = field.choices_from or CODE_TABLES.get((kind or "", field.name))
        if table:
            return utility(value, lang, standards) if table == "pipeline_classes" else \
                code(table, value, lang, standards)
        if field.type == "date":
            return date(value, lang)
        if is_share(field):
            return rate(value, lang)
        if field.unit == "元" and isinstance(value, (int, float)):
            return yuan(value, lang, unit=False)
        if field.type == "int" and field.unit == "year":
            return str(value)
    if isinstance(value, (bool, np.bool_)):
        return yes_no(value, lang)
    if isinstance(value, (pd.Timestamp, _dt.date, np.datetime64)):
        return date(value, lang)
    if isinstance(value, (int, float)):
        return number(value)
    return str(value)


def cell(value: Any, field: Field | None = None, kind: str | None = None,
         lang: str | None = None, standards: Any = None) -> Any:
    """A spreadsheet cell: numbers stay numbers (rounded), everything else is :func:`text`;
    ``None`` for missing."""
    value = plain(value)
    if value is None:
        return None
    named = field is not None and (field.choices is not None or field.choices_from)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not named:
        return round(value, 2) if isinstance(value, float) else value
    return text(value, field, kind, lang, standards)


# --- layers ----------------------------------------------------------------------------
def layer_name(name: str, kind: str | None = None, lang: str | None = None) -> str:
    """A layer's name for the reader: a layer named after its kind (``communities``) or one
    the software made (``subdistricts``) reads in the language (小区, 街道); a name the
    user gave is theirs. Stored names never change."""
    from layers.kinds import KINDS

    lang = lang_of(lang)
    if name in KINDS and (kind is None or kind == name):
        return KINDS[name].label(lang)
    own = OWN_LAYER_NAMES.get(name)
    return own(lang) if own is not None else name


def layer_title(layer: Any, lang: str | None = None) -> str:
    """:func:`layer_name` of a layer object."""
    return layer_name(layer.name, getattr(layer, "kind", None), lang)
