"""The precinct panel: assign three selected communities, statistics update, undo empties."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt is needed for the panel tests")


from app.precinct_panel import PrecinctPanel  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402
from layers.precincts import communities_layer, community_adjacency  # noqa: E402


def _three_adjacent(project) -> list[int]:
    comm = communities_layer(project).gdf
    adj = community_adjacency(comm, 40)
    for fid in adj.fids:
        nb = adj.neighbours(int(fid))
        if len(nb) >= 2:
            return [int(fid), *nb[:2]]
    raise AssertionError("the sample has no community with two neighbours")


def test_assign_three_communities_then_undo_empties(qtbot):
    project = build_sample_project("small")
    panel = PrecinctPanel()
    qtbot.addWidget(panel)
    panel.set_project(project)
    assert panel.table.rowCount() == 0
    fids = _three_adjacent(project)
    panel.select_fids(fids)
    assert sorted(panel.selected_fids()) == sorted(fids)
    panel.name.setEditText("滨江片区")
    panel.assign_button.click()
    row = panel.row_of("滨江片区")
    comm = communities_layer(project).gdf
    assert row is not None and row["communities"] == 3
    assert row["population"] == comm.loc[fids, "population"].sum()
    assert row["contiguous"] and "below_minimum" in row["warnings"]
    assert panel.table.rowCount() == 1
    assert panel.table.item(0, 0).text() == "滨江片区"
    assert panel.table.item(0, 1).text() == "3"
    labels = [panel.communities.item(i).text() for i in range(panel.communities.count())]
    assert sum(label.endswith("滨江片区") for label in labels) == 3
    panel.undo_button.click()
    assert panel.row_of("滨江片区") is None
    assert panel.table.rowCount() == 0
    assert communities_layer(project).gdf["precinct"].isna().all()


def test_auto_grouping_from_the_panel(qtbot):
    project = build_sample_project("small")
    panel = PrecinctPanel()
    qtbot.addWidget(panel)
    panel.set_project(project)
    panel.floor.setValue(2500)
    panel.ceiling.setValue(0)
    panel.within.setChecked(True)
    panel.seed.setValue(4)
    assert panel.run_auto()
    assert panel.table.rowCount() > 0
    assert all(pop >= 2500 for pop in panel.stats["population"])
    assert all(panel.stats["contiguous"])
    panel.undo()
    assert panel.table.rowCount() == 0


def test_assign_without_a_name_says_so(qtbot, monkeypatch):
    from PyQt5.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda parent, title, text, *a: shown.append(text)))
    project = build_sample_project("small")
    panel = PrecinctPanel()
    qtbot.addWidget(panel)
    panel.set_project(project)
    panel.select_fids([1])
    panel.name.setEditText("")
    assert not panel.assign_selected()
    assert shown and "name" in shown[0]
