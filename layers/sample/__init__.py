"""A deterministic synthetic sample city for demonstrations, tests and benchmarks.

``generate_city(scale, seed)`` builds every layer kind of Precinct Planner
(sub-districts, streets, idle land, communities, pipelines, facilities) and a
population grid for an invented city laid out near Xiling district, Yichang,
in EPSG:4546. The data are made up: names, numbers and lines describe no
real place. The same ``(scale, seed)`` always gives the same city.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
from affine import Affine

from layers.errors import ProjectError, T
from layers.sample.admin import admin_frame, plan_admin
from layers.sample.communities import block_insets, build_communities
from layers.sample.facilities import build_facilities, service_keys, subtype_keys
from layers.sample.lattice import CENTRE_LONLAT, CRS, build_lattice
from layers.sample.parcels import build_parcels
from layers.sample.pipelines import UTILITIES, build_pipelines
from layers.sample.population import population_grid
from layers.sample.scales import SCALES, ScaleParams
from layers.sample.streets import plan_roads, streets_frame

__all__ = ["SCALES", "ScaleParams", "SampleCity", "generate_city", "UTILITY_KEYS",
           "SERVICE_KEYS", "SUBTYPE_KEYS", "CRS"]

UTILITY_KEYS = tuple(UTILITIES)
SERVICE_KEYS = service_keys()
SUBTYPE_KEYS = subtype_keys()
GENERATOR = "precinct-planner sample city"


@dataclass
class SampleCity:
    """The generated layers, bottom to top, the population grid and a description."""

    layers: list[tuple[str, str, gpd.GeoDataFrame]]
    rasters: list[tuple[str, str, np.ndarray, Affine]]
    metadata: dict = field(default_factory=dict)

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """The frame of the layer called ``name``."""
        for layer_name, _kind, gdf in self.layers:
            if layer_name == name:
                return gdf
        raise KeyError(name)


def generate_city(scale: str = "small", seed: int = 0) -> SampleCity:
    """Generate the sample city of ``scale`` ("small", "city" or "metro") from ``seed``."""
    if scale not in SCALES:
        raise ProjectError(
            T(f"unknown sample city scale {scale!r}", f"未知的示例城区规模 {scale!r}"),
            "generate_city",
            T(f"use one of: {', '.join(SCALES)}", f"请使用：{'、'.join(SCALES)}"),
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ProjectError(
            T(f"the seed must be a whole number ≥ 0, not {seed!r}",
              f"随机种子必须是不小于 0 的整数，而不是 {seed!r}"),
            "generate_city",
            T("pass an integer seed such as 0", "请传入整数种子，例如 0"),
        )
    p = SCALES[scale]
    rng_lat, rng_roads, rng_admin, rng_comm, rng_fac, rng_parcel, rng_pipe = (
        np.random.default_rng(seed).spawn(7))

    nx, ny = p.lattice_shape()
    lat = build_lattice(nx, ny, rng_lat, p.block_m, p.edges_per_side)
    roads = plan_roads(lat, rng_roads, p.road_segment_sides)
    adm = plan_admin(lat, rng_admin, p.blocks_per_subdistrict, p.blocks_per_neighbourhood)
    insets = block_insets(lat, roads, rng_comm)
    comm = build_communities(lat, roads, adm, insets, rng_comm, p.communities)
    facilities = build_facilities(lat, roads, adm, insets, comm, rng_fac, p.facilities)
    parcels = build_parcels(lat, roads, insets, comm, rng_parcel, p.parcels)
    pipelines = build_pipelines(lat, roads, rng_pipe, p.corridor_sides, p.pipes_per_utility)
    streets = streets_frame(lat, roads)
    admin = admin_frame(lat, adm)
    grid, transform = population_grid(comm.geoms, comm.population, lat.bounds())

    layers = [
        ("subdistricts", "admin", admin),
        ("streets", "streets", streets),
        ("parcels", "parcels", parcels),
        ("communities", "communities", comm.frame),
        ("pipelines", "pipelines", pipelines),
        ("facilities", "facilities", facilities),
    ]
    metadata = {
        "synthetic": True,
        "generator": GENERATOR,
        "scale": scale,
        "seed": int(seed),
        "crs": CRS,
        "title_en": "Sample city (synthetic)",
        "title_zh": "示例城区（虚构数据）",
        "description_en": (
            "Synthetic sample data made by Precinct Planner's generator and placed near "
            "Xiling district, Yichang (Hubei) for demonstration and testing. Streets, "
            "communities, facilities, idle land, pipelines, names and figures are invented "
            "and describe no real place; do not use them for planning decisions."),
        "description_zh": (
            "本数据为 Precinct Planner 生成的虚构示例数据，位置设在湖北省宜昌市西陵区附近，"
            "仅供演示和测试。道路、小区、设施、存量用地、管线及其名称和数字均为虚构，"
            "不对应任何真实地点，不得用于规划决策。"),
        "centre_lonlat": list(CENTRE_LONLAT),  # JSON-friendly values only
        "extent": list(lat.bounds()),
        "counts": {name: len(gdf) for name, _kind, gdf in layers},
    }
    return SampleCity(layers, [("population_grid", "population", grid, transform)], metadata)
