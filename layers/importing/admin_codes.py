"""The level of an administrative area read from its division code (行政区划代码).

China's division codes (GB/T 2260, extended by the statistics bureau's 12-digit
统计用区划代码) say their own level: in six digits ``xx0000`` is a province,
``xxxx00`` a prefecture-level city and anything else a county-level unit; nine digits
name a township or sub-district (乡镇/街道); twelve digits carry the township in
digits 7–9 and the village or neighbourhood committee in 10–12. An admin file that
gives codes but no level (天地图 and most bureau exports) gets the level from them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from layers.errors import T

# code level → admin layer level (layers.kinds.ADMIN_LEVELS); a province has none there
LEVEL_OF = {"province": None, "prefecture": "city", "county": "district",
            "township": "subdistrict", "village": "neighbourhood"}
_DIGITS = re.compile(r"^\d+$")


def _clean(code: Any) -> str | None:
    if code is None or (isinstance(code, float) and not np.isfinite(code)) or code is pd.NA:
        return None
    text = str(code).strip()
    if text.endswith(".0"):  # a code read as a number
        text = text[:-2]
    return text if _DIGITS.match(text) else None


def code_level(code: Any) -> str | None:
    """``province``, ``prefecture``, ``county``, ``township`` or ``village`` from a division
    code; None when it is not one.

    Examples
    --------
    >>> [code_level(c) for c in ("420000", "420500", 420502, "420502001", "420502001002")]
    ['province', 'prefecture', 'county', 'township', 'village']
    >>> code_level("420502000000"), code_level("42A5"), code_level(None)
    ('county', None, None)
    """
    text = _clean(code)
    if text is None or len(text) not in (6, 9, 12):
        return None
    if len(text) == 9:
        return "township"
    if len(text) == 12:
        if text[9:] != "000":
            return "village"
        if text[6:9] != "000":
            return "township"
        text = text[:6]
    if text[2:] == "0000":
        return "province"
    if text[4:] == "00":
        return "prefecture"
    return "county"


def admin_level(code: Any) -> str | None:
    """The admin layer's ``level`` for a division code (None for a province or a non-code).

    Examples
    --------
    >>> admin_level("420502"), admin_level("420500"), admin_level("420000")
    ('district', 'city', None)
    """
    found = code_level(code)
    return LEVEL_OF.get(found) if found else None


def fill_levels(data: dict[str, Any], rows: int, notes: list[T]) -> None:
    """Fill the empty ``level`` values of admin features from their ``code`` (in place)."""
    if "code" not in data:
        return
    codes = pd.Series(np.asarray(data["code"], dtype=object))
    levels = (pd.Series(np.asarray(data["level"], dtype=object)) if "level" in data
              else pd.Series([None] * rows, dtype=object))
    empty = levels.isna() | (levels.astype("string").str.strip() == "")
    found = codes.map(code_level)
    inferred = found.map(lambda lv: LEVEL_OF.get(lv) if isinstance(lv, str) else None)
    fill = empty & inferred.notna()
    if fill.any():
        levels = levels.where(~fill, inferred)
        data["level"] = levels.to_numpy(dtype=object)
        counts = inferred[fill].value_counts().to_dict()
        said = ", ".join(f"{k} {v}" for k, v in counts.items())
        notes.append(T(f"level read from the division code for {int(fill.sum())} feature(s) ({said}): "
                       "6 digits xx0000 province, xxxx00 city, other county-level; 9 digits township; "
                       "12 digits village", f"已根据区划代码确定 {int(fill.sum())} 个要素的层级（{said}）："
                       "6 位代码 xx0000 为省级、xxxx00 为地级市、其余为县级；9 位为乡镇街道；12 位为村（社区）"))
    provinces = int((empty & (found == "province")).sum())
    if provinces:
        notes.append(T(f"{provinces} feature(s) have province codes (xx0000); the admin layer has no "
                       "province level, so their level is left empty",
                       f"{provinces} 个要素为省级代码（xx0000），行政区划图层无省级层级，层级留空"))
