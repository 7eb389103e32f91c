"""Field and schema definitions for layer kinds, and validation against them.

A schema says, for every field of a layer kind, its type, unit, allowed
values or range, whether it is required, and its label in Chinese and English.
Validation returns every problem found, each naming layer, feature and field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from layers.errors import T, ValidationIssue

# pandas dtype used in memory for each schema type; nullable so "unknown" survives.
DTYPES = {
    "str": "str",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "date": "datetime64[ms]",
}


@dataclass(frozen=True)
class Field:
    """One attribute of a layer kind."""

    name: str
    type: str
    label_en: str
    label_zh: str
    unit: str = ""
    required: bool = False
    choices: tuple[str, ...] | None = None
    # Name of a standards table whose ``key`` column lists the allowed values.
    choices_from: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None

    def __post_init__(self) -> None:
        if self.type not in DTYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")

    def label(self, lang: str | None = None) -> str:
        return T(self.label_en, self.label_zh)(lang)

    @property
    def dtype(self) -> str:
        return DTYPES[self.type]


@dataclass(frozen=True)
class Schema:
    """The fields and geometry of one layer kind."""

    kind: str
    label_en: str
    label_zh: str
    geometry: str | None  # "polygon", "line", "point", or None (raster / table)
    fields: tuple[Field, ...] = field(default_factory=tuple)
    is_raster: bool = False
    is_table: bool = False  # rows without geometry (TableLayer)

    def label(self, lang: str | None = None) -> str:
        return T(self.label_en, self.label_zh)(lang)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    def empty_frame(self, crs: Any = None):
        """An empty GeoDataFrame with this schema's columns and dtypes."""
        import geopandas as gpd

        cols = {f.name: pd.Series([], dtype=f.dtype) for f in self.fields}
        gdf = gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
        gdf.index = pd.Index([], dtype="int64", name="fid")
        return gdf

    def coerce(self, gdf):
        """Return a copy whose schema columns have the schema dtypes (missing ones added)."""
        out = gdf.copy(deep=False)  # copy-on-write: columns are shared until either side changes
        for f in self.fields:
            if f.name not in out.columns:
                out[f.name] = pd.Series([f.default] * len(out), index=out.index)
            column = out[f.name]
            converted = coerce_series(column, f.type)
            if converted is not column:  # a column already of its type is left alone
                out[f.name] = converted
        return out

    def validate(
        self,
        gdf,
        layer_name: str,
        allowed: Callable[[Field], Iterable[str] | None] | None = None,
        fids: Iterable[int] | None = None,
    ) -> list[ValidationIssue]:
        """Every schema problem in ``gdf`` (or in the rows ``fids`` only).

        ``allowed`` resolves ``choices_from`` fields to their allowed keys
        (normally from the standards tables).
        """
        frame = gdf if fids is None else gdf.loc[list(fids)]
        issues: list[ValidationIssue] = []
        if self.geometry is not None:
            issues += _check_geometry(frame, layer_name, self.geometry)
        for f in self.fields:
            if f.name not in frame.columns:
                if f.required:
                    issues.append(
                        ValidationIssue(
                            layer_name, None, f.name,
                            T("required field is missing from the layer",
                              "图层缺少必填字段"),
                        )
                    )
                continue
            choices = f.choices
            if choices is None and f.choices_from and allowed is not None:
                resolved = allowed(f)
                choices = tuple(resolved) if resolved is not None else None
            issues += _check_field(frame[f.name], f, layer_name, choices)
        return issues


def coerce_series(series: pd.Series, type_: str) -> pd.Series:
    """Convert a column to the in-memory dtype of a schema type (as is when it has it)."""
    if str(series.dtype) == DTYPES[type_]:
        return series
    if type_ == "str":
        return series.astype("str")  # missing values stay missing
    if type_ == "int":
        numeric = pd.to_numeric(series, errors="coerce")
        return numeric.round().astype("Int64")
    if type_ == "float":
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if type_ == "bool":
        if series.dtype == object:
            mapped = series.map(_to_bool)
            return mapped.astype("boolean")
        return series.astype("boolean")
    if type_ == "date":
        return pd.to_datetime(series, errors="coerce").astype("datetime64[ms]")
    raise ValueError(type_)


_TRUE = {"1", "true", "yes", "y", "t", "是", "有", "已"}
_FALSE = {"0", "false", "no", "n", "f", "否", "无", "未"}


def _to_bool(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return pd.NA
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return pd.NA


_GEOM_FAMILY = {
    "polygon": {"Polygon", "MultiPolygon"},
    "line": {"LineString", "MultiLineString"},
    "point": {"Point", "MultiPoint"},
}


def _check_geometry(frame, layer_name: str, family: str) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    if not hasattr(frame, "geometry"):
        return [ValidationIssue(layer_name, None, None,
                                T("layer has no geometry column", "图层没有几何字段"))]
    geoms = frame.geometry
    allowed = _GEOM_FAMILY[family]
    empty = geoms.isna() | geoms.is_empty
    for fid in frame.index[empty.to_numpy()]:
        issues.append(ValidationIssue(layer_name, int(fid), "geometry",
                                      T("geometry is empty", "几何为空")))
    present = ~empty
    types = geoms.geom_type
    wrong = present & ~types.isin(allowed)
    for fid, gtype in zip(frame.index[wrong.to_numpy()], types[wrong]):
        issues.append(ValidationIssue(
            layer_name, int(fid), "geometry",
            T(f"geometry is a {gtype}, this layer holds {family}s",
              f"几何类型为 {gtype}，该图层应为{ {'polygon': '面', 'line': '线', 'point': '点'}[family] }"),
        ))
    invalid = present & types.isin(allowed) & ~geoms.is_valid
    for fid in frame.index[invalid.to_numpy()]:
        issues.append(ValidationIssue(
            layer_name, int(fid), "geometry",
            T("geometry is invalid (e.g. self-intersecting); repair it with make_valid",
              "几何无效（如自相交），请修复几何"),
        ))
    return issues


# the characters str.strip() removes (all below U+3001), for Arrow's trim
_WHITE_SPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())


def _blank(col: pd.Series) -> pd.Series:
    """Text that is empty or only white space (missing values are not blank), vectorised:
    Arrow-backed text in Arrow's compute kernels, other columns with numpy's string ufuncs
    (variable-width, so one huge value does not blow up memory)."""
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        trimmed = pc.utf8_trim(pa.array(col.array), characters=_WHITE_SPACE)
        flags = pc.equal(pc.utf8_length(trimmed), 0).fill_null(False)
        return pd.Series(flags.to_numpy(zero_copy_only=False), index=col.index)
    values = col.to_numpy(dtype=object, na_value="-")
    if hasattr(np, "strings") and hasattr(np, "dtypes") and hasattr(np.dtypes, "StringDType"):
        text = values.astype(np.dtypes.StringDType())
        flags = np.strings.str_len(np.strings.strip(text)) == 0
    else:  # numpy 1.x
        flags = np.fromiter((not str(v).strip() for v in values), dtype=bool, count=len(values))
    return pd.Series(flags, index=col.index)


def _check_field(col: pd.Series, f: Field, layer_name: str,
                 choices: tuple[str, ...] | None) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    missing = col.isna()
    if f.type == "str":
        missing = missing | _blank(col)
    if f.required:
        for fid in col.index[missing.to_numpy()]:
            issues.append(ValidationIssue(layer_name, int(fid), f.name,
                                          T("required value is empty", "必填值为空")))
    present = col[~missing.to_numpy()]
    if choices is not None and len(present):
        bad = present[~present.astype("str").isin(choices)]
        for fid, value in bad.items():
            issues.append(ValidationIssue(
                layer_name, int(fid), f.name,
                T(f"value {value!r} is not one of: {', '.join(choices)}",
                  f"取值 {value!r} 不在允许范围内：{'、'.join(choices)}"),
            ))
    if f.type in ("int", "float") and len(present):
        values = pd.to_numeric(present, errors="coerce")
        if f.minimum is not None:
            for fid, value in values[values < f.minimum].items():
                issues.append(ValidationIssue(
                    layer_name, int(fid), f.name,
                    T(f"{value} {f.unit} is below the minimum {f.minimum:g}",
                      f"{value} {f.unit} 小于最小值 {f.minimum:g}"),
                ))
        if f.maximum is not None:
            for fid, value in values[values > f.maximum].items():
                issues.append(ValidationIssue(
                    layer_name, int(fid), f.name,
                    T(f"{value} {f.unit} is above the maximum {f.maximum:g}",
                      f"{value} {f.unit} 大于最大值 {f.maximum:g}"),
                ))
    return issues
