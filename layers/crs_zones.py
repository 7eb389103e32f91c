"""Which projected CRS a project anywhere in China should use.

China's surveying offices work in CGCS2000 3-degree Gauss-Krüger zones. EPSG holds them as
EPSG:4534 (central meridian 75°E) … EPSG:4554 (135°E), one every 3°, with false easting
500 km and no zone number in front of the easting (EPSG:4546 is 111°E, Yichang). A
project's CRS is the zone whose central meridian is nearest the data's centre; a zone is
only ±1.5° wide, so distortion at the edge stays below 1/7,000 — fine for planning.

>>> cgcs2000_zone(111.29)   # Yichang
'EPSG:4546'
>>> cgcs2000_zone(121.47)   # Shanghai
'EPSG:4549'
>>> cgcs2000_zone(116.40)   # Beijing
'EPSG:4548'
"""

from __future__ import annotations

import math
from typing import Any

from layers.errors import ProjectError, T

FIRST_EPSG, FIRST_CM = 4534, 75
LAST_EPSG, LAST_CM = 4554, 135


def cgcs2000_zone(longitude: float) -> str:
    """The CGCS2000 3-degree GK zone (central-meridian form) for a longitude in China."""
    if not math.isfinite(longitude) or not FIRST_CM - 1.5 <= longitude <= LAST_CM + 1.5:
        raise ProjectError(
            T(f"longitude {longitude:.3f}° is outside China's CGCS2000 3-degree zones (73.5°–136.5°E)",
              f"经度 {longitude:.3f}° 不在中国 CGCS2000 3 度带范围内（东经 73.5°–136.5°）"),
            "project CRS",
            T("give the CRS yourself, e.g. --crs EPSG:32650 (UTM) for data outside China",
              "请自行指定坐标系，中国境外的数据可用如 --crs EPSG:32650（UTM）"))
    central = FIRST_CM + 3 * math.floor((longitude - FIRST_CM + 1.5) / 3)  # a zone is [cm-1.5, cm+1.5)
    central = min(max(central, FIRST_CM), LAST_CM)
    return f"EPSG:{FIRST_EPSG + (central - FIRST_CM) // 3}"


def central_longitude(frame: Any) -> float:
    """The longitude of the centre of a GeoDataFrame's extent (any CRS it declares)."""
    if frame.crs is None:
        raise ProjectError(T("the data has no coordinate reference system", "数据没有坐标参考系"),
                           "project CRS",
                           T("declare the data's CRS, or give the project CRS with --crs EPSG:n",
                             "请声明数据的坐标系，或用 --crs EPSG:n 指定项目坐标系"))
    valid = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if not len(valid):
        raise ProjectError(T("the data has no geometries to place the project", "数据中没有可定位的几何"),
                           "project CRS", T("choose a file with features", "请选择含有要素的文件"))
    west, south, east, north = valid.to_crs("EPSG:4326").total_bounds
    return float((west + east) / 2)


def zone_for(frame: Any) -> str:
    """The CGCS2000 zone for a GeoDataFrame's data.

    >>> import geopandas as gpd, shapely
    >>> pudong = gpd.GeoDataFrame(geometry=[shapely.Point(121.47, 31.23)], crs="EPSG:4326")
    >>> zone_for(pudong)
    'EPSG:4549'
    """
    return cgcs2000_zone(central_longitude(frame))


def zone_of_first_data(frame: Any, declared_crs: Any, coords: str = "auto") -> str | None:
    """The zone for a project that takes its CRS from its first import; None when the data's
    place cannot be told (no CRS and not lon/lat): the import then proceeds as usual."""
    from pyproj import CRS

    crs = declared_crs
    if coords.upper().startswith("EPSG:"):
        crs = CRS.from_user_input(coords)
    elif coords.lower() in ("wgs84", "gcj02", "bd09"):
        crs = CRS.from_epsg(4326)  # a few hundred metres of offset do not change the zone
    if crs is None:
        west, south, east, north = frame.total_bounds
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            return None
        crs = CRS.from_epsg(4326)
    return zone_for(frame.set_crs(crs, allow_override=True))
