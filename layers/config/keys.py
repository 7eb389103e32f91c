"""The keys of ``precinct config``: every standards value and every programme input a
project can set, typed, validated and applied as one undoable step.

Keys
----
``TABLE.KEY.COLUMN``
    a value cell of a standards table, e.g. ``funding_shares.basic_public.share``; the
    column may be left out where the table has one value column
    (``funding_shares.basic_public``). Clearance keys are ``class_a|class_b|condition``.
``community.FID_OR_NAME.SETTING``
    a programme input of one community, e.g. ``community.12.central_subsidy_yuan``,
    ``community.西陵一号小区.road_opening_reinstatement_yuan`` (see
    :data:`layers.programme.settings.COMMUNITY_SETTINGS`).

Values are typed by the key: shares take ``50%``, ``0.5`` or ``2/3``; money takes
``1,000,000``, ``100万`` or ``¥200000``; yes/no takes ``yes``/``no``/``是``/``否``; item lists
take item keys or their names separated by commas. An empty value (``KEY=``) removes the
project's value and the shipped one applies again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from layers import display
from layers.config import shares
from layers.config.command import ChangeSettings, get_path
from layers.config.shares import as_fraction
from layers.errors import ProjectError, T
from layers.programme.settings import COMMUNITY_SETTINGS, RELOCATABLE
from layers.standards import SCHEMAS

#: tables the programme panel shows (the numbers a funding or plan result rests on)
PROGRAMME_TABLES = ("funding_shares", "funding_rules", "districts", "programme_parameters",
                    "ranking_weights", "renovation_items")
CONFIDENCE_LABELS = {"V": T("verified", "已核实"), "S": T("secondary source — check", "二手来源，待核"),
                     "NF": T("the plan does not say — your assumption", "方案未规定，需您设定"),
                     "user": T("set in this project", "本项目设定")}


@dataclass
class Entry:
    """One settable value: where it is, what it is, what it is now and where that comes from."""

    key: str
    kind: str  # share | yuan | year | number | text | yes_no | items
    label: T
    value: Any
    shipped: Any
    source: str
    confidence: str  # V | S | NF | user
    path: tuple[str, ...]

    @property
    def is_set(self) -> bool:
        return self.confidence == "user"

    def shown(self, lang: str | None = None) -> str:
        return show(self.value, self.kind, lang)

    def source_text(self, lang: str | None = None) -> str:
        """The source in the reader's language where it is ours ("project setting: …")."""
        for ours in ("project override", "project setting"):
            if self.source.startswith(ours):
                return T("project setting", "项目设定")(lang) + self.source[len(ours):]
        return self.source

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "label": self.label(), "value": self.value,
                "shown": self.shown(), "shipped": self.shipped, "source": self.source_text(),
                "confidence": self.confidence, "set_in_project": self.is_set}


def _fail(what: T, where: str, fix: T) -> ProjectError:
    return ProjectError(what, where, fix)


# --- values -----------------------------------------------------------------------------------
def show(value: Any, kind: str, lang: str | None = None) -> str:
    """A value as a person reads it (shares as %, money in yuan, yes/no, item names)."""
    if value is None or (isinstance(value, (list, str)) and not value):
        return display.MISSING
    if kind == "share":
        return shares.shown(value) if as_fraction(value) is not None else str(value)
    if kind == "yuan":
        return display.yuan(value, lang)
    if kind == "yes_no":
        return display.yes_no(value, lang)
    if kind == "year":
        return f"{float(value):.0f}"
    if kind == "items":
        labels = display.code_labels("renovation_items")
        return display.join([labels.get(k, T(k, k))(display.lang_of(lang)) for k in value], lang)
    if kind == "number" and isinstance(value, (int, float)):
        return display.number(value)
    return str(value)


_YES = {"yes", "y", "true", "1", "是", "对", "✓"}
_NO = {"no", "n", "false", "0", "否", "不是"}


def parse(text: str, kind: str, key: str, keep_fraction: bool = False) -> Any:
    """A typed value from what a person wrote (``None`` for empty: remove the setting)."""
    raw = str(text).strip()
    if raw == "":
        return None
    where = f"config {key}"
    if kind == "share":
        if keep_fraction and re.fullmatch(r"\d+\s*/\s*\d+", raw):
            frac = as_fraction(raw)
            if frac is not None and 0 <= frac <= 1:
                return raw.replace(" ", "")
        frac = as_fraction(raw)
        if frac is None or not 0 <= frac <= 1:
            raise _fail(T(f"{raw!r} is not a share from 0 to 1", f"“{raw}”不是 0–1 之间的比例"), where,
                        T("write e.g. 50%, 0.5 or 2/3", "请写作 50%、0.5 或 2/3"))
        return float(frac)
    if kind in ("yuan", "number", "year"):
        cleaned = raw.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        cleaned = re.sub(r"(元|yuan)$", "", cleaned).strip()
        scale = 1.0
        if cleaned.endswith("万"):
            cleaned, scale = cleaned[:-1], 1e4
        elif cleaned.endswith("亿"):
            cleaned, scale = cleaned[:-1], 1e8
        try:
            value = float(cleaned) * scale
        except ValueError:
            raise _fail(T(f"{raw!r} is not a number", f"“{raw}”不是数字"), where,
                        T("write a number, e.g. 200000 or 20万", "请填写数字，例如 200000 或 20万")) from None
        if kind == "yuan" and value < 0:
            raise _fail(T("an amount must be ≥ 0", "金额须不小于 0"), where,
                        T("write the amount in yuan", "请以元为单位填写金额"))
        if kind == "year" and not (1800 <= value <= 2200 and value == int(value)):
            raise _fail(T(f"{raw!r} is not a year", f"“{raw}”不是年份"), where,
                        T("write a year, e.g. 2000", "请填写年份，例如 2000"))
        return value
    if kind == "yes_no":
        low = raw.lower()
        if low in _YES:
            return True
        if low in _NO:
            return False
        raise _fail(T(f"{raw!r} is not yes or no", f"“{raw}”不是“是”或“否”"), where,
                    T("write yes or no", "请填写 是 或 否"))
    if kind == "items":
        names = {lab.zh: k for k, lab in display.code_labels("renovation_items").items()}
        out = []
        for part in re.split(r"[,，、]", raw):
            part = part.strip()
            item = names.get(part, part)
            if item not in RELOCATABLE:
                allowed = display.join([display.code("renovation_items", k) for k in RELOCATABLE])
                raise _fail(T(f"{part!r} cannot be funded as pipeline relocation",
                              f"“{part}”不能按管线迁改出资"), where,
                            T(f"use some of: {allowed}", f"请从以下选择：{allowed}"))
            if item not in out:
                out.append(item)
        return out
    return raw


# --- keys -------------------------------------------------------------------------------------
def _value_columns(std, table: str) -> tuple[str, ...]:
    schema = SCHEMAS.get(table)
    return tuple(schema.values) if schema is not None else ()


def _kind(std, table: str, key: str, column: str) -> str:
    if table in ("funding_shares", "funding_rules") or column == "city_award_rate":
        return "share"
    if column.endswith("_yuan"):
        return "yuan"
    schema = SCHEMAS.get(table)
    frame = std.table(table)
    if "unit" in frame.columns:
        row = frame[frame["key"] == key]
        unit = str(row["unit"].iloc[0]) if len(row) and row["unit"].iloc[0] is not None else ""
        if unit in ("0–1", "0-1"):
            return "share"
        if unit in ("年", "year"):
            return "year"
    if schema is not None and (column in schema.numeric or column in schema.mixed):
        value = std.value(table, key, column)
        return "text" if isinstance(value, str) else "number"
    return "text"


#: names of value columns, where a table has several
COLUMN_LABELS = {"city_award_rate": T("city award rate", "市级奖补比例"), "code": T("code", "代码"),
                 "unit_cost_yuan": T("unit cost", "单价"), "clearance_m": T("clearance", "净距")}
#: NF cells listed by default as "the plan does not say — your assumption": the ones a result uses
_ASK = {"funding_shares": ("share",), "districts": ("city_award_rate",),
        "renovation_items": ("unit_cost_yuan",), "programme_parameters": ("value",),
        "ranking_weights": ("weight",)}


def _row_label(std, table: str, key: str, column: str) -> T:
    row = std.row(table, key)
    en = str(row.get("label_en") or key)
    zh = str(row.get("label_zh") or row.get("label_en") or key)
    if len(_value_columns(std, table)) > 1:
        col = COLUMN_LABELS.get(column, T(column, column))
        en, zh = f"{en}: {col.en}", f"{zh}：{col.zh}"
    return T(en, zh)


def standard_entry(project, table: str, key: str, column: str) -> Entry:
    std = project.standards()
    stored = std._locate(table, key)[1]
    value = std.value(table, stored, column)
    from layers.standards import load_standards

    shipped = load_standards().value(table, stored, column)
    source, confidence = std.provenance(table, stored, column)
    return Entry(f"{table}.{stored}.{column}", _kind(std, table, stored, column),
                 _row_label(std, table, stored, column), value, shipped, source, confidence,
                 ("standards_overrides", table, stored, column))


def _community_fid(project, ref: str) -> int:
    from layers.programme.data import communities_layer

    gdf = communities_layer(project).gdf
    if re.fullmatch(r"\d+", ref) and int(ref) in gdf.index:
        return int(ref)
    if "name" in gdf.columns:
        hits = [int(f) for f, n in gdf["name"].items() if str(n) == ref]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise _fail(T(f"{len(hits)} communities are named {ref!r}", f"有 {len(hits)} 个小区名为“{ref}”"),
                        f"config community.{ref}", T("use the community's number (fid) instead",
                                                     "请改用小区编号（fid）"))
    raise _fail(T(f"no community {ref!r}", f"没有小区“{ref}”"), f"config community.{ref}",
                T("use a community's number (fid) or its exact name", "请使用小区编号（fid）或准确名称"))


def community_entry(project, fid: int, name: str) -> Entry:
    setting = COMMUNITY_SETTINGS[name]
    path = setting.path(fid)
    value = get_path(project.settings, path)
    return Entry(f"community.{fid}.{name}", setting.kind, setting.label, value, None,
                 "project setting" if value is not None else "",
                 "user" if value is not None else "NF", path)


def entry(project, key: str) -> Entry:
    """The entry of one key (raises a one-line ProjectError for an unknown key)."""
    parts = key.split(".")
    if parts[0] == "community":
        if len(parts) < 3 or parts[-1] not in COMMUNITY_SETTINGS:
            names = ", ".join(COMMUNITY_SETTINGS)
            raise _fail(T(f"unknown community setting in {key!r}", f"“{key}”中的小区设置未知"),
                        f"config {key}", T(f"write community.FID.SETTING with SETTING one of {names}",
                                           f"请写作 community.编号.设置，设置为 {names} 之一"))
        return community_entry(project, _community_fid(project, ".".join(parts[1:-1])), parts[-1])
    std = project.standards()
    table = parts[0]
    if table not in std.names() or not _value_columns(std, table):
        tables = ", ".join(t for t in std.names() if _value_columns(std, t))
        raise _fail(T(f"unknown setting {key!r}", f"未知设置“{key}”"), f"config {key}",
                    T(f"start with community. or a table: {tables}", f"请以 community. 或表名开头：{tables}"))
    columns = _value_columns(std, table)
    rest = ".".join(parts[1:])
    if len(parts) >= 3 and parts[-1] in columns:
        row_key, column = ".".join(parts[1:-1]), parts[-1]
    elif len(columns) == 1:
        row_key, column = rest, columns[0]
    else:
        raise _fail(T(f"say which column of {table}: {', '.join(columns)}",
                      f"请指明 {table} 的列：{', '.join(columns)}"), f"config {key}",
                    T(f"write {table}.{rest or 'KEY'}.COLUMN", f"请写作 {table}.{rest or '键'}.列"))
    return standard_entry(project, table, row_key, column)  # an unknown key says so itself


def entries(project, scope: str = "set") -> list[Entry]:
    """Entries to list: ``set`` (what the project sets and what the plan leaves to it),
    ``programme`` (every number of the programme tables) or ``all``; a table name or
    ``community`` lists just that."""
    std = project.standards()
    tables = std.names() if scope in ("all", "set") else \
        (PROGRAMME_TABLES if scope == "programme" else ((scope,) if scope in std.names() else ()))
    out = []
    for table in tables:
        for column in _value_columns(std, table):
            for key in std._keys[table]:
                e = standard_entry(project, table, key, column)
                if scope == "set" and not (e.is_set or (e.confidence == "NF" and column in _ASK.get(table, ()))):
                    continue
                out.append(e)
    if scope in ("all", "set", "programme", "community"):
        for section_fids in _community_fids(project):
            out.append(section_fids)
    return out


def _community_fids(project) -> list[Entry]:
    found = []
    for name, setting in COMMUNITY_SETTINGS.items():
        block = get_path(project.settings, ("programme", setting.section)) or {}
        for fid, value in block.items():
            if setting.sub and not (isinstance(value, dict) and value.get(setting.sub) is not None):
                continue
            found.append(community_entry(project, int(fid), name))
    return sorted(found, key=lambda e: (int(e.key.split(".")[1]), e.key))


def assignment_command(project, assignments: list[tuple[str, str]], source: str | None = None):
    """One undoable :class:`ChangeSettings` for ``[(key, text), …]``, checked first.

    ``source`` is where the values come from (a document, a decision); it is kept next to
    each standards value and shown as its source.
    """
    changes: dict[tuple[str, ...], Any] = {}
    labels = []
    for key, text in assignments:
        e = entry(project, key)
        keep = e.path[0] == "standards_overrides" and e.path[1] in ("programme_parameters",)
        value = parse(text, e.kind, key, keep_fraction=keep)
        changes[e.path] = value
        if e.path[0] == "standards_overrides":
            ref = ".".join(e.path[1:])
            changes[("standards_override_sources", ref)] = (source or None) if value is not None else None
        labels.append(e.label)
    if not changes:
        return None
    text = T("set " + ", ".join(lab.en for lab in labels), "设定 " + "、".join(lab.zh for lab in labels))
    command = ChangeSettings(changes, text)
    from layers.standards import load_standards

    base = project.settings.get("standards_overrides") or {}
    merged = {t: {k: dict(c) for k, c in rows.items()} for t, rows in base.items()}
    for path, value in changes.items():
        if path[0] == "standards_overrides" and value is not None:
            merged.setdefault(path[1], {}).setdefault(path[2], {})[path[3]] = value
    load_standards().with_overrides(merged)  # a bad value raises a one-line StandardsError
    return command


def apply_assignments(project, assignments: list[tuple[str, str]], source: str | None = None) -> list[Entry]:
    """Set the values (one undo step) and return their entries as they are now."""
    command = assignment_command(project, assignments, source)
    if command is not None:
        project.apply(command)
    return [entry(project, key) for key, _ in assignments]
