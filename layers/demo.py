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
    _add_programme(project)
    project.undo.set_clean()
    return project


def _add_programme(project: Project) -> None:
    """Synthetic unit costs, shares, checklist and pilots, so the sample shows its money."""
    from layers.layer import TableLayer
    from layers.sample import programme

    communities = project.layers_of_kind("communities")
    if not communities:
        return
    gdf = communities[0].gdf
    rows = programme.checklist_rows(gdf)
    project.add_layer(TableLayer("programme_items", "programme_items", rows))
    project.replace_settings({**project.settings, **programme.settings(gdf, rows)})


#: where :func:`example_project` stands (EPSG:4546, near Xiling district, Yichang)
EXAMPLE_ORIGIN = (528_000.0, 3_397_000.0)


def example_project() -> Project:
    """A project small enough to read in full, for the docstring examples.

    One street 1.2 km long (west to east) and, north of it, three communities of
    100 m × 100 m: 东湖 at 0 m, 西湖 at 120 m and 南湖 at 1000 m along it. An elder
    care station stands at the west end; two idle parcels (60 m × 60 m, available)
    lie south of the street at 500 m and 1000 m. 东湖 and 西湖 form precinct 片区A, 南湖
    is 片区B.

    >>> project = example_project()
    >>> project.names()
    ['streets', 'parcels', 'communities', 'facilities']
    >>> communities = project.layer("communities").gdf
    >>> communities["name"].tolist(), communities["population"].tolist()
    (['东湖', '西湖', '南湖'], [800, 600, 500])
    """
    import geopandas as gpd
    import shapely

    x0, y0 = EXAMPLE_ORIGIN
    crs = "EPSG:4546"

    def frame(columns: dict, geometry: list) -> gpd.GeoDataFrame:
        gdf = gpd.GeoDataFrame(columns, geometry=geometry, crs=crs)
        gdf.index = gdf.index + 1
        gdf.index.name = "fid"
        return gdf

    project = Project(crs=crs, metadata={"title": "example", "synthetic": True})
    streets = frame({"name": ["江边路"], "walkable": [True]},
                    [shapely.LineString([(x0, y0), (x0 + 1200, y0)])])
    parcels = frame({"name": ["旧仓库", "空地"], "parcel_type": ["idle_land"] * 2,
                     "availability": ["available"] * 2},
                    [shapely.box(x0 + a, y0 - 70, x0 + a + 60, y0 - 10) for a in (500, 1000)])
    communities = frame({"name": ["东湖", "西湖", "南湖"], "population": [800, 600, 500],
                         "pop_60plus": [200, 150, 100], "precinct": ["片区A", "片区A", "片区B"]},
                        [shapely.box(x0 + a, y0 + 10, x0 + a + 100, y0 + 110) for a in (0, 120, 1000)])
    facilities = frame({"name": ["养老服务站"], "service": ["elder_care"], "status": ["existing"]},
                       [shapely.Point(x0 + 50, y0 - 5)])
    for name, gdf in (("streets", streets), ("parcels", parcels), ("communities", communities),
                      ("facilities", facilities)):
        project.add_layer(VectorLayer(name, name, gdf))
    project.undo.set_clean()
    return project
