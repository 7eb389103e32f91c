"""Road classes, widths and names of the lattice lines, and the streets layer."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from layers.kinds import STREETS
from layers.sample import names
from layers.sample.frames import make_frame
from layers.sample.lattice import Lattice

WIDTHS = {  # metres, (low, high)
    "arterial": (30.0, 40.0),
    "secondary": (16.0, 20.0),
    "branch": (12.0, 16.0),
    "lane": (6.0, 9.0),
    "footway": (3.0, 5.0),
}
_MINOR = ("secondary", "branch", "lane", "footway")
_MINOR_P = (0.38, 0.42, 0.12, 0.08)


@dataclass
class Roads:
    """Road segments: runs of block sides along one lattice line sharing class and name."""

    seg_class: np.ndarray  # (G,) object
    seg_width: np.ndarray  # (G,) float
    seg_name: np.ndarray  # (G,) object
    seg_oneway: np.ndarray  # (G,) bool
    side_seg: np.ndarray  # (S,) segment of each block side

    @property
    def side_width(self) -> np.ndarray:
        return self.seg_width[self.side_seg]

    @property
    def side_name(self) -> np.ndarray:
        return self.seg_name[self.side_seg]

    @property
    def side_class(self) -> np.ndarray:
        return self.seg_class[self.side_seg]

    def clearance_width(self, lat: Lattice) -> np.ndarray:
        """Per side, the widest street among it and the sides continuing it at either end.

        Buildings keep clear of this width so a community corner also clears a wider
        street that starts at the block's corner.
        """
        w = self.side_width
        out = w.copy()
        last = lat.line_lengths()[lat.side_line] - 1
        has_prev = lat.side_pos > 0  # sides of a line have consecutive ids
        has_next = lat.side_pos < last
        idx = np.arange(len(w))
        out[has_prev] = np.maximum(out[has_prev], w[idx[has_prev] - 1])
        out[has_next] = np.maximum(out[has_next], w[idx[has_next] + 1])
        return out


def plan_roads(lat: Lattice, rng: np.random.Generator, segment_sides: int) -> Roads:
    """Every ~4th lattice line is an arterial; the other lines are split into named
    segments of secondary streets, branch streets, lanes and footways."""
    lengths = lat.line_lengths()
    n_seg_per_line = -(-lengths // segment_sides)
    first_seg = np.concatenate([[0], np.cumsum(n_seg_per_line)[:-1]])
    side_seg = first_seg[lat.side_line] + lat.side_pos // segment_sides
    n_seg = int(n_seg_per_line.sum())
    seg_line = np.repeat(np.arange(lat.n_lines), n_seg_per_line)

    off_v, off_h = rng.integers(0, 4, 2)
    line_idx = np.arange(lat.n_lines)
    arterial_line = np.where(line_idx <= lat.nx, (line_idx + off_v) % 4 == 0,
                             (line_idx - lat.nx - 1 + off_h) % 4 == 0)
    p = np.asarray(_MINOR_P) / sum(_MINOR_P)
    minor = np.asarray(_MINOR, dtype=object)[rng.choice(len(_MINOR), size=n_seg, p=p)]
    seg_class = np.where(arterial_line[seg_line], "arterial", minor).astype(object)
    lo = np.array([WIDTHS[c][0] for c in seg_class])
    hi = np.array([WIDTHS[c][1] for c in seg_class])
    seg_width = np.round(lo + rng.random(n_seg) * (hi - lo), 1)
    seg_oneway = (seg_class != "arterial") & (seg_class != "footway") & (rng.random(n_seg) < 0.06)
    seg_name = names.road_names(rng, seg_class)
    return Roads(seg_class, seg_width, seg_name, seg_oneway, side_seg)


def streets_frame(lat: Lattice, roads: Roads) -> gpd.GeoDataFrame:
    """One line per street edge; edges meet at exactly shared node coordinates."""
    seg = roads.side_seg[lat.edge_side()]
    geoms = shapely.linestrings(lat.edge_coords)
    cols = {
        "name": roads.seg_name[seg],
        "road_class": roads.seg_class[seg],
        "width_m": roads.seg_width[seg],
        "walkable": np.ones(len(seg), dtype=bool),
        "oneway": roads.seg_oneway[seg],
    }
    return make_frame(STREETS, cols, geoms)
