"""What the project file can hold: field names, field counts, layer names.

One place that knows the GeoPackage/SQLite rules, asked at import time, when a
layer is renamed, and once more at the start of every save:

* column names are compared without regard to (ASCII) case: ``x`` and ``X`` clash;
* ``fid`` is the feature id and ``geom`` the geometry column of every layer table;
* a name cannot hold a NUL character (SQLite would cut it there);
* a table holds at most :data:`MAX_TABLE_COLUMNS` columns, fid and geometry included
  (SQLite's default limit is 2000; GDAL 3.12 fails at 2000, so one fewer is safe);
* names longer than :data:`MAX_NAME_CHARS` are our own limit: SQLite takes them, but no
  attribute table, export or other GIS program handles them sensibly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from layers.errors import ProjectError, T

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from layers.layer import Layer

MAX_TABLE_COLUMNS = 1999
MAX_NAME_CHARS = 255
RESERVED_COLUMNS = ("fid",)
RESERVED_GEOMETRY_COLUMNS = ("geom", "geometry")
#: tables the store writes itself; a layer's GeoPackage identifier must differ from these
STORE_TABLES = ("precinct_project", "precinct_layers", "precinct_rasters", "precinct_schemes",
                "precinct_overview")
#: table names SQLite or GeoPackage keep for themselves (prefixes)
RESERVED_TABLE_PREFIXES = ("gpkg", "rtree", "sqlite", "precinct")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(name: str) -> str:
    """A name as SQLite compares identifiers (ASCII letters without case)."""
    return name.translate(_ASCII_LOWER)


def max_fields(geometry: bool = True) -> int:
    """How many attribute fields one layer can have (fid and geometry take a column each)."""
    return MAX_TABLE_COLUMNS - 1 - (1 if geometry else 0)


def column_limit_problem(count: int, geometry: bool = True) -> T | None:
    """Why ``count`` attribute fields cannot be stored, or None."""
    limit = max_fields(geometry)
    if count <= limit:
        return None
    return T(f"{count} fields are more than a GeoPackage layer can hold ({limit})",
             f"字段数 {count} 超过了 GeoPackage 图层的上限（{limit}）")


def _reserved(geometry: bool) -> set[str]:
    return set(RESERVED_COLUMNS) | (set(RESERVED_GEOMETRY_COLUMNS) if geometry else set())


def _clean(name: object) -> str:
    text = str(name).replace("\x00", "_")
    if not text.strip():
        text = "field"
    return text[:MAX_NAME_CHARS]


def _free(base: str, taken: set[str]) -> str:
    """``base`` or ``base_2``, ``base_3`` … — the first one not in ``taken`` (folded)."""
    if fold(base) not in taken:
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = base[:MAX_NAME_CHARS - len(suffix)] + suffix
        if fold(candidate) not in taken:
            return candidate
        n += 1


def writable_names(names: Iterable[object], geometry: bool = True) -> list[str]:
    """The column names as the store can write them, position by position.

    A name that can be written as it is keeps it (the first of several that differ only in
    case); the others get ``_2``, ``_3`` … around every name already in use.
    """
    names = list(names)
    reserved = _reserved(geometry)
    taken = set(reserved)
    keep: list[bool] = []
    for name in names:
        ok = isinstance(name, str) and _clean(name) == name and fold(name) not in taken
        keep.append(ok)
        if ok:
            taken.add(fold(name))
    out: list[str] = []
    for name, ok in zip(names, keep):
        if ok:
            out.append(name)  # type: ignore[arg-type]
            continue
        new = _free(_clean(name), taken)
        taken.add(fold(new))
        out.append(new)
    return out


def shown(name: object, width: int = 40) -> str:
    """A name for a one-line message: control characters escaped, long names cut."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(name))
    return text if len(text) <= width else text[:width - 1] + "…"


def _why(old: str, geometry: bool) -> T:
    if "\x00" in old:
        return T("a field name cannot contain a NUL character", "字段名不能包含 NUL 字符")
    if not old.strip():
        return T("a field needs a name", "字段不能没有名称")
    if len(old) > MAX_NAME_CHARS:
        return T(f"names are limited to {MAX_NAME_CHARS} characters",
                 f"字段名最长 {MAX_NAME_CHARS} 个字符")
    if fold(old) in _reserved(geometry):
        return T(f"'{shown(old)}' is a column of the project file itself",
                 f"“{shown(old)}”是项目文件自用的列名")
    return T("field names in a GeoPackage ignore upper and lower case, and another field has "
             "this name", "GeoPackage 字段名不区分大小写，已有同名字段")


def writable_columns(names: Iterable[object], geometry: bool = True) -> tuple[dict, list[T]]:
    """What to rename so the store can write these columns: ``({old: new}, notes)``.

    ``geometry``: the layer has a geometry column (``geom``/``geometry`` are then taken).
    Names the store can write as they are do not appear in the dict. Exact duplicate
    labels cannot be told apart in a dict: see :func:`writable_names` for those.
    """
    names = list(names)
    renames: dict = {}
    notes: list[T] = []
    for old, new in zip(names, writable_names(names, geometry)):
        if isinstance(old, str) and old == new:
            continue
        renames[old] = new
        if not isinstance(old, str):
            notes.append(T(f"field {shown(old)} (not text) named '{shown(new)}'",
                           f"字段 {shown(old)}（非文字）命名为“{shown(new)}”"))
            continue
        why = _why(old, geometry)
        notes.append(T(f"field '{shown(old)}' renamed to '{shown(new)}': {why.en}",
                       f"字段“{shown(old)}”已改名为“{shown(new)}”：{why.zh}"))
    return renames, notes


def layer_name_problem(name: object) -> T | None:
    """Why ``name`` cannot be a layer's name in the project file, or None."""
    if not isinstance(name, str) or not name.strip():
        return T("a layer name cannot be empty", "图层名称不能为空")
    if "\x00" in name:
        return T("a layer name cannot contain a NUL character", "图层名称不能包含 NUL 字符")
    if len(name) > MAX_NAME_CHARS:
        return T(f"a layer name is limited to {MAX_NAME_CHARS} characters ({len(name)} given)",
                 f"图层名称最长 {MAX_NAME_CHARS} 个字符（当前 {len(name)} 个）")
    return None


def identifier_for(name: str, taken: set[str]) -> str:
    """A GeoPackage identifier for a layer: its name, unless that clashes (ignoring case)
    with the store's own tables or another layer's identifier. Adds the folded result to
    ``taken``. The layer's real name is kept in ``precinct_layers``."""
    taken.update(fold(t) for t in STORE_TABLES)
    candidate, n = name, 2
    while fold(candidate) in taken:
        candidate, n = f"{name} ({n})", n + 1
    taken.add(fold(candidate))
    return candidate


def is_reserved_table(name: str) -> bool:
    """Whether a table name belongs to SQLite, GeoPackage or the store itself."""
    return fold(name).startswith(RESERVED_TABLE_PREFIXES)


def fit_columns(frame: pd.DataFrame, where: str, notes: list[T]) -> pd.DataFrame:
    """``frame`` with its columns renamed so the store can write them (a note each);
    refuses with a ProjectError when it has more fields than a layer can hold."""
    geometry = getattr(frame, "_geometry_column_name", None)
    names = [c for c in frame.columns if c != geometry]
    problem = column_limit_problem(len(names), geometry is not None)
    if problem is not None:
        raise ProjectError(problem, where, T(
            "keep only the fields you need (e.g. delete columns in the source file), or "
            "split the file into several", "请只保留需要的字段（例如在源文件中删除列），或将文件拆分"))
    renames, new_notes = writable_columns(names, geometry is not None)
    notes.extend(new_notes)
    return frame.rename(columns=renames) if renames else frame


def layer_problems(layer: Layer) -> tuple[T, T] | None:
    """(what, fix) when the store cannot write ``layer`` as it is; None when it can."""
    problem = layer_name_problem(layer.name)
    if problem is not None:
        return problem, T("rename the layer", "请重命名该图层")
    if layer.layer_type in ("raster", "tiles"):
        return None
    frame = layer.gdf
    geometry = layer.layer_type == "vector"
    geometry_name = frame.geometry.name if geometry else None
    names = [c for c in frame.columns if not (geometry and c == geometry_name)]
    problem = column_limit_problem(len(names), geometry)
    if problem is not None:
        return problem, T("remove some fields", "请删除部分字段")
    new = writable_names(names, geometry)
    bad = [(str(o), n) for o, n in zip(names, new) if not isinstance(o, str) or o != n]
    if bad:
        listed = ", ".join(f"'{shown(o)}' → '{shown(n)}'" for o, n in bad[:5])
        more = f" (+{len(bad) - 5})" if len(bad) > 5 else ""
        return (T(f"field names the file cannot hold: {listed}{more}",
                  f"项目文件无法保存这些字段名：{listed}{more}"),
                T("rename those fields as suggested (names ignore case; fid and geom are taken)",
                  "请按建议为这些字段改名（字段名不区分大小写；fid 和 geom 已被占用）"))
    return None
