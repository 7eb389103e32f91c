"""Reading through Arrow in steps: the same frame as ``pyogrio.read_dataframe(use_arrow=True)``,
with the geometry checks the repair needs done on a second thread while parsing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from layers.errors import T
from layers.importing.repair import GeometryChecks, geometry_facts

ARROW_CHUNK = 8_192          # geometries parsed, then checked on the other thread, at a time
ARROW_THREAD_MIN = 16_384    # fewer than this: check on this thread (a thread costs more)


def _unparsed_note(exc: Exception) -> T:
    return T(f"some geometries could not be parsed ({exc}); they are left empty and "
             "dropped (see the repair list)",
             f"部分几何无法解析（{exc}），已置空并剔除（见修复清单）")


class _NotUtf8(Exception):
    """Arrow holds text GDAL passed on undecoded (e.g. GBK in a GeoJSON)."""


def _read_arrow(gdal_path: str, kwargs: dict,
                notes: list[T]) -> tuple[gpd.GeoDataFrame, GeometryChecks | None]:
    """``pyogrio.read_dataframe(use_arrow=True)`` in steps: the same frame, and meanwhile the
    checks the repair needs. The WKB is parsed in chunks; GEOS checks each parsed chunk on a
    second thread (it runs without the GIL) while this one parses the next chunk and converts
    the attributes, so the checks cost little beyond the read itself."""
    import pyarrow as pa
    import shapely
    import shapely.errors

    meta, table = pyogrio.read_arrow(gdal_path, datetime_as_string=True, **kwargs)
    geometry_name = meta["geometry_name"] or "wkb_geometry"
    if geometry_name not in table.column_names:  # a plain table: refused by the caller
        return pyogrio.read_dataframe(gdal_path, use_arrow=True, **kwargs), None
    try:
        table.validate(full=True)  # text that is not UTF-8 would fail only when first used
    except pa.ArrowInvalid as exc:
        raise _NotUtf8(str(exc)) from exc
    wkb = table.column(geometry_name)
    table = table.drop_columns([geometry_name])
    n = len(wkb)
    on_invalid = "raise"
    parsed: list[np.ndarray] = []
    facts: list[Any] = []
    pool = ThreadPoolExecutor(1) if n >= ARROW_THREAD_MIN else None
    try:
        for start in range(0, n, ARROW_CHUNK):
            raw = wkb.slice(start, ARROW_CHUNK).to_numpy(zero_copy_only=False)
            try:
                geoms = shapely.from_wkb(raw, on_invalid=on_invalid)
            except shapely.errors.GEOSException as exc:
                notes.append(_unparsed_note(exc))
                on_invalid = "ignore"
                geoms = shapely.from_wkb(raw, on_invalid=on_invalid)
            parsed.append(geoms)
            facts.append(pool.submit(geometry_facts, geoms) if pool else geometry_facts(geoms))
        del wkb
        # as pyogrio does, but as its plain reader gives dates (datetime64, not date objects)
        # and text fields without any value (None, not "str")
        empty_text = [name for name, column in zip(table.column_names, table.columns)
                      if (pa.types.is_string(column.type) or pa.types.is_large_string(column.type))
                      and n and column.null_count == n]
        frame = table.to_pandas(self_destruct=True, date_as_object=False)
        del table
        for name in empty_text:
            frame[name] = np.full(n, None, dtype=object)
        _as_pyogrio_converts(frame, meta, gdal_path, kwargs)
        frame["geometry"] = np.concatenate(parsed) if parsed else np.empty(0, dtype=object)
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=meta["crs"])
        parts = [f.result() for f in facts] if pool else facts
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return frame, GeometryChecks.of(np.asarray(frame.geometry.values, dtype=object), parts)


def _as_pyogrio_converts(frame: pd.DataFrame, meta: dict, gdal_path: str, kwargs: dict) -> None:
    """Date-time fields (read as text) and JSON fields: pyogrio parses them after the read;
    for the few files that have them, take those columns from its plain reader."""
    subtypes = meta.get("ogr_subtypes") or [None] * len(meta["fields"])
    special = [str(name) for name, dtype, subtype in zip(meta["fields"], meta["dtypes"], subtypes)
               if (dtype is not None and str(dtype).startswith("datetime") and dtype != "datetime64[D]")
               or subtype == "OFSTJSON"]
    if special:
        converted = pyogrio.read_dataframe(gdal_path, columns=special, read_geometry=False, **kwargs)
        for name in special:
            frame[name] = converted[name].array
