"""Autosave to a recovery file beside the project, and finding it again.

``autosave`` writes ``NAME.recovery.gpkg`` next to ``NAME.gpkg`` (atomically,
like a save). When a project is opened and its recovery file is newer, the
app offers it. A successful save removes the recovery file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

SUFFIX = ".recovery.gpkg"


def recovery_path(project_path: Path | None) -> Path:
    """Recovery file of a project (a per-user file for a project never saved)."""
    if project_path is None:
        from platformdirs import user_data_dir

        return Path(user_data_dir("precinct-planner", appauthor=False)) / f"untitled{SUFFIX}"
    project_path = Path(project_path)
    return project_path.with_name(project_path.stem + SUFFIX)


def autosave(project: Project) -> Path:
    """Write the project to its recovery file; the project file itself is not touched."""
    from layers.store.gpkg import GpkgStore

    target = recovery_path(project.path)
    GpkgStore(target).save(project, recovery_of=project.path)
    return target


def find_recovery(project_path: Path | str) -> Path | None:
    """The recovery file of ``project_path`` if it exists and is newer than the project."""
    project_path = Path(project_path)
    candidate = recovery_path(project_path)
    if not candidate.exists():
        return None
    if project_path.exists() and candidate.stat().st_mtime <= project_path.stat().st_mtime:
        return None
    return candidate


def discard_recovery(project_path: Path) -> None:
    candidate = recovery_path(project_path)
    if candidate.exists():
        try:
            candidate.unlink()
        except OSError:
            pass
