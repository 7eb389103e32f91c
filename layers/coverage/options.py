"""What a coverage run tests: services, levels, distances, and where the defaults come from.

Services and life-circle levels come from the standards tables (with the project's
overrides). Two numbers are product choices, not standards: the maximum snap
distance and the walk corridor of a service area. They are read from the
``parameters`` table when it holds ``coverage_max_snap_m`` / ``coverage_corridor_m``
and otherwise fall back to the module defaults below.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from layers.errors import ProjectError, StandardsError, T
from layers.standards import level_distance_m, service_keys

DEFAULT_SERVICES = ("elder_care", "childcare", "meal_point")
DEFAULT_LEVEL_KEYS = ("5min", "10min", "15min")
#: facilities that serve residents today (planned ones are what-if material)
DEFAULT_STATUSES = ("existing", "under_construction")
#: Precinct Planner default (no standard): a gate or a point inside a community farther
#: than this from every street is reported instead of being joined by a long straight leg
MAX_SNAP_M = 200.0
#: Precinct Planner default (no standard): a service area reaches this far either side
#: of a reachable street (the frontage a pedestrian reaches from it)
CORRIDOR_M = 25.0
MODES = ("network", "euclidean")


@dataclass(frozen=True)
class CoverageOptions:
    """A resolved coverage run: everything in metres."""

    services: tuple[str, ...] = DEFAULT_SERVICES
    levels_m: tuple[float, ...] = (300.0, 500.0, 1000.0)
    level_keys: tuple[str | None, ...] = ("5min", "10min", "15min")
    required_m: dict[str, float] = field(default_factory=dict)
    required_level: dict[str, str | None] = field(default_factory=dict)
    mode: str = "network"
    max_snap_m: float = MAX_SNAP_M
    corridor_m: float = CORRIDOR_M
    search_limit_m: float = 2000.0
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    walking_speed_m_per_min: float = 66.7

    def level_label(self, level_m: float, lang: str | None = None) -> str:
        """The standard's circle a distance stands for ("5-minute circle / 300 m"); a distance
        that is no level of the standard is shown as a distance only (never as minutes
        derived from a walking speed: 300 m is the 5-minute circle, not "4 min")."""
        for dist, key in zip(self.levels_m, self.level_keys):
            found = re.fullmatch(r"(\d+)min", str(key or ""))
            if found and abs(float(dist) - float(level_m)) < 1e-6:
                n = found.group(1)
                return T(f"{n}-minute circle / {level_m:g} m", f"{n}分钟生活圈 / {level_m:g} 米")(lang)
        return T(f"{level_m:g} m", f"{level_m:g} 米")(lang)


def _parameter(std, key: str, default: float) -> float:
    try:
        value = std.value("parameters", key, "value")
    except StandardsError:
        return default
    return default if value is None else float(value)  # type: ignore[arg-type]


def _bad(option: str, what: T, fix: T) -> ProjectError:
    return ProjectError(what, f"coverage option {option}", fix)


def parse_levels(values: Iterable[object] | str | None, std) -> tuple[list[float], list[str | None]]:
    """Levels as metres and their life-circle keys: ``[300, "10min", "1000"]`` all work."""
    table = std.table("life_circle_levels")
    by_distance = {float(d): str(k) for k, d in zip(table["key"], table["distance_m"])
                   if d == d and d is not None}
    if values is None:
        keys = [k for k in DEFAULT_LEVEL_KEYS if k in set(table["key"])]
        return [level_distance_m(std, k) for k in keys], list(keys)
    if isinstance(values, str):
        values = [v for v in values.replace("，", ",").split(",") if v.strip()]
    metres: list[float] = []
    for value in values:
        text = str(value).strip()
        if text in set(table["key"]):
            metres.append(level_distance_m(std, text))
            continue
        try:
            number = float(text.removesuffix("m"))
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number > 0):
            raise _bad("--levels", T(f"{text!r} is not a walking distance", f"{text!r} 不是步行距离"),
                       T("give metres such as 300,500,1000 or keys such as 5min,10min,15min",
                         "请给出米数（如 300,500,1000）或层级键（如 5min,10min,15min）"))
        metres.append(number)
    if not metres:
        raise _bad("--levels", T("no levels given", "没有给出层级"),
                   T("give at least one walking distance", "请至少给出一个步行距离"))
    metres = sorted(set(metres))
    return metres, [by_distance.get(m) for m in metres]


def parse_services(values: Iterable[str] | str | None, std) -> list[str]:
    known = service_keys(std)
    if values is None:
        return [s for s in DEFAULT_SERVICES if s in known]
    if isinstance(values, str):
        values = [v for v in values.replace("，", ",").split(",")]
    wanted = [str(v).strip() for v in values if str(v).strip()]
    aliases = {"meal": "meal_point", "elder": "elder_care", "child": "childcare"}
    wanted = [aliases.get(s, s) for s in wanted]
    unknown = [s for s in wanted if s not in known]
    if unknown or not wanted:
        raise _bad("--services", T(f"unknown service(s): {', '.join(unknown) or '(none)'}",
                                   f"未知的服务类型：{'、'.join(unknown) or '（无）'}"),
                   T(f"use keys of the services table: {', '.join(known)}",
                     f"请使用服务类型表中的键：{'、'.join(known)}"))
    return list(dict.fromkeys(wanted))


def resolve_options(std, services=None, levels=None, mode: str = "network", *,
                    max_snap_m: float | None = None, corridor_m: float | None = None,
                    search_limit_m: float | None = None,
                    statuses: Iterable[str] | None = None) -> CoverageOptions:
    """Check and complete the choices of a run against the standards tables ``std``."""
    if mode not in MODES:
        raise _bad("--mode", T(f"unknown distance mode {mode!r}", f"未知的距离计算方式 {mode!r}"),
                   T("use network (walking streets) or euclidean (straight line)",
                     "请使用 network（沿道路步行）或 euclidean（直线）"))
    svc = parse_services(services, std)
    metres, keys = parse_levels(levels, std)
    required_level = {s: std.value("services", s, "required_level") for s in svc}
    required_m = {}
    for s, key in required_level.items():
        required_m[s] = level_distance_m(std, str(key)) if key else max(metres)
    snap = _parameter(std, "coverage_max_snap_m", MAX_SNAP_M) if max_snap_m is None else max_snap_m
    corridor = _parameter(std, "coverage_corridor_m", CORRIDOR_M) if corridor_m is None \
        else corridor_m
    for name, value in (("max_snap_m", snap), ("corridor_m", corridor)):
        if not (math.isfinite(value) and value >= 0):
            raise _bad(name, T(f"{name} must be a number ≥ 0", f"{name} 必须为不小于 0 的数"),
                       T("give a non-negative distance in metres", "请给出非负的米数"))
    top = max([*metres, *required_m.values()])
    limit = 2.0 * top if search_limit_m is None else float(search_limit_m)
    if not limit >= top:
        raise _bad("search_limit_m", T(f"the search limit {limit:g} m is below the largest level "
                                       f"{top:g} m", f"搜索上限 {limit:g} 米小于最大层级 {top:g} 米"),
                   T("raise the search limit", "请提高搜索上限"))
    speed = _parameter(std, "walking_speed_m_per_min", 66.7)
    return CoverageOptions(tuple(svc), tuple(metres), tuple(keys), required_m,
                           {s: (str(k) if k else None) for s, k in required_level.items()},
                           mode, float(snap), float(corridor), limit,
                           tuple(statuses) if statuses is not None else DEFAULT_STATUSES,
                           float(speed))
