"""Declarative layer styles and the pure code that resolves them.

Default styles live as TOML files in ``styles/defaults/<kind>.toml``; a layer's
own style (a plain dict) overrides them. This package imports neither PyQt5
nor ``app``: the canvas, the map exports and the QGIS style writer all read the
same :class:`ResolvedStyle`.
"""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from layers.errors import ProjectError, T
from styles.raster import ResolvedRaster, resolve_raster
from styles.resolve import (
    LegendEntry,
    ResolvedStyle,
    colour,
    resolve,
)

__all__ = [
    "LegendEntry", "ResolvedRaster", "ResolvedStyle", "colour", "default_style", "effective_style",
    "default_kinds", "resolve", "resolve_raster",
]


def default_kinds() -> list[str]:
    """Layer kinds that have a bundled default style."""
    folder = resources.files("styles").joinpath("defaults")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def default_style(kind: str) -> dict:
    """The bundled default style of a layer kind (a fresh copy the caller may change)."""
    return copy.deepcopy(_load_default(kind))


@cache
def _load_default(kind: str) -> dict:
    source = resources.files("styles").joinpath("defaults", f"{kind}.toml")
    if not source.is_file():
        raise ProjectError(
            T(f"there is no default style for layer kind {kind!r}",
              f"图层类型 {kind!r} 没有默认样式"),
            "styles/defaults",
            T(f"use one of: {', '.join(default_kinds())}",
              f"请使用：{'、'.join(default_kinds())}"))
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(
            T(f"the default style of {kind!r} is not valid TOML ({exc})",
              f"{kind!r} 的默认样式不是有效的 TOML（{exc}）"),
            f"styles/defaults/{kind}.toml",
            T("correct the file", "请修改该文件")) from exc


def effective_style(kind: str, layer_style: dict | None) -> dict:
    """A layer's style laid over its kind's default (keys the layer sets win)."""
    try:
        base = default_style(kind)
    except ProjectError:
        base = default_style("other")
    base.update(layer_style or {})
    return base
