"""Saving, listing, restoring and deleting schemes (方案), each as one undo step.

A scheme holds the project's vector and table layers (data, fids, column types, styles,
visibility, order), its settings and its metadata. Rasters and basemaps are background,
not part of a scheme: they are not copied into every scheme and a restore keeps the
current ones (below the restored layers).

The snapshot is the project's own GeoPackage format (written by the store's writer, read
by its reader) compressed with zlib: what comes back is exactly what was saved, and one
encoding serves the GeoPackage and the PostGIS store (see :mod:`layers.store.schemetable`).
"""

from __future__ import annotations

import copy
import datetime as _dt
import getpass
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from layers.commands import AddLayer, Command, MacroCommand, RemoveLayer
from layers.errors import ProjectError, T
from layers.layer import TableLayer, VectorLayer
from layers.store.schemetable import Scheme

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

#: names that mean the project as it is now (``--diff current A``), never a scheme's
CURRENT_NAMES = ("current", "当前")
MAX_NAME = 100
SCHEME_LAYER_TYPES = ("vector", "table")
_TRANSIENT = ("opened_from_recovery", "opened_as_import")


def _now() -> str:
    # to the microsecond: schemes saved within one second keep their order when read back
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def _author() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a container, a service): no author
        return ""


def scheme_names(project: Project) -> list[str]:
    return [s.name for s in project.schemes]


def find_scheme(project: Project, name: str) -> Scheme:
    for scheme in project.schemes:
        if scheme.name == name:
            return scheme
    names = scheme_names(project)
    raise ProjectError(
        T(f"there is no scheme called {name!r}", f"没有名为 {name!r} 的方案"),
        "precinct schemes",
        T(f"use one of: {', '.join(names)}" if names else "save one first with --save NAME",
          f"可用方案：{'、'.join(names)}" if names else "请先用 --save 名称 保存方案"))


def check_new_name(project: Project, name: str) -> str:
    """``name`` stripped, or a ProjectError saying why it cannot name a new scheme."""
    text = str(name or "").strip()
    where = "precinct schemes --save"
    if not text or len(text) > MAX_NAME or any(ord(c) < 32 for c in text):
        raise ProjectError(
            T(f"a scheme name must be 1–{MAX_NAME} characters without control characters",
              f"方案名称须为 1–{MAX_NAME} 个字符，且不含控制字符"), where,
            T("type a name such as 方案A 2026-12", "请输入名称，如“方案A 2026-12”"))
    if text.lower() in CURRENT_NAMES:
        raise ProjectError(
            T(f"{text!r} names the project as it is now", f"“{text}”表示项目的当前状态"), where,
            T("choose another name", "请另选一个名称"))
    if text in scheme_names(project):
        raise ProjectError(
            T(f"a scheme called {text!r} exists already", f"已有名为“{text}”的方案"), where,
            T("choose another name, or delete the old scheme first",
              "请另选名称，或先删除旧方案"))
    return text


# --- the snapshot ---------------------------------------------------------------------
def _clone(layer: VectorLayer) -> VectorLayer:
    common = dict(style=layer.style, visible=layer.visible, opacity=layer.opacity,
                  layer_id=layer.id)
    if isinstance(layer, TableLayer):
        return TableLayer(layer.name, layer.kind, layer.df.copy(), **common)
    return VectorLayer(layer.name, layer.kind, layer.gdf.copy(), **common)


def snapshot(project: Project, name: str, *, author: str | None = None, note: str = "",
             origin: str = "saved") -> Scheme:
    """A scheme of ``project`` as it is now (not yet kept in it)."""
    from layers.project import Project as _Project
    from layers.store.gpkg import GpkgStore

    metadata = {k: v for k, v in project.metadata.items() if k not in _TRANSIENT}
    copy_ = _Project(crs=project.crs, metadata=copy.deepcopy(metadata),
                     settings=copy.deepcopy(project.settings))
    for layer in project.layers:
        if layer.layer_type in SCHEME_LAYER_TYPES:
            copy_.add_layer(_clone(layer))
    with tempfile.TemporaryDirectory(prefix="precinct-scheme-") as folder:
        path = Path(folder) / "scheme.gpkg"
        GpkgStore(path).save(copy_)
        payload = zlib.compress(path.read_bytes(), 6)
    return Scheme(name, _now(), _author() if author is None else author, note, origin,
                  tuple(copy_.names()), payload)


def scheme_project(scheme: Scheme) -> Project:
    """The scheme's layers, settings and metadata as a Project of their own."""
    from layers.store.read import read_project

    with tempfile.TemporaryDirectory(prefix="precinct-scheme-") as folder:
        path = Path(folder) / "scheme.gpkg"
        try:
            path.write_bytes(zlib.decompress(scheme.payload))
        except zlib.error as exc:
            raise ProjectError(
                T(f"the scheme {scheme.name!r} is damaged ({exc})",
                  f"方案“{scheme.name}”已损坏（{exc}）"), "precinct_schemes",
                T("delete it and save the scheme again", "请删除该方案后重新保存")) from None
        project = read_project(path)
    project.path = None
    project.file_stamp = None
    return project


# --- commands -------------------------------------------------------------------------
def _changed(project: Project) -> None:
    project.events.emit("schemes", project)


class AddScheme(Command):
    """Keep ``scheme`` in the project (undo takes it out)."""

    def __init__(self, scheme: Scheme) -> None:
        self.scheme = scheme
        self.text = T(f"save scheme “{scheme.name}”", f"保存方案“{scheme.name}”")

    def apply(self, project: Project) -> None:
        check_new_name(project, self.scheme.name)
        project.schemes.append(self.scheme)
        _changed(project)

    def revert(self, project: Project) -> None:
        project.schemes[:] = [s for s in project.schemes if s.name != self.scheme.name]
        _changed(project)


class DeleteScheme(Command):
    """Take a scheme out of the project (undo puts it back in its place)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.text = T(f"delete scheme “{name}”", f"删除方案“{name}”")
        self.removed: tuple[int, Scheme] | None = None

    def apply(self, project: Project) -> None:
        scheme = find_scheme(project, self.name)
        index = project.schemes.index(scheme)
        project.schemes.pop(index)
        self.removed = (index, scheme)
        _changed(project)

    def revert(self, project: Project) -> None:
        assert self.removed is not None
        project.schemes.insert(*self.removed)
        _changed(project)


class ReplaceState(Command):
    """Swap in other settings and metadata (undo swaps the old ones back)."""

    text = T("restore settings", "恢复设置")

    def __init__(self, settings: dict, metadata: dict) -> None:
        self.new = (copy.deepcopy(settings), copy.deepcopy(metadata))
        self.old: tuple[dict, dict] | None = None

    def _put(self, project: Project, state: tuple[dict, dict]) -> None:
        settings, metadata = copy.deepcopy(state[0]), copy.deepcopy(state[1])
        project.replace_settings(settings)  # checks the overrides before changing anything
        keep = {k: v for k, v in project.metadata.items() if k in _TRANSIENT}
        project.metadata.clear()
        project.metadata.update({**metadata, **keep})
        project.events.emit("metadata", project, keys=list(project.metadata))

    def apply(self, project: Project) -> None:
        old = (copy.deepcopy(project.settings),
               {k: v for k, v in project.metadata.items() if k not in _TRANSIENT})
        self._put(project, self.new)
        self.old = old

    def revert(self, project: Project) -> None:
        assert self.old is not None
        self._put(project, self.old)


# --- what the CLI and the panel call --------------------------------------------------
def save_scheme(project: Project, name: str, *, author: str | None = None,
                note: str = "") -> Scheme:
    """Keep the project as it is now as the scheme ``name`` (one undo step)."""
    scheme = snapshot(project, check_new_name(project, name), author=author, note=note)
    project.apply(AddScheme(scheme))
    return scheme


def delete_scheme(project: Project, name: str) -> None:
    project.apply(DeleteScheme(name))


def before_restoring_name(project: Project, name: str) -> str:
    """The automatic scheme kept before restoring ``name`` (unique in the project)."""
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    base = T(f"before restoring {name} {stamp}", f"恢复“{name}”之前 {stamp}")()[:MAX_NAME]
    taken, candidate, n = set(scheme_names(project)), base, 2
    while candidate in taken:
        candidate, n = f"{base} ({n})", n + 1
    return candidate


def restore_scheme(project: Project, name: str, *, keep_current: bool = True) -> MacroCommand:
    """Bring back the scheme ``name`` as one undo step. With ``keep_current`` (the default)
    the present state is first kept as the scheme "before restoring NAME …"; undo takes
    the restore and that automatic scheme back."""
    saved = scheme_project(find_scheme(project, name))
    commands: list[Command] = []
    auto = None
    if keep_current:
        auto = snapshot(project, before_restoring_name(project, name), origin="auto")
        commands.append(AddScheme(auto))
    kept = [layer for layer in project.layers if layer.layer_type not in SCHEME_LAYER_TYPES]
    commands += [RemoveLayer(layer.id) for layer in project.layers
                 if layer.layer_type in SCHEME_LAYER_TYPES]
    taken = {layer.name for layer in kept}
    for i, layer in enumerate(saved.layers):
        saved.remove_layer(layer.name)
        if layer.name in taken:  # a raster of the same name came later: keep both
            base, n = layer.name, 2
            while f"{base} ({n})" in taken:
                n += 1
            layer.name = f"{base} ({n})"
        taken.add(layer.name)
        commands.append(AddLayer(layer, len(kept) + i))
    commands.append(ReplaceState(saved.settings, saved.metadata))
    macro = MacroCommand(T(f"restore scheme “{name}”", f"恢复方案“{name}”"), commands)
    project.apply(macro)
    macro.kept_as = auto.name if auto is not None else None  # type: ignore[attr-defined]
    return macro
