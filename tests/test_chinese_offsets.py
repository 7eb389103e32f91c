"""GCJ-02 / BD-09 offsets: published test vectors, exact inverse, real DataV data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from conftest import shared_data
from layers.chinese_offsets import (
    bd09_to_gcj02,
    convert,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    gcj02_to_wgs84_one_step,
    suggest_offset,
    to_wgs84,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")

# STANDARDS.md, "Published test vectors (V)": WGS-84 (lat, lng) -> GCJ-02 (lat, lng)
WGS_TO_GCJ = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
]


@pytest.mark.parametrize("wgs, gcj", WGS_TO_GCJ)
def test_published_wgs_to_gcj_vectors(wgs, gcj):
    lng, lat = wgs84_to_gcj02(wgs[1], wgs[0])
    assert lat == pytest.approx(gcj[0], abs=1e-12) and lng == pytest.approx(gcj[1], abs=1e-12)


def test_published_vectors_at_beijing():
    lng, lat = 116.404, 39.915
    assert np.allclose(bd09_to_gcj02(lng, lat), (116.39762729119315, 39.90865673957631),
                       atol=1e-12, rtol=0)
    assert np.allclose(gcj02_to_bd09(lng, lat), (116.41036949371029, 39.92133699351021),
                       atol=1e-12, rtol=0)
    assert np.allclose(wgs84_to_gcj02(lng, lat), (116.41024449916938, 39.91640428150164),
                       atol=1e-12, rtol=0)
    assert np.allclose(gcj02_to_wgs84_one_step(lng, lat),
                       (116.39775550083061, 39.91359571849836), atol=1e-12, rtol=0)


def _metres(lng1, lat1, lng2, lat2):
    return GEOD.inv(lng1, lat1, lng2, lat2)[2]


def test_iterative_inverse_is_below_one_centimetre_across_china():
    rng = np.random.default_rng(7)
    lng = rng.uniform(74, 134, 20_000)
    lat = rng.uniform(18, 53, 20_000)
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    back_lng, back_lat = gcj02_to_wgs84(g_lng, g_lat)
    err = _metres(lng, lat, back_lng, back_lat)
    assert err.max() < 0.01
    one_lng, one_lat = gcj02_to_wgs84_one_step(g_lng, g_lat)
    one_err = _metres(lng, lat, one_lng, one_lat)
    assert one_err.max() > 0.5  # why the iteration is needed: the one-step inverse errs by metres


def test_bd09_round_trips_through_all_systems():
    lng = np.array([111.29, 116.404, 121.5])
    lat = np.array([30.70, 39.915, 31.2])
    for source in ("wgs84", "gcj02", "bd09"):
        for target in ("wgs84", "gcj02", "bd09"):
            x, y = convert(lng, lat, source, target)
            bx, by = convert(x, y, target, source)
            assert _metres(lng, lat, bx, by).max() < 0.01, (source, target)
    with pytest.raises(ValueError):
        convert(lng, lat, "wgs84", "mars")


def test_no_offset_outside_china():
    lng, lat = wgs84_to_gcj02([2.35, 24.94], [48.85, 60.17])  # Paris, Helsinki
    assert np.allclose(lng, [2.35, 24.94]) and np.allclose(lat, [48.85, 60.17])


def test_datav_districts_land_on_the_tianditu_ones():
    """DataV (GCJ-02) converted to WGS-84 matches the 天地图 boundaries: IoU >= 0.9 for all 13
    units, and the five urban districts (the plan's area) within 150 m (centroid shift); left
    unconverted they are 500 m and more off. (Some rural counties' boundaries differ between
    the two providers by more than the offset, so their shift is not a test of it.)"""
    datav = gpd.read_file(shared_data("yichang", "districts_datav_gcj02.json"))
    tianditu = gpd.read_file(shared_data("yichang", "districts_tianditu_wgs84.geojson"))
    assert suggest_offset(datav.columns, "districts_datav_gcj02.json") == "gcj02"
    assert suggest_offset(tianditu.columns, "districts_tianditu_wgs84.geojson") is None
    converted = to_wgs84(datav, "gcj02").to_crs("EPSG:4546")
    raw = datav.set_crs("EPSG:4326", allow_override=True).to_crs("EPSG:4546")
    reference = tianditu.to_crs("EPSG:4546").set_index("district_adcode")
    checked = urban = 0
    for i, adcode in enumerate(datav["adcode"].astype(int)):
        if adcode not in reference.index:
            continue
        ref = reference.loc[adcode].geometry
        ours = shapely.make_valid(converted.geometry.iloc[i])
        unconverted = shapely.make_valid(raw.geometry.iloc[i])
        iou = ours.intersection(ref).area / ours.union(ref).area
        shift = ours.centroid.distance(ref.centroid)
        raw_shift = unconverted.centroid.distance(ref.centroid)
        assert iou >= 0.9, (adcode, iou)
        if 420502 <= adcode <= 420506:
            assert shift <= 150, (adcode, shift)
            assert raw_shift > 450, (adcode, raw_shift)
            urban += 1
        checked += 1
    assert checked == 13 and urban == 5
