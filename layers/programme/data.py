"""What the programme modules share: sourced numbers, the layers they read, coverage gaps.

Every number the programme uses is read here from a standards table (with the
project's overrides) together with its source and confidence, so a result can
say where each of its numbers came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from layers.errors import ProjectError, T
from layers.standards import SCHEMAS

USER_SOURCE = ("project setting", "user")


@dataclass(frozen=True)
class Sourced:
    """A value with where it comes from (``table[key].column``, source, confidence)."""

    value: Any
    table: str
    key: str
    column: str
    source: str
    confidence: str

    @property
    def ref(self) -> str:
        return f"{self.table}[{self.key}].{self.column}" if self.table else self.key

    def as_dict(self, what: str = "") -> dict[str, Any]:
        return {"what": what or self.ref, "value": self.value, "ref": self.ref,
                "source": self.source, "confidence": self.confidence}


def missing(value: Any) -> bool:
    """True for None, NaN, NA and NaT."""
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def clean(value: Any) -> Any:
    """A cell as a plain Python value (``None`` when missing)."""
    if missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


def number(std, table: str, key: str, column: str) -> Sourced:
    """A numeric cell with its provenance; ``value`` is ``None`` when the cell is empty (NF)."""
    raw = std.value(table, key, column)
    source, confidence = std.provenance(table, key, column)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Sourced(None, table, key, column, source, "NF")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ProjectError(
            T(f"{table}[{key}].{column} is {raw!r}, not a number",
              f"标准表 {table} 键 {key} 列 {column} 的值 {raw!r} 不是数字"),
            f"table '{table}', key '{key}'",
            T("enter a number in the project's standards overrides", "请在项目标准覆盖值中填写数字"),
        ) from None
    return Sourced(value, table, key, column, source, confidence)


def text(std, table: str, key: str, column: str) -> Sourced:
    raw = std.value(table, key, column)
    source, confidence = std.provenance(table, key, column)
    return Sourced(None if raw is None else str(raw), table, key, column, source, confidence)


def parameter(std, key: str) -> Sourced:
    """A value of ``programme_parameters`` (numbers as float, texts as str)."""
    cell = text(std, "programme_parameters", key, "value")
    try:
        return Sourced(float(cell.value), *_tail(cell)) if cell.value is not None else cell
    except ValueError:
        return cell


def _tail(s: Sourced) -> tuple[str, str, str, str, str]:
    return s.table, s.key, s.column, s.source, s.confidence


def user_value(value: Any, what: str) -> Sourced:
    """A number the user typed for this project (kept in the project's settings)."""
    return Sourced(value, "", what, "", *USER_SOURCE)


def set_standard_value(project, table: str, key: str, column: str, value: Any) -> None:
    """Override one standards cell for this project (``None`` removes the override); one
    undoable step. Numbers go in as numbers where the loader knows the column as numeric,
    else as text.
    """
    from layers.config.command import ChangeSettings

    if value is not None:
        schema = SCHEMAS.get(table)
        numeric = schema is not None and (column in schema.numeric or column in schema.mixed)
        value = float(value) if numeric else _as_text(value)
    label = T(f"set {table}[{key}].{column}", f"设定 {table}[{key}].{column}")
    project.apply(ChangeSettings({("standards_overrides", table, key, column): value}, label,
                                 merge=True))


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


# --- layers ---------------------------------------------------------------------------------
def communities_layer(project, name: str | None = None):
    """The communities layer (by name, else the first of kind ``communities``)."""
    if name is not None:
        layer = project.layer(name)
        if layer.kind == "communities":
            return layer
    else:
        found = project.layers_of_kind("communities")
        if found:
            return found[0]
    raise ProjectError(T("the project has no communities layer", "项目中没有小区图层"),
                       f"project {project.metadata.get('title') or ''}".strip(),
                       T("import or draw the communities first", "请先导入或绘制小区"))


def table_layer(project, kind: str):
    """The first table layer of ``kind`` or ``None``."""
    found = project.layers_of_kind(kind)
    return found[0] if found else None


def community_row(project, fid: int, layer=None) -> pd.Series:
    layer = layer or communities_layer(project)
    layer._require(int(fid))
    return layer.gdf.loc[int(fid)]


def settings(project) -> dict:
    """The programme's own per-project inputs (central subsidy, extra costs, judgements)."""
    return project.settings.setdefault("programme", {})


def community_setting(project, section: str, fid: int, default: Any = None) -> Any:
    return (project.settings.get("programme") or {}).get(section, {}).get(str(int(fid)), default)


def set_community_setting(project, section: str, fid: int, value: Any) -> None:
    """One undoable step that sets (``None``: clears) ``programme.section[fid]``."""
    from layers.config.command import ChangeSettings
    from layers.programme.settings import COMMUNITY_SETTINGS

    label = next((s.label for s in COMMUNITY_SETTINGS.values() if s.section == section), T(section, section))
    project.apply(ChangeSettings({("programme", section, str(int(fid))): value},
                                 T(f"programme: {label.en}", f"改造计划：{label.zh}"), merge=True))


# --- coverage -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """Per community: services tested and services not covered (``None`` = not computed)."""

    tested: dict[int, list[str]]
    gaps: dict[int, list[str]]

    def of(self, fid: int) -> tuple[list[str], list[str]] | None:
        if int(fid) not in self.tested:
            return None
        return self.tested[int(fid)], self.gaps.get(int(fid), [])


NOT_COMPUTED = T("coverage not computed", "未计算生活圈覆盖")


def coverage(project) -> Coverage | None:
    """Service gaps from the project's coverage results; ``None`` when there are none."""
    layer = table_layer(project, "coverage_results")
    if layer is None or len(layer) == 0:
        return None
    tested: dict[int, list[str]] = {}
    gaps: dict[int, list[str]] = {}
    for fid, service, covered in layer.gdf[["community_fid", "service", "covered"]].itertuples(
            index=False, name=None):
        if missing(fid) or missing(service) or missing(covered):
            continue
        tested.setdefault(int(fid), []).append(str(service))
        if not bool(covered):
            gaps.setdefault(int(fid), []).append(str(service))
    return Coverage(tested, gaps)
