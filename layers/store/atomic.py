"""Atomic file replacement: write beside, fsync, rename, fsync the directory.

A kill at any moment leaves either the old file or the complete new one at the
target path; a half-written temporary is all that can be left, and it is
cleaned up by the next save.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_MARK = ".saving-"
STALE_AFTER_S = 60.0


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
        alive = pid != os.getpid() and _pid_alive(pid)
        if not alive or now - candidate.stat().st_mtime > STALE_AFTER_S * 60:
            try:
                candidate.unlink()
            except OSError:
                pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def atomic_target(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    tmp = temp_path_for(target)
    try:
        yield tmp
        fsync_file(tmp)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            if leftover.exists():
                try:
                    leftover.unlink()
                except OSError:
                    pass
