"""Where projects live. One small interface, so a shared PostGIS store can join later.

``open_project`` / ``save_project`` pick the store from the location; today
that is always a GeoPackage file (:class:`~layers.store.gpkg.GpkgStore`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

from layers.errors import ProjectFileError, T

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project


class ProjectStore(ABC):
    """Loads and saves whole projects at one location."""

    location: str

    @abstractmethod
    def load(self) -> Project:
        """Read the project; raise ProjectFileError with a clear message if it cannot."""

    @abstractmethod
    def save(self, project: Project) -> None:
        """Write the project so that a crash leaves the old or the new one, never a mix."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether something is stored at this location."""


def store_for(location: str | Path) -> ProjectStore:
    text = str(location)
    if "://" in text:
        raise ProjectFileError(
            T(f"project location {text!r} is not supported yet",
              f"暂不支持项目位置 {text!r}"),
            text,
            T("save the project as a GeoPackage (.gpkg) file", "请将项目保存为 GeoPackage（.gpkg）文件"))
    from layers.store.gpkg import GpkgStore

    return GpkgStore(Path(location))


def open_project(location: str | Path) -> Project:
    """Open a project (or, for a GeoPackage from elsewhere, its layers to import)."""
    project = store_for(location).load()
    return project


def save_project(project: Project, location: str | Path | None = None) -> None:
    """Save atomically to ``location`` (default: where the project came from)."""
    target = location if location is not None else project.path
    if target is None:
        raise ProjectFileError(
            T("the project has no file yet", "项目尚未保存为文件"), "save",
            T("choose a file name with Save As", "请使用“另存为”选择文件名"))
    store_for(target).save(project)
    project.path = Path(target)
    project.metadata.pop("opened_as_import", None)
    project.undo.set_clean()
    from layers.store.recovery import discard_recovery

    discard_recovery(Path(target))


from layers.store.recovery import autosave, find_recovery, recovery_path  # noqa: E402

__all__ = ["ProjectStore", "store_for", "open_project", "save_project", "autosave",
           "find_recovery", "recovery_path"]
