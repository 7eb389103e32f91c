"""Chinese web-map coordinate offsets: GCJ-02 (Amap, Tencent, DataV) and BD-09 (Baidu).

GCJ-02 is WGS-84/CGCS2000 plus a published, deliberately irregular offset of a
few hundred metres; BD-09 adds Baidu's own offset on top of GCJ-02. The forward
formulas are closed-form; the inverse has no closed form, so it is solved by
fixed-point iteration until the forward image matches to 1e-10 degrees
(about 0.01 mm) — the usual one-step inverse errs by metres.

All functions are vectorised over numpy arrays of longitude and latitude in
degrees (x = longitude first, as GIS software orders them). Points outside
China are left unchanged, as the web maps do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

# GCJ-02 ellipsoid (Krasovsky 1940), data/standards/parameters.csv: gcj02_* (V)
A = 6378245.0
EE = 0.00669342162296594323
BD_X_PI = np.pi * 3000.0 / 180.0
TOLERANCE_DEG = 1e-10
MAX_ITERATIONS = 30

SYSTEMS = ("wgs84", "gcj02", "bd09")


def out_of_china(lng: Any, lat: Any) -> np.ndarray:
    """Where no offset applies (the rectangle the published algorithm uses)."""
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lng < 72.004) | (lng > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lng(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_delta(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat = _offset_lat(lng - 105.0, lat - 35.0)
    dlng = _offset_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * np.pi)
    dlng = (dlng * 180.0) / (A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = ~out_of_china(lng, lat)
    return np.where(inside, dlng, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lng: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 / CGCS2000 → GCJ-02 (closed form)."""
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlng, dlat = _gcj_delta(lng, lat)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84_one_step(lng: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """The common approximate inverse (errs by up to a few metres); for comparison only."""
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlng, dlat = _gcj_delta(lng, lat)
    return lng - dlng, lat - dlat


def _invert(forward, lng: Any, lat: Any, start) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x, y) == (lng, lat)`` by fixed-point iteration from ``start``
    (the offsets are small and smooth, so each step shrinks the error a hundredfold)."""
    t_lng = np.asarray(lng, dtype=float)
    t_lat = np.asarray(lat, dtype=float)
    x, y = start(t_lng, t_lat)
    for _ in range(MAX_ITERATIONS):
        f_lng, f_lat = forward(x, y)
        e_lng, e_lat = f_lng - t_lng, f_lat - t_lat
        x, y = x - e_lng, y - e_lat
        if np.all(np.abs(e_lng) < TOLERANCE_DEG) and np.all(np.abs(e_lat) < TOLERANCE_DEG):
            break
    return x, y


def gcj02_to_wgs84(lng: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS-84 by fixed-point iteration of the forward formula (< 1e-10°)."""
    return _invert(wgs84_to_gcj02, lng, lat, gcj02_to_wgs84_one_step)


def gcj02_to_bd09(lng: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(lng, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lng: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(lng, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02_exact(lng: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02 inverted by iterating the forward formula (the published inverse
    above is itself approximate, at the centimetre level)."""
    return _invert(gcj02_to_bd09, lng, lat, bd09_to_gcj02)


def convert(lng: Any, lat: Any, source: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert between ``wgs84``, ``gcj02`` and ``bd09`` (exact inverses)."""
    for name in (source, target):
        if name not in SYSTEMS:
            raise ValueError(f"unknown coordinate system {name!r}; use one of {SYSTEMS}")
    x, y = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    if source == target:
        return x.copy(), y.copy()
    # every path goes through GCJ-02
    if source == "bd09":
        x, y = bd09_to_gcj02_exact(x, y)
    elif source == "wgs84":
        x, y = wgs84_to_gcj02(x, y)
    if target == "gcj02":
        return x, y
    return gcj02_to_bd09(x, y) if target == "bd09" else gcj02_to_wgs84(x, y)


def convert_geometries(geoms: Any, source: str, target: str) -> np.ndarray:
    """Convert shapely geometries (lon/lat degrees) between the systems, vertex by vertex."""
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = convert(coords[:, 0], coords[:, 1], source, target)
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), fn)


def to_wgs84(gdf, source: str):
    """A copy of a lon/lat GeoDataFrame in ``source`` (gcj02 or bd09) as WGS-84 (EPSG:4326)."""
    out = gdf.copy()
    out.geometry = convert_geometries(gdf.geometry.values, source, "wgs84")
    return out.set_crs("EPSG:4326", allow_override=True)


_DATAV_KEYS = {"adcode", "center", "centroid", "childrenNum", "acroutes", "subFeatureIndex"}
_BAIDU_HINTS = ("bd09", "bd_lng", "bd_lat", "baidu")
_AMAP_HINTS = ("gcj02", "gcj", "amap", "gaode", "高德", "腾讯", "tencent", "datav")


def suggest_offset(columns: Any, source_name: str = "") -> str | None:
    """Guess from field names whether lon/lat data came from a Chinese web map: 'gcj02', 'bd09'
    or None (DataV's keys, ``gcj_lng``, ``bd_lat`` …).

    A suggestion to show, never applied: field names survive a conversion to WGS-84, and
    the file's name (``source_name``, kept for callers) is no evidence at all. Where the
    project has layers to compare with, :mod:`layers.importing.offset_evidence` decides.

    Examples
    --------
    >>> suggest_offset(["adcode", "name", "center", "centroid"]), suggest_offset(["bd_lng", "bd_lat"])
    ('gcj02', 'bd09')
    >>> suggest_offset(["name"], "amap_export.geojson") is None
    True
    """
    cols = {str(c) for c in columns}
    text = " ".join(cols).lower()
    if any(h in text for h in _BAIDU_HINTS):
        return "bd09"
    if len(_DATAV_KEYS & cols) >= 3 or any(h in text for h in _AMAP_HINTS):
        return "gcj02"
    return None
