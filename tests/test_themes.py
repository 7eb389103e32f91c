"""Map themes: what each theme colours by (checked against hand-made coverage results), the
canvas pixels (a covered and an uncovered community get the theme's two colours; service
area rings never stack fills), greyscale order, legends for exactly what is drawn, undo."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from PyQt5.QtGui import QColor  # noqa: E402

from conftest import X0, Y0  # noqa: E402
from layers.layer import TableLayer, VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402
from layers.themes import active, apply_theme, themed_frame  # noqa: E402
from styles import colour, effective_style, resolve  # noqa: E402
from styles.themes import RAMP, THEMES  # noqa: E402


def frame(rows, geoms, index=None):
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4546")
    gdf.index = pd.Index(np.arange(1, len(rows) + 1, dtype=np.int64) if index is None else index, name="fid")
    return gdf


@pytest.fixture
def project():
    """Community 1 has an elder-care facility 200 m away (5-minute circle), community 2 is
    1,400 m from it (beyond 15 minutes), community 3 has no result; 2 has a gap and 60+ 30 %."""
    p = Project(metadata={"title": "themes"})
    boxes = [shapely.box(X0 + 600 * i, Y0, X0 + 600 * i + 300, Y0 + 300) for i in range(3)]
    p.add_layer(VectorLayer("communities", "communities", frame(
        [{"name": "甲", "population": 1000, "pop_60plus": 100, "precinct": "A"},
         {"name": "乙", "population": 1000, "pop_60plus": 300, "precinct": None},
         {"name": "丙", "population": 1000, "pop_60plus": 100, "precinct": "A"}], boxes)))
    rings = [shapely.Point(X0 + 150, Y0 + 150).buffer(r) for r in (300, 500, 1000)]
    p.add_layer(VectorLayer("service_areas", "service_areas", frame(
        [{"service": "elder_care", "level_m": m, "level": k}
         for m, k in ((300, "5min"), (500, "10min"), (1000, "15min"))], rings)))
    p.add_layer(VectorLayer("facilities", "facilities", frame(
        [{"name": "站", "service": "elder_care"}], [shapely.Point(X0 + 150, Y0 + 150)])))
    results = pd.DataFrame([
        {"community_fid": 1, "service": "elder_care", "nearest_m": 200.0, "covered": True, "flag": "ok"},
        {"community_fid": 2, "service": "elder_care", "nearest_m": 1400.0, "covered": False, "flag": "ok"},
        {"community_fid": 1, "service": "childcare", "nearest_m": 450.0, "covered": True, "flag": "ok"},
        {"community_fid": 2, "service": "childcare", "nearest_m": None, "covered": False,
         "flag": "no_facility"}])
    results.index = pd.Index([1, 2, 3, 4], dtype="int64", name="fid")
    p.add_layer(TableLayer("coverage_results", "coverage_results", results))
    return p


def test_coverage_theme_field_against_hand_computed_levels(project):
    apply_theme(project, "elder_care_coverage")
    communities = project.layer("communities")
    assert list(themed_frame(project, communities)["theme"]) == ["5min", "beyond", "unreachable"]
    apply_theme(project, "childcare_coverage")
    assert list(themed_frame(project, communities)["theme"]) == ["10min", "unreachable", "unreachable"]
    rings = themed_frame(project, project.layer("service_areas"))["theme"].tolist()
    assert rings == [None, None, None]  # elder-care rings are not childcare's


def test_gaps_and_precinct_scheme(project):
    apply_theme(project, "life_circle_gaps")
    gaps = themed_frame(project, project.layer("communities"))["theme"].tolist()
    assert gaps == ["no_gap", "gap_elderly", "not_computed"]  # 乙: gaps and 30 % ≥ 20 % aged 60+
    apply_theme(project, "precinct_scheme")
    assert themed_frame(project, project.layer("communities"))["theme"].tolist() == \
        ["assigned", "unassigned", "assigned"]


def test_precinct_colours_differ_between_neighbours():
    from layers.themes import _colours

    cells = [shapely.box(x * 100, y * 100, x * 100 + 100, y * 100 + 100) for x in range(4) for y in range(4)]
    gdf = frame([{"name": f"P{i}"} for i in range(16)], cells)
    colours = _colours(gdf).tolist()
    for i, a in enumerate(cells):
        for j, b in enumerate(cells):
            if i < j and a.distance(b) <= 1.0:  # independent: shapely distance, not the STRtree
                assert colours[i] != colours[j], (i, j)


def test_ramp_reads_in_greyscale():
    def luminance(hex_colour):
        r, g, b, _ = colour(hex_colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    values = [luminance(RAMP[k]) for k in ("5min", "10min", "15min", "beyond")]
    assert values == sorted(values) and min(np.diff(values)) > 25  # distinct grey steps


def test_legend_lists_only_what_is_drawn_and_undo_restores(project):
    before = {layer.name: (layer.style, layer.visible) for layer in project.layers}
    apply_theme(project, "elder_care_coverage")
    assert active(project) == "elder_care_coverage"
    communities = project.layer("communities")
    style = effective_style("communities", communities.style)
    legend = resolve(style, themed_frame(project, communities)).legend
    assert [e.label("en") for e in legend] == ["5-minute circle", "beyond 15 minutes",
                                               "unreachable / not computed"]
    project.undo.undo()
    assert {layer.name: (layer.style, layer.visible) for layer in project.layers} == before
    assert active(project) is None


def _blend(hex_colour: str, alpha: float, bg: QColor) -> QColor:
    r, g, b, _ = colour(hex_colour)
    return QColor(*(round(c * alpha + k * (1 - alpha)) for c, k in zip((r, g, b), bg.getRgb()[:3])))


def _close(a: QColor, b: QColor, tol: int = 4) -> bool:
    return all(abs(u - v) <= tol for u, v in zip(a.getRgb()[:3], b.getRgb()[:3]))


def test_canvas_pixels_under_a_theme(project, qtbot):
    from app.canvas.paint import BACKGROUND
    from app.canvas.view import MapCanvas

    canvas = MapCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(800, 400)
    canvas.set_project(project)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.zoom_to_bounds((X0 - 900, Y0 - 900, X0 + 1800, Y0 + 1200))
    apply_theme(project, "elder_care_coverage")

    def pixel(x, y):
        image = canvas.grab().toImage()
        p = canvas.world_to_pixel(x, y)
        return QColor(image.pixel(int(round(p.x())), int(round(p.y()))))

    covered = pixel(X0 + 40, Y0 + 260)  # inside community 1, away from its label and the facility
    beyond = pixel(X0 + 850, Y0 + 40)  # inside community 2, away from the ring outlines
    assert _close(covered, _blend(RAMP["5min"], 0.9, BACKGROUND))
    assert _close(beyond, _blend(RAMP["beyond"], 0.9, BACKGROUND))
    assert not _close(covered, beyond, tol=40)
    # inside all three rings, outside every community: no fill at all (rings are outlines)
    assert _close(pixel(X0 + 150, Y0 - 120), BACKGROUND, tol=0)
    # the 5-minute ring's outline is drawn in the ramp's darkest blue
    edge = [pixel(X0 + 150, Y0 + 150 - r) for r in np.arange(296.0, 304.0, 1.0)]
    assert any(_close(c, QColor(RAMP["5min"]), tol=30) for c in edge), [c.name() for c in edge]


@pytest.mark.parametrize("key", list(THEMES))
def test_every_theme_applies_to_the_sample(key):
    from layers.demo import build_sample_project

    p = build_sample_project("small", 0)
    apply_theme(p, key)
    for layer in p.layers:
        if layer.layer_type == "vector" and layer.visible:
            resolve(effective_style(layer.kind, layer.style), themed_frame(p, layer))  # no error


def test_view_menu_theme_is_one_undo_step(project, qtbot):
    from app.window.main import MainWindow

    win = MainWindow(project)
    qtbot.addWidget(win, before_close_func=lambda w: w.project.undo.set_clean())
    win.show()
    qtbot.waitExposed(win)
    menu = win.theme_menu
    assert menu.actions[None].isChecked()
    menu.actions["elder_care_coverage"].trigger()
    assert active(project) == "elder_care_coverage" and menu.actions["elder_care_coverage"].isChecked()
    assert project.layer("communities").style["field"] == "theme"
    assert "专题图" in project.undo.undo_text("zh") or "map theme" in project.undo.undo_text("en")
    win.undo_actions.undo_action.trigger()
    qtbot.waitUntil(lambda: menu.actions[None].isChecked())
    assert active(project) is None and "field" not in project.layer("communities").style


def test_minor_streets_thin_out_when_zoomed_out(qtbot):
    """Scale-dependent visibility: a lane is drawn at 1 m per pixel, not at 8 (its max_mpp
    is 5 in styles/defaults/streets.toml); an arterial road is drawn at both."""
    from app.canvas.paint import BACKGROUND
    from app.canvas.view import MapCanvas
    from styles import default_style

    p = Project(metadata={"title": "streets"})
    lines = [shapely.LineString([(X0, Y0 + dy), (X0 + 4000, Y0 + dy)]) for dy in (0, 300)]
    p.add_layer(VectorLayer("streets", "streets", frame([{"road_class": "lane"}, {"road_class": "arterial"}],
                                                         lines), style=default_style("streets")))
    canvas = MapCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    canvas.set_project(p)
    canvas.show()
    qtbot.waitExposed(canvas)

    def drawn_at(y, mpp) -> bool:
        canvas.set_view(X0 + 2000, Y0 + 150, mpp)
        image = canvas.grab().toImage()
        pt = canvas.world_to_pixel(X0 + 2000, y)
        column = [QColor(image.pixel(int(pt.x()), int(pt.y()) + d)) for d in (-1, 0, 1)]
        return any(not _close(c, BACKGROUND, tol=6) for c in column)

    assert drawn_at(Y0, 1.0) and drawn_at(Y0 + 300, 1.0)
    assert not drawn_at(Y0, 8.0) and drawn_at(Y0 + 300, 8.0)


@pytest.fixture(scope="module")
def analysed_sample():
    """The small sample with coverage results and service areas saved (once for the module)."""
    from layers.commands import ChangeAttributes
    from layers.coverage import compute_coverage, coverage_command
    from layers.demo import build_sample_project

    p = build_sample_project("small", 0)
    p.apply(coverage_command(p, compute_coverage(p, areas=True)))
    layer = p.layer("communities")  # a precinct, so the scheme theme has both classes
    p.apply(ChangeAttributes(layer.id, {int(f): {"precinct": "甲片区"} for f in layer.gdf.index[:6]}))
    return p


def _majority(image, canvas, x, y, half=2):
    from collections import Counter

    pt = canvas.world_to_pixel(x, y)
    cols = Counter(image.pixel(int(pt.x()) + dx, int(pt.y()) + dy)
                   for dx in range(-half, half + 1) for dy in range(-half, half + 1))
    return QColor(cols.most_common(1)[0][0])


# pipeline_conflicts colours conflicts; scheme_changes needs two schemes compared (drawn in
# tests/test_schemes_panel.py: the moved communities in its colour, the others not)
@pytest.mark.parametrize("key", [k for k in THEMES if k not in ("pipeline_conflicts", "scheme_changes")])
def test_each_theme_on_the_sample_colours_its_classes_apart(key, analysed_sample, qtbot):
    """Rendered on the canvas: two communities the theme puts in different classes get the
    classes' different colours (a covered and an uncovered one for coverage themes)."""
    from app.canvas.view import MapCanvas

    p = analysed_sample
    apply_theme(p, key)
    try:
        communities = p.layer("communities")
        frame = themed_frame(p, communities)
        style = effective_style("communities", communities.style)
        classes = frame[style["field"]] if style.get("type") == "categorised" else None
        assert classes is not None and classes.nunique() >= 2, key
        a_class, b_class = list(classes.dropna().unique())[:2]
        a = frame.index[classes == a_class][0]
        b = frame.index[classes == b_class][0]
        canvas = MapCanvas()
        qtbot.addWidget(canvas)
        canvas.resize(700, 600)
        canvas.set_project(p)
        canvas.show()
        qtbot.waitExposed(canvas)
        image = canvas.grab().toImage()
        assert canvas.metres_per_pixel > 3.0  # no labels over the fills
        pa = communities.gdf.geometry.loc[a].representative_point()
        pb = communities.gdf.geometry.loc[b].representative_point()
        ca, cb = _majority(image, canvas, pa.x, pa.y), _majority(image, canvas, pb.x, pb.y)
        assert not _close(ca, cb, tol=12), (key, a_class, b_class, ca.name(), cb.name())
        if key.endswith("_coverage"):
            resolved = resolve(style, frame)
            want = {str(v): QColor(*[int(c) for c in resolved.fill[frame.index.get_loc(f)][:3]])
                    for v, f in ((a_class, a), (b_class, b))}
            assert _close(ca, want[str(a_class)], tol=40) and _close(cb, want[str(b_class)], tol=40)
    finally:
        p.undo.undo()
