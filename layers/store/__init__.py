"""Where projects live. One small interface, two stores.

``open_project`` / ``save_project`` pick the store from the location: a GeoPackage file
(:class:`~layers.store.gpkg.GpkgStore`) or a schema in PostgreSQL/PostGIS
(:class:`~layers.store.postgis.PostgisStore`, location ``postgresql://…?schema=NAME``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layers.errors import ProjectChangedOnDisk, ProjectFileError, T

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project
    from layers.store.guard import FileStamp


class ProjectStore(ABC):
    """Loads and saves whole projects at one location."""

    location: str

    @abstractmethod
    def load(self) -> Project:
        """Read the project; raise ProjectFileError with a clear message if it cannot."""

    @abstractmethod
    def save(self, project: Project, overwrite: bool = False) -> FileStamp | None:
        """Write the project so that a crash leaves the old or the new one, never a mix.

        Unless ``overwrite``, refuse with :class:`ProjectChangedOnDisk` when the stored
        project changed since ``project`` read or wrote it. Returns the new version's stamp.
        """

    @abstractmethod
    def exists(self) -> bool:
        """Whether something is stored at this location."""


def store_for(location: str | Path) -> ProjectStore:
    """The store for ``location``: a PostgreSQL schema (``postgresql://…?schema=NAME`` or
    ``service=NAME schema=NAME``, see :mod:`.pglocation`) or a GeoPackage file."""
    from layers.store.pglocation import PgLocation, is_pg_location

    if is_pg_location(location):
        from layers.store.postgis import PostgisStore

        return PostgisStore(location if isinstance(location, PgLocation)
                            else PgLocation(str(location)))
    text = str(location)
    if "://" in text:
        raise ProjectFileError(
            T(f"project location {text!r} is not supported",
              f"不支持项目位置 {text!r}"),
            text,
            T("save the project as a GeoPackage (.gpkg) file or to PostgreSQL "
              "(postgresql://host/db?schema=NAME)",
              "请将项目保存为 GeoPackage（.gpkg）文件或保存到 PostgreSQL"
              "（postgresql://host/db?schema=NAME）"))
    from layers.store.gpkg import GpkgStore

    return GpkgStore(Path(location))


def location_of(location: str | Path) -> Any:
    """What ``project.path`` holds for ``location``: a Path, or a PgLocation."""
    from layers.store.pglocation import PgLocation, is_pg_location

    if isinstance(location, PgLocation):
        return location
    return PgLocation(str(location)) if is_pg_location(location) else Path(location)


def open_project(location: str | Path) -> Project:
    """Open a project (or, for a GeoPackage from elsewhere, its layers to import)."""
    project = store_for(location).load()
    return project


def save_project(project: Project, location: str | Path | None = None,
                 overwrite: bool = False) -> None:
    """Save atomically to ``location`` (default: where the project came from).

    Raises :class:`ProjectChangedOnDisk` when another program saved the project's own file
    since it was opened or last saved; ``overwrite=True`` saves over it anyway. Afterwards
    ``project.path`` is the file and ``project.file_stamp`` its version; the recovery file
    is gone.
    """
    target = location if location is not None else project.path
    if target is None:
        raise ProjectFileError(
            T("the project has no file yet", "项目尚未保存为文件"), "save",
            T("choose a file name with Save As", "请使用“另存为”选择文件名"))
    from layers.store.gpkg import TRANSIENT_METADATA
    from layers.store.recovery import discard_recovery, discard_recovery_file, recovery_file_for

    previous_recovery = recovery_file_for(project)
    where = location_of(target)
    old_base = getattr(project.file_stamp, "base", None)
    stamp = store_for(where).save(project, overwrite=overwrite)
    if old_base is not None and getattr(stamp, "base", None) is None:
        old_base.forget()  # saved away from its PostGIS schema: stop following, disconnect
        if old_base.session is not None:
            old_base.session.close()
    project.path = where
    project.file_stamp = stamp
    for key in TRANSIENT_METADATA:
        project.metadata.pop(key, None)
    project.undo.set_clean()
    discard_recovery(where)
    discard_recovery_file(previous_recovery)  # e.g. untitled-<id>.recovery.gpkg


from layers.store.recovery import (  # noqa: E402
    RecoveryInfo,
    autosave,
    discard_recovery,
    discard_recovery_file,
    find_recovery,
    list_recoverable,
    recovery_file_for,
    recovery_path,
)

__all__ = ["ProjectStore", "store_for", "location_of", "open_project", "save_project", "autosave",
           "find_recovery", "recovery_path", "recovery_file_for", "list_recoverable",
           "RecoveryInfo", "discard_recovery", "discard_recovery_file", "ProjectChangedOnDisk"]
