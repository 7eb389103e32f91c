"""What the CLI prints: JSON-ready values and the --json / text switch (no Qt here)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars become Python ones, NA/NaN/NaT become None."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict, str)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    try:
        if value is None or value != value or str(value) in ("<NA>", "NaT"):
            return None
    except (TypeError, ValueError):
        return value
    return value


def records(frame) -> list[dict[str, Any]]:
    """Rows of a (Geo)DataFrame as JSON-ready dicts (geometry left out)."""
    frame = frame.drop(columns="geometry", errors="ignore")
    return [{k: plain(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    """Print JSON with --json, else the human text."""
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)
