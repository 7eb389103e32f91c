"""A frozen copy of a project's inputs, for analyses that run off the GUI thread.

The shell takes the snapshot on the GUI thread, hands it to a worker and keeps
editing the live project meanwhile: the worker never reads a layer that the
person may be changing. Copies are cheap: frames are copied column by column
(geometries are immutable shapely objects, shared), raster grids are shared
read-only.

>>> import geopandas as gpd, shapely
>>> from layers.layer import VectorLayer
>>> from layers.project import Project
>>> live = Project()
>>> gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4546")
>>> _ = live.add_layer(VectorLayer("c", "communities", gdf))
>>> frozen = snapshot_project(live)
>>> live.layer("c").gdf.loc[1, "name"] = "changed"
>>> frozen.layer("c").gdf.loc[1, "name"]
'a'
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING

from layers.events import Emitter

if TYPE_CHECKING:  # pragma: no cover
    from layers.layer import Layer
    from layers.project import Project


def snapshot_layer(layer: Layer) -> Layer:
    """A copy of ``layer`` (same id, name, kind, style) that later edits do not reach."""
    twin = copy.copy(layer)
    twin.events = Emitter()
    twin._style = copy.deepcopy(layer._style)
    if hasattr(layer, "_gdf"):
        twin._gdf = layer._gdf.copy()
        twin.edit_buffer = None
    if hasattr(layer, "array"):
        frozen = layer.array.view()
        frozen.flags.writeable = False
        twin.array = frozen
    if hasattr(layer, "_bounds_cache"):
        twin._bounds_cache = None
    return twin


def snapshot_project(project: Project, layer_names: Iterable[str] | None = None) -> Project:
    """A detached project with copies of the named layers (all when None), the same CRS,
    metadata, settings and path; its undo stack is empty."""
    from layers.project import Project

    twin = Project(crs=project.crs, metadata=copy.deepcopy(project.metadata),
                   settings=copy.deepcopy(project.settings))
    twin.path = project.path
    twin._standards = project._standards  # read-only tables, shared
    wanted = None if layer_names is None else set(layer_names)
    for layer in project.layers:
        if wanted is None or layer.name in wanted:
            twin._layers.append(snapshot_layer(layer))
    return twin
