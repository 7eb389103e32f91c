"""The layers a coverage run reads, checked up front with clear messages."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import ProjectError, T

POP_COLUMNS = ("population", "pop_60plus", "pop_0_3")
UNIT_COLUMNS = ("subdistrict", "precinct")


@dataclass
class CoverageInputs:
    """Communities (with their origins), facilities and streets, all in one projected CRS."""

    communities: pd.DataFrame  # index fid: name, population…, subdistrict, precinct
    bounds: np.ndarray  # per community: minx, miny, maxx, maxy
    origin_points: np.ndarray  # shapely points
    origin_community: np.ndarray  # community fid per origin
    facilities: gpd.GeoDataFrame  # index fid: service, geometry (points)
    streets: object = None  # a streets VectorLayer, a GeoDataFrame or a StreetNetwork
    crs: object = None


def _need_crs(frame: gpd.GeoDataFrame, what: str):
    if frame.crs is None:
        raise ProjectError(T(f"the {what} have no coordinate reference system",
                             f"{what}没有坐标参考系"), f"coverage input '{what}'",
                           T("declare the CRS (e.g. EPSG:4546) when importing",
                             "导入时请声明坐标系（如 EPSG:4546）"))
    if not frame.crs.is_projected:
        raise ProjectError(T(f"the {what} are in degrees; distances need metres",
                             f"{what}为经纬度，距离计算需要米"), f"coverage input '{what}'",
                           T("reproject to a projected CRS such as EPSG:4546",
                             "请投影到投影坐标系，如 EPSG:4546"))
    return frame.crs


def _points(geoms: np.ndarray) -> np.ndarray:
    """A point for each geometry: points stay, polygons give a point inside them."""
    out = np.array(geoms, dtype=object)
    poly = ~shapely.is_missing(out) & (shapely.get_type_id(out) != 0)
    out[poly] = shapely.point_on_surface(out[poly])
    return out


def prepare_inputs(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                   streets=None, gates: gpd.GeoDataFrame | None = None,
                   statuses: tuple[str, ...] | None = None) -> CoverageInputs:
    """Check CRSs and build the origins: a community's gates where a gates frame with a
    ``community_fid`` column is given, else a representative point inside it.

    Raises
    ------
    ProjectError
        No communities, no CRS, degrees, or a gates frame without ``community_fid``.
    """
    if communities is None or not len(communities):
        raise ProjectError(T("there are no communities to test", "没有可分析的小区"),
                           "coverage input 'communities'",
                           T("add or import a communities layer", "请添加或导入小区图层"))
    crs = _need_crs(communities, "communities")
    if facilities is None:
        raise ProjectError(T("there is no facilities layer", "没有服务设施图层"),
                           "coverage input 'facilities'",
                           T("add or import a facilities layer (points with a service type)",
                             "请添加或导入服务设施图层（带服务类型的点）"))
    if len(facilities):
        _need_crs(facilities, "facilities")
        if not facilities.crs.equals(crs):
            facilities = facilities.to_crs(crs)
    fac = facilities[[c for c in ("service", "status") if c in facilities.columns]].copy()
    if "service" not in fac.columns:
        raise ProjectError(T("the facilities have no service field", "服务设施缺少服务类型字段"),
                           "coverage input 'facilities'",
                           T("map a field onto 'service' when importing", "导入时请将字段对应到“服务类型”"))
    if statuses is not None and "status" in fac.columns:
        status = fac["status"].astype("string").fillna("existing")
        fac = fac[status.isin(statuses).to_numpy(dtype=bool)]
    fac = gpd.GeoDataFrame(fac, geometry=_points(facilities.geometry.loc[fac.index].values),
                           crs=crs)
    fac = fac[~fac.geometry.isna() & ~fac.geometry.is_empty]
    table = pd.DataFrame(index=communities.index.astype(np.int64))
    table["name"] = communities["name"] if "name" in communities.columns else None
    for col in (*POP_COLUMNS, *UNIT_COLUMNS):
        table[col] = communities[col] if col in communities.columns else pd.NA
    geoms = np.asarray(communities.geometry.values, dtype=object)
    bounds = shapely.bounds(geoms)
    if gates is not None and len(gates):
        if "community_fid" not in gates.columns:
            raise ProjectError(T("the gates have no community_fid field", "小区出入口缺少 community_fid 字段"),
                               "coverage input 'gates'",
                               T("give each gate the feature id of its community",
                                 "请为每个出入口填写所属小区的要素编号"))
        _need_crs(gates, "gates")
        g = gates.to_crs(crs) if not gates.crs.equals(crs) else gates
        owner = pd.to_numeric(g["community_fid"], errors="coerce")
        known = owner.isin(table.index).to_numpy(dtype=bool)
        gate_pts, gate_owner = _points(g.geometry.values[known]), owner.to_numpy()[known]
        without = ~table.index.isin(gate_owner)
        origin_points = np.concatenate([gate_pts, _points(geoms[without])])
        origin_comm = np.concatenate([gate_owner.astype(np.int64),
                                      table.index.to_numpy()[without]])
    else:
        origin_points, origin_comm = _points(geoms), table.index.to_numpy(np.int64)
    good = ~shapely.is_missing(origin_points) & ~shapely.is_empty(origin_points)
    return CoverageInputs(table, bounds, origin_points[good], origin_comm[good], fac, streets, crs)


def inputs_from_project(project, communities: str | None = None, facilities: str | None = None,
                        streets: str | None = None, gates: str | None = None,
                        statuses: tuple[str, ...] | None = None) -> CoverageInputs:
    """The project's communities, facilities and streets layers (first of each kind unless
    named)."""
    def pick(name: str | None, kind: str, required: bool = True):
        if name:
            return project.layer(name)
        found = project.layers_of_kind(kind)
        if found:
            return found[0]
        if required:
            raise ProjectError(T(f"the project has no {kind} layer", f"项目中没有“{kind}”类图层"),
                               f"project {project.metadata.get('title') or ''}".strip(),
                               T(f"import or add a {kind} layer", f"请导入或添加“{kind}”类图层"))
        return None

    comm = pick(communities, "communities")
    fac = pick(facilities, "facilities")
    street_layer = pick(streets, "streets", required=False)
    gate_frame = project.layer(gates).gdf if gates else None
    out = prepare_inputs(comm.gdf, fac.gdf, street_layer, gate_frame, statuses)
    return out
