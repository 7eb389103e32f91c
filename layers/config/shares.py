"""Shares compared as fractions: a threshold of "2/3" is two thirds exactly, and a share
of two thirds given as a float (0.6666…) reaches it ("三分之二以上" includes the number)."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

_LIMIT = 10**6  # a float share is read as the nearest fraction with denominator ≤ 1,000,000


def as_fraction(value: Any) -> Fraction | None:
    """``"2/3"`` → 2/3, ``"50%"`` → 1/2, ``0.6666666666666666`` → 2/3 (``None`` if not a share)."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        text = value.strip()
        m = re.fullmatch(r"(\d+)\s*/\s*(\d+)", text)
        if m:
            return Fraction(int(m.group(1)), int(m.group(2))) if int(m.group(2)) else None
        try:
            value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    return Fraction(number).limit_denominator(_LIMIT)


def reaches(value: Any, threshold: Any) -> bool:
    """``value ≥ threshold``, both read as fractions."""
    a, b = as_fraction(value), as_fraction(threshold)
    return a is not None and b is not None and a >= b


def shown(value: Any) -> str:
    """A share as a person reads it: ``2/3`` stays ``2/3``, others as a percentage."""
    if isinstance(value, str) and "/" in value:
        return value.replace(" ", "")
    frac = as_fraction(value)
    if frac is None:
        return "—"
    pct = float(frac) * 100
    for digits in (0, 1, 2):
        if abs(pct - round(pct, digits)) < 1e-9:
            return f"{pct:.{digits}f}%"
    return f"{pct:.2f}%"
