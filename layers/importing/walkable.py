"""Which lines of a street file a person can walk on: one filter for every import path.

A streets layer is a walking network, so what cannot be walked is left out when it is
imported (``import_layer(..., "streets")``, the CLI and the import dialog, and
:func:`layers.importing.network.import_street_network` alike):

* OpenStreetMap lines (a ``highway`` field: ``.osm``/``.pbf`` read by GDAL, or a
  GeoPackage/GeoJSON exported from OSM) are judged by their tags. Only highway ways
  count (fences, walls, kerbs, building:part outlines, rivers, railways, power lines
  and boundaries do not); ``area=yes`` is an area, not a way; ``foot=no`` and
  ``access=no/private`` (without ``foot=yes``) shut a way; motorways and trunk roads
  count only where tagged for foot or with a sidewalk.
* CAD/SHP centrelines are judged by a road-class field (``道路等级``, ``class``,
  ``fclass``, …) through the table ``data/standards/road_walkability.csv``; the values
  met and what each became are shown in the report. Lines without such a field are
  all kept.

Both kinds of highway value (OSM's ``primary`` and a CAD file's ``主干路``) are looked
up in that one table. Every kept line gets a vertical level (``z_level``: the OSM
``layer`` tag, else +1 on a bridge and -1 in a tunnel, else 0) so that the network
joins crossing lines only when they are at the same level (see
:mod:`layers.importing.levels`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import ProjectError, T
from layers.importing.levels import LEVEL_FIELD

TABLE = "road_walkability"
#: why a line was left out, in the order the report lists them
REASONS: dict[str, T] = {
    "barrier": T("barriers", "障碍物（围栏、围墙、路缘石等）"),
    "building": T("building or building:part outlines", "建筑或建筑部件轮廓"),
    "waterway": T("waterways", "河流水系"),
    "railway": T("railways", "铁路与轨道交通"),
    "not_highway": T("other lines that are not highways", "其他非道路线"),
    "area": T("areas, not ways", "面状要素（非道路）"),
    "not_for_walking": T("roads not open or not for walking", "未通行或不供步行的道路"),
    "motor_road": T("motorways and trunk roads without a sidewalk or foot access",
                    "无人行道且未允许步行的高速公路、快速路"),
    "no_foot": T("ways closed to walkers", "禁止步行的道路"),
}
_TABLE_REASON = {"railway": "railway", "waterway": "waterway"}  # else by the walkable column
FOOT_YES = frozenset({"yes", "designated", "permissive", "official"})
FOOT_NO = frozenset({"no", "use_sidepath"})
ACCESS_NO = frozenset({"no", "private"})
SIDEWALK_YES = frozenset({"both", "left", "right", "yes"})
_FALSE = frozenset({"", "no", "false", "f", "0", "n", "none", "否", "无", "nan"})
#: names (normalised) of a road-class field in CAD/SHP files, best first
CLASS_FIELDS = ("道路等级", "道路类型", "道路类别", "道路级别", "道路分类", "等级", "路类", "roadclass",
                "fclass", "class", "rclass", "level", "级别", "类型", "type", "layer", "图层")
_SIDEWALK_FIELDS = ("sidewalk", "人行道", "有无人行道", "是否有人行道", "foot")
_BRIDGE_FIELDS = ("bridge", "桥梁", "是否桥梁", "桥")
_TUNNEL_FIELDS = ("tunnel", "隧道", "是否隧道")
_LEVEL_FIELDS = ("zlevel", "zlev", "竖向层级")
#: keys that say what a line that is not a highway is (for the report)
_WHAT_KEYS = ("power", "boundary", "man_made", "natural", "landuse", "aerialway", "route", "leisure",
              "amenity", "historic", "place", "piste:type", "disused:railway")
_MATCH_SHARE = 0.5  # a field is the road class when at least this share of its values is known
_SAMPLE = 200  # distinct values looked at to decide that


def _norm(value: Any) -> str:
    return re.sub(r"[\s_\-()（）:：]+", "", str(value)).lower()


@dataclass
class Walkable:
    """The verdict on each line of a source (aligned with its rows)."""

    keep: np.ndarray
    level: np.ndarray
    reason: np.ndarray  # "" where kept, else a key of REASONS
    detail: np.ndarray  # what the line is, e.g. "barrier=fence" (left-out lines)
    basis: str  # "osm", "road_class_field" or "none"
    by_field: str | None = None
    road_class: np.ndarray | None = None  # per row from the table (field basis), else None
    mapping: dict[str, dict[str, Any]] = field(default_factory=dict)  # value -> rule, count
    unknown: dict[str, int] = field(default_factory=dict)  # field values not in the table

    @property
    def left_out(self) -> dict[str, int]:
        counts = Counter(r for r in self.reason.tolist() if r)
        return {r: counts[r] for r in REASONS if counts.get(r)}

    def examples(self, reason: str, top: int = 4) -> list[tuple[str, int]]:
        found = Counter(d for r, d in zip(self.reason.tolist(), self.detail.tolist()) if r == reason and d)
        return found.most_common(top)

    def to_dict(self) -> dict[str, Any]:
        return {"basis": self.basis, "field": self.by_field, "read": len(self.keep),
                "kept": int(self.keep.sum()), "left_out": self.left_out,
                "left_out_examples": {r: dict(self.examples(r, 10)) for r in self.left_out},
                "mapping": self.mapping, "unknown_classes": self.unknown,
                "levels": {str(k): int(v) for k, v in sorted(Counter(self.level[self.keep].tolist()).items())}}


def walkable_lines(frame: gpd.GeoDataFrame, table: pd.DataFrame | None = None) -> Walkable:
    """Judge every line of ``frame`` (see the module text). ``table``: the standards table
    ``road_walkability`` (a project's own, with its overrides; default the shipped one).

    Examples
    --------
    >>> import shapely
    >>> lines = gpd.GeoDataFrame({"highway": ["footway", None, "motorway"],
    ...                           "barrier": [None, "fence", None]},
    ...                          geometry=[shapely.LineString([(0, 0), (1, 0)])] * 3)
    >>> walk = walkable_lines(lines)
    >>> walk.keep.tolist(), walk.left_out
    ([True, False, False], {'barrier': 1, 'motor_road': 1})
    """
    if table is None:
        from layers.standards import load_standards

        table = load_standards().table(TABLE)
    rules = _rules(table)
    if "highway" in frame.columns:
        return _judge_osm(frame, rules)
    return _judge_by_field(frame, rules)


# --- the table --------------------------------------------------------------------
@dataclass(frozen=True)
class _Rule:
    key: str
    walkable: str  # yes | no | if_sidewalk
    road_class: str | None
    label: T

    @property
    def reason(self) -> str:
        if self.walkable == "if_sidewalk":
            return "motor_road"
        return _TABLE_REASON.get(self.key, "not_for_walking")

    def describe(self) -> dict[str, str]:
        verdict = {"yes": T("walkable", "可步行"), "no": T("not walkable", "不可步行"),
                   "if_sidewalk": T("walkable only with a sidewalk or foot access",
                                    "仅有人行道或允许步行时可步行")}[self.walkable]
        return {"rule": self.key, "walkable": self.walkable, "en": f"{self.label.en}: {verdict.en}",
                "zh": f"{self.label.zh}：{verdict.zh}"}


def _rules(table: pd.DataFrame) -> dict[str, _Rule]:
    """Normalised name -> rule, from the table's ``names`` (``|``-separated)."""
    out: dict[str, _Rule] = {}
    for row in table.to_dict("records"):
        rule = _Rule(str(row["key"]), str(row["walkable"]).strip(), row.get("road_class") or None,
                     T(str(row.get("label_en") or row["key"]), str(row.get("label_zh") or row["key"])))
        for name in str(row.get("names") or "").split("|"):
            if _norm(name):
                out.setdefault(_norm(name), rule)
    return out


def _lookup(value: str, rules: dict[str, _Rule]) -> _Rule | None:
    """The rule of a class value: its exact name, else the longest Chinese name within it
    (城市主干路 → 主干路)."""
    key = _norm(value)
    if key in rules:
        return rules[key]
    inside = [n for n in rules if len(n) >= 2 and not n.isascii() and n in key]
    return rules[max(inside, key=len)] if inside else None


# --- tags -------------------------------------------------------------------------
def _tag(frame: pd.DataFrame, key: str) -> pd.Series:
    """The values of OSM tag ``key`` per row (text, NA where absent): its own column
    (``building:part`` may be ``building_part``), else GDAL's ``other_tags``."""
    values = pd.Series(pd.NA, index=frame.index, dtype="string")
    for col in (key, key.replace(":", "_")):
        if col in frame.columns:
            values = frame[col].astype("string")
            break
    if "other_tags" in frame.columns:
        pattern = '"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
        found = frame["other_tags"].astype("string").str.extract(pattern, expand=False)
        values = values.fillna(found.astype("string"))
    values = values.str.strip()
    return values.where(values != "", pd.NA)


def _lower(values: pd.Series) -> np.ndarray:
    return values.str.lower().fillna("").to_numpy(dtype=object)


def _truthy(values: pd.Series) -> np.ndarray:
    return np.array([v not in _FALSE for v in _lower(values)], dtype=bool)


def _int_level(values: pd.Series) -> np.ndarray:
    """An integer from text such as "1", "-1", "1;2" (the first), 0 where there is none."""
    found = values.astype("string").str.extract(r"(-?\d+)", expand=False)
    level = pd.to_numeric(found, errors="coerce").fillna(0).to_numpy(dtype=float)
    return np.clip(level, -9, 9).astype(np.int64)


def _osm_levels(frame: pd.DataFrame) -> np.ndarray:
    layer = _tag(frame, "layer")
    level = np.where(_truthy(_tag(frame, "bridge")), 1, np.where(_truthy(_tag(frame, "tunnel")), -1, 0))
    return np.where(layer.notna().to_numpy(), _int_level(layer), level).astype(np.int64)


def _judge_osm(frame: gpd.GeoDataFrame, rules: dict[str, _Rule]) -> Walkable:
    n = len(frame)
    highway = _lower(_tag(frame, "highway"))
    foot, access = _lower(_tag(frame, "foot")), _lower(_tag(frame, "access"))
    sidewalk = np.isin(_lower(_tag(frame, "sidewalk")), list(SIDEWALK_YES))
    for side in ("sidewalk:both", "sidewalk:left", "sidewalk:right"):
        sidewalk |= _lower(_tag(frame, side)) == "yes"
    area = _lower(_tag(frame, "area"))
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)
    mapping: dict[str, dict[str, Any]] = {}
    unknown: Counter = Counter()
    foot_yes = np.isin(foot, list(FOOT_YES))
    other = np.flatnonzero(highway == "")
    if len(other):
        reason[other], detail[other] = _not_highways(frame.iloc[other])
    for value in sorted(set(highway.tolist()) - {""}):
        rows = np.flatnonzero(highway == value)
        rule = _lookup(value, rules)
        if rule is None:
            unknown[value] = len(rows)
        else:
            mapping[value] = {**rule.describe(), "count": len(rows)}
        if rule is not None and rule.walkable == "no":
            reason[rows], detail[rows] = rule.reason, f"highway={value}"
        elif rule is not None and rule.walkable == "if_sidewalk":
            shut = rows[~(foot_yes[rows] | sidewalk[rows])]
            reason[shut], detail[shut] = "motor_road", f"highway={value}"
    open_way = (highway != "") & (reason == "")
    is_area = open_way & (area == "yes")
    reason[is_area], detail[is_area] = "area", "area=yes"
    closed = open_way & ~is_area & (np.isin(foot, list(FOOT_NO)) | (np.isin(access, list(ACCESS_NO)) & ~foot_yes))
    reason[closed] = "no_foot"
    detail[closed] = [f"foot={f}" if f in FOOT_NO else f"access={a}" for f, a in zip(foot[closed], access[closed])]
    return Walkable(reason == "", _osm_levels(frame), reason, detail, "osm", "highway",
                    mapping=mapping, unknown=dict(unknown))


def _not_highways(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Why lines without a highway tag are no way to walk, and what each is."""
    n = len(frame)
    reason = np.full(n, "not_highway", dtype=object)
    detail = np.full(n, "", dtype=object)
    todo = np.ones(n, dtype=bool)
    keys = [("barrier", "barrier"), ("building:part", "building"), ("building", "building"),
            ("waterway", "waterway"), ("railway", "railway"), *((k, "not_highway") for k in _WHAT_KEYS)]
    for key, why in keys:
        if not todo.any():
            break
        values = _tag(frame, key).to_numpy(dtype=object, na_value=None)
        hit = todo & np.array([v is not None for v in values], dtype=bool)
        reason[hit] = why
        detail[hit] = [f"{key}={v}" for v in values[hit]]
        todo &= ~hit
    if todo.any():
        tags = frame["other_tags"].astype("string").fillna("") if "other_tags" in frame.columns \
            else pd.Series("", index=frame.index, dtype="string")
        first = tags.str.extract(r'^"((?:[^"\\]|\\.)*)"=>', expand=False).fillna("")
        detail[todo] = [f"{k}=…" if k else "untagged" for k in first.to_numpy(dtype=object)[todo]]
    return reason, detail


# --- CAD/SHP: a road-class field ---------------------------------------------------
def _column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    normalised = {_norm(c): c for c in frame.columns if c != frame.geometry.name}
    return next((normalised[n] for n in names if n in normalised), None)


def class_field(frame: gpd.GeoDataFrame, rules: dict[str, _Rule]) -> str | None:
    """The first field named like a road class whose values the table mostly knows."""
    normalised = [(c, _norm(c)) for c in frame.columns if c != frame.geometry.name]
    for name in CLASS_FIELDS:
        for col, key in normalised:
            if key != name:
                continue
            values = frame[col].dropna().astype(str)
            values = values[values.str.strip() != ""]
            sample = values.unique()[:_SAMPLE]
            if len(sample) and np.mean([_lookup(v, rules) is not None for v in sample]) >= _MATCH_SHARE:
                return str(col)
    return None


def _field_levels(frame: gpd.GeoDataFrame) -> np.ndarray:
    n = len(frame)
    level = np.zeros(n, dtype=np.int64)
    bridge, tunnel = _column(frame, _BRIDGE_FIELDS), _column(frame, _TUNNEL_FIELDS)
    if bridge is not None:
        level[_truthy(frame[bridge].astype("string"))] = 1
    if tunnel is not None:
        level[_truthy(frame[tunnel].astype("string"))] = -1
    given = _column(frame, (_norm(LEVEL_FIELD), *_LEVEL_FIELDS))
    if given is None and "layer" in frame.columns and pd.api.types.is_numeric_dtype(frame["layer"]):
        given = "layer"  # a numeric layer (Geofabrik); a CAD "Layer" holds layer names
    if given is not None:
        values = pd.to_numeric(frame[given], errors="coerce")
        level = np.where(values.notna().to_numpy(), _int_level(values.astype("string")), level)
    return level.astype(np.int64)


def _judge_by_field(frame: gpd.GeoDataFrame, rules: dict[str, _Rule]) -> Walkable:
    n = len(frame)
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)
    col = class_field(frame, rules)
    if col is None:
        return Walkable(np.ones(n, dtype=bool), _field_levels(frame), reason, detail, "none")
    side_col = _column(frame, _SIDEWALK_FIELDS)
    sidewalk = _truthy(frame[side_col].astype("string")) if side_col else np.zeros(n, dtype=bool)
    values = frame[col].astype("string").str.strip().fillna("")
    road_class = np.full(n, None, dtype=object)
    mapping: dict[str, dict[str, Any]] = {}
    unknown: Counter = Counter()
    for value, rows in values.groupby(values, sort=True).indices.items():
        rule = _lookup(value, rules) if value else None
        if rule is None:
            unknown[value or "(empty)"] = len(rows)
            continue
        mapping[value] = {**rule.describe(), "count": len(rows)}
        road_class[rows] = rule.road_class
        shut = rows if rule.walkable == "no" else rows[~sidewalk[rows]] if rule.walkable == "if_sidewalk" \
            else rows[:0]
        reason[shut], detail[shut] = rule.reason, f"{col}={value}"
    return Walkable(reason == "", _field_levels(frame), reason, detail, "road_class_field", str(col),
                    road_class, mapping, dict(unknown))


def nothing_walkable(walk: Walkable, where: str) -> ProjectError:
    """The refusal when not one line of a file can be walked."""
    parts = [f"{n} {REASONS[r].en}" for r, n in walk.left_out.items()]
    parts_zh = [f"{REASONS[r].zh} {n} 条" for r, n in walk.left_out.items()]
    return ProjectError(T(f"none of the {len(walk.keep)} lines is a street a person can walk on "
                          f"({'; '.join(parts)})",
                          f"{len(walk.keep)} 条线中没有可步行的道路（{'；'.join(parts_zh)}）"), where,
                        T("import the file as another kind, or choose the layer holding the streets",
                          "请以其他图层类型导入，或选择含道路的图层"))
