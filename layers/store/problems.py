"""What can be wrong with a project file, each told as one bilingual line.

Opening: missing, a folder, unreadable, not SQLite, truncated, damaged. Saving: the
disk is full, no permission, a read-only file or disk, data the file cannot hold.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from layers.errors import ProjectFileError, T

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
_RESTORE = T("restore it from a backup or from its recovery file (.recovery.gpkg)",
             "请从备份或恢复文件（.recovery.gpkg）还原")


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception's text on one line, not too long for a dialog."""
    text = re.sub(r"\s+", " ", str(exc)).strip() or type(exc).__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"


def damaged(path: Path, exc: BaseException | str, where: str = "") -> ProjectFileError:
    text = exc if isinstance(exc, str) else one_line(exc)
    return ProjectFileError(T(f"the project file is damaged ({text})", f"项目文件已损坏（{text}）"),
                            f"{path}{', ' + where if where else ''}", _RESTORE)


def unreadable(path: Path, exc: OSError) -> ProjectFileError:
    if isinstance(exc, PermissionError):
        return ProjectFileError(
            T(f"you have no permission to read the project file ({one_line(exc)})",
              f"没有读取该项目文件的权限（{one_line(exc)}）"), str(path),
            T("ask the file's owner for read access, or copy it somewhere you can read it",
              "请向文件所有者申请读取权限，或将其复制到可读取的位置"))
    return ProjectFileError(
        T(f"the project file could not be read ({one_line(exc)})",
          f"无法读取项目文件（{one_line(exc)}）"), str(path),
        T("check the disk or network drive is connected, then try again",
          "请检查磁盘或网络驱动器已连接，然后重试"))


def check_path(path: Path) -> None:
    """The path names an existing file (not a folder)."""
    if not path.exists():
        raise ProjectFileError(T("the project file does not exist", "项目文件不存在"), str(path),
                               T("check the path, or create one with 'precinct demo'",
                                 "请检查路径，或用 precinct demo 生成示例项目"))
    if path.is_dir():
        raise ProjectFileError(T("this is a folder, not a project file", "这是文件夹，不是项目文件"),
                               str(path), T("choose a .gpkg file", "请选择 .gpkg 文件"))


def check_header(path: Path, header: bytes, size: int) -> None:
    """The first bytes are SQLite's and the file is as long as its header says."""
    if len(header) < HEADER_BYTES or not header.startswith(SQLITE_MAGIC):
        kind = guess_format(path, header)
        raise ProjectFileError(
            T(f"this is not a GeoPackage project{kind[0]}", f"这不是 GeoPackage 项目文件{kind[1]}"),
            str(path),
            T("open a .gpkg project; bring other data in with Import (precinct import)",
              "请打开 .gpkg 项目；其他数据请用“导入”（precinct import）"))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    if page_count and size < page_size * page_count:
        raise ProjectFileError(
            T(f"the project file is truncated ({size} of {page_size * page_count} bytes)",
              f"项目文件不完整（{size} / {page_size * page_count} 字节）"), str(path), _RESTORE)


def guess_format(path: Path, header: bytes) -> tuple[str, str]:
    if not header:
        return (" (the file is empty)", "（文件为空）")
    head = header.lstrip()[:1]
    if head in (b"{", b"["):
        return (" (it looks like GeoJSON)", "（看起来是 GeoJSON）")
    if header[:4] == b"PK\x03\x04":
        return (" (it is a ZIP archive)", "（这是 ZIP 压缩包）")
    if header[:4] in (b"\x00\x00\x27\x0a",):
        return (" (it is a shapefile)", "（这是 Shapefile）")
    if header[:2] in (b"II", b"MM"):
        return (" (it looks like a TIFF image)", "（看起来是 TIFF 图像）")
    if path.suffix.lower() == ".gpkg":
        return (" (its content is not SQLite)", "（内容不是 SQLite 数据库）")
    return ("", "")


def check_not_read_only(path: Path, shown: Path) -> None:
    """Refuse to replace a read-only file (mode bits checked too: root may write anything)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if st.st_mode & 0o222 == 0 or not os.access(path, os.W_OK):
        raise ProjectFileError(
            T("the project file is read-only", "项目文件为只读"), str(shown),
            T("save under another name (Save As), or make the file writable first",
              "请“另存为”其他文件，或先取消该文件的只读属性"))


def _errno_of(exc: BaseException) -> int | None:
    return exc.errno if isinstance(exc, OSError) else None


def _says(exc: BaseException, *phrases: str) -> bool:
    text = str(exc).lower()
    return any(p in text for p in phrases)


def save_error(exc: BaseException, path: Path, layer: str | None = None) -> ProjectFileError:
    """What went wrong while saving, by its real cause (the disk, permissions, the data)."""
    where = f"{path}{f', layer {layer!r}' if layer else ''}"
    text, code = one_line(exc), _errno_of(exc)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)) or _says(
            exc, "disk is full", "no space left", "quota exceeded"):
        return ProjectFileError(T(f"the disk is full ({text})", f"磁盘空间已满（{text}）"), where,
                                T("free some space or save to another disk; the previous file is "
                                  "unchanged", "请清理磁盘空间或保存到其他磁盘；原文件未被改动"))
    if code in (errno.EACCES, errno.EPERM) or _says(exc, "permission denied"):
        return ProjectFileError(
            T(f"no permission to write there ({text})", f"没有写入权限（{text}）"), where,
            T("save to a folder you can write to (Save As), or ask for write access; the "
              "previous file is unchanged", "请“另存为”到有写入权限的文件夹，或申请写入权限；原文件未被改动"))
    if code == errno.EROFS or _says(exc, "read-only file system", "readonly database"):
        return ProjectFileError(
            T(f"the disk or folder is read-only ({text})", f"磁盘或文件夹为只读（{text}）"), where,
            T("save to another place (Save As); the previous file is unchanged",
              "请“另存为”到其他位置；原文件未被改动"))
    if isinstance(exc, OSError):
        return ProjectFileError(
            T(f"the file could not be written ({text})", f"无法写入文件（{text}）"), where,
            T("check the folder is writable and the disk has room; the previous file is "
              "unchanged", "请检查文件夹可写且磁盘空间充足；原文件未被改动"))
    if isinstance(exc, MemoryError):
        return ProjectFileError(T("not enough memory to save the project", "内存不足，无法保存项目"),
                                where, T("close other programs and save again; the previous "
                                         "file is unchanged", "请关闭其他程序后重新保存；原文件未被改动"))
    return ProjectFileError(
        T(f"the project holds data the file cannot store ({type(exc).__name__}: {text})",
          f"项目中有项目文件无法保存的数据（{type(exc).__name__}：{text}）"), where,
        T("change or remove that data (or the layer) and save again; the previous file is "
          "unchanged", "请修改或删除这些数据（或该图层）后重新保存；原文件未被改动"))
