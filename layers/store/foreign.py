"""Another program's GeoPackage: its vector tables become layers to import."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyogrio

from layers.errors import ProjectFileError, T
from layers.gpkg_views import refuse_view, runaway_views, skipped_note
from layers.layer import VectorLayer
from layers.store.limits import writable_columns
from layers.store.problems import damaged

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project


def open_foreign(path: Path) -> Project:
    """A new, unsaved project holding the file's vector tables (its path stays None, so
    saving never overwrites the other program's file by surprise)."""
    from layers.project import Project

    try:
        listing = pyogrio.list_layers(path)
    except pyogrio.errors.DataSourceError as exc:
        raise damaged(path, exc) from exc
    frames = []
    endless = runaway_views(path, [str(t) for t, g in listing if g is not None])
    for table, geometry_type in listing:
        if geometry_type is None or table in endless:
            continue  # attribute-only table, or a view that never finishes (layers.gpkg_views)
        try:
            gdf = pyogrio.read_dataframe(path, layer=table, fid_as_index=True)
        except pyogrio.errors.DataSourceError as exc:
            raise damaged(path, exc, where=f"table {table}") from exc
        if gdf.crs is None:
            raise ProjectFileError(
                T(f"table {table!r} has no coordinate reference system",
                  f"表 {table!r} 没有坐标参考系"),
                str(path),
                T("assign a CRS in the source program, or import the table and declare it",
                  "请在源软件中指定坐标系，或导入时声明坐标系"))
        gdf.index.name = "fid"
        renames, _notes = writable_columns(c for c in gdf.columns if c != gdf.geometry.name)
        frames.append((str(table), gdf.rename(columns=renames) if renames else gdf))
    if endless and not frames:
        refused = refuse_view(path, *next(iter(endless.items())))
        raise ProjectFileError(refused.what, refused.where, refused.fix)
    crs, note = crs_for_foreign(frames)
    skipped = "; ".join(skipped_note(view, why).en for view, why in endless.items())
    project = Project(crs=crs, metadata={"title": path.stem, "opened_as_import": str(path),
                                         **({"crs_note": note} if note else {}),
                                         **({"views_skipped": skipped} if skipped else {})})
    for table, gdf in frames:
        project.add_layer(VectorLayer(project.unique_name(table), "other", gdf))
    project.path = None
    project.undo.set_clean()
    return project


def crs_for_foreign(frames: list) -> tuple[Any, str]:
    """Project CRS for foreign data: its own projected CRS; else the default (EPSG:4546)
    when the data lie in its area of use; else the data's UTM zone, so nothing is measured
    in a projection meant for somewhere else."""
    from layers.project import DEFAULT_CRS

    projected = [g.crs for _, g in frames if g.crs.is_projected]
    if projected:
        return projected[0], ""
    if not frames:
        return DEFAULT_CRS, ""
    bounds = [g.to_crs("EPSG:4326").total_bounds for _, g in frames if len(g)]
    if not bounds:
        return DEFAULT_CRS, ""
    west = min(b[0] for b in bounds)
    south = min(b[1] for b in bounds)
    east = max(b[2] for b in bounds)
    north = max(b[3] for b in bounds)
    from pyproj import CRS

    area = CRS.from_user_input(DEFAULT_CRS).area_of_use
    if area.west <= west and east <= area.east and area.south <= south and north <= area.north:
        return DEFAULT_CRS, ""
    first = next(g for _, g in frames if len(g))
    utm = first.estimate_utm_crs()
    return utm, (f"data lie outside {DEFAULT_CRS}'s area of use; opened in "
                 f"{utm.to_string()} ({utm.name})")
