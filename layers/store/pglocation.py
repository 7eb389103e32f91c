"""Where a project lives in PostgreSQL: a connection and a schema.

Two ways to name it, both with the project's schema:

* a URI: ``postgresql://[user[:password]@]host[:port]/db?schema=NAME`` (``postgres://``
  too; any other libpq parameter may follow, e.g. ``&sslmode=require``);
* libpq's key/value form with a service from ``pg_service.conf``:
  ``service=NAME schema=NAME`` (other libpq keywords may be added, e.g. ``dbname=``).

A password is best kept out of the location altogether (``~/.pgpass``, ``PGPASSWORD`` or
the service file). When one is given it is held in memory only to connect: ``str()`` and
every message show the location without it, and nothing of the connection is written
into the project.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from layers.errors import ProjectFileError, T

SCHEMES = ("postgresql://", "postgres://")
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
_KEYWORD = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)")
_FIX_SCHEMA = T("add the project's schema, e.g. postgresql://host/db?schema=city or "
                "'service=team schema=city'",
                "请写明项目所在的模式（schema），例如 postgresql://host/db?schema=city 或 "
                "'service=team schema=city'")


def is_pg_location(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL project (not a file)."""
    if isinstance(location, PgLocation):
        return True
    if not isinstance(location, str):
        return False
    text = location.strip()
    return text.lower().startswith(SCHEMES) or bool(re.match(r"service\s*=", text))


def mask(text: str) -> str:
    """``text`` with any password in it replaced by ``***`` (for messages and logs)."""
    text = re.sub(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", r"\1***@", str(text))
    text = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)", r"\1***", text,
                  flags=re.IGNORECASE)
    return text


def _schema_problem(schema: str) -> T | None:
    if not schema:
        return T("the location names no schema", "位置中没有写明模式（schema）")
    if len(schema.encode()) > MAX_IDENTIFIER_BYTES:
        return T(f"the schema name is longer than {MAX_IDENTIFIER_BYTES} bytes",
                 f"模式名超过 {MAX_IDENTIFIER_BYTES} 字节")
    if schema.lower().startswith("pg_") or schema.lower() == "information_schema":
        return T(f"{schema!r} is one of PostgreSQL's own schemas",
                 f"{schema!r} 是 PostgreSQL 的系统模式")
    if "\x00" in schema:
        return T("the schema name holds a NUL character", "模式名中含有 NUL 字符")
    return None


class PgLocation:
    """A project's place in PostgreSQL; ``conninfo`` connects (password included, if
    given), ``str()`` is safe to show."""

    def __init__(self, text: str) -> None:
        raw = str(text).strip()
        if raw.lower().startswith(SCHEMES):
            self.conninfo, self.schema, self._shown = _from_uri(raw)
        else:
            self.conninfo, self.schema, self._shown = _from_keywords(raw)
        problem = _schema_problem(self.schema)
        if problem is not None:
            raise ProjectFileError(problem, self._shown, _FIX_SCHEMA)

    # what the rest of the app asks of a project's location
    @property
    def name(self) -> str:
        return self.schema

    @property
    def stem(self) -> str:
        return self.schema

    @property
    def suffix(self) -> str:
        return ""

    @property
    def parent(self) -> Path:
        """Where file dialogs start for a project that is no file: the home folder."""
        return Path.home()

    def with_suffix(self, suffix: str) -> Path:
        return Path.home() / f"{self.schema}{suffix}"

    def __str__(self) -> str:
        return self._shown

    def __repr__(self) -> str:
        return f"PgLocation({self._shown!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PgLocation) and (self.conninfo, self.schema) == (
            other.conninfo, other.schema)

    def __hash__(self) -> int:
        return hash((self.conninfo, self.schema))


def _from_uri(raw: str) -> tuple[str, str, str]:
    parts = urlsplit(raw)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((unquote(v) for k, v in query if k == "schema"), "")
    rest = [(k, v) for k, v in query if k != "schema"]
    conninfo = _uri(parts.scheme, parts.netloc, parts.path, urlencode(rest))
    netloc = parts.netloc.rsplit("@", 1)
    if len(netloc) == 2:  # drop the password from what is shown
        netloc = [netloc[0].split(":", 1)[0] + "@" + netloc[1]]
    shown_query = urlencode([(k, v) for k, v in rest if k.lower() != "password"]
                            + [("schema", schema)], quote_via=quote)
    return conninfo, schema, _uri(parts.scheme, netloc[0], parts.path, shown_query)


def _uri(scheme: str, netloc: str, path: str, query: str) -> str:
    # urlunsplit drops the '//' of an empty host (postgresql:///db: the local socket)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _from_keywords(raw: str) -> tuple[str, str, str]:
    pairs = _KEYWORD.findall(raw)
    schema = next((v.strip("'") for k, v in pairs if k == "schema"), "")
    rest = [(k, v) for k, v in pairs if k != "schema"]
    conninfo = " ".join(f"{k}={v}" for k, v in rest)
    shown = " ".join(f"{k}={v}" for k, v in rest if k.lower() != "password")
    return conninfo, schema, f"{shown} schema={schema}"
