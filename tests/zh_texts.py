"""The check that no text a person reads in Chinese is an internal identifier, and the
collectors that gather those texts from a Qt window, a workbook and an HTML page.

A text is refused when it is a ``snake_case`` key, ``True`` / ``False`` / ``None``, holds
a Python container repr (``{'``, ``{}``, ``[]``), or is Chinese text with a ``snake_case`` key or another
internal key of the schemas and standards (``remaining``, ``works``) inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

SNAKE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
PY_LITERAL = re.compile(r"^(True|False|None)$")
SNAKE_INSIDE = re.compile(r"[a-z]+_[a-z]+")
CJK = re.compile(r"[\u3400-\u9fff]")
WORD = re.compile(r"(?<![A-Za-z0-9_.:/\\-])[a-z][a-z0-9_]+(?![A-Za-z0-9_:/\\-])")

#: Allowed: few and each with its reason.
ALLOWED = (
    # CRS codes are the names GIS users know them by
    (re.compile(r"EPSG:\d+"), "EPSG codes"),
    # a file path or file name (the user's own files; exports name their files)
    (re.compile(r"(?:[A-Za-z]:)?[\w.-]*[/\\][\w./\\-]+|[\w-]+\.(?:gpkg|xlsx|csv|html|pdf|png|qml)\b"),
     "file paths and names"),
)


def _internal_keys() -> set[str]:
    """Every key a person should never read in Chinese text: schema choices and field
    names, standards keys, layer kinds (words of 4+ letters, so ``m``, ``mm`` stay)."""
    from layers.kinds import KINDS
    from layers.standards import load_standards

    keys: set[str] = set(KINDS)
    for schema in KINDS.values():
        for f in schema.fields:
            keys.add(f.name)
            keys.update(f.choices or ())
    std = load_standards()
    for name in std.names():
        frame = std.table(name)
        if "key" in frame.columns:
            keys.update(str(k) for k in frame["key"])
    return {k for k in keys if len(k) >= 4 and re.fullmatch(r"[a-z][a-z0-9_]*", k)}


_KEYS: set[str] | None = None


def internal_keys() -> set[str]:
    global _KEYS
    if _KEYS is None:
        _KEYS = _internal_keys()
    return _KEYS


def _without_allowed(text: str) -> str:
    for pattern, _reason in ALLOWED:
        text = pattern.sub(" ", text)
    return text


def problem(text: str) -> str | None:
    """Why ``text`` leaks an internal identifier (None when it reads well)."""
    stripped = _without_allowed(str(text)).strip()
    if not stripped:
        return None
    for piece in re.split(r"[\n\t]+| {2,}|[；;：:，,、（）()]", stripped):
        piece = piece.strip()
        if SNAKE.match(piece):
            return "snake_case key"
        if PY_LITERAL.match(piece):
            return "Python literal"
    if "{'" in stripped or "{}" in stripped or "[]" in stripped:
        return "Python container repr"
    if CJK.search(stripped):
        if SNAKE_INSIDE.search(stripped):
            return "snake_case key inside Chinese text"
        keys = internal_keys()
        for word in WORD.findall(stripped):
            if word in keys:
                return f"internal key {word!r} inside Chinese text"
    return None


def problems(texts: Iterable[tuple[str, str]]) -> list[str]:
    """``where: text (why)`` for every distinct leaking text of ``(where, text)`` pairs
    (the first place it was seen, and how often)."""
    seen: dict[str, list] = {}
    for where, text in texts:
        why = problem(text)
        if why:
            seen.setdefault(text, [where, why, 0])[2] += 1
    return [f"{where}: {text!r} ({why}) ×{n}" for text, (where, why, n) in seen.items()]


# --- collectors ------------------------------------------------------------------------
def model_texts(model, where: str, parent=None) -> Iterator[tuple[str, str]]:
    """Every DisplayRole text of a Qt item model (headers, cells, tree children)."""
    from PyQt5.QtCore import QModelIndex, Qt

    parent = parent or QModelIndex()
    rows = model.rowCount(parent)
    try:
        cols = model.columnCount(parent)
    except TypeError:  # a list model (QListView, QComboBox)
        cols = 1
    if not parent.isValid():
        for c in range(cols):
            yield f"{where} header {c}", str(model.headerData(c, Qt.Horizontal, Qt.DisplayRole) or "")
    for r in range(rows):
        for c in range(cols):
            index = model.index(r, c, parent)
            value = model.data(index, Qt.DisplayRole)
            if value is not None:
                yield f"{where} [{r},{c}]", str(value)
            if c == 0 and index.isValid() and _children(model, index):
                yield from model_texts(model, f"{where} [{r}]>", index)


def _children(model, index) -> bool:
    try:
        return model.rowCount(index) > 0
    except TypeError:
        return False


def widget_texts(root) -> Iterator[tuple[str, str]]:
    """The texts of ``root`` and every visible widget under it."""
    from PyQt5.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QDockWidget,
        QGroupBox,
        QHeaderView,
        QLabel,
        QLineEdit,
        QTabBar,
        QWidget,
    )

    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible():
            continue
        name = f"{type(w).__name__}({w.objectName() or '-'})"
        if isinstance(w, QLabel):
            yield name, re.sub(r"<[^>]+>", "", w.text())
        elif isinstance(w, QAbstractButton):
            yield name, w.text()
        elif isinstance(w, QGroupBox):
            yield name, w.title()
        elif isinstance(w, QComboBox):
            yield from ((f"{name} item {i}", w.itemText(i)) for i in range(w.count()))
        elif isinstance(w, QTabBar):
            yield from ((f"{name} tab {i}", w.tabText(i)) for i in range(w.count()))
        elif isinstance(w, QLineEdit):
            yield name, w.text()
            yield name, w.placeholderText()
        elif isinstance(w, QAbstractSpinBox):
            yield name, w.text()
        elif isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView) \
                and w.model() is not None:
            yield from model_texts(w.model(), name)
        if isinstance(w, QDockWidget):
            yield name, w.windowTitle()


def workbook_texts(path) -> Iterator[tuple[str, str]]:
    """Every sheet name and text cell of an XLSX workbook."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    for sheet in book.worksheets:
        yield f"{path.name} sheet", sheet.title
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if value is not None and not isinstance(value, (int, float)):
                    yield f"{path.name}!{sheet.title}", str(value)


def html_texts(html: str, where: str) -> Iterator[tuple[str, str]]:
    """The text a reader of an HTML page sees: the elements' text (legend, title, notes),
    and what the popups show (layer title, field labels, text values)."""
    import json

    body = re.sub(r"<script\b[^>]*>.*?</script>", " ", html, flags=re.S | re.I)
    body = re.sub(r"<style\b[^>]*>.*?</style>", " ", body, flags=re.S | re.I)
    for text in re.split(r"<[^>]+>", body):
        if text.strip():
            yield where, text.strip()
    found = re.search(r'<script type="application/json" id="pp-data">(.*?)</script>', html, re.S)
    data = json.loads(found.group(1)) if found else {"layers": [], "texts": {}}
    yield from ((f"{where} popup text", text.replace("{n}", "3"))
                for text in data["texts"].values())
    if data.get("credit"):
        yield f"{where} credit", data["credit"]
    for layer in data["layers"]:
        yield f"{where} layer control", layer["title"]
        for payload in layer.get("parts", []):
            yield f"{where} popup title", payload["title"]
            yield from ((f"{where} popup label", label) for label in payload["labels"])
            for col in payload["cols"]:
                values = col["d"] if isinstance(col, dict) else col
                yield from ((f"{where} popup value", v) for v in values if isinstance(v, str))
