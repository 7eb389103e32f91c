"""Match source fields onto a kind's schema and bring their values into it.

``auto_map`` pairs each schema field with at most one source column by name and by
Chinese and English aliases (小区名称 / 名称 / name → name). ``apply_mapping``
then converts the values: classes through the standards tables' keys, codes and
labels (燃气 / RQ / gas → gas), numbers out of text ("120户" → 120), metres into
millimetres where a diameter is plainly in metres, percentages into shares.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from layers.errors import T
from layers.kinds import schema_for
from layers.schema import Field

# aliases by field name (any kind); the field's own name and labels always count
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("名称", "名字", "小区名称", "小区名", "设施名称", "地块名称", "片区名称", "道路名称",
             "路名", "标准名称", "中文名", "name_zh", "namezh", "title"),
    "year_built": ("建成年代", "建成年份", "建成时间", "建设年代", "建设年份", "竣工年份", "竣工时间",
                   "年代", "year", "built", "built_year", "yearbuilt", "建成年"),
    "households": ("户数", "总户数", "住户数", "居民户数", "households", "hh", "户"),
    "population": ("人口", "人口数", "总人口", "居住人口", "常住人口", "population", "pop"),
    "pop_60plus": ("60岁以上", "老年人口", "60岁以上人口", "elderly"),
    "buildings": ("楼栋数", "栋数", "楼栋", "幢数", "buildings"),
    "floors_max": ("层数", "最高层数", "楼层", "floors"),
    "lifts": ("电梯", "电梯数", "电梯数量", "lifts", "elevators"),
    "willingness": ("改造意愿", "同意率", "同意比例", "willingness"),
    "district": ("区", "所属区", "区县", "所属区县", "行政区", "district"),
    "subdistrict": ("街道", "街道办", "所属街道", "subdistrict"),
    "neighbourhood": ("社区", "居委会", "所属社区", "neighbourhood", "neighborhood"),
    "property_type": ("产权类型", "房屋性质", "小区性质", "产权性质"),
    "shantytown": ("棚改", "棚户区改造", "纳入棚改"),
    "urban_village": ("城中村",),
    "service": ("服务类型", "设施类型", "设施类别", "类型", "类别", "type", "category", "service"),
    "capacity": ("规模", "床位", "床位数", "学位", "学位数", "座位数", "capacity"),
    "floor_area_m2": ("建筑面积", "面积", "floor_area", "floorarea", "area"),
    "address": ("地址", "详细地址", "address", "addr"),
    "status": ("状态", "现状", "status"),
    "community": ("所在小区", "小区"),
    "parcel_type": ("地块类型", "类型", "type"),
    "ownership": ("权属", "产权"),
    "availability": ("可用性", "是否可用"),
    "current_use": ("现状用途", "用途", "current_use", "use"),
    "utility": ("管线类型", "管线类别", "管线种类", "管类", "类别", "类型", "substance", "utility",
                "type", "class"),
    "owner": ("权属单位", "管理单位", "产权单位", "owner", "operator"),
    "diameter_mm": ("管径", "管径mm", "口径", "管径(mm)", "diameter", "dn", "dia"),
    "material": ("材质", "管材", "material"),
    "depth_m": ("埋深", "管顶埋深", "depth"),
    "pressure": ("压力级制", "压力等级", "压力级别", "设计压力级制", "压力", "pressure",
                 "pressure_class", "yljz"),
    "street": ("所在道路", "道路", "道路名称", "street", "road"),
    "road_class": ("道路等级", "等级", "highway", "road_class", "fclass", "class"),
    "width_m": ("宽度", "路宽", "道路宽度", "width"),
    "oneway": ("单行", "单行道", "oneway"),
    "code": ("代码", "编码", "编号", "adcode", "code", "行政区划代码", "区划代码", "行政区代码",
             "行政区划编码", "区划编码", "quhuadaima", "xzqhdm", "xzqdm", "qhdm"),
    "parent_code": ("上级代码", "上级区划代码", "parent", "parent_code", "parentcode", "parent_adcode"),
    "level": ("层级", "级别", "level"),
}
# per kind, where the general aliases are not enough (a 天地图 file calls names district_name)
KIND_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "admin": {"name": ("district_name", "区县名称", "行政区名称", "行政区划名称", "区划名称", "name",
                       "quhuamingcheng", "xzqmc", "xzqhmc", "mc"),
              "code": ("district_adcode", "adcode", "行政区划代码", "quhuadaima", "xzqhdm", "xzqdm", "dm",
                       "code")},
    "pipelines": {"name": ()},
}
# synonyms of allowed values, beyond the keys, codes and labels of the standards tables
VALUE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "utility": {
        "water": ("给水", "供水", "自来水", "drinking_water", "potable", "water_supply"),
        "drainage": ("排水",), "drainage_storm": ("雨水", "storm", "stormwater", "rainwater"),
        "drainage_sewage": ("污水", "sewage", "sewer", "wastewater"),
        "drainage_combined": ("合流", "雨污合流", "combined"),
        "gas": ("燃气", "天然气", "煤气", "natural_gas"),
        "heat": ("热力", "供热", "heating", "hot_water", "steam"),
        "power": ("电力", "供电", "electricity", "electric"),
        "telecom": ("通信", "电信", "通讯", "弱电", "communication", "telecommunication"),
        "cable_tv": ("广电", "有线电视", "catv"),
        "unknown": ("不明", "未知"),
    },
    "road_class": {
        "arterial": ("主干路", "快速路", "primary", "trunk", "primary_link", "trunk_link"),
        "secondary": ("次干路", "secondary", "secondary_link"),
        "branch": ("支路", "tertiary", "tertiary_link", "residential", "unclassified",
                   "living_street"),
        "lane": ("街巷", "巷道", "小巷", "service", "track"),
        "footway": ("人行道", "步行道", "footway", "path", "pedestrian", "steps", "cycleway"),
    },
    "level": {"city": ("市", "地级市"), "district": ("区", "县", "区县", "county"),
              "subdistrict": ("街道", "乡镇", "street", "township"),
              "neighbourhood": ("社区", "居委会", "village")},
    "property_type": {"commercial": ("商品房",), "work_unit": ("单位公房", "房改房", "公房"),
                      "resettlement": ("安置房", "还建房"), "affordable": ("保障房", "经济适用房",
                                                                         "公租房", "廉租房"),
                      "mixed": ("混合",), "other": ("其他",)},
    # GB 50028 classes; a class without A/B is read as A, the higher pressure (see COARSE_VALUES)
    "pressure": {"low": ("低压", "低压管", "low_pressure", "lp"),
                 "medium_b": ("中压B", "中压B级", "中压乙"), "medium_a": ("中压A", "中压A级", "中压甲", "中压"),
                 "subhigh_b": ("次高压B", "次高压B级", "次高压乙"),
                 "subhigh_a": ("次高压A", "次高压A级", "次高压甲", "次高压"),
                 "high_b": ("高压B", "高压B级", "高压乙"), "high_a": ("高压A", "高压A级", "高压甲", "高压")},
    "status": {"existing": ("现状", "已建", "现有"), "planned": ("规划", "拟建"),
               "new": ("新建",), "relocation": ("迁改", "改迁", "迁移"),
               "abandoned": ("废弃", "停用"), "under_construction": ("在建",),
               "closed": ("关闭", "停业")},
}
# fields whose unmatched values fall back to one value instead of staying empty
FALLBACK = {"utility": "unknown"}
# source values that name a coarser class than the field's: read as the stricter class, and said
COARSE_VALUES: dict[str, dict[str, T]] = {"pressure": {
    "中压": T("'中压' gives no A/B class: read as medium_a", "“中压”未分 A/B，按中压A读取"),
    "次高压": T("'次高压' gives no A/B class: read as subhigh_a (the higher pressure, the larger "
             "clearances)", "“次高压”未分 A/B，按次高压A读取（压力较高，净距要求较大）"),
    "高压": T("'高压' gives no A/B class: read as high_a (the higher pressure)",
            "“高压”未分 A/B，按高压A读取（压力较高）"),
}}


def _norm(name: Any) -> str:
    text = unicodedata.normalize("NFKC", str(name))  # full-width letters and digits: 中压Ａ → 中压A
    return re.sub(r"[\s_\-()（）:：]+", "", text).lower()


def field_aliases(kind: str, field: Field) -> list[str]:
    """Every name a source column may carry for ``field`` (normalised, best first)."""
    names = [field.name, *KIND_ALIASES.get(kind, {}).get(field.name, ()),
             field.label_zh, field.label_en, *ALIASES.get(field.name, ())]
    out: list[str] = []
    for n in names:
        key = _norm(n)
        if key and key not in out:
            out.append(key)
    return out


def auto_map(source_columns: Iterable[str], kind: str) -> dict[str, str]:
    """Pair source columns with schema fields of ``kind`` by name and alias.

    Returns ``{source_field: schema_field}``; a field and a column are each used once,
    earlier (more specific) aliases first.

    Examples
    --------
    >>> auto_map(["小区名称", "建成年代", "户数", "备注2"], "communities")
    {'小区名称': 'name', '建成年代': 'year_built', '户数': 'households'}
    """
    schema = schema_for(kind)
    columns = [str(c) for c in source_columns]
    normalised = {c: _norm(c) for c in columns}
    taken: set[str] = set()
    pairs: list[tuple[int, int, str, str]] = []  # (alias rank, field order, column, field)
    for order, f in enumerate(schema.fields):
        aliases = field_aliases(kind, f)
        for col in columns:
            if normalised[col] in aliases:
                pairs.append((aliases.index(normalised[col]), order, col, f.name))
    result: dict[str, str] = {}
    for _rank, _order, col, fname in sorted(pairs):
        if col in result or fname in taken:
            continue
        result[col] = fname
        taken.add(fname)
    return {c: result[c] for c in columns if c in result}


def value_lookup(field: Field, allowed: list[str] | None,
                 table: pd.DataFrame | None = None) -> dict[str, str]:
    """Normalised source value → allowed key, from keys, codes, labels and synonyms."""
    lookup: dict[str, str] = {}
    keys = list(allowed or field.choices or [])
    for key in keys:
        lookup[_norm(key)] = key
    if table is not None:
        for col in ("code", "label_zh", "label_en"):
            if col in table.columns:
                for key, label in zip(table["key"], table[col]):
                    if isinstance(label, str) and label:
                        lookup.setdefault(_norm(label), str(key))
    for key, words in VALUE_SYNONYMS.get(field.name, {}).items():
        if not keys or key in keys:
            for w in words:
                lookup.setdefault(_norm(w), key)
    return lookup


_NUMBER = re.compile(r"([-+]?\d+(?:\.\d+)?)")


def _numbers_from_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    text = series.astype("string").str.replace(",", "", regex=False)
    found = text.str.extract(_NUMBER.pattern, expand=False)
    return pd.to_numeric(found, errors="coerce").astype("float64")


def _scalar_text(value: Any) -> Any:
    """DataV puts lists and dicts in properties; keep them as JSON text (an adcode from a dict)."""
    if isinstance(value, dict):
        for key in ("adcode", "code", "id"):
            if key in value:
                return str(value[key])
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple, np.ndarray)):
        return json.dumps(list(np.asarray(value).tolist()), ensure_ascii=False)
    return value


def convert_column(series: pd.Series, field: Field, source_name: str,
                   allowed: Callable[[Field], list[str] | None] | None,
                   table_for: Callable[[Field], pd.DataFrame | None] | None,
                   notes: list[T]) -> tuple[pd.Series, dict[str, str]]:
    """Values of one source column brought to ``field``; the value map used (for the report)."""
    if series.dtype == object:
        series = series.map(_scalar_text)
    used: dict[str, str] = {}
    if field.type in ("int", "float"):
        values = _numbers_from_text(series)
        if field.name == "diameter_mm" and _looks_like_metres(values, source_name):
            values = values * 1000.0
            notes.append(T(f"'{source_name}' holds metres (largest {np.nanmax(values) / 1000:g}); "
                           "converted to millimetres",
                           f"“{source_name}”的单位为米（最大 {np.nanmax(values) / 1000:g}），已换算为毫米"))
        elif field.name in ("willingness", "self_built_share") and np.nanmax(
                np.append(values.to_numpy(dtype=float), 0)) > 1:
            values = values / 100.0
            notes.append(T(f"'{source_name}' holds percentages; converted to shares (0–1)",
                           f"“{source_name}”为百分数，已换算为比例（0–1）"))
        if field.name == "year_built":
            values = values.where((values > 1800) & (values < 2200))
        return values, used
    choices = field.choices or (allowed(field) if allowed and field.choices_from else None)
    if field.type == "str" and choices:
        lookup = value_lookup(field, list(choices), table_for(field) if table_for else None)
        text = series.astype("string")
        out = []
        for raw in text.tolist():
            if raw is pd.NA or raw is None or str(raw).strip() == "":
                out.append(FALLBACK.get(field.name))
                continue
            key = lookup.get(_norm(raw))
            if key is None:
                key = FALLBACK.get(field.name)
            out.append(key)
            if key is not None and str(raw) != key:
                used[str(raw)] = key
        _note_coarse(field.name, used, source_name, notes)
        return pd.Series(out, index=series.index, dtype=object), used
    return series, used


def _note_coarse(field_name: str, used: dict[str, str], source_name: str, notes: list[T]) -> None:
    """Say which source values named a coarser class than the field has."""
    coarse = {_norm(k): v for k, v in COARSE_VALUES.get(field_name, {}).items()}
    for raw in used:
        said = coarse.pop(_norm(raw), None)
        if said is not None:
            notes.append(T(f"'{source_name}': {said.en}", f"“{source_name}”：{said.zh}"))


def _looks_like_metres(values: pd.Series, source_name: str) -> bool:
    finite = values.dropna()
    if finite.empty:
        return False
    key = _norm(source_name)
    if "mm" in key or "毫米" in key:
        return False
    return bool(key.endswith("m") and not key.endswith("mm")) or float(finite.max()) <= 5.0
