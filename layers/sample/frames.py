"""Building schema-conforming GeoDataFrames from column arrays."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.sample.lattice import CRS
from layers.schema import Schema


def make_frame(schema: Schema, columns: dict[str, Any], geometry: np.ndarray) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:4546 with index ``fid`` = 1..n and exactly the schema's fields.

    Fields not in ``columns`` get their default (normally missing); every column
    is coerced to its schema dtype with :meth:`Schema.coerce`.
    """
    unknown = set(columns) - set(schema.field_names)
    if unknown:
        raise KeyError(f"{schema.kind}: not schema fields: {sorted(unknown)}")
    n = len(geometry)
    index = pd.Index(np.arange(1, n + 1, dtype=np.int64), name="fid")
    data = {name: pd.Series(np.asarray(col) if not isinstance(col, pd.Series) else col.to_numpy(),
                            index=index)
            for name, col in columns.items()}
    gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(np.asarray(geometry), index=index,
                                                        crs=CRS),
                           index=index, crs=CRS)
    gdf = schema.coerce(gdf)
    return gdf[[*schema.field_names, "geometry"]]


def choose(rng: np.random.Generator, keys, probs, n: int) -> np.ndarray:
    """``n`` draws of ``keys`` with probabilities ``probs`` (as an object array)."""
    p = np.asarray(probs, dtype=float)
    idx = rng.choice(len(keys), size=n, p=p / p.sum())
    return np.asarray(keys, dtype=object)[idx]


def allot(rng: np.random.Generator, keys, shares, n: int) -> np.ndarray:
    """``n`` keys in random order, each appearing in proportion to its share
    (largest-remainder rounding), so small samples keep the intended mix."""
    p = np.asarray(shares, dtype=float)
    p = p / p.sum()
    counts = np.floor(p * n).astype(int)
    rest = n - counts.sum()
    if rest:
        counts[np.argsort(-(p * n - counts), kind="stable")[:rest]] += 1
    out = np.repeat(np.asarray(keys, dtype=object), counts)
    return out[rng.permutation(n)]


def with_missing(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """A float copy of ``values`` with about ``share`` of them set missing (NaN)."""
    out = np.asarray(values, dtype=float).copy()
    out[rng.random(len(out)) < share] = np.nan
    return out
