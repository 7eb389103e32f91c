"""A hand-made pipeline survey with Chinese field names (管线类型, 权属单位, 管径, 压力级制, 埋深),
written as a GeoPackage and imported as the importer maps it, and what GB 50289 says
about each pair — worked out by hand from STANDARDS.md / GB 50289-2016 Table 4.1.9.

Each case is two parallel pipes 60 m long, 200 m from the next case, with a known
wall-to-wall distance (the centre lines are the wall distance plus both radii apart).

| case | pipes (管线类型, 管径 mm)      | wall m | GB 50289 (Table 4.1.9)          | expected            |
|------|-------------------------------|--------|---------------------------------|---------------------|
| 1    | 污水 400 – 电力 100           | 0.75   | drainage–power 0.5 (S)          | met: in no category |
| 2    | 雨水 600 – 电力 100           | 0.30   | drainage–power 0.5 (S)          | violation           |
| 3    | 污水 500 – 给水 300           | 1.20   | drainage–water d>200: 1.5 (S)   | violation           |
| 4    | 雨水 400 – 给水 150           | 1.20   | drainage–water d≤200: 1.0 (S)   | met                 |
| 5    | 污水 300 – 燃气 100 低压       | 1.10   | drainage–gas low: 1.0 (S)       | met                 |
| 6    | 雨水 400 – 通信 100           | 1.05   | drainage–telecom 1.0 (S)        | met                 |
| 7    | 给水 200 – 电力 100           | 0.40   | water–power: NF (cell not found) | unchecked          |
| 8    | 燃气 100 中压B – 通信 100      | 0.60   | gas–telecom: NF                 | unchecked           |
| 9    | 不明 100 – 给水 200           | 0.50   | no row for unknown–water        | notice (parallel)   |
| 10   | 给水 200 埋深 1.0 crossing 污水 400 埋深 1.8 | vertical 0.6 | water–drainage 0.4 (S) | met |

Before issue 18 this case read "10 pipeline conflicts": 5 "parallel too close" rows from
the product's 1.0 m tolerance (cases 1, 2, 7, 8, 9, sewer–power at 0.75 m among them),
the two breaches and the NF pairs as open conflicts.
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString

from conftest import X0, Y0

CRS = "EPSG:4546"
LENGTH = 60.0
#: (管线类型 a, 管径 a, 管线类型 b, 管径 b, 压力级制 b, wall m, GB 50289 value or None, category)
PAIRS = [
    ("污水", 400, "电力", 100, None, 0.75, 0.5, None),
    ("雨水", 600, "电力", 100, None, 0.30, 0.5, "violation"),
    ("污水", 500, "给水", 300, None, 1.20, 1.5, "violation"),
    ("雨水", 400, "给水", 150, None, 1.20, 1.0, None),
    ("污水", 300, "燃气", 100, "低压", 1.10, 1.0, None),
    ("雨水", 400, "通信", 100, None, 1.05, 1.0, None),
    ("给水", 200, "电力", 100, None, 0.40, None, "unchecked"),
    ("燃气", 100, "通信", 100, "中压B", 0.60, None, "unchecked"),
    ("不明", 100, "给水", 200, None, 0.50, None, "notice"),
]
#: the CSV rows (class_a, class_b, condition) each case's value comes from (None: no row)
ROWS = [("drainage", "power", ""), ("drainage", "power", ""), ("drainage", "water", "d>200"),
        ("drainage", "water", "d<=200"), ("drainage", "gas", "pressure=low"),
        ("drainage", "telecom", ""), ("water", "power", ""), ("gas", "telecom", ""), None]
OWNERS = {"污水": "宜昌市排水公司", "雨水": "宜昌市排水公司", "电力": "国网宜昌供电公司",
          "给水": "宜昌市自来水公司", "燃气": "宜昌中燃", "通信": "中国电信宜昌分公司", "不明": None}
CROSSING = 10  # the case number of the crossing


def survey() -> gpd.GeoDataFrame:
    """The pipes as a surveyor's file has them: Chinese field names and values."""
    rows = []
    for k, (ua, da, ub, db, press, wall, *_rest) in enumerate(PAIRS):
        x = X0 + 200 * k
        centre = wall + (da + db) / 2000
        rows.append({"管线类型": ua, "权属单位": OWNERS[ua], "管径": da, "压力级制": None,
                     "埋深": None, "geometry": LineString([(x, Y0), (x + LENGTH, Y0)])})
        rows.append({"管线类型": ub, "权属单位": OWNERS[ub], "管径": db, "压力级制": press,
                     "埋深": None,
                     "geometry": LineString([(x, Y0 + centre), (x + LENGTH, Y0 + centre)])})
    x = X0 + 200 * (CROSSING - 1)
    rows.append({"管线类型": "给水", "权属单位": OWNERS["给水"], "管径": 200, "压力级制": None,
                 "埋深": 1.0, "geometry": LineString([(x, Y0), (x + LENGTH, Y0)])})
    rows.append({"管线类型": "污水", "权属单位": OWNERS["污水"], "管径": 400, "压力级制": None,
                 "埋深": 1.8, "geometry": LineString([(x + 30, Y0 - 20), (x + 30, Y0 + 20)])})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def imported_project(tmp_path):
    """A project holding the survey imported from a GeoPackage (fids 1, 2 = case 1 …)."""
    from layers.importing import import_layer
    from layers.project import Project

    path = tmp_path / "管线普查.gpkg"
    survey().to_file(path, engine="pyogrio")
    project = Project(metadata={"title": "管线"})
    report = import_layer(project, path, "pipelines", layer_name="管线")
    assert report.mapping == {"管线类型": "utility", "权属单位": "owner", "管径": "diameter_mm",
                              "压力级制": "pressure", "埋深": "depth_m"}, report.mapping
    project.undo.set_clean()
    return project


def case_of(fid_a: int, fid_b: int) -> int:
    """The case number (1-based) of a pair of imported fids."""
    assert (fid_a + 1) // 2 == (fid_b + 1) // 2, (fid_a, fid_b)
    return (fid_a + 1) // 2
