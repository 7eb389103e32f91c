"""Text encodings of the files planners receive: DBF (shapefile attributes) and CSV.

A shapefile from a Chinese housing bureau often comes without a ``.cpg`` and
with GBK/GB18030 bytes in its DBF (field names included). GDAL then guesses
from the DBF's language driver id (LDID, byte 29), which many writers leave at
0, and the Chinese text turns into mojibake. We read the raw header field
names and a sample of records and pick the first decoding that works strictly:
UTF-8, then GB18030 (a superset of GBK and GB2312). The LDID is only a hint
for the rare bytes that decode both ways.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio

from layers.errors import T

# LDID → Python codec (the ones planners meet; ESRI's table has many more)
LDID_CODECS = {
    0x4D: "gb18030",  # 936 Chinese GBK (ArcGIS)
    0x7A: "gb18030",  # 936 PRC GBK (dBASE)
    0x78: "big5",     # 950 Traditional Chinese
    0x57: None,       # "ANSI": the writer's system code page, unknown
    0x01: "cp437",
    0x02: "cp850",
    0x03: "cp1252",
    0x13: "cp932",
    0x4E: "cp949",
    0xC8: "cp1250",
    0xC9: "cp1251",
}
SAMPLE_RECORDS = 500
CANDIDATES = ("utf-8", "gb18030")
# GDAL's names for what we pass as ``encoding=`` (iconv spells them like this)
GDAL_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030", "gbk": "CP936", "big5": "BIG5"}


@dataclass(frozen=True)
class EncodingGuess:
    """The encoding chosen for a DBF and why."""

    encoding: str          # a Python codec name ("utf-8", "gb18030", ...)
    reason: T
    ldid: int | None = None
    has_cpg: bool = False

    @property
    def gdal_name(self) -> str:
        return GDAL_NAMES.get(self.encoding, self.encoding.upper())


def normalise_codec(name: str) -> str:
    """'GBK', 'cp936', 'GB2312' → 'gb18030' (its superset); 'UTF8' → 'utf-8'."""
    key = name.strip().lower().replace("_", "-")
    if key in ("utf8", "utf-8", "utf-8-sig"):
        return "utf-8"
    if key in ("gbk", "cp936", "gb2312", "gb18030", "936", "euc-cn"):
        return "gb18030"
    return key


def dbf_raw_texts(data: bytes) -> tuple[int, list[bytes], list[bytes]]:
    """LDID, raw field names and raw character values of the first records of a DBF."""
    if len(data) < 32:
        raise ValueError("DBF header is truncated")
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    ldid = data[29]
    names: list[bytes] = []
    char_fields: list[tuple[int, int]] = []
    offset = 1  # the deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        desc = data[pos:pos + 32]
        names.append(desc[:11].split(b"\x00", 1)[0])
        ftype, flen = chr(desc[11]), desc[16]
        if ftype in "CM":
            char_fields.append((offset, flen))
        offset += flen
        pos += 32
    values: list[bytes] = []
    for i in range(min(n_records, SAMPLE_RECORDS)):
        start = header_len + i * record_len
        record = data[start:start + record_len]
        if len(record) < record_len:
            break
        for off, length in char_fields:
            value = record[off:off + length].rstrip(b" \x00")
            if value and any(b > 0x7F for b in value):
                values.append(value)
    return ldid, names, values


def _decodes(chunks: list[bytes], codec: str) -> bool:
    try:
        for chunk in chunks:
            chunk.decode(codec, errors="strict")
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def guess_dbf_encoding(data: bytes, has_cpg: bool = False) -> EncodingGuess:
    """Choose how to decode a DBF from its bytes (header + leading records)."""
    ldid, names, values = dbf_raw_texts(data)
    chunks = [n for n in names if any(b > 0x7F for b in n)] + values
    if not chunks:
        return EncodingGuess("utf-8", T("the attributes are plain ASCII", "属性均为 ASCII 字符"),
                             ldid, has_cpg)
    for codec in CANDIDATES:
        if _decodes(chunks, codec):
            return EncodingGuess(codec, T(f"field names and values decode as {codec}",
                                          f"字段名和属性值可按 {codec} 解码"), ldid, has_cpg)
    hinted = LDID_CODECS.get(ldid)
    if hinted and _decodes(chunks, hinted):
        return EncodingGuess(hinted, T(f"decoded as {hinted} (DBF language id {ldid:#04x})",
                                       f"按 DBF 语言标识 {ldid:#04x} 以 {hinted} 解码"), ldid, has_cpg)
    return EncodingGuess("gb18030", T("no encoding decodes every value; GB18030 used, some "
                                      "characters may be wrong",
                                      "没有一种编码能解码全部属性值，已按 GB18030 读取，个别字符可能有误"),
                         ldid, has_cpg)


def _dbf_bytes_in_zip(zip_path: Path, member_shp: str) -> tuple[bytes | None, bool]:
    stem = member_shp[:-4]
    with zipfile.ZipFile(zip_path) as zf:
        names = {n.lower(): n for n in zf.namelist()}
        dbf = names.get((stem + ".dbf").lower())
        cpg = names.get((stem + ".cpg").lower())
        if dbf is None:
            return None, cpg is not None
        with zf.open(dbf) as fh:
            return fh.read(1 << 20), cpg is not None


def shapefile_encoding(path: Path, zip_member: str | None = None) -> EncodingGuess | None:
    """The encoding to pass to GDAL for a shapefile without .cpg (None: let GDAL use the .cpg)."""
    if zip_member is not None:
        data, has_cpg = _dbf_bytes_in_zip(path, zip_member)
    else:
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()),
                   None)
        has_cpg = any(p.exists() for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")))
        data = dbf.open("rb").read(1 << 20) if dbf is not None else None
    if data is None or has_cpg:
        return None
    return guess_dbf_encoding(data, has_cpg)


def decode_text_file(raw: bytes, encoding: str = "auto") -> tuple[str, str]:
    """Text of a CSV-like file and the codec used (strict UTF-8, then GB18030, unless given)."""
    if encoding != "auto":
        codec = normalise_codec(encoding)
        return raw.decode(codec, errors="strict"), codec
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8"
    for codec in CANDIDATES:
        try:
            return raw.decode(codec, errors="strict"), codec
        except UnicodeDecodeError:
            continue
    return raw.decode("gb18030", errors="replace"), "gb18030 (lossy)"


DBF_NAME_BYTES = 10


def dbf_field_names(columns: list[str]) -> dict[str, str]:
    """Column → DBF field name of at most 10 UTF-8 bytes, cut on character boundaries
    (GDAL cuts bytes, which splits a Chinese character) and kept unique."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        name = ""
        for ch in str(col):
            if len((name + ch).encode("utf-8")) > DBF_NAME_BYTES:
                break
            name += ch
        base, n = name or "field", 1
        while name.lower() in used or not name:
            suffix = f"_{n}"
            name = base
            while len((name + suffix).encode("utf-8")) > DBF_NAME_BYTES:
                name = name[:-1]
            name += suffix
            n += 1
        used.add(name.lower())
        out[col] = name
    return out


def write_shapefile(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write a shapefile in UTF-8 with a ``.cpg`` saying so (what every reader then gets right).

    Field names longer than a DBF allows are shortened whole characters at a time."""
    path = Path(path)
    gdf = gdf.rename(columns=dbf_field_names([c for c in gdf.columns if c != gdf.geometry.name]))
    pyogrio.write_dataframe(gdf, path, driver="ESRI Shapefile", encoding="UTF-8")
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg.write_text("UTF-8", encoding="ascii")
    return path
