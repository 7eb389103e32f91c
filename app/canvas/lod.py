"""Level of detail: zoomed out, a heavy layer's outlines are drawn with fewer points.

Qt's 1-px stroker, which draws outlines zoomed out (``paint.THIN_OUTLINES_FROM_MPP``), pays per
point and per call, not per pixel: the city's service-area outlines at full extent are 912,000
points in 992 pieces and took ~110 ms; without the points lying within half a pixel of the
line through their neighbours (Douglas–Peucker per ring, its ends kept) they are ~245,000, and
drawn as whole rings in paths of up to ``paths.OUTLINE_VERTICES`` points (the pieces were for
wider pens) ~40 ms, with no difference a reader can see (under half a pixel).

The outlines with fewer points are made per scale band (a factor of √2; the tolerance is half a
pixel at the band's finest scale) by the first render job at that band, in its worker thread
(~0.16 s for the city's service areas; the GUI thread never waits), and kept on the layer's
graphics (``LayerGraphics.lod``). Whether a render draws them is decided with its snapshot
(``LayerSnapshot.lod``, part of the reuse signature) from the scale alone, so every render at a
band draws alike and a kept image is reused only by one that draws as it did. Only layers with
at least :data:`MIN_POINTS` outline points whose outlines are drawn 1 px wide zoomed out (at
most 1.5 px) get them.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from app.canvas.paths import OUTLINE_VERTICES, Chunk, LayerGraphics, path_arrays, path_from_arrays

#: the simpler outlines leave out points within this many pixels of the line (at the band's
#: finest scale, so under it anywhere in the band)
LOD_TOLERANCE_PX = 0.5
#: only layers whose outlines have at least this many points get simpler ones: below it Qt's
#: cost is the pixels drawn, and making them costs more than it saves
MIN_POINTS = 200_000
#: zoomed out from here (metres per pixel) outlines of up to 1.5 px are drawn 1 px wide on
#: screen (``paint.THIN_OUTLINES_FROM_MPP`` is this)
FROM_MPP = 4.0
_THIN_PX = 1.5
#: rings simplified in batches of about this many points (see ``_simplified``)
BATCH_POINTS = 5_000


def band_of(mpp: float) -> int:
    """The scale band (a factor of √2) of ``mpp`` metres per pixel."""
    return round(2.0 * math.log2(max(mpp, 1e-9)))


def tolerance_m(band: int) -> float:
    """Half a pixel at the finest scale of ``band``, in metres."""
    return LOD_TOLERANCE_PX * 2.0 ** ((band - 0.5) / 2.0)


def outlines_band(graphics, mpp: float, ratio: float = 1.0) -> int | None:
    """The band whose outlines with fewer points a render of ``graphics`` at ``mpp`` draws,
    or None: not zoomed out, a device pixel ratio other than 1, or not a layer that gains
    from them (:func:`simplify_outlines` makes them, once per band)."""
    if ratio != 1.0 or mpp < FROM_MPP or not eligible(graphics):
        return None
    return band_of(mpp)


def eligible(graphics) -> bool:
    """Whether the layer's outlines get versions with fewer points (see the module text)."""
    if not isinstance(graphics, LayerGraphics) or not graphics.outlines:
        return False
    if graphics.lod_points < 0:
        graphics.lod_points = sum(c.path.elementCount() for c in graphics.outlines)
    return graphics.lod_points >= MIN_POINTS and all(c.width <= _THIN_PX for c in graphics.outlines)


def _source(graphics: LayerGraphics) -> tuple:
    """The outlines' points as whole rings: (xy, subpath starts, style index per point, the
    style chunks). A piece that continues a ring (``dash_start_m`` > 0) joins the one before."""
    if graphics.lod_source is not None:
        return graphics.lod_source
    xys, starts, styles, kinds, keys = [], [], [], [], {}
    for chunk in graphics.outlines:
        xy, start = path_arrays(chunk.path)
        if chunk.dash_start_m > 0 and len(xy) and xys:  # its first point is the last one's end
            xy, start = xy[1:], start[1:]
        elif len(start):
            start = start.copy()
            start[0] = True
        key = (chunk.stroke.rgba(), chunk.width, chunk.max_mpp)
        if key not in keys:
            keys[key] = len(kinds)
            kinds.append(chunk)
        xys.append(xy)
        starts.append(start)
        styles.append(np.full(len(xy), keys[key], dtype=np.int32))
    graphics.lod_source = (np.concatenate(xys), np.concatenate(starts), np.concatenate(styles), kinds)
    return graphics.lod_source


def simplify_outlines(graphics: LayerGraphics, band: int) -> list[Chunk]:
    """The outlines for ``band``: rings simplified to its tolerance, in paths of up to
    OUTLINE_VERTICES points of one style, in the order drawn (any thread)."""
    made = graphics.lod.get(band)
    if made is not None:
        return made
    xy, starts, style, kinds = _source(graphics)
    first = np.flatnonzero(starts)
    size = np.diff(np.r_[first, len(xy)])
    keep = size >= 2  # a subpath of one point draws nothing
    ring_style = style[first[keep]]
    out = _simplified(xy, first[keep], size[keep], tolerance_m(band))
    ring_size = np.concatenate([o[1] for o in out]) if out else np.empty(0, dtype=np.int64)
    out = np.concatenate([o[0] for o in out]) if out else np.empty((0, 2))
    ring_start = np.cumsum(ring_size) - ring_size
    # paths of about OUTLINE_VERTICES points (a ring is never cut), each of one style
    new_style = np.r_[True, ring_style[1:] != ring_style[:-1]]
    run = np.cumsum(new_style) - 1
    before = ring_start - ring_start[np.flatnonzero(new_style)][run]  # points before a ring in its style run
    group = run * (len(out) + 1) + before // OUTLINE_VERTICES
    cut = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    moves = np.zeros(len(out), dtype=bool)
    moves[ring_start] = True
    chunks: list[Chunk] = []
    for g0, g1 in zip(cut, np.r_[cut[1:], len(ring_start)], strict=True) if len(ring_start) else ():
        a = ring_start[g0]
        b = ring_start[g1] if g1 < len(ring_start) else len(out)
        part = out[a:b]
        (x0, y0), (x1, y1) = part.min(axis=0), part.max(axis=0)
        kind = kinds[ring_style[g0]]
        chunks.append(Chunk(kind.fill, kind.stroke, kind.width, (x0, y0, x1, y1),
                            path_from_arrays(part, moves[a:b], winding=False), max_mpp=kind.max_mpp))
    graphics.lod[band] = chunks
    return chunks


def _simplified(xy: np.ndarray, first: np.ndarray, size: np.ndarray, tolerance: float) -> list:
    """The rings (``size`` points from each ``first``) simplified, as (points, ring sizes) per
    batch of about BATCH_POINTS points: shapely makes and takes apart lines holding Python's
    lock (the city's 29,000 rings in one go held it ~80 ms, a wheel step's worth of a frozen
    window), so it is let go between batches."""
    out = []
    cum = np.cumsum(size)
    cuts = np.searchsorted(cum, np.arange(BATCH_POINTS, cum[-1] if len(cum) else 0, BATCH_POINTS))
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(first)], strict=True):
        if a == b:
            continue
        n = size[a:b]
        points = np.repeat(first[a:b] - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
        lines = shapely.linestrings(xy[points], indices=np.repeat(np.arange(b - a), n))
        lines = shapely.simplify(lines, tolerance, preserve_topology=False)
        coords, index = shapely.get_coordinates(lines, return_index=True)
        out.append((coords, np.bincount(index, minlength=b - a)))
    return out
