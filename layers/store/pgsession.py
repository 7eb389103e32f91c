"""One server connection kept open per project opened from (or saved to) PostGIS.

Connecting costs more than a save of one feature (the handshake, then the server loading
PostGIS into the new backend on first use of a geometry), so a project keeps the
connection its read used and saves through it (:class:`PgSession`, held by the project's
:class:`~layers.store.pgrevs.PgBase`). A connection the server dropped meanwhile (restart,
idle timeout) is replaced: :meth:`PgSession.run` retries the work once on a new
connection when the old one failed before the server answered anything (so nothing of
it can have been committed). :func:`release` closes a project's connection (the window
does when it closes or shows another project); a project dropped without it closes its
connection when it is garbage-collected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project
    from layers.store.pglocation import PgLocation

R = TypeVar("R")


class Answered:
    """Set by a piece of work once the server answered it (see :meth:`PgSession.run`)."""

    def __init__(self) -> None:
        self.yes = False


class PgSession:
    """A kept connection to ``pg``'s server (autocommit: every use is an explicit
    transaction, READ COMMITTED unless it says otherwise)."""

    def __init__(self, pg: PgLocation) -> None:
        self.pg = pg
        self._con: Any = None

    @property
    def open(self) -> bool:
        return self._con is not None and not self._con.closed

    def connection(self, fresh: bool = False) -> Any:
        """The connection, idle and ready; a new one when ``fresh`` or the old one is
        closed, broken or left inside a transaction."""
        import psycopg
        from psycopg.pq import TransactionStatus

        con = self._con
        if con is not None and not fresh and not con.closed and not con.broken:
            status = con.info.transaction_status
            if status == TransactionStatus.IDLE:
                return con
            if status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
                try:
                    con.rollback()
                    return con
                except psycopg.Error:
                    pass
        self.close()
        from layers.store.postgis import connect_error

        try:
            # autocommit: the store begins its transactions itself (psycopg's own BEGIN in
            # a pipeline would cost a round trip of its own); con.transaction() still works
            self._con = psycopg.connect(self.pg.conninfo, autocommit=True, connect_timeout=15,
                                        application_name="precinct-planner")
        except psycopg.Error as exc:
            raise connect_error(exc, str(self.pg)) from None
        return self._con

    def run(self, work: Callable[[Any, Answered], R]) -> R:
        """``work(connection, answered)``; when it fails because the connection is dead
        and ``answered.yes`` is still False (the work sets it after its first reply from
        the server), once more on a new connection."""
        import psycopg

        for attempt in (0, 1):
            con = self.connection(fresh=attempt == 1)
            answered = Answered()
            try:
                return work(con, answered)
            except psycopg.OperationalError:
                if attempt == 1 or answered.yes or not (con.closed or con.broken):
                    raise
            finally:
                if not con.closed and not con.broken:
                    from psycopg.pq import TransactionStatus

                    if con.info.transaction_status != TransactionStatus.IDLE:
                        try:
                            con.rollback()
                        except psycopg.Error:
                            pass
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            try:
                con.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may complain
                pass

    def __del__(self) -> None:
        self.close()


def session_of(project: Project) -> PgSession | None:
    base = getattr(project.file_stamp, "base", None)
    return getattr(base, "session", None)


def release(project: Project | None) -> None:
    """Close the server connection ``project`` keeps (if any); a later save reconnects."""
    session = session_of(project) if project is not None else None
    if session is not None:
        session.close()
