"""Streams DataFrames into an XLSX workbook a column at a time (for :mod:`.table_writer`).

Why not openpyxl: it serialises every cell through a Python element writer (et_xmlfile,
about 25 µs a cell), so the city's attribute tables, 2.4 million cells, took 52-80 s,
and pandas' ``to_excel`` (openpyxl underneath) longer still. Here each column becomes
its cells' XML with numpy string arithmetic: text is factorised into the shared-string
table (one entry per distinct text), numbers are written by ``repr``; rows are joined
and streamed into the zip (deflate level 1). Only what the product needs is written:
shared strings, one style table (bold shaded header row, number formats by column), a
frozen header, an autofilter, column widths, and plain notes sheets.

The cells arrive already safe: :mod:`.table_writer` quotes formula-like text before
calling :func:`write_workbook`; nothing here makes a formula (no cell is of type ``f``).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MAX_ROWS, MAX_TEXT = 1_048_576, 32_767  # Excel's limits: rows a sheet, characters a cell
#: number formats by kind: (numFmtId, format code; None for Excel's built-in ones)
FORMATS: dict[str, tuple[int, str | None]] = {
    "general": (0, None), "integer": (1, None), "count": (3, None), "yuan": (4, None),
    "metres": (4, None), "coordinate": (2, None), "area": (164, "#,##0.0"),
    "percent": (165, "0.0%"), "date": (166, "yyyy-mm-dd"),
    "datetime": (167, "yyyy-mm-dd hh:mm:ss"),
}
_KINDS = list(FORMATS)
_HEADER, _NOTE_KEY, _NOTE_TEXT = len(_KINDS), len(_KINDS) + 1, len(_KINDS) + 2  # style ids
_WIDE = re.compile("[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f"
                   "\uff00-\uff60\uffe0-\uffe6]")
_EPOCH = _dt.datetime(1899, 12, 30)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


@dataclass
class SheetData:
    """One sheet: a table (header row, then rows) or notes (two columns of text)."""

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)  # column → kind of FORMATS
    notes: bool = False  # a notes sheet: no header styling, filter or frozen row


def write_workbook(path: Path, sheets: Sequence[SheetData]) -> None:
    strings = _SharedStrings()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for number, sheet in enumerate(sheets, start=1):
            with book.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as out:
                _write_sheet(out, sheet, strings, selected=number == 1)
        book.writestr("xl/sharedStrings.xml", strings.xml())
        book.writestr("xl/styles.xml", _styles_xml())
        book.writestr("xl/workbook.xml", _workbook_xml(sheets))
        book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("[Content_Types].xml", _content_types(len(sheets)))


def column_letter(index: int) -> str:
    """``0 → A``, ``25 → Z``, ``26 → AA``.

    >>> [column_letter(i) for i in (0, 25, 26, 701, 702)]
    ['A', 'Z', 'AA', 'ZZ', 'AAA']
    """
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _SharedStrings:
    """The workbook's shared-string table: each distinct text once, cells point to it."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def ids(self, texts: np.ndarray) -> np.ndarray:
        """Table positions of ``texts`` (an object array of str), adding new ones."""
        codes, uniques = pd.factorize(texts)
        index = self.index
        positions = np.fromiter((index.setdefault(t, len(index)) for t in uniques),
                                dtype=np.int64, count=len(uniques))
        return positions[codes]

    def xml(self) -> bytes:
        items = "".join(f'<si><t xml:space="preserve">{escape(t)}</t></si>' for t in self.index)
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {_NS} '
                f'uniqueCount="{len(self.index)}">{items}</sst>').encode("utf-8", "replace")


# --- cells -------------------------------------------------------------------------------
def _text_cells(refs: np.ndarray, texts: np.ndarray, mask: np.ndarray, style: int,
                strings: _SharedStrings) -> np.ndarray:
    out = np.full(len(refs), "", dtype=object)
    if mask.any():
        ids = strings.ids(texts[mask]).astype(str).astype(object)
        out[mask] = '<c r="' + refs[mask] + f'" s="{style}" t="s"><v>' + ids + "</v></c>"
    return out


def _number_cells(refs: np.ndarray, numbers: np.ndarray, style: int,
                  integer: bool = False) -> np.ndarray:
    out = np.full(len(refs), "", dtype=object)
    finite = np.isfinite(numbers)
    for i in np.flatnonzero(np.isinf(numbers)):  # Excel has no infinity: say it in text
        out[i] = f'<c r="{refs[i]}" t="inlineStr"><is><t>{numbers[i]!s}</t></is></c>'
    if finite.any():
        if integer:  # 5, not 5.0 (a reader takes "5.0" for a float)
            shown = numbers[finite].astype(np.int64).astype(str).astype(object)
        else:
            shown = np.array([repr(v) for v in numbers[finite].tolist()], dtype=object)
        out[finite] = '<c r="' + refs[finite] + f'" s="{style}"><v>' + shown + "</v></c>"
    return out


def _column_cells(values: pd.Series, kind: str, refs: np.ndarray, strings: _SharedStrings,
                  style: int | None = None) -> np.ndarray:
    """The XML of one column's cells ('' where a cell is empty); ``style`` overrides the
    style of ``kind``."""
    if style is None:
        style = _KINDS.index(kind) if kind in FORMATS else 0
    scale = 0.01 if kind == "percent" else 1.0  # percentage points in, a fraction out
    if pd.api.types.is_bool_dtype(values.dtype):
        return _mixed_cells(values.to_numpy(dtype=object), style, scale, refs, strings)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return _number_cells(refs, values.to_numpy(dtype="float64", na_value=np.nan) * scale,
                             style, pd.api.types.is_integer_dtype(values.dtype) and scale == 1)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _mixed_cells(values.to_numpy(dtype=object), style, scale, refs, strings)
    array = values.to_numpy(dtype=object)
    inferred = pd.api.types.infer_dtype(array, skipna=True)
    if inferred in ("string", "empty"):
        mask = np.array([isinstance(v, str) for v in array], dtype=bool)
        return _text_cells(refs, array, mask, style, strings)
    if inferred in ("integer", "floating", "mixed-integer-float"):
        numbers = pd.to_numeric(pd.Series(array), errors="coerce").to_numpy(dtype="float64")
        return _number_cells(refs, numbers * scale, style, inferred == "integer" and scale == 1)
    return _mixed_cells(array, style, scale, refs, strings)


def _mixed_cells(array: np.ndarray, style: int, scale: float, refs: np.ndarray,
                 strings: _SharedStrings) -> np.ndarray:
    """Cells of any Python values, one at a time (columns that mix types)."""
    out = np.full(len(array), "", dtype=object)
    for i, value in enumerate(array.tolist()):
        out[i] = _one_cell(refs[i], value, style, scale, strings)
    return out


def _one_cell(ref: str, value: Any, style: int, scale: float, strings: _SharedStrings) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(bool(value))}</v></c>'
    if isinstance(value, (int, np.integer)) and scale == 1.0:
        return f'<c r="{ref}" s="{style}"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value) * scale
        if not math.isfinite(number):  # Excel has no infinity: say it in text
            return "" if math.isnan(number) else _one_cell(ref, str(number), 0, 1.0, strings)
        return f'<c r="{ref}" s="{style}"><v>{number!r}</v></c>'
    if isinstance(value, (_dt.datetime, _dt.date)):
        moment = value if isinstance(value, _dt.datetime) else _dt.datetime.combine(
            value, _dt.time())
        moment = moment.replace(tzinfo=None)
        serial = (moment - _EPOCH).total_seconds() / 86400
        timed = isinstance(value, _dt.datetime) and moment.time() != _dt.time()
        kind = _KINDS.index("datetime" if timed else "date")
        return f'<c r="{ref}" s="{kind}"><v>{serial!r}</v></c>'
    text = str(value)
    position = strings.ids(np.array([text], dtype=object))[0]
    return f'<c r="{ref}" s="{style}" t="s"><v>{position}</v></c>'


# --- sheets ------------------------------------------------------------------------------
def _write_sheet(out, sheet: SheetData, strings: _SharedStrings, selected: bool) -> None:
    frame = sheet.frame
    rows, cols = len(frame) + 1, max(1, len(frame.columns))
    last = f"{column_letter(cols - 1)}{rows}"
    numbers = np.arange(2, rows + 1).astype(str).astype(object)
    columns = []
    for i, name in enumerate(frame.columns):
        kind = sheet.formats.get(name, "general")
        style = (_NOTE_KEY if i == 0 else _NOTE_TEXT) if sheet.notes else None
        refs = column_letter(i) + numbers
        columns.append(_column_cells(frame.iloc[:, i], kind, refs, strings, style))
    header = "".join(
        f'<c r="{column_letter(i)}1" s="{_NOTE_KEY if sheet.notes else _HEADER}" t="s"><v>'
        f'{strings.ids(np.array([str(name)], dtype=object))[0]}</v></c>'
        for i, name in enumerate(frame.columns))
    view = ('<sheetView workbookViewId="0"' + (' tabSelected="1"' if selected else "") + ">"
            + ("" if sheet.notes else '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
               'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/>')
            + "</sheetView>")
    widths = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w:.1f}" customWidth="1"/>'
                     for i, w in enumerate(_widths(sheet)))
    out.write((f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} '
               f'{_NS_R}><dimension ref="A1:{last}"/><sheetViews>{view}</sheetViews>'
               f'<sheetFormatPr defaultRowHeight="15"/>'
               + (f"<cols>{widths}</cols>" if widths else "")
               + f'<sheetData><row r="1">{header}</row>').encode("utf-8", "replace"))
    batch = 20_000
    for start in range(0, len(frame), batch):
        chunk = [column[start:start + batch] for column in columns]
        text = "".join(f'<row r="{start + j + 2}">' + "".join(cells) + "</row>"
                       for j, cells in enumerate(zip(*chunk, strict=True)))
        out.write(text.encode("utf-8", "replace"))
    tail = "</sheetData>" + ("" if sheet.notes else f'<autoFilter ref="A1:{last}"/>')
    out.write((tail + "</worksheet>").encode())


def _widths(sheet: SheetData, sample: int = 3000) -> list[float]:
    """Column widths in characters: the widest of the header (with room for the filter
    button) and the cells as shown (wide CJK characters count double; numbers with room
    for thousands separators) in up to ``sample`` rows spread over the sheet, within 6-60;
    a notes sheet wraps its text at 100."""
    frame = sheet.frame
    step = max(1, len(frame) // sample)
    rows = frame.iloc[::step]
    out = []
    for i, name in enumerate(frame.columns):
        widest = _display_width(str(name)) + (0 if sheet.notes else 3)
        for value in rows.iloc[:, i].tolist():
            if isinstance(value, str):
                widest = max(widest, _display_width(value))
            elif isinstance(value, (int, float, np.integer, np.floating)) and value == value:
                widest = max(widest, len(f"{value:,.2f}") if isinstance(
                    value, (float, np.floating)) else len(f"{value:,}"))
            elif value is not None and value is not pd.NA and value is not pd.NaT:
                widest = max(widest, 19 if isinstance(value, _dt.datetime) else 10)
        out.append(100.0 if sheet.notes and i == 1 else float(min(60, max(6, widest + 2))))
    return out


def _display_width(text: str) -> int:
    return len(text) + len(_WIDE.findall(text))


# --- package parts -----------------------------------------------------------------------
def _styles_xml() -> str:
    custom = "".join(f'<numFmt numFmtId="{n}" formatCode="{escape(code)}"/>'
                     for n, code in FORMATS.values() if code)
    number_xfs = "".join(f'<xf numFmtId="{n}" fontId="0" fillId="0" borderId="0" xfId="0"'
                         + (' applyNumberFormat="1"/>' if n else "/>") for n, _ in FORMATS.values())
    header = ('<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" '
              'applyFill="1" applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf>')
    note_key = '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" ' \
               'applyAlignment="1"><alignment vertical="top"/></xf>'
    note_text = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" ' \
                'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
    count = len(FORMATS) + 3
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {_NS}>'
            f'<numFmts count="{sum(1 for _, c in FORMATS.values() if c)}">{custom}</numFmts>'
            f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="FFEDEDED"/>'
            '<bgColor indexed="64"/></patternFill></fill></fills>'
            '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '<border><left/><right/><top/><bottom style="thin"><color rgb="FF808080"/></bottom>'
            '<diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            f'</cellStyleXfs><cellXfs count="{count}">{number_xfs}{header}{note_key}{note_text}'
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>")


def _quoted_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _workbook_xml(sheets: Sequence[SheetData]) -> str:
    entries = "".join(f'<sheet name="{escape(s.name).replace(chr(34), "&quot;")}" '
                      f'sheetId="{i}" r:id="rId{i}"/>' for i, s in enumerate(sheets, start=1))
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f'{escape(_quoted_sheet(s.name))}!$A$1:${column_letter(max(1, len(s.frame.columns)) - 1)}'
        f'${len(s.frame) + 1}</definedName>'
        for i, s in enumerate(sheets) if not s.notes)
    names = f"<definedNames>{filters}</definedNames>" if filters else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} {_NS_R}>'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{entries}</sheets>{names}</workbook>")


def _workbook_rels(count: int) -> str:
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = "".join(f'<Relationship Id="rId{i}" Type="{base}/worksheet" '
                   f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, count + 1))
    rels += (f'<Relationship Id="rId{count + 1}" Type="{base}/styles" Target="styles.xml"/>'
             f'<Relationship Id="rId{count + 2}" Type="{base}/sharedStrings" '
             'Target="sharedStrings.xml"/>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>")


_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
              'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
              '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')


def _content_types(count: int) -> str:
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                     f'ContentType="{main}.worksheet+xml"/>' for i in range(1, count + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types '
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{main}.sharedStrings+xml"/>'
            f"{sheets}</Types>")
