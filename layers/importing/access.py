"""Can the file be read at all? Missing, a folder, a pipe or device, no permission, empty.

Every open of a source file goes through here or has its ``OSError`` turned into a
:class:`~layers.errors.ProjectError` by :func:`os_error`: a file that cannot be opened
is a sentence for the person, never a traceback. A pipe (FIFO) or a device is refused
before it is opened, as opening one can wait forever.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from layers.errors import ProjectError, T

_CLOSE_OR_ASK = T("close any program that has it open (Excel locks the files it shows), or ask for "
                  "permission to read it, or copy it into a folder of your own",
                  "请关闭正在打开该文件的程序（Excel 会锁定其打开的文件），或申请读取权限，"
                  "或将其复制到自己的文件夹中")


def _missing(path: Path) -> ProjectError:
    return ProjectError(T(f"the file {path.name} does not exist", f"文件 {path.name} 不存在"),
                        str(path), T("check the path and file name", "请检查路径和文件名"))


def _folder(path: Path) -> ProjectError:
    return ProjectError(T(f"{path.name} is a folder, not a file", f"{path.name} 是文件夹而不是文件"),
                        str(path), T("choose the data file inside it (e.g. the .shp)",
                                     "请选择其中的数据文件（如 .shp）"))


def os_error(path: Path, exc: OSError) -> ProjectError:
    """The ProjectError for an ``OSError`` met while opening or reading ``path`` (or a file
    next to it, such as a shapefile's .dbf: ``exc.filename`` then says which)."""
    where = Path(exc.filename) if isinstance(exc.filename, (str, Path)) else path
    if isinstance(exc, FileNotFoundError):
        return _missing(where)
    if isinstance(exc, IsADirectoryError):
        return _folder(where)
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return ProjectError(T(f"no permission to read {where.name}", f"没有读取 {where.name} 的权限"),
                            str(where), _CLOSE_OR_ASK)
    detail = exc.strerror or str(exc) or type(exc).__name__
    return ProjectError(T(f"cannot read {where.name} ({detail})", f"无法读取 {where.name}（{detail}）"),
                        str(where), T("check the disk or network drive, then copy the file again "
                                      "from its source", "请检查磁盘或网络驱动器，再从来源重新拷贝该文件"))


def check_regular(path: Path) -> os.stat_result:
    """Refuse (ProjectError) a path that cannot be opened as a regular file."""
    try:
        info = path.stat()
    except OSError as exc:
        raise os_error(path, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise _folder(path)
    if not stat.S_ISREG(info.st_mode):
        raise ProjectError(
            T(f"{path.name} is not a regular file (a pipe, device or socket)",
              f"{path.name} 不是普通文件（而是管道、设备或套接字）"),
            str(path), T("save the data as a file and choose that file", "请将数据保存为文件后选择该文件"))
    return info


def check_source_file(path: Path) -> None:
    """Refuse (ProjectError) a path that is not a readable, non-empty regular file."""
    if check_regular(path).st_size == 0:
        raise ProjectError(T(f"{path.name} is empty (0 bytes)", f"{path.name} 是空文件（0 字节）"),
                           str(path), T("copy the file again from its source", "请从来源重新拷贝该文件"))


SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


def check_parts(path: Path, suffixes: tuple[str, ...] = SHAPEFILE_PARTS) -> None:
    """Refuse the files read along with ``path`` (a shapefile's .dbf …) when one of them is a
    folder, a pipe or a device: GDAL would open it too, and a pipe waits forever."""
    for suffix in suffixes:
        for part in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            if part.exists():
                check_regular(part)


def read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of ``path`` (ProjectError when it cannot be opened)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise os_error(path, exc) from None
