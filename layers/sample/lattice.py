"""The street lattice of the sample city and quad geometry helpers.

The city is a lattice of ``nx`` × ``ny`` blocks. Lattice nodes are jittered so
blocks are irregular quadrilaterals; each block side is split into a few street
edges. Every later layer is placed relative to the blocks, so all of it is
computed here once, as numpy arrays.

Indexing:
* node ``(i, j)`` is ``nodes[j, i]`` (``i`` east-west, ``j`` south-north);
* vertical side ``(i, j)`` (node (i, j) → (i, j+1)) has id ``i*ny + j``;
* horizontal side ``(i, j)`` (node (i, j) → (i+1, j)) has id ``V + j*nx + i``
  with ``V = (nx+1)*ny``;
* block ``(i, j)`` has id ``j*nx + i``; its corners run counter-clockwise
  SW, SE, NE, NW and its sides S, E, N, W.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import Transformer

CRS = "EPSG:4546"
CENTRE_LONLAT = (111.29, 30.70)  # Xiling district, Yichang


def centre_xy() -> tuple[float, float]:
    """The city centre in EPSG:4546 (from CGCS2000 geographic coordinates)."""
    tr = Transformer.from_crs("EPSG:4490", CRS, always_xy=True)
    x, y = tr.transform(*CENTRE_LONLAT)
    return float(x), float(y)


@dataclass
class Lattice:
    nx: int
    ny: int
    nodes: np.ndarray  # (ny+1, nx+1, 2)
    side_a: np.ndarray  # (S, 2) start node of each side
    side_b: np.ndarray  # (S, 2) end node
    side_line: np.ndarray  # (S,) lattice line: vertical 0..nx, horizontal nx+1..nx+ny+1
    side_pos: np.ndarray  # (S,) position of the side along its line
    edge_coords: np.ndarray  # (E, 2, 2) street edges, side by side
    edges_per_side: int
    block_corners: np.ndarray  # (B, 4, 2) counter-clockwise SW, SE, NE, NW
    block_sides: np.ndarray  # (B, 4) side ids S, E, N, W
    block_i: np.ndarray
    block_j: np.ndarray

    @property
    def n_sides(self) -> int:
        return len(self.side_a)

    @property
    def n_blocks(self) -> int:
        return self.nx * self.ny

    @property
    def n_lines(self) -> int:
        return self.nx + self.ny + 2

    def line_lengths(self) -> np.ndarray:
        """Number of sides on each lattice line."""
        return np.concatenate([np.full(self.nx + 1, self.ny), np.full(self.ny + 1, self.nx)])

    def edge_side(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_sides), self.edges_per_side)

    def bounds(self) -> tuple[float, float, float, float]:
        pts = self.nodes.reshape(-1, 2)
        return (float(pts[:, 0].min()), float(pts[:, 1].min()),
                float(pts[:, 0].max()), float(pts[:, 1].max()))


def build_lattice(nx: int, ny: int, rng: np.random.Generator, block_m: float = 150.0,
                  edges_per_side: int = 5, jitter_sd: float = 6.0,
                  jitter_max: float = 15.0) -> Lattice:
    """A jittered, slightly rotated lattice centred on the city centre."""
    xs = np.concatenate([[0.0], np.cumsum(rng.uniform(0.9, 1.1, nx) * block_m)])
    ys = np.concatenate([[0.0], np.cumsum(rng.uniform(0.9, 1.1, ny) * block_m)])
    xs -= xs[-1] / 2
    ys -= ys[-1] / 2
    gx, gy = np.meshgrid(xs, ys)
    jit = np.clip(rng.normal(0.0, jitter_sd, (ny + 1, nx + 1, 2)), -jitter_max, jitter_max)
    local = np.stack([gx, gy], axis=-1) + jit
    theta = rng.uniform(-0.35, 0.35)  # streets of Yichang follow the river, not north
    c, s = np.cos(theta), np.sin(theta)
    cx, cy = centre_xy()
    nodes = np.empty_like(local)
    nodes[..., 0] = cx + c * local[..., 0] - s * local[..., 1]
    nodes[..., 1] = cy + s * local[..., 0] + c * local[..., 1]

    # Sides: vertical ones first (i-major), then horizontal ones (j-major).
    va = nodes[:-1, :, :].transpose(1, 0, 2).reshape(-1, 2)
    vb = nodes[1:, :, :].transpose(1, 0, 2).reshape(-1, 2)
    ha = nodes[:, :-1, :].reshape(-1, 2)
    hb = nodes[:, 1:, :].reshape(-1, 2)
    side_a = np.concatenate([va, ha])
    side_b = np.concatenate([vb, hb])
    vi, vj = np.divmod(np.arange((nx + 1) * ny), ny)
    hj, hi = np.divmod(np.arange((ny + 1) * nx), nx)
    side_line = np.concatenate([vi, nx + 1 + hj])
    side_pos = np.concatenate([vj, hi])

    edge_coords = _split_sides(side_a, side_b, edges_per_side, rng)

    n_v = (nx + 1) * ny
    bj, bi = np.divmod(np.arange(nx * ny), nx)
    corners = np.stack([nodes[bj, bi], nodes[bj, bi + 1], nodes[bj + 1, bi + 1],
                        nodes[bj + 1, bi]], axis=1)
    sides = np.stack([n_v + bj * nx + bi, (bi + 1) * ny + bj, n_v + (bj + 1) * nx + bi,
                      bi * ny + bj], axis=1)
    return Lattice(nx, ny, nodes, side_a, side_b, side_line, side_pos, edge_coords,
                   edges_per_side, corners, sides, bi, bj)


def _split_sides(a: np.ndarray, b: np.ndarray, k: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Split each side into ``k`` edges at jittered points; ends are the exact nodes."""
    n = len(a)
    t = np.tile(np.linspace(0.0, 1.0, k + 1), (n, 1))
    t[:, 1:-1] += rng.uniform(-0.35, 0.35, (n, k - 1)) / k
    pts = a[:, None, :] + t[..., None] * (b - a)[:, None, :]
    pts[:, 0] = a  # exact, shared with the neighbouring sides
    pts[:, -1] = b
    edges = np.stack([pts[:, :-1], pts[:, 1:]], axis=2)  # (n, k, 2, 2)
    return edges.reshape(n * k, 2, 2)


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def left_normals(direction: np.ndarray) -> np.ndarray:
    """Unit normals to the left of direction vectors (..., 2)."""
    length = np.hypot(direction[..., 0], direction[..., 1])[..., None]
    u = direction / length
    return np.stack([-u[..., 1], u[..., 0]], axis=-1)


def inset_quads(q: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Move each side of counter-clockwise quads ``q`` (n, 4, 2) inwards by ``d`` (n, 4).

    Side ``k`` runs from corner ``k`` to corner ``k+1``; the new corners are the
    intersections of the moved sides.
    """
    nxt = np.roll(q, -1, axis=1)
    u = nxt - q
    u = u / np.hypot(u[..., 0], u[..., 1])[..., None]
    normal = np.stack([-u[..., 1], u[..., 0]], axis=-1)
    p = q + normal * d[..., None]
    p_prev = np.roll(p, 1, axis=1)
    u_prev = np.roll(u, 1, axis=1)
    s = cross(p - p_prev, u) / cross(u_prev, u)
    return p_prev + s[..., None] * u_prev


def bilinear(q: np.ndarray, u, v) -> np.ndarray:
    """Points at parameters (u, v) in quads ``q`` (n, 4, 2); u, v of shape (n,) or (n, m).

    (0, 0) is corner 0, (1, 0) corner 1, (1, 1) corner 2, (0, 1) corner 3.
    """
    u = np.asarray(u, dtype=float)[..., None]
    v = np.asarray(v, dtype=float)[..., None]
    q0, q1, q2, q3 = (q[:, k] for k in range(4))
    if u.ndim == 3:
        q0, q1, q2, q3 = q0[:, None], q1[:, None], q2[:, None], q3[:, None]
    return (1 - u) * (1 - v) * q0 + u * (1 - v) * q1 + u * v * q2 + (1 - u) * v * q3


def quad_area(q: np.ndarray) -> np.ndarray:
    """Areas of polygons given as (n, m, 2) vertex arrays (shoelace formula)."""
    x, y = q[..., 0], q[..., 1]
    return 0.5 * np.abs(np.sum(x * np.roll(y, -1, axis=-1) - np.roll(x, -1, axis=-1) * y,
                               axis=-1))
