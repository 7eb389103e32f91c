"""A pan draws only the new strip: the last finished images of the map are kept and reused.

Web maps cut the map into tiles; a desktop canvas that draws its whole view at once can do
the same with the images it already has. A finished render keeps its image without labels
(the *base*), its view and the *signature* of what it drew: each layer's id, opacity, the
scale band of the simpler paths it was drawn with (:mod:`app.canvas.lod`) and the
stamp of the graphics it was drawn from (graphics are never changed in place: a data or style
change builds new ones with a new stamp, a hidden layer leaves the list, a moved one changes
its order). A new view at the same scale and pixel ratio whose pixels fall on whole device
pixels of an older image (a pan by a mouse drag or the arrow keys, a resize, a return to a
view seen before) copies what the older images show and draws the layers only where none
does, clipped there; labels, which are placed for each view, are drawn afresh on top.

The result is the picture a whole redraw gives, pixel for pixel (tests/test_canvas_reuse.py).

Not reused: a new scale (every line width and marker would be wrong), a view with a basemap
of web tiles (fetched and warped for each view), a device pixel ratio other than 1, and a
strip so wide that most of the view is new anyway.
"""

from __future__ import annotations

import itertools

from PyQt5.QtCore import QPoint, QRect
from PyQt5.QtGui import QImage, QPainter, QRegion

from app.canvas.tiles import TileGraphics

#: images kept (each 1600 × 1000 × 4 bytes = 6.4 MB on a large canvas): the last views seen
KEEP = 4
#: a new view that shows more than this share of fresh pixels is drawn whole
MOST_NEW = 0.6
#: offsets within this many device pixels of whole pixels count as whole (float noise of pans)
WHOLE_PX = 1e-3
#: scales this close (relative) are one scale (a zoom out and back in gives 1 ulp off)
SAME_SCALE = 1e-9

_STAMPS = itertools.count(1)


def stamp(graphics) -> int | None:
    """The graphics' stamp (given on first sight), or None when they cannot be reused."""
    if graphics is None or isinstance(graphics, TileGraphics):
        return None
    value = getattr(graphics, "_reuse_stamp", None)
    if value is None:
        value = next(_STAMPS)
        try:
            graphics._reuse_stamp = value
        except AttributeError:
            return None
    return value


def signature(layers) -> tuple | None:
    """What a render of these layer snapshots draws, or None when it cannot be reused."""
    out = []
    for layer in layers:
        s = stamp(layer.graphics)
        if s is None:
            return None
        out.append((layer.id, s, layer.opacity, getattr(layer, "lod", None)))
    return tuple(out)


class Kept:
    """A finished image without labels, its view and signature."""

    __slots__ = ("view", "signature", "image")

    def __init__(self, view, signature_, image: QImage) -> None:
        self.view, self.signature, self.image = view, signature_, image


def offset(old, new) -> QPoint | None:
    """Where the top-left pixel of ``old``'s image lands in ``new``'s, in whole device pixels,
    or None when the two views do not share a pixel grid."""
    if old.ratio != 1.0 or new.ratio != 1.0 or abs(old.mpp - new.mpp) > SAME_SCALE * new.mpp:
        return None
    mpp = new.mpp
    x = ((old.centre[0] - old.width / 2 * mpp) - (new.centre[0] - new.width / 2 * mpp)) / mpp
    y = ((new.centre[1] + new.height / 2 * mpp) - (old.centre[1] + old.height / 2 * mpp)) / mpp
    rx, ry = round(x), round(y)
    if abs(x - rx) > WHOLE_PX or abs(y - ry) > WHOLE_PX:
        return None
    return QPoint(rx, ry)


class ImageStore:
    """The last few finished images of one canvas (:data:`KEEP`)."""

    def __init__(self) -> None:
        self.kept: list[Kept] = []

    def add(self, view, signature_, image: QImage | None) -> None:
        if signature_ is None or image is None:
            return
        self.kept = [k for k in self.kept if k.view != view][:KEEP - 1]
        self.kept.insert(0, Kept(view, signature_, image))

    def clear(self) -> None:
        self.kept = []

    def sources(self, view, signature_) -> list[tuple[QImage, QPoint]]:
        """Kept images to copy into ``view`` (newest first) with their offsets; empty when
        the view is better drawn whole."""
        if signature_ is None:
            return []
        whole = QRect(0, 0, view.width, view.height)
        covered, out = QRegion(), []
        for kept in self.kept:
            if kept.signature != signature_:
                continue
            at = offset(kept.view, view)
            if at is None:
                continue
            rect = QRect(at, kept.image.size()) & whole
            if rect.isEmpty() or QRegion(rect).subtracted(covered).isEmpty():
                continue
            covered = covered.united(QRegion(rect))
            out.append((kept.image, at))
        if not out or _area(QRegion(whole).subtracted(covered)) > MOST_NEW * view.width * view.height:
            return []
        return out


def _area(region: QRegion) -> int:
    return sum(r.width() * r.height() for r in region.rects())


def copy_kept(painter: QPainter, sources, width: int, height: int) -> QRegion:
    """Copy the kept images into the painter's image; the region still to draw."""
    missing = QRegion(0, 0, width, height)
    for image, at in sources:
        part = QRegion(QRect(at, image.size())).intersected(missing)
        if part.isEmpty():
            continue
        painter.setClipRegion(part)
        painter.drawImage(at, image)
        missing = missing.subtracted(part)
    painter.setClipping(False)
    return missing
