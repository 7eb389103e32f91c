"""The standards tables under ``data/standards`` and their one loader.

Every numeric default the software uses (life-circle distances, pipeline
clearances and colours, funding rates …) lives in a CSV table with a
``source`` and a ``confidence`` (``V`` verified, ``S`` secondary, ``NF`` not
found) per row. This module reads those tables, checks their structure and
applies per-project overrides without touching the shipped values.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from numbers import Real
from pathlib import Path

import pandas as pd

from layers.errors import StandardsError, T
from layers.resources import data_path

CONFIDENCE = ("V", "S", "NF")
OVERRIDE_PROVENANCE = ("project override", "user")
_META = ("source", "confidence")
_SEP = "|"
_INF = math.inf


@dataclass(frozen=True)
class _Schema:
    """What the loader knows about one table (columns not listed are text)."""

    key: tuple[str, ...] = ("key",)
    numeric: tuple[str, ...] = ()
    values: tuple[str, ...] = ()  # the "value" cells: must be empty in NF rows
    ranges: tuple[tuple[str, float, float], ...] = ()  # plausible bounds for overrides
    mixed: tuple[str, ...] = ()  # each cell a number or a text (parameters.value)
    fks: tuple[tuple[str, str, str, tuple[str, ...]], ...] = ()  # col, table, col, extras


def _nonneg(*cols: str) -> tuple[tuple[str, float, float], ...]:
    return tuple((c, 0.0, _INF) for c in cols)


_LEVEL = ("minutes", "distance_m", "distance_min_m", "distance_max_m",
          "population_min", "population_max", "dwellings_min", "dwellings_max")
_SUB = ("serves_population_min", "serves_population_max", "min_floor_area_m2")
_RGB = ("color_r", "color_g", "color_b")
_PRESS = ("pressure_min_mpa", "pressure_max_mpa")
_CL = ("min_clearance_m",)
_LEVEL_FK = ("required_level", "life_circle_levels", "key", ())
_CLASS_FKS = (("class_a", "pipeline_classes", "key", ("building",)),
              ("class_b", "pipeline_classes", "key", ("building",)))

SCHEMAS: dict[str, _Schema] = {
    "life_circle_levels": _Schema(numeric=_LEVEL, values=_LEVEL, ranges=_nonneg(*_LEVEL)),
    "parameters": _Schema(mixed=("value",), values=("value",), ranges=_nonneg("value")),
    "services": _Schema(values=("required_level",), fks=(_LEVEL_FK,)),
    "service_subtypes": _Schema(numeric=_SUB, values=_SUB, ranges=_nonneg(*_SUB),
                                fks=(("service", "services", "key", ()), _LEVEL_FK)),
    "pipeline_classes": _Schema(numeric=_RGB, values=("code", *_RGB),
                                ranges=tuple((c, 0.0, 255.0) for c in _RGB),
                                fks=(("parent", "pipeline_classes", "key", ()),)),
    "gas_pressure_classes": _Schema(numeric=_PRESS, values=_PRESS, ranges=_nonneg(*_PRESS)),
    "clearance_horizontal": _Schema(key=("class_a", "class_b", "condition"), numeric=_CL,
                                    values=_CL, ranges=_nonneg(*_CL), fks=_CLASS_FKS),
    "clearance_vertical": _Schema(key=("class_a", "class_b"), numeric=_CL, values=_CL,
                                  ranges=_nonneg(*_CL), fks=_CLASS_FKS),
    "renovation_items": _Schema(numeric=("item_no", "unit_cost_yuan"), values=("unit_cost_yuan",),
                                ranges=_nonneg("item_no", "unit_cost_yuan")),
    "funding_rules": _Schema(numeric=("rate",), values=("rate",), ranges=(("rate", 0.0, 1.0),),
                             fks=(("district_code", "districts", "code", ()),)),
    "districts": _Schema(numeric=("city_award_rate",), values=("code", "city_award_rate"),
                         ranges=(("city_award_rate", 0.0, 1.0),)),
    "ranking_weights": _Schema(numeric=("weight",), values=("weight",), ranges=_nonneg("weight")),
    "funding_shares": _Schema(numeric=("share",), values=("share",), ranges=(("share", 0.0, 1.0),)),
    "programme_parameters": _Schema(mixed=("value",), values=("value",), ranges=_nonneg("value")),
    "item_funding": _Schema(values=("rule",), fks=(("key", "renovation_items", "key", ()),)),
    "item_suggestions": _Schema(fks=(("item", "renovation_items", "key", ()),)),
    "siting_parameters": _Schema(mixed=("value",), values=("value",), ranges=_nonneg("value")),
    "import_checks": _Schema(mixed=("value",), values=("value",), ranges=_nonneg("value")),
    "road_walkability": _Schema(values=("walkable",)),  # names: "|"-separated class values
}


def _number(text: str) -> int | float:
    """Parse a CSV cell as a finite number; raise ``ValueError`` otherwise."""
    try:
        return int(text)
    except ValueError:
        value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _is_fraction(value: object) -> bool:
    """A text such as ``2/3``: a share from 0 to 1 written as a fraction."""
    if not isinstance(value, str):
        return False
    parts = value.replace(" ", "").split("/")
    return (len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[1]) > 0
            and int(parts[0]) <= int(parts[1]))


def _py(value: object) -> object:
    """A cell as a plain Python value (``None`` for empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _py(value.item())
    return value


def _file_error(path: Path, line: int | str, column: str, en: str, zh: str) -> StandardsError:
    return StandardsError(
        T(f"Standards file '{path.name}', row {line}, column '{column}': {en}",
          f"标准表文件「{path.name}」第 {line} 行「{column}」列：{zh}"),
        f"file '{path}', row {line}, column '{column}'",
        T("correct the CSV (UTF-8, comma separated, header row) and reload; see data/standards/README.md",
          "请按 data/standards/README.md 改正该 CSV 文件(UTF-8、逗号分隔、首行为表头)后重新加载"),
    )


def _read_csv(path: Path) -> pd.DataFrame:
    """Read and check one standards CSV; numeric columns become numbers."""
    schema = SCHEMAS.get(path.stem, _Schema())
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _file_error(path, "-", "-", f"cannot be read ({exc})", f"无法读取({exc})") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    for col in (*schema.key, *_META):
        if col not in raw.columns:
            raise _file_error(path, 1, col, "required column is missing", "缺少必需的列")
    cells = {c: [None if s.strip() == "" else s.strip() for s in raw[c].tolist()] for c in raw.columns}
    for i in range(len(raw)):
        line = i + 2
        if cells["source"][i] is None:
            raise _file_error(path, line, "source", "source is empty", "来源为空")
        if cells["confidence"][i] not in CONFIDENCE:
            raise _file_error(path, line, "confidence",
                              f"'{cells['confidence'][i]}' is not one of V, S, NF",
                              f"「{cells['confidence'][i]}」不是 V、S、NF 之一")
        for col in schema.key:
            if cells[col][i] is None and col != "condition":
                raise _file_error(path, line, col, "key is empty", "键为空")
    numeric = set(schema.numeric)  # tables without a schema are read as text
    data: dict[str, object] = {}
    for col, vals in cells.items():
        if col in numeric or col in schema.mixed:
            parsed: list[object] = []
            for i, v in enumerate(vals):
                try:
                    parsed.append(None if v is None else _number(v))
                except ValueError:
                    if col in numeric:
                        raise _file_error(path, i + 2, col, f"'{v}' is not a number",
                                          f"「{v}」不是数字") from None
                    parsed.append(v)
            series = pd.Series(parsed, dtype=object)
            data[col] = pd.to_numeric(series) if col in numeric else series
        else:
            data[col] = pd.Series(["" if v is None and col == "condition" else v for v in vals],
                                  dtype=object)
    frame = pd.DataFrame(data)
    for col in schema.key:
        frame[col] = frame[col].astype(str)
    return frame


def _table_error(table: str, key: str, column: str, en: str, zh: str, fix: T) -> StandardsError:
    """A lookup or override problem naming table, key and column in both languages."""
    return StandardsError(
        T(f"Standards table '{table}', key '{key}', column '{column}': {en}",
          f"标准表「{table}」键「{key}」列「{column}」：{zh}"),
        f"table '{table}', key '{key}', column '{column}'",
        fix,
    )


class Standards:
    """All standards tables, read-only; :meth:`with_overrides` makes a changed copy."""

    def __init__(self, frames: dict[str, pd.DataFrame],
                 overridden: frozenset[tuple[str, str, str]] = frozenset(),
                 sources: dict[tuple[str, str, str], str] | None = None) -> None:
        self._frames = frames
        self._overridden = overridden
        self._sources = dict(sources or {})
        self._keys = {name: [_SEP.join(r) for r in f[list(self._schema(name).key)].itertuples(
            index=False, name=None)] for name, f in frames.items()}

    @staticmethod
    def _schema(name: str) -> _Schema:
        return SCHEMAS.get(name, _Schema())

    def names(self) -> list[str]:
        """Names of the loaded tables (CSV file stems), sorted."""
        return sorted(self._frames)

    def _frame(self, name: str, key: str = "-", column: str = "-") -> pd.DataFrame:
        if name not in self._frames:
            raise _table_error(name, key, column, "unknown table", "没有这个表",
                                  T(f"use one of: {', '.join(self.names())}",
                                    f"请使用以下表名之一：{', '.join(self.names())}"))
        return self._frames[name]

    def table(self, name: str) -> pd.DataFrame:
        """A copy of table ``name``; empty cells are NaN/None."""
        return self._frame(name).copy(deep=True)

    def _locate(self, name: str, key: str, column: str = "-") -> tuple[int, str]:
        """Row position and stored key; composite keys may be given either way round."""
        self._frame(name, str(key), column)
        keys, n = self._keys[name], len(self._schema(name).key)
        parts = str(key).split(_SEP)
        parts += [""] * (n - len(parts))
        candidates = [_SEP.join(parts)]
        if n > 1:
            candidates.append(_SEP.join([parts[1], parts[0], *parts[2:]]))
        for cand in candidates:
            if cand in keys:
                return keys.index(cand), cand
        example = ", ".join(keys[:4])
        hint = " (write class_a|class_b|condition)" if n > 1 else ""
        raise _table_error(name, str(key), column, "unknown key", "没有这个键",
                              T(f"use a key of the table{hint}, e.g. {example}",
                                f"请使用表中已有的键，例如 {example}"))

    def _column(self, name: str, key: str, column: str) -> None:
        cols = list(self._frame(name).columns)
        if column not in cols:
            raise _table_error(name, key, column, "unknown column", "没有这一列",
                                  T(f"use one of the columns: {', '.join(cols)}",
                                    f"请使用以下列之一：{', '.join(cols)}"))

    def row(self, table: str, key: str) -> dict[str, object]:
        """One row as a plain dict (``None`` for empty cells)."""
        pos, _ = self._locate(table, key)
        return {c: _py(v) for c, v in self._frames[table].iloc[pos].items()}

    def value(self, table: str, key: str, column: str) -> object:
        """One cell as a plain Python value (``None`` if empty). Cells are remembered: a
        Standards never changes (overrides make a new one), and the programme reads the
        same cells thousands of times."""
        memo = self.__dict__.setdefault("_memo_values", {})
        cell = (table, key, column)
        if cell not in memo:
            pos, _ = self._locate(table, key)
            self._column(table, key, column)
            memo[cell] = _py(self._frames[table][column].iat[pos])
        return memo[cell]

    def provenance(self, table: str, key: str, column: str) -> tuple[str, str]:
        """Where a cell's value comes from.

        Returns
        -------
        tuple of str
            ``(source, confidence)``; ``("project override", "user")`` for an
            overridden cell; confidence ``NF`` for an empty value cell.
        """
        memo = self.__dict__.setdefault("_memo_provenance", {})
        cell = (table, key, column)
        if cell not in memo:
            memo[cell] = self._provenance(table, key, column)
        return memo[cell]

    def _provenance(self, table: str, key: str, column: str) -> tuple[str, str]:
        pos, stored = self._locate(table, key)
        self._column(table, key, column)
        if (table, stored, column) in self._overridden:
            said = self._sources.get((table, stored, column))
            return (f"{OVERRIDE_PROVENANCE[0]}: {said}", OVERRIDE_PROVENANCE[1]) if said \
                else OVERRIDE_PROVENANCE
        frame = self._frames[table]
        source, conf = str(frame["source"].iat[pos]), str(frame["confidence"].iat[pos])
        if column in self._schema(table).values and _py(frame[column].iat[pos]) is None:
            conf = "NF"
        return source, conf

    def with_overrides(self, overrides: dict[str, dict[str, dict[str, object]]],
                       sources: dict[str, str] | None = None) -> Standards:
        """A new :class:`Standards` with per-project values applied.

        Parameters
        ----------
        overrides : dict
            ``{table: {key: {column: value}}}``; clearance keys are
            ``"class_a|class_b|condition"`` (vertical: ``"class_a|class_b"``).
        sources : dict, optional
            ``{"table.key.column": "where the project's value comes from"}``; shown by
            :meth:`provenance` after "project override: ".

        Raises
        ------
        StandardsError
            Unknown table, key or column; a protected column; a value of the
            wrong type or outside its plausible range. ``self`` is unchanged.
        """
        shape_ok = isinstance(overrides, dict) and all(
            isinstance(rows, dict) and all(isinstance(cols, dict) for cols in rows.values())
            for rows in overrides.values())
        if not shape_ok:
            raise _table_error("-", "-", "-", "overrides must be {table: {key: {column: value}}}",
                                  "覆盖值须为 {表: {键: {列: 值}}}", T("fix the project file", "请改正项目文件"))
        if not overrides and not sources:  # nothing to apply: the same read-only tables
            return self
        frames = dict(self._frames)
        done = set(self._overridden)
        for name, rows in overrides.items():
            first_key = next(iter(rows), "-")
            self._frame(name, str(first_key), next(iter(rows.get(first_key, {})), "-"))
            frame = frames[name] = self._frames[name].copy(deep=True)
            schema = self._schema(name)
            for key, cols in rows.items():
                pos, stored = self._locate(name, key, next(iter(cols), "-"))
                for column, new in cols.items():
                    self._column(name, key, column)
                    value = self._checked(name, key, column, new, frame[column].iat[pos], schema)
                    if isinstance(value, float) and frame[column].dtype.kind in "iu":
                        frame[column] = frame[column].astype(float)
                    frame.iat[pos, frame.columns.get_loc(column)] = value
                    done.add((name, stored, column))
        said = dict(self._sources)
        for ref, text in (sources or {}).items():
            table, rest = str(ref).split(".", 1)
            key, column = rest.rsplit(".", 1)
            if table in self._frames:
                try:
                    said[(table, self._locate(table, key)[1], column)] = str(text)
                except StandardsError:
                    continue  # a note about a row that is gone: nothing to show it on
        return Standards(frames, frozenset(done), said)

    def _checked(self, table: str, key: str, column: str, new: object, old: object,
                 schema: _Schema) -> object:
        """Validate one override value; return it in the column's type."""
        def fail(en: str, zh: str, fix_en: str, fix_zh: str) -> StandardsError:
            return _table_error(table, key, column, f"cannot override: {en}", f"无法覆盖：{zh}",
                                T(fix_en, fix_zh))

        if column in schema.key or column in _META:
            raise fail("key, source and confidence columns cannot be overridden",
                       "键列、来源列和可信度列不能覆盖",
                       "override a value column instead", "请覆盖数值列")
        old_value = _py(old)
        mixed = column in schema.mixed
        is_number = isinstance(new, Real) and not isinstance(new, bool)
        wants_number = column in schema.numeric or (mixed and isinstance(old_value, Real))
        if mixed and old_value is None and is_number:
            wants_number = True  # an empty parameter may take a number or a text
        if mixed and _is_fraction(old_value):  # a share written as a fraction ("2/3")
            if is_number and not 0 <= float(new) <= 1 or isinstance(new, str) and not _is_fraction(new):
                raise fail(f"expects a share from 0 to 1 (e.g. 0.75 or 3/4), got {new!r}",
                           f"应为 0–1 的比例（如 0.75 或 3/4），实际为 {new!r}",
                           "enter a share such as 0.75 or 3/4", "请填写比例，如 0.75 或 3/4")
            wants_number = is_number
        if not wants_number:
            if not isinstance(new, str) or not new.strip():
                raise fail(f"expects text, got {new!r}", f"应为文字，实际为 {new!r}",
                           "enter a non-empty text value", "请填写非空文字")
            for col, target, tcol, extras in schema.fks:
                allowed = set(self._frames[target][tcol].dropna()) if target in self._frames else set()
                if col == column and new not in allowed | set(extras):
                    names = ", ".join(sorted(allowed | set(extras)))
                    raise fail(f"'{new}' is not a {target}.{tcol}", f"「{new}」不是表 {target} 的 {tcol}",
                               f"use one of: {names}", f"请使用以下之一：{names}")
            return new
        if isinstance(new, bool) or not isinstance(new, Real):
            raise fail(f"expects a number, got {new!r}", f"应为数字，实际为 {new!r}",
                       "enter a number (no units, no text)", "请填写数字(不带单位或文字)")
        number = float(new)
        if not math.isfinite(number):
            raise fail("the number is not finite", "数值不是有限数", "enter a real number", "请填写有效数字")
        for col, low, high in schema.ranges:
            if col == column and not low <= number <= high:
                span = f"{low:g}–{high:g}" if high != _INF else f"≥ {low:g}"
                raise fail(f"{number:g} is outside the plausible range {span}",
                           f"{number:g} 超出合理范围 {span}",
                           f"enter a value {span}", f"请填写 {span} 的值")
        return int(number) if number.is_integer() and isinstance(new, int) else number

    def check(self) -> list[str]:
        """Structural problems of the loaded tables (empty list when all is well)."""
        problems: list[str] = []
        problems += [f"{n}: table missing" for n in SCHEMAS if n not in self._frames]
        for name, frame in self._frames.items():
            schema, keys = self._schema(name), self._keys[name]
            problems += [f"{name}: key '{k}' is not unique" for k, c in Counter(keys).items() if c > 1]
            for pos, key in enumerate(keys):
                if _py(frame["source"].iat[pos]) is None:
                    problems.append(f"{name}[{key}]: source is empty")
                if frame["confidence"].iat[pos] not in CONFIDENCE:
                    problems.append(f"{name}[{key}]: confidence not in V/S/NF")
                if frame["confidence"].iat[pos] == "NF":
                    problems += [f"{name}[{key}].{c}: NF row has a value" for c in schema.values
                                 if c in frame and _py(frame[c].iat[pos]) is not None
                                 and (name, key, c) not in self._overridden]
            for col, target, tcol, extras in schema.fks:
                if col not in frame or target not in self._frames:
                    problems.append(f"{name}.{col}: foreign key target {target} missing")
                    continue
                allowed = set(self._frames[target][tcol].dropna()) | set(extras)
                problems += [f"{name}.{col}: '{v}' is not a {target}.{tcol}"
                             for v in frame[col].dropna() if v not in allowed]
        if "pipeline_classes" in self._frames:
            pc = self._frames["pipeline_classes"].set_index("key")
            for key, parent in pc["parent"].dropna().items():
                if parent in pc.index and list(pc.loc[key, list(_RGB)]) != list(pc.loc[parent, list(_RGB)]):
                    problems.append(f"pipeline_classes[{key}]: colour differs from parent {parent}")
        return problems


def load_standards_from(directory: str | Path) -> Standards:
    """Read every ``*.csv`` in ``directory`` (not cached; for tests and tools).

    Raises
    ------
    StandardsError
        No tables, or a malformed file (names file, row and column).
    """
    path = Path(directory)
    files = sorted(path.glob("*.csv")) if path.is_dir() else []
    if not files:
        raise StandardsError(T("No standards tables found", "找不到标准表"), str(path),
                             T("reinstall Precinct Planner or restore data/standards",
                               "请重新安装或恢复 data/standards 目录"))
    return Standards({f.stem: _read_csv(f) for f in files})


@lru_cache(maxsize=1)
def load_standards() -> Standards:
    """The shipped standards tables, read once; the object is read-only."""
    return load_standards_from(data_path("standards"))


def pipeline_colors(std: Standards) -> dict[str, tuple[int, int, int]]:
    """CJJ 61 map colour per pipeline class key; a child without colour takes its parent's."""
    frame = std.table("pipeline_classes").set_index("key")
    colors: dict[str, tuple[int, int, int]] = {}
    for key, row in frame.iterrows():
        src = frame.loc[row["parent"]] if row[list(_RGB)].isna().any() and _py(row["parent"]) else row
        colors[str(key)] = tuple(int(src[c]) for c in _RGB)  # type: ignore[assignment]
    return colors


def service_keys(std: Standards) -> list[str]:
    """Keys of the service types, in table order."""
    return [str(k) for k in std.table("services")["key"]]


def subtype_keys(std: Standards, service: str | None = None) -> list[str]:
    """Keys of the service subtypes, optionally of one service only."""
    frame = std.table("service_subtypes")
    if service is not None:
        std.row("services", service)  # raises for an unknown service
        frame = frame[frame["service"] == service]
    return [str(k) for k in frame["key"]]


def level_distance_m(std: Standards, level_key: str) -> float:
    """Walking distance (m) of a life-circle level, e.g. ``level_distance_m(std, "15min")``."""
    value = std.value("life_circle_levels", level_key, "distance_m")
    if value is None:
        raise StandardsError(
            T(f"Life-circle level '{level_key}' has no walking distance",
              f"生活圈层级「{level_key}」没有步行距离"),
            f"table 'life_circle_levels', key '{level_key}', column 'distance_m'",
            T("choose 5min, 10min or 15min, or set distance_m in the project overrides",
              "请选择 5min、10min 或 15min，或在项目覆盖值中设置 distance_m"))
    return float(value)  # type: ignore[arg-type]
