"""The map sheet's fonts, chosen so that a PDF reader extracts its text as the right Unicode.

Two things went wrong with the system's Noto Sans CJK in Qt's PDF writer:

* **Look-alike characters.** Qt names each embedded glyph (the PDF's ToUnicode map) by the
  lowest code point below U+10000 that the font maps to that glyph. Noto Sans CJK maps the
  Kangxi radicals (U+2F00-U+2FD5) and some CJK radical supplements to the very glyphs of
  the unified ideographs, so 小 (U+5C0F) was extracted as ⼩ (U+2F29), 示 as ⽰; the same
  happens to the ideographic space (found as an em space) and 〈〉 (found as U+2329/232A).
  The sheet therefore draws with a copy of the font whose character map leaves out, for
  each glyph shared by several code points, those below the one Chinese text uses (unified
  ideographs first, then CJK punctuation and full-width forms, then the rest, radicals
  last). Only the character map and the names change; every other table is copied byte
  for byte, so a face takes about a second to build, once: it is cached on disk. A text
  that really holds a radical still prints (Qt takes it from the system font).
* **Shaping.** HarfBuzz applies the font's ``locl`` feature to Latin runs, which swaps a
  digit that follows a Latin letter for a glyph no code point maps to ("EPSG:4546" was
  extracted as "EPSG:"), and ligatures turn "fl" into ﬂ and "——" into ⸺. Sheet fonts use
  :attr:`QFont.PreferNoShaping`, which draws Latin and Han text glyph by glyph.

The copy is named "Precinct Sheet Sans SC" (a modified font may not keep the original's
reserved names; the licence and copyright entries stay in it).
"""

from __future__ import annotations

import collections
import hashlib
import io
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from PyQt5.QtGui import QFont, QFontDatabase

log = logging.getLogger(__name__)

SOURCE_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC")
OTHER_FAMILIES = ("Noto Sans SC", "WenQuanYi Micro Hei")  # used as they are, if nothing else
SHEET_FAMILY = "Precinct Sheet Sans SC"
_BUILD_VERSION = "1"  # change when the way the copy is made changes (the cache key has it)
_KNOWN_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-{style}.ttc",  # Debian, Ubuntu
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-{style}.ttc",  # Fedora
    "/usr/share/fonts/noto-cjk/NotoSansCJK-{style}.ttc",  # Arch
)
_lock = threading.Lock()
_family: list[str] = []  # the family the sheet draws with, once found


def code_point_rank(cp: int) -> int:
    """How much Chinese text prefers a code point among those drawn by one glyph (lower is
    preferred): unified ideographs, CJK punctuation and full-width forms, others, radicals.

    >>> [code_point_rank(ord(c)) for c in "小，A⼩"]
    [0, 1, 2, 3]
    """
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF:
        return 0
    if 0x3000 <= cp <= 0x303F or 0xFF00 <= cp <= 0xFFEF:
        return 1
    if 0x2E80 <= cp <= 0x2FDF:
        return 3
    return 2


def shadowing_code_points(cmap: dict[int, object]) -> set[int]:
    """Code points (below U+10000) that would name a glyph in place of the one Chinese text
    uses for it: for each glyph with several code points, those lower than the preferred.

    >>> sorted(hex(c) for c in shadowing_code_points({0x5C0F: "g1", 0x2F29: "g1", 0x41: "g2"}))
    ['0x2f29']
    """
    by_glyph: dict[object, list[int]] = collections.defaultdict(list)
    for cp, glyph in cmap.items():
        if cp < 0x10000:
            by_glyph[glyph].append(cp)
    out: set[int] = set()
    for cps in by_glyph.values():
        if len(cps) > 1:
            preferred = min(cps, key=lambda c: (code_point_rank(c), c))
            out.update(c for c in cps if c < preferred)
    return out


def sheet_family() -> str:
    """The family the sheet's text is drawn with: the cleaned copy of Noto Sans CJK SC (or
    Source Han Sans SC) when the system has it, else an installed CJK family as it is."""
    with _lock:
        if not _family:
            _family.append(_register() or _installed_family())
        return _family[0]


def sheet_font(point_size: float, bold: bool = False) -> QFont:
    family = sheet_family()
    font = QFont(family) if family else QFont()
    font.setPointSizeF(point_size)
    font.setBold(bold)
    font.setStyleStrategy(QFont.PreferNoShaping)
    return font


def _installed_family() -> str:
    families = set(QFontDatabase().families())
    return next((f for f in SOURCE_FAMILIES + OTHER_FAMILIES if f in families), "")


def _register() -> str:
    """Build (or take from the cache) and register the cleaned Regular and Bold faces."""
    registered = ""
    for style in ("Regular", "Bold"):
        source = _find_face(style)
        if source is None:
            continue
        try:
            font_id = _add_font(*source, style)
        except Exception as exc:  # a font we cannot read: the sheet falls back, and says why
            log.warning("cannot prepare the map sheet font from %s: %s", source[0], exc)
            continue
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if SHEET_FAMILY in families:
            registered = SHEET_FAMILY
    return registered


def _find_face(style: str) -> tuple[Path, int] | None:
    """The font file and face index of Noto Sans CJK SC (or Source Han Sans SC) in ``style``."""
    candidates: list[Path] = []
    if shutil.which("fc-match"):
        for family in SOURCE_FAMILIES:
            try:
                found = subprocess.run(["fc-match", "-f", "%{file}", f"{family}:style={style}"],
                                       capture_output=True, text=True, timeout=10).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                found = ""
            if found:
                candidates.append(Path(found))
    candidates += [Path(p.format(style=style)) for p in _KNOWN_FILES]
    for path in dict.fromkeys(candidates):
        if path.is_file():
            index = _face_index(path, style)
            if index is not None:
                return path, index
    return None


def _face_index(path: Path, style: str) -> int | None:
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    try:
        faces = (TTCollection(str(path), lazy=True).fonts if path.suffix.lower() == ".ttc"
                 else [TTFont(str(path), lazy=True)])
    except (OSError, TTLibError):
        return None
    for index, face in enumerate(faces):
        name = face["name"]
        family = name.getDebugName(16) or name.getDebugName(1)
        if family in SOURCE_FAMILIES and (name.getDebugName(17) or name.getDebugName(2)) == style:
            return index
    return None


def _add_font(path: Path, index: int, style: str) -> int:
    stat = path.stat()
    key = hashlib.sha1(f"{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}|{_BUILD_VERSION}"
                       .encode()).hexdigest()[:16]
    cached = cache_dir() / f"precinct-sheet-sans-sc-{style.lower()}-{key}.otf"
    if cached.is_file():
        font_id = QFontDatabase.addApplicationFont(str(cached))
        if font_id >= 0:
            return font_id
    data = build_face(path, index, style)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, cached)
        return QFontDatabase.addApplicationFont(str(cached))
    except OSError:  # no writable cache: keep it in memory for this run
        from PyQt5.QtCore import QByteArray

        return QFontDatabase.addApplicationFontFromData(QByteArray(data))


def cache_dir() -> Path:
    """Where the cleaned font copies are kept (``PRECINCT_FONT_CACHE`` overrides)."""
    override = os.environ.get("PRECINCT_FONT_CACHE")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("precinct-planner")) / "fonts"


def build_face(path: Path, index: int, style: str) -> bytes:
    """The face as an OpenType file with the shadowing code points left out of its
    character maps and the names changed to :data:`SHEET_FAMILY`."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=index, lazy=True)
    # a plain glyph order, so reading the character map does not decompile the outlines
    # (which would also be rewritten on saving: ~40 s for a CJK face instead of ~1 s)
    font.setGlyphOrder([f"g{i}" for i in range(font["maxp"].numGlyphs)])
    cmap = font["cmap"]
    drop = shadowing_code_points(cmap.getBestCmap())
    for table in cmap.tables:
        mapping = getattr(table, "cmap", None)
        if mapping:
            for cp in drop:
                mapping.pop(cp, None)
    postscript = f"{SHEET_FAMILY.replace(' ', '')}-{style}"
    names = {1: SHEET_FAMILY, 2: style, 3: f"{postscript};{_BUILD_VERSION}",
             4: f"{SHEET_FAMILY} {style}", 6: postscript, 16: SHEET_FAMILY, 17: style}
    table = font["name"]
    for record in table.names:
        if record.nameID in names:
            record.string = names[record.nameID]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
