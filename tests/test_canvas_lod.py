"""Level of detail zoomed out (issue 19.2): a heavy layer's outlines are drawn with fewer
points — every point within half a pixel, the pieces of a ring joined again, the same picture
to the eye (every inked pixel within a pixel of the full drawing's ink), drawn by the renders
of that scale band alike so that a pan still reuses the kept image. The sample's service areas
stand in for the city's (MIN_POINTS lowered so that they count as heavy)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from canvas_pixels import background, pixels, synchronous_image

import app.canvas.lod as lod
from app.canvas.parallel import halves
from app.canvas.paths import path_arrays
from app.canvas.render_job import LayerSnapshot
from app.canvas.reuse import ImageStore
from app.canvas.view import MapCanvas

SIZE = (900, 700)


@pytest.fixture(scope="module")
def analysed():
    from layers.coverage import apply_results, compute_coverage
    from layers.demo import build_sample_project

    project = build_sample_project("small", 0)
    apply_results(project, compute_coverage(project, areas=True))
    return project


@pytest.fixture
def heavy(monkeypatch):
    monkeypatch.setattr(lod, "MIN_POINTS", 1_000)


def _canvas(project, mpp: float | None = None) -> MapCanvas:
    canvas = MapCanvas()
    canvas.resize(*SIZE)
    canvas.set_project(project)
    canvas.zoom_to_extent()
    cx, cy = canvas.centre
    canvas.set_view(cx, cy, mpp or max(canvas.metres_per_pixel, 6.0))
    canvas.wait_rendered()
    return canvas


def _graphics(canvas, name="service_areas"):
    layer = canvas.project.layer(name)
    return layer, canvas._graphics_for(layer)


def _rings(xy: np.ndarray, starts: np.ndarray) -> np.ndarray:
    sub = np.cumsum(starts) - 1
    keep = np.bincount(sub)[sub] >= 2
    return shapely.linestrings(xy[keep], indices=np.cumsum(starts[keep]) - 1)


def test_fewer_points_each_within_half_a_pixel_and_rings_whole(qapp, analysed, heavy):
    canvas = _canvas(analysed)
    layer, g = _graphics(canvas)
    band = lod.band_of(canvas.metres_per_pixel)
    assert lod.outlines_band(g, canvas.metres_per_pixel) == band
    chunks = lod.simplify_outlines(g, band)
    before = sum(c.path.elementCount() for c in g.outlines)
    after = sum(c.path.elementCount() for c in chunks)
    assert after < 0.8 * before, (before, after)
    assert len(chunks) < len(g.outlines)  # whole rings in long paths, not the wide pen's pieces
    simple = _rings(*map(np.concatenate, zip(*(path_arrays(c.path) for c in chunks))))
    xy, starts, _, _ = lod._source(g)
    full = _rings(xy, starts)
    # the pieces of a ring joined again: as many rings as the areas have
    polygons = shapely.get_parts(np.asarray(layer.gdf.geometry.array))
    assert len(simple) == len(full) == int((shapely.get_num_interior_rings(polygons) + 1).sum())
    # every point of a ring within half a pixel (at the band's finest scale) of its simpler one
    gap = shapely.hausdorff_distance(full, simple)
    assert gap.max() <= lod.tolerance_m(band) + 1e-9
    assert lod.tolerance_m(band) <= 0.5 * canvas.metres_per_pixel
    canvas.close()


def _ink(rgb: np.ndarray) -> np.ndarray:
    return np.abs(rgb - background()).max(axis=2) > 12


def _near(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return out


def test_a_zoomed_out_render_draws_them_and_looks_the_same(qapp, analysed, heavy):
    canvas = _canvas(analysed)
    layer, _ = _graphics(canvas)
    drawn = {entry[0]: entry[3] for entry in canvas.last_render.signature}
    assert drawn[layer.id] == lod.band_of(canvas.metres_per_pixel)
    assert {v for k, v in drawn.items() if k != layer.id} == {None}  # only the heavy layer
    ours = _ink(pixels(canvas.render_now()))
    full = _ink(pixels(synchronous_image(canvas)))  # every point, on this thread
    assert ours.mean() > 0.02
    # to the eye the same: an inked pixel of either lies within a pixel of the other's ink
    assert (ours & ~_near(full)).mean() < 2e-4 and (full & ~_near(ours)).mean() < 2e-4
    canvas.close()


def test_a_pan_reuses_the_kept_image_and_matches_a_whole_redraw(qapp, analysed, heavy):
    canvas = _canvas(analysed)
    cx, cy = canvas.centre
    mpp = canvas.metres_per_pixel
    canvas.set_view(cx + 40 * mpp, cy - 25 * mpp, mpp)
    canvas.wait_rendered()
    assert canvas.last_render.copied
    panned = pixels(canvas.render_now())
    fresh = _canvas(analysed, mpp)
    fresh._kept = ImageStore()  # nothing kept: the pan's view drawn whole
    fresh.set_view(cx + 40 * mpp, cy - 25 * mpp, mpp)
    fresh.wait_rendered()
    assert not fresh.last_render.copied
    assert np.abs(panned - pixels(fresh.render_now())).max() <= 8
    canvas.close()
    fresh.close()


def test_only_zoomed_out_on_a_plain_screen_and_for_heavy_thin_outlines(qapp, analysed, heavy, monkeypatch):
    canvas = _canvas(analysed)
    _, g = _graphics(canvas)
    assert lod.outlines_band(g, 6.0) == lod.band_of(6.0)
    assert lod.outlines_band(g, 2.0) is None  # zoomed in: every point
    assert lod.outlines_band(g, 6.0, ratio=2.0) is None  # a high-density screen
    _, communities = _graphics(canvas, "communities")
    assert lod.outlines_band(communities, 6.0) is None or communities.lod_points >= lod.MIN_POINTS
    monkeypatch.setattr(lod, "MIN_POINTS", g.lod_points + 1)
    assert lod.outlines_band(g, 6.0) is None  # a light layer: Qt's cost is its pixels
    canvas.close()


def test_two_threads_share_the_simpler_outlines_in_halves(qapp, analysed, heavy):
    canvas = _canvas(analysed)
    layer, g = _graphics(canvas)
    band = lod.band_of(canvas.metres_per_pixel)
    chunks = lod.simplify_outlines(g, band)
    lower, upper = halves(LayerSnapshot(layer, g, band))
    assert lower.graphics.lod[band] + upper.graphics.lod[band] == chunks
    assert lower.graphics.lod[band] and upper.graphics.lod[band]
    canvas.close()
