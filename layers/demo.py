"""Build a sample-city project from the synthetic generator (for demos and benchmarks)."""

from __future__ import annotations

from layers.layer import RasterLayer, VectorLayer
from layers.project import Project


def build_sample_project(scale: str = "small", seed: int = 0) -> Project:
    """A styled project of the synthetic sample city; labelled synthetic in its metadata."""
    from layers.sample import generate_city
    from styles import default_style

    city = generate_city(scale, seed)
    meta = dict(city.metadata)
    meta.setdefault("title", meta.get("title_en", "Sample city (synthetic)"))
    project = Project(crs=meta.get("crs", "EPSG:4546"), metadata=meta)
    for name, kind, array, transform in city.rasters:
        project.add_layer(RasterLayer(name, kind, array, transform, project.crs,
                                      style=default_style(kind), visible=False))
    for name, kind, gdf in city.layers:
        project.add_layer(VectorLayer(name, kind, gdf, style=default_style(kind)))
    project.undo.set_clean()
    return project
