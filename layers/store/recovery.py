"""Autosave to a recovery file, and finding recovery files again.

A saved project ``NAME.gpkg`` autosaves to ``NAME.recovery.gpkg`` beside it; when it is
opened and that file is newer, the app offers it (:func:`find_recovery`). A project never
saved autosaves to ``untitled-<id>.recovery.gpkg`` in the user's data folder, ``<id>``
being the project's own :attr:`~layers.project.Project.recovery_id`, so two windows never
share one. :func:`list_recoverable` lists them (and those of given projects) for start-up.
A successful save removes the recovery file; :func:`discard_recovery_file` removes one
the user declined.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from layers.errors import ProjectFileError, T

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

SUFFIX = ".recovery.gpkg"
UNTITLED = "untitled-"


def recovery_dir() -> Path:
    """Where recovery files of projects never saved go (the user's data folder)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("precinct-planner", appauthor=False))


def recovery_path(project_path: Path | None, recovery_id: str | None = None) -> Path:
    """Recovery file of the project saved at ``project_path``; for a project never saved
    (``None``), the per-user file named by its ``recovery_id``."""
    if project_path is None:
        if not recovery_id:
            raise ValueError("a project never saved needs its recovery_id for a recovery file")
        return recovery_dir() / f"{UNTITLED}{recovery_id}{SUFFIX}"
    if _is_db(project_path):  # a project on a server: the user's data folder
        import hashlib

        digest = hashlib.sha256(str(project_path).encode()).hexdigest()[:12]
        return recovery_dir() / f"db-{project_path.stem}-{digest}{SUFFIX}"
    project_path = Path(project_path)
    return project_path.with_name(project_path.stem + SUFFIX)


def _is_db(location: object) -> bool:
    from layers.store.pglocation import PgLocation

    return isinstance(location, PgLocation)


def recovery_file_for(project: Project) -> Path:
    """Where ``project`` autosaves."""
    return recovery_path(project.path, project.recovery_id)


def autosave(project: Project) -> Path:
    """Write the project to its recovery file; the project file itself is not touched."""
    from layers.store.gpkg import GpkgStore

    target = recovery_file_for(project)
    GpkgStore(target).save(project, overwrite=True, recovery=True, recovery_of=project.path)
    return target


def find_recovery(project_path: Path | str) -> Path | None:
    """The recovery file of ``project_path`` if it exists and is newer than the project."""
    if _is_db(project_path):
        candidate = recovery_path(project_path)
        return candidate if candidate.exists() else None
    project_path = Path(project_path)
    candidate = recovery_path(project_path)
    if not candidate.exists():
        return None
    if project_path.exists() and candidate.stat().st_mtime <= project_path.stat().st_mtime:
        return None
    return candidate


@dataclass(frozen=True)
class RecoveryInfo:
    """A recovery file to offer: what it holds and what it recovers."""

    path: Path                  # the recovery file (open it with open_project)
    title: str                  # the project's title ("" when it has none)
    recovery_of: Path | None    # the project file it recovers; None: never saved
    saved: _dt.datetime         # when it was written (UTC)
    layer_count: int
    in_use: bool = False        # still being written by another running window


def list_recoverable(projects: Iterable[Path | str] = ()) -> list[RecoveryInfo]:
    """Recovery files to offer at start-up, newest first: every never-saved project's in
    the data folder, plus those of ``projects`` (e.g. the recent files) that are newer
    than their project. Files that cannot be read are left out."""
    folder = recovery_dir()
    found = sorted(folder.glob(f"{UNTITLED}*{SUFFIX}")) if folder.is_dir() else []
    for project_path in projects:
        candidate = find_recovery(project_path)
        if candidate is not None:
            found.append(candidate)
    infos = [info for path in dict.fromkeys(found) if (info := recovery_info(path)) is not None]
    return sorted(infos, key=lambda info: info.saved, reverse=True)


def recovery_info(path: Path) -> RecoveryInfo | None:
    """What a recovery file holds (read without loading its layers); None if unreadable."""
    try:
        con = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM precinct_project"))
            layer_count = con.execute("SELECT count(*) FROM precinct_layers").fetchone()[0]
        finally:
            con.close()
        metadata = json.loads(meta.get("metadata") or "{}")
        mtime = os.stat(path).st_mtime
    except (sqlite3.Error, OSError, ValueError, RecursionError, TypeError):
        return None
    title = metadata.get("title") if isinstance(metadata, dict) else None
    original = meta.get("recovery_of")
    return RecoveryInfo(
        path=Path(path), title=title if isinstance(title, str) else "",
        recovery_of=Path(original) if isinstance(original, str) and original else None,
        saved=_saved_at(meta.get("saved_at"), mtime), layer_count=int(layer_count),
        in_use=_written_by_another_process(meta.get("writer_pid")))


def _saved_at(text: object, mtime: float) -> _dt.datetime:
    try:
        saved = _dt.datetime.fromisoformat(str(text))
        return saved if saved.tzinfo else saved.replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        return _dt.datetime.fromtimestamp(mtime, _dt.timezone.utc)


def _written_by_another_process(pid_text: object) -> bool:
    from layers.store.atomic import pid_alive

    try:
        pid = int(str(pid_text))
    except ValueError:
        return False
    return pid > 0 and pid != os.getpid() and pid_alive(pid)


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError:
        return False
    return True


def discard_recovery(project: Project | Path | str | None) -> None:
    """Delete the recovery file of ``project`` (or of the project saved at a path)."""
    if project is None:
        return
    if _is_db(project):
        _unlink(recovery_path(project))  # type: ignore[arg-type]
    elif isinstance(project, (str, Path)):
        _unlink(recovery_path(Path(project)))
    else:
        _unlink(recovery_file_for(project))


def discard_recovery_file(path: Path | str) -> bool:
    """Delete a recovery file the user declined (e.g. one from :func:`list_recoverable`).
    Only ``*.recovery.gpkg`` files are deleted; True when one was."""
    path = Path(path)
    if not path.name.endswith(SUFFIX):
        raise ProjectFileError(
            T("only a recovery file (.recovery.gpkg) can be discarded",
              "只能丢弃恢复文件（.recovery.gpkg）"), str(path),
            T("choose the recovery file, not the project", "请选择恢复文件，而不是项目文件"))
    return _unlink(path)
