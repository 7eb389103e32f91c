"""Rasters turned into RGBA pixels following a style: greyscale, a colour ramp, or RGB(A).

No Qt here: the canvas, the map sheet and the HTML export draw the pixels it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from styles.resolve import LegendEntry, _bad_value, _number, _style_name, colour


@dataclass
class ResolvedRaster:
    """A raster turned into an RGBA image (rows, cols, 4) and its legend."""

    rgba: np.ndarray
    legend: list[LegendEntry] = field(default_factory=list)


def resolve_raster(style: Mapping[str, Any], array: np.ndarray,
                   nodata: float | None = None) -> ResolvedRaster:
    """Turn a raster (bands, rows, cols) into RGBA pixels following ``style``.

    ``raster = "ramp"`` colours band 1 along ``ramp`` (a list of colours),
    ``"greyscale"`` stretches band 1 to grey; a raster with three or more bands
    and no ramp is shown as RGB. RGB bytes (0–255, an orthophoto) are shown as they
    are unless the style sets ``min``/``max``; other numbers are stretched. A fourth
    byte band (RGBA), or the second of two (grey + alpha), is the transparency. Nodata
    and NaN cells are transparent (in RGB: all three bands equal to nodata), and with
    ``hide_zero = true`` so are cells equal to 0; ``alpha`` (0–1) sets the opacity of
    the others.
    """
    name = _style_name(style)
    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = arr[np.newaxis]
    mode = style.get("raster") or ("rgb" if arr.shape[0] >= 3 else "greyscale")
    rgb = mode == "rgb" and arr.shape[0] >= 3
    shape = arr.shape[1:]
    valid = _valid(arr[:3] if rgb else arr[:1], nodata, bool(style.get("hide_zero")))
    rgba = np.zeros(shape + (4,), dtype=np.uint8)
    legend: list[LegendEntry] = []
    if rgb:
        for i in range(3):
            rgba[..., i] = _channel(arr[i], valid, style)
    elif mode in ("ramp", "greyscale", "rgb"):
        scaled, low, high = _stretch(arr[0].astype(np.float64), valid, style)
        stops = style.get("ramp") if mode == "ramp" else ["#000000", "#ffffff"]
        if not stops or len(stops) < 2:
            raise _bad_value(name, "ramp", stops, ["a list of two or more colours"])
        cols = np.array([colour(c, 1.0, name, "ramp")[:3] for c in stops], dtype=np.float64)
        pos = np.linspace(0.0, 1.0, len(cols))
        for i in range(3):
            rgba[..., i] = np.interp(scaled, pos, cols[:, i]).round().astype(np.uint8)
        if mode == "ramp":
            low_c, high_c = (tuple(int(v) for v in cols[0]) + (255,),
                             tuple(int(v) for v in cols[-1]) + (255,))
            legend = [LegendEntry(f"{low:,.0f} (low)", f"{low:,.0f}（低）", low_c, low_c),
                      LegendEntry(f"{high:,.0f} (high)", f"{high:,.0f}（高）", high_c, high_c)]
    else:
        raise _bad_value(name, "raster", mode, ("ramp", "greyscale", "rgb"))
    alpha = _number(style.get("alpha", 1.0), name, "alpha")
    if not 0.0 <= alpha <= 1.0:
        raise _bad_value(name, "alpha", alpha, ["a number from 0 to 1"])
    opacity: Any = alpha * 255
    if arr.dtype == np.uint8 and (rgb and arr.shape[0] >= 4 or not rgb and arr.shape[0] == 2):
        opacity = arr[-1 if not rgb else 3] * alpha  # RGBA, or grey + alpha
    rgba[..., 3] = np.where(valid, np.round(opacity), 0).astype(np.uint8)
    return ResolvedRaster(rgba=rgba, legend=legend)


def _valid(bands: np.ndarray, nodata: float | None, hide_zero: bool) -> np.ndarray:
    """Cells drawn: finite, not nodata (every band equal to it), not 0 with ``hide_zero``
    (compared in the bands' own type: an orthophoto is not copied into floats)."""
    if bands.dtype.kind in "fc":
        valid = np.all(np.isfinite(bands), axis=0)
    else:
        valid = np.ones(bands.shape[1:], dtype=bool)
    if nodata is not None and np.isfinite(nodata):
        valid &= ~np.all(bands == nodata, axis=0)
    if hide_zero:
        valid &= ~np.all(bands == 0, axis=0)
    return valid


def _channel(band: np.ndarray, valid: np.ndarray, style: Mapping[str, Any]) -> np.ndarray:
    """One RGB channel: bytes as they are (unless min/max are set), other numbers stretched."""
    if band.dtype == np.uint8 and "min" not in style and "max" not in style:
        return band
    return (_stretch(band.astype(np.float64), valid, style)[0] * 255).astype(np.uint8)


def _stretch(band: np.ndarray, valid: np.ndarray,
             style: Mapping[str, Any]) -> tuple[np.ndarray, float, float]:
    """Scale values to 0–1 between ``min``/``max`` of the style or of the valid data."""
    data = band[valid]
    if data.size == 0:
        return np.zeros_like(band), 0.0, 0.0
    low = float(style.get("min", np.nanmin(data)))
    high = float(style.get("max", np.nanmax(data)))
    span = high - low if high > low else 1.0
    scaled = np.clip((np.nan_to_num(band, nan=low) - low) / span, 0.0, 1.0)
    return scaled, low, high
