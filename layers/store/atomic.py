"""Atomic file replacement: write beside, fsync, rename, fsync the directory.

A kill at any moment leaves either the old file or the complete new one at the
target path; a half-written temporary is all that can be left, and it is
cleaned up by the next save.

A symlink is written through (the temporary goes beside the file it points to, and
the link stays a link); the replaced file's mode bits and, where allowed, its owner
and group carry over to the new one.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_MARK = ".saving-"
STALE_AFTER_S = 60.0


def real_target(target: Path) -> Path:
    """The file a save must replace: ``target`` with every symlink followed."""
    return Path(os.path.realpath(target))


def keep_attributes(old: os.stat_result, tmp: Path) -> None:
    """Give ``tmp`` the owner, group and mode bits of the file it is about to replace."""
    if hasattr(os, "chown"):
        mine = os.stat(tmp)
        if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
            try:
                os.chown(tmp, old.st_uid, old.st_gid)
            except OSError:  # not ours to give away: keep what we have
                try:
                    os.chown(tmp, -1, old.st_gid)
                except OSError:
                    pass
    os.chmod(tmp, stat.S_IMODE(old.st_mode))


def replace_keeping_attributes(tmp: Path, target: Path) -> None:
    try:
        keep_attributes(os.stat(target), tmp)
    except FileNotFoundError:
        pass
    os.replace(tmp, target)


def temp_path_for(target: Path) -> Path:
    # same folder (so the rename is atomic) and same extension (GDAL checks it)
    return target.with_name(
        f".{target.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}{target.suffix}")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories; rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temps(target: Path) -> None:
    """Remove temporaries a killed save left beside ``target``."""
    prefix = f".{target.name}{TEMP_MARK}"
    now = time.time()
    for candidate in target.parent.glob(f"{prefix}*"):
        try:
            pid = int(candidate.name[len(prefix):].split("-")[0])
        except ValueError:
            continue
        alive = pid != os.getpid() and pid_alive(pid)
        if not alive or now - candidate.stat().st_mtime > STALE_AFTER_S * 60:
            try:
                candidate.unlink()
            except OSError:
                pass


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def atomic_target(target: Path,
                  replace: Callable[[Path, Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` atomically.

    ``replace(tmp, real_target)`` does the final rename (default: keep the old file's
    mode and owner, then rename); the store passes one that checks and locks first.
    """
    target = real_target(Path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    tmp = temp_path_for(target)
    try:
        yield tmp
        fsync_file(tmp)
        (replace or replace_keeping_attributes)(tmp, target)
        fsync_dir(target.parent)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            if leftover.exists():
                try:
                    leftover.unlink()
                except OSError:
                    pass
