"""Language choice for everything a person reads (简体中文 / English).

Texts themselves live next to their use as ``(en, zh)`` pairs or in the
message catalogue (:mod:`layers.messages`); this module only decides which
language is wanted.
"""

from __future__ import annotations

import locale
import os

LANGUAGES = ("en", "zh")
_current: str | None = None


def detect_language() -> str:
    """Language from ``PRECINCT_LANG``, else the system locale (zh* → zh)."""
    env = os.environ.get("PRECINCT_LANG", "").strip().lower()
    if env[:2] in LANGUAGES:
        return env[:2]
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    loc = locale.getlocale()[0] or ""
    return "zh" if loc.lower().startswith("zh") else "en"


def current_language() -> str:
    global _current
    if _current is None:
        _current = detect_language()
    return _current


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {lang!r}")
    _current = lang


def pick(en: str, zh: str, lang: str | None = None) -> str:
    """Choose between an English and a Chinese text."""
    return zh if (lang or current_language()) == "zh" else en
