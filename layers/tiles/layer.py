"""A basemap layer that reads an offline tile source where it lies (never copied into the
project): an MBTiles file, a GeoPackage tile pyramid or a ``{z}/{x}/{y}`` folder.

The project file keeps the source's path relative to itself when it can (so a project
folder moved with its basemaps keeps working) and absolute as well. A source that is
gone when the project opens leaves the layer in place, drawing nothing, with
:attr:`TileLayer.problem` saying why.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from layers.errors import ProjectError, T
from layers.layer import Layer
from layers.tiles.render import TileCache, TileImage, render_view
from layers.tiles.sources import TileSource, open_tile_source, tile_format


class TileLayer(Layer):
    """Tiles of an offline basemap, drawn at the zoom level that suits the scale."""

    layer_type = "tiles"

    def __init__(self, name: str, path: str | Path, kind: str = "basemap", table: str | None = None,
                 crs: Any = None, **kwargs: Any) -> None:
        super().__init__(name, kind, **kwargs)
        self.path = Path(os.path.abspath(path))
        self.table = table
        self.format = tile_format(self.path) or ""
        #: the CRS the layer draws in: the project's (set when it joins a project)
        self.crs: CRS | None = CRS.from_user_input(crs) if crs is not None else None
        self.problem: T | None = None
        self._source: TileSource | None = None
        self._bounds: tuple[float, float, float, float] | None | bool = False
        self.cache = TileCache()
        self.last: TileImage | None = None

    @classmethod
    def open(cls, path: str | Path, name: str, kind: str = "basemap", table: str | None = None,
             **kwargs: Any) -> TileLayer:
        """A layer on the tile source at ``path`` (ProjectError when it is none)."""
        layer = cls(name, path, kind, table, **kwargs)
        layer._source = open_tile_source(layer.path, table)
        layer.format = layer._source.format
        return layer

    # --- the source -------------------------------------------------------------------
    @property
    def source(self) -> TileSource | None:
        """The opened tile source, or None (see :attr:`problem`) when it cannot be read."""
        if self._source is None and self.problem is None:
            try:
                self._source = open_tile_source(self.path, self.table)
                self.format = self._source.format
            except ProjectError as exc:
                self.problem = exc.what
        return self._source

    def set_crs(self, crs: Any) -> None:
        """Draw in ``crs`` from now on (the project's CRS)."""
        self.crs = CRS.from_user_input(crs)
        self._bounds = False

    def bounds(self) -> tuple[float, float, float, float] | None:
        if self._bounds is not False:
            return self._bounds  # type: ignore[return-value]
        source = self.source
        self._bounds = None
        if source is not None and source.extent is not None and self.crs is not None:
            try:
                box = Transformer.from_crs(source.crs, self.crs, always_xy=True).transform_bounds(
                    *source.extent, densify_pts=21)
            except Exception:  # an extent the project's CRS cannot show
                box = (math.nan,) * 4
            self._bounds = tuple(box) if all(math.isfinite(v) for v in box) else None
        return self._bounds  # type: ignore[return-value]

    def render(self, view: tuple[float, float, float, float], width: int, height: int) -> TileImage:
        """The basemap over ``view`` (in :attr:`crs`) at ``width`` × ``height`` pixels."""
        source = self.source
        if source is None or self.crs is None:
            image = TileImage(np.zeros((1, 1, 4), dtype=np.uint8), note=self.problem)
        else:
            image = render_view(source, self.crs, view, width, height, self.cache)
        self.last = image
        return image

    def describe(self) -> T:
        source = self.source
        return source.describe() if source is not None else (self.problem or T("no tiles", "无瓦片"))

    # --- the project file ---------------------------------------------------------------
    def saved_source(self, project_file: Path) -> dict[str, Any]:
        """What the project file keeps: the path relative to ``project_file`` when possible."""
        absolute = str(self.path)
        try:
            relative = os.path.relpath(self.path, Path(os.path.abspath(project_file)).parent)
        except ValueError:  # another drive (Windows)
            relative = absolute
        return {"path": relative, "absolute": absolute, "format": self.format, "table": self.table}

    @classmethod
    def from_saved(cls, name: str, kind: str, info: Any, project_file: Path,
                   **common: Any) -> TileLayer:
        """The layer as :meth:`saved_source` described it, its source looked for beside
        the project first and at its absolute path second."""
        if not isinstance(info, dict) or not isinstance(info.get("path"), str):
            raise ValueError("its tile source has no path")
        table = info.get("table")
        if table is not None and not isinstance(table, str):
            raise ValueError("its tile table is not text")
        candidates = [Path(os.path.abspath(project_file)).parent / info["path"]]
        if isinstance(info.get("absolute"), str):
            candidates.append(Path(info["absolute"]))
        path = next((p for p in candidates if p.exists()), candidates[-1])
        return cls(name, path, kind, table, **common)
