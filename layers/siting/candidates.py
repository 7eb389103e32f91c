"""Candidate parcels for a service and how suitable each one is.

A candidate is an idle parcel (存量用地) or a public building (公房) whose availability
is one of ``candidate_availability``. Per service it is checked for the minimum land
area (``siting_parameters.min_land_area_m2_SERVICE``) and the minimum floor area
(the smallest ``service_subtypes.min_floor_area_m2`` of the service); a value that the
tables leave empty (NF) is reported as ``not_checked``, never invented. Two flags are
for the planner to resolve with residents: the parcel occupies green space, and a new
building on idle land stands closer to residential buildings than the sunlight spacing
(日照间距: ratio × floors × storey height).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import ProjectError, StandardsError, T

CHECK_VALUES = ("ok", "too_small", "not_checked")
SUNLIGHT_VALUES = ("ok", "too_close", "not_checked")
DEFAULT_AVAILABILITY = ("available", "negotiating")


@dataclass(frozen=True)
class SitingParameters:
    """The numbers of a siting run (``None`` where the standards leave a value empty)."""

    spacing_ratio: float | None = 1.0
    new_floors: float | None = 2.0
    storey_height_m: float | None = 3.0
    availability: tuple[str, ...] = DEFAULT_AVAILABILITY
    min_land_area_m2: dict[str, float | None] = field(default_factory=dict)
    time_limit_s: float = 60.0


def _cell(std, key: str) -> object:
    try:
        return std.value("siting_parameters", key, "value")
    except StandardsError:
        return None


def _number(value: object, key: str) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number >= 0):
        raise ProjectError(T(f"siting parameter {key} = {value!r} is not a number ≥ 0",
                             f"选址参数 {key} = {value!r} 不是不小于 0 的数"),
                           f"standards table 'siting_parameters', key '{key}'",
                           T("correct the value or clear it", "请改正或清空该值"))
    return number


def siting_parameters(std, services=(), **overrides) -> SitingParameters:
    """Read ``siting_parameters`` (with the project's overrides); keyword ``overrides``
    (``spacing_ratio``, ``new_floors``, ``storey_height_m``, ``availability``,
    ``time_limit_s``) win over the table."""
    keys = {"spacing_ratio": "sunlight_spacing_ratio", "new_floors": "new_building_floors",
            "storey_height_m": "storey_height_m", "time_limit_s": "siting_time_limit_s"}
    base = SitingParameters()
    values: dict[str, object] = {}
    for name, key in keys.items():
        raw = _cell(std, key)
        values[name] = _number(raw, key) if raw is not None else getattr(base, name)
    raw = _cell(std, "candidate_availability")
    values["availability"] = tuple(s.strip() for s in str(raw).split("|") if s.strip()) \
        if raw else DEFAULT_AVAILABILITY
    values["min_land_area_m2"] = {s: _number(_cell(std, f"min_land_area_m2_{s}"),
                                             f"min_land_area_m2_{s}") for s in services}
    for name, value in overrides.items():
        if value is None:
            continue
        if name == "availability":
            value = tuple(value.split("|")) if isinstance(value, str) else tuple(value)
        elif name not in keys:
            raise TypeError(f"unknown siting parameter {name}")
        else:
            value = _number(value, name)
        values[name] = value
    if values["time_limit_s"] is None:
        values["time_limit_s"] = base.time_limit_s
    return SitingParameters(**values)  # type: ignore[arg-type]


def min_floor_area_m2(std, service: str) -> float | None:
    """The smallest minimum floor area among the service's subtypes; None when none is set."""
    table = std.table("service_subtypes")
    values = pd.to_numeric(table.loc[table["service"] == service, "min_floor_area_m2"],
                           errors="coerce").dropna()
    return float(values.min()) if len(values) else None


def parcels_frame(project, parcels: str | None = None) -> gpd.GeoDataFrame:
    """The project's parcels layer (first of kind ``parcels`` unless named)."""
    if parcels:
        return project.layer(parcels).gdf
    found = project.layers_of_kind("parcels")
    if not found or not len(found[0].gdf):
        raise ProjectError(T("the project has no idle land or public buildings (parcels layer)",
                             "项目中没有存量用地与公房图层"),
                           f"project {project.metadata.get('title') or ''}".strip(),
                           T("import or draw a parcels layer (idle land, public buildings)",
                             "请导入或绘制存量用地与公房图层"))
    return found[0].gdf


def _text(series: pd.Series | None, n: int, default: str) -> np.ndarray:
    if series is None:
        return np.full(n, default, dtype=object)
    out = series.astype("string").fillna(default).to_numpy(dtype=object)
    return out


def assess_candidates(parcels: gpd.GeoDataFrame, service: str, std,
                      residential: gpd.GeoDataFrame | None = None,
                      params: SitingParameters | None = None) -> pd.DataFrame:
    """Suitability of every parcel for ``service`` (one row per parcel, parcel fid index).

    Columns: name, parcel_type, ownership, availability, area_m2, floor_area_m2,
    area_check, floor_area_check (ok / too_small / not_checked), green_space,
    sunlight_check (ok / too_close / not_checked), sunlight_distance_m,
    sunlight_required_m, candidate (availability allowed and no check failed).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from layers.standards import load_standards
    >>> parcels = gpd.GeoDataFrame(
    ...     {"name": ["粮站", "空地"], "parcel_type": ["public_building", "idle_land"],
    ...      "availability": ["available", "occupied"], "floor_area_m2": [450.0, None]},
    ...     geometry=[shapely.box(0, 0, 30, 20), shapely.box(100, 0, 160, 60)], crs="EPSG:4546")
    >>> table = assess_candidates(parcels, "elder_care", load_standards())
    >>> table[["area_m2", "availability", "candidate"]].values.tolist()
    [[600.0, 'available', True], [3600.0, 'occupied', False]]
    """
    params = params or siting_parameters(std, [service])
    n = len(parcels)
    out = pd.DataFrame(index=parcels.index.copy())
    out["name"] = _text(parcels.get("name"), n, "")
    out["parcel_type"] = _text(parcels.get("parcel_type"), n, "idle_land")
    out["ownership"] = _text(parcels.get("ownership"), n, "unknown")
    out["availability"] = _text(parcels.get("availability"), n, "unknown")
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    out["area_m2"] = shapely.area(geoms)
    floor = pd.to_numeric(parcels["floor_area_m2"], errors="coerce").to_numpy(float) \
        if "floor_area_m2" in parcels.columns else np.full(n, np.nan)
    out["floor_area_m2"] = floor
    min_land = params.min_land_area_m2.get(service)
    out["area_check"] = "not_checked" if min_land is None else \
        np.where(out["area_m2"].to_numpy() >= min_land, "ok", "too_small")
    min_floor = min_floor_area_m2(std, service)
    building = out["parcel_type"].to_numpy() == "public_building"
    floor_check = np.full(n, "not_checked", dtype=object)
    if min_floor is not None:
        known = building & np.isfinite(floor)
        floor_check[known] = np.where(floor[known] >= min_floor, "ok", "too_small")
    out["floor_area_check"] = floor_check
    green = parcels["green_space"] if "green_space" in parcels.columns else pd.Series(pd.NA, index=out.index)
    out["green_space"] = green.astype("boolean").to_numpy()
    _sunlight(out, geoms, ~building, residential, params)
    allowed = out["availability"].isin(params.availability).to_numpy()
    failed = (out["area_check"] == "too_small").to_numpy() | (floor_check == "too_small")
    out["candidate"] = allowed & ~failed
    return out


def _sunlight(out: pd.DataFrame, geoms: np.ndarray, new_build: np.ndarray,
              residential: gpd.GeoDataFrame | None, params: SitingParameters) -> None:
    n = len(out)
    dist = np.full(n, np.nan)
    check = np.full(n, "not_checked", dtype=object)
    parts = (params.spacing_ratio, params.new_floors, params.storey_height_m)
    required = math.nan if any(p is None for p in parts) else \
        float(parts[0] * parts[1] * parts[2])  # type: ignore[operator]
    if residential is not None and len(residential) and math.isfinite(required):
        homes = np.asarray(residential.geometry.values, dtype=object)
        homes = homes[~(shapely.is_missing(homes) | shapely.is_empty(homes))]
        todo = np.flatnonzero(new_build & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
        if len(homes) and len(todo):
            tree = shapely.STRtree(homes)
            (pi, _hi), d = tree.query_nearest(geoms[todo], return_distance=True, all_matches=False)
            dist[todo[pi]] = d
            check[todo[pi]] = np.where(d >= required, "ok", "too_close")
    out["sunlight_check"] = check
    out["sunlight_distance_m"] = dist
    out["sunlight_required_m"] = np.where(new_build, required, np.nan)
