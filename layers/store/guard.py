"""Which version of a project file is on disk, and locks between processes sharing it.

A :class:`FileStamp` (device, inode, modification time in ns, size) tells one saved
version from another: every save writes a new file and renames it over the old one,
so even the inode changes.

A writer takes an exclusive ``flock`` on the project file to compare stamps and rename
the new file into place, so two processes cannot both pass the check. A reader holds
the file open and compares stamps before and after; only when saves keep overtaking it
does it take a shared lock (readers that always locked could keep a writer waiting
forever). An flock belongs to the open file, i.e. to the version being replaced, so
after waiting each side checks that the file at the path is still the one it locked
(and locks the new one if not). Where ``fcntl`` is missing (Windows) or the file system
refuses locks, nothing is locked: the stamps compared before and after still catch a
change.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path

from layers.errors import ProjectChangedOnDisk, ProjectFileError, T

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_TIMEOUT_S = 30.0
_POLL_S = 0.005


@dataclass(frozen=True)
class FileStamp:
    """One version of a file: equal stamps, same bytes (as far as a save can tell)."""

    dev: int
    ino: int
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStamp:
        return cls(st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)

    def to_text(self) -> str:
        return json.dumps(list(astuple(self)))

    @classmethod
    def from_text(cls, text: object) -> FileStamp | None:
        """The stamp written by :meth:`to_text`; None for anything else."""
        try:
            values = json.loads(str(text))
        except ValueError:
            return None
        if not (isinstance(values, list) and len(values) == 4
                and all(isinstance(v, int) and not isinstance(v, bool) for v in values)):
            return None
        return cls(*values)


def stamp_of(path: Path) -> FileStamp | None:
    """The stamp of the file at ``path`` now (None when there is none)."""
    try:
        return FileStamp.of(os.stat(path))
    except (FileNotFoundError, NotADirectoryError):
        return None


def _busy(path: Path) -> ProjectFileError:
    return ProjectFileError(
        T("the project file is busy: another program has been reading or saving it for "
          f"{LOCK_TIMEOUT_S:.0f} s", f"项目文件正被其他程序读取或保存（已等待 {LOCK_TIMEOUT_S:.0f} 秒）"),
        str(path), T("try again in a moment, or close the other program",
                     "请稍后重试，或关闭另一个程序"))


def _flock(fd: int, exclusive: bool, deadline: float, path: Path) -> None:
    if fcntl is None:
        return
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    while True:
        try:
            fcntl.flock(fd, mode)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise _busy(path) from None
            time.sleep(_POLL_S)
        except OSError:  # no locks on this file system: go on without
            return


def _open_locked(path: Path, exclusive: bool, timeout: float) -> int | None:
    """An fd of the file now at ``path``, locked; None when there is no file to lock."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return None
        except PermissionError:
            if exclusive:  # a write-only file: replace it without a lock
                return None
            raise
        try:
            _flock(fd, exclusive, deadline, path)
            here = stamp_of(path)
            mine = FileStamp.of(os.fstat(fd))
        except BaseException:
            os.close(fd)
            raise
        if here is not None and (here.dev, here.ino) == (mine.dev, mine.ino):
            return fd
        os.close(fd)  # replaced while we waited: lock the new file


@contextmanager
def locked(path: Path, exclusive: bool = False,
           timeout: float = LOCK_TIMEOUT_S) -> Iterator[int | None]:
    """Hold the file at ``path`` open and locked (shared to read, exclusive to replace).

    Yields its fd, or None when there is no file (and so nothing to lock). Closing the fd
    at the end releases the lock.
    """
    fd = _open_locked(Path(path), exclusive, timeout)
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


@contextmanager
def held(path: Path, lock: bool = False) -> Iterator[int | None]:
    """Hold the file at ``path`` open (share-locked if ``lock``) for reading; its fd or
    None when there is no file."""
    if lock:
        with locked(path) as fd:
            yield fd
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        fd = None
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


def check_unchanged(path: Path, expected: FileStamp | None, where: str) -> None:
    """Raise ProjectChangedOnDisk when the file at ``path`` is not the ``expected`` version.
    A file that is gone has nothing to lose; ``expected`` None means no check."""
    if expected is None:
        return
    now = stamp_of(path)
    if now is not None and now != expected:
        raise ProjectChangedOnDisk(where=where)


class CheckedReplace:
    """Rename a finished temporary over ``target`` if ``target`` is still the ``expected``
    version; keeps the old file's mode and owner. Afterwards :attr:`stamp` is the new
    file's stamp. Used as ``atomic_target(..., replace=CheckedReplace(expected, where))``."""

    def __init__(self, expected: FileStamp | None, where: str) -> None:
        self.expected = expected
        self.where = where
        self.stamp: FileStamp | None = None

    def __call__(self, tmp: Path, target: Path) -> None:
        from layers.store.atomic import keep_attributes

        with locked(target, exclusive=True) as fd:
            check_unchanged(target, self.expected, self.where)
            try:
                old = os.fstat(fd) if fd is not None else os.stat(target)
            except FileNotFoundError:
                old = None
            if old is not None:
                keep_attributes(old, tmp)
            os.replace(tmp, target)
            self.stamp = stamp_of(target)
