"""Size parameters of the sample city at each scale."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ScaleParams:
    """Targets and layout parameters for one scale of sample city.

    Counts are targets: the generator hits the community, facility, parcel and
    per-utility pipe counts exactly and the street-edge count within a few per cent.
    """

    street_edges: int
    communities: int
    facilities: int
    parcels: int
    pipes_per_utility: int
    aspect: float = 1.35  # east-west extent / north-south extent
    block_m: float = 150.0  # nominal side of a street block
    edges_per_side: int = 5  # street edges along one block side (gates, lane junctions)
    blocks_per_subdistrict: int = 48
    blocks_per_neighbourhood: int = 16
    road_segment_sides: int = 12  # block sides sharing one street name
    corridor_sides: tuple[int, int] = (3, 10)  # run length of one pipeline corridor

    def lattice_shape(self) -> tuple[int, int]:
        """Blocks east-west and north-south that give about ``street_edges`` edges.

        A lattice of nx × ny blocks has (nx+1)·ny + (ny+1)·nx block sides.
        """
        sides = self.street_edges / self.edges_per_side
        a = self.aspect
        ny = (-(a + 1) + math.sqrt((a + 1) ** 2 + 8 * a * sides)) / (4 * a)
        ny = max(2, round(ny))
        nx = max(2, round((sides - ny) / (2 * ny + 1)))
        return nx, ny


SCALES: dict[str, ScaleParams] = {
    "small": ScaleParams(
        street_edges=2_000, communities=60, facilities=30, parcels=20,
        pipes_per_utility=100, blocks_per_subdistrict=48, corridor_sides=(3, 8),
    ),
    "city": ScaleParams(
        street_edges=100_000, communities=3_000, facilities=900, parcels=500,
        pipes_per_utility=10_000, blocks_per_subdistrict=450,
    ),
    "metro": ScaleParams(
        street_edges=1_000_000, communities=30_000, facilities=9_000, parcels=5_000,
        pipes_per_utility=100_000, blocks_per_subdistrict=600, road_segment_sides=20,
    ),
}
