"""Other open apps learn that a planner saved: PostgreSQL NOTIFY on commit, LISTEN here.

Every save to a schema sends, in its transaction (so only when it commits), a
notification on the schema's channel (:func:`channel`) whose payload is JSON:
``{"schema", "token", "layers": {layer name: rows written, -1 = whole layer}}``; the token
is the save's (:class:`~layers.store.postgis.PgStamp`), so a client can ignore its own.

:class:`SaveListener` holds one autocommit connection that LISTENs; :meth:`~SaveListener.
poll` never blocks, so a GUI may call it from a timer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from layers.store.pglocation import MAX_IDENTIFIER_BYTES, PgLocation

PREFIX = "precinct_"
MAX_PAYLOAD = 7000  # PostgreSQL refuses payloads of 8000 bytes or more


def channel(schema: str) -> str:
    """The schema's channel name (an identifier: at most 63 bytes)."""
    name = PREFIX + schema
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    return PREFIX + hashlib.sha1(schema.encode()).hexdigest()


def notify(cur: Any, schema: str, token: str, layers: dict[str, int]) -> None:
    """Queue the save's notification (sent when the transaction commits)."""
    payload = json.dumps({"schema": schema, "token": token, "layers": layers},
                         ensure_ascii=False)
    if len(payload.encode()) > MAX_PAYLOAD:
        payload = json.dumps({"schema": schema, "token": token, "layers": {}})
    cur.execute("SELECT pg_notify(%s, %s)", (channel(schema), payload))


@dataclass(frozen=True)
class SaveNotice:
    """One save another client committed."""

    schema: str
    token: str
    layers: dict[str, int]


class SaveListener:
    """LISTENs on a project's channel; ``poll()`` returns the saves committed since."""

    def __init__(self, location: PgLocation | str) -> None:
        import psycopg
        from psycopg import sql

        from layers.store.postgis import connect_error

        self.pg = location if isinstance(location, PgLocation) else PgLocation(location)
        try:
            self._con = psycopg.connect(self.pg.conninfo, autocommit=True, connect_timeout=15,
                                        application_name="precinct-planner-listen")
        except psycopg.Error as exc:
            raise connect_error(exc, str(self.pg)) from None
        self._con.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel(self.pg.schema))))

    def poll(self, ignore_token: str | None = None) -> list[SaveNotice]:
        """The saves notified since the last call (not blocking); ``ignore_token`` drops
        the notification of one's own save."""
        import psycopg

        out = []
        try:
            for note in self._con.notifies(timeout=0):
                try:
                    data = json.loads(note.payload)
                except ValueError:
                    continue
                if data.get("token") != ignore_token:
                    out.append(SaveNotice(str(data.get("schema", "")),
                                          str(data.get("token", "")),
                                          dict(data.get("layers") or {})))
        except psycopg.Error:
            return out  # the server went away: nothing more to hear
        return out

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> SaveListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
