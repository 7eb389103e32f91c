"""One place where the shell reports problems and applies commands.

- :func:`show_problem`: a :class:`ProjectError` is shown as its one-line message; any other
  exception (a bug, a GEOS or GDAL error) is logged with its traceback and shown in one
  line with a "Show Details…" button holding the traceback. Nothing ends the process.
- :func:`apply_command`: apply a command (or build one and apply it) through the undo
  stack, or say why not. The project is unchanged when it fails.
- :func:`install_exception_hooks`: an exception escaping a Qt slot or a thread is
  reported the same way instead of aborting the app (PyQt5 calls ``qFatal`` — exit 134 —
  when no ``sys.excepthook`` of our own is set).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from PyQt5.QtWidgets import QMessageBox, QWidget

from layers.errors import ProjectError, T

ERROR_TITLE = T("Precinct Planner — problem", "片区规划 — 出现问题")
UNEXPECTED = T("Unexpected problem: {what}. Your project is unchanged; the details are in {log}.",
               "发生意外问题：{what}。项目未被改动；详细信息已记入 {log}。")
LOG_NAME = "precinct.log"
log = logging.getLogger("precinct")


def log_path() -> Path:
    """Where unexpected problems are logged (``PRECINCT_LOG_DIR`` overrides the folder)."""
    folder = os.environ.get("PRECINCT_LOG_DIR")
    if not folder:
        from platformdirs import user_log_dir

        folder = user_log_dir("precinct-planner", appauthor=False)
    return Path(folder) / LOG_NAME


def _logger() -> logging.Logger:
    target = log_path()
    if not any(getattr(h, "baseFilename", None) == str(target) for h in log.handlers):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(target, maxBytes=2_000_000, backupCount=2,
                                          encoding="utf-8")
        except OSError:
            return log  # a log we cannot write is no reason to fail
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        for old in [h for h in log.handlers if isinstance(h, RotatingFileHandler)]:
            log.removeHandler(old)
            old.close()
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return log


def one_line(exc: BaseException) -> str:
    """``TypeName: first line of the message`` (at most 200 characters)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= 200 else line[:199] + "…"


def traceback_text(exc: BaseException) -> str:
    return getattr(exc, "traceback_text", None) or "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__))


def present(box: QMessageBox) -> None:
    """Show a built message box (tests replace this)."""
    box.exec_()


def show_problem(parent: QWidget | None, exc: BaseException, title: str | None = None) -> str:
    """Tell the person what went wrong; returns the one line shown."""
    title = title or ERROR_TITLE()
    if isinstance(exc, ProjectError):
        text = exc.message()
        QMessageBox.critical(parent, title, text)
        return text
    details = traceback_text(exc)
    _logger().error("unexpected problem: %s\n%s", one_line(exc), details)
    text = UNEXPECTED.format(what=one_line(exc), log=str(log_path()))()
    box = QMessageBox(QMessageBox.Critical, title, text, QMessageBox.Ok, parent)
    box.setObjectName("unexpected_problem")
    box.setDetailedText(details)
    present(box)
    return text


Say = Callable[[str], None]


def guarded(parent: QWidget | None, fn: Callable[..., Any], *args: Any, say: Say | None = None,
            **kwargs: Any) -> tuple[bool, Any]:
    """Run ``fn``; on any exception show it and return ``(False, None)``. With ``say``, a
    :class:`ProjectError` goes there (a status bar, a label) instead of a message box."""
    try:
        return True, fn(*args, **kwargs)
    except ProjectError as exc:
        if say is not None:
            say(exc.message())
        else:
            show_problem(parent, exc)
        return False, None
    except Exception as exc:  # noqa: BLE001 - every problem is shown, none ends the app
        show_problem(parent, exc)
        return False, None


def apply_command(parent: QWidget | None, project, command, say: Say | None = None) -> bool:
    """Apply ``command`` (or ``command()`` when it is a builder) to ``project``'s undo stack;
    a problem is shown (or said, see :func:`guarded`) and False returned, with the project
    as it was."""
    if project is None:
        return False

    def build_and_apply():
        cmd = command() if callable(command) and not hasattr(command, "apply") else command
        if cmd is None:
            return None
        return project.apply(cmd)

    ok, _ = guarded(parent, build_and_apply, say=say)
    return ok


def install_exception_hooks(parent_of: Callable[[], QWidget | None] = lambda: None) -> None:
    """Report exceptions that escape slots and threads instead of ending the process."""

    def hook(exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        try:
            show_problem(parent_of(), exc)
        except Exception:  # noqa: BLE001 - the report itself failed: log it at least
            _logger().exception("could not show a problem")

    def thread_hook(args) -> None:
        _logger().error("unexpected problem in thread %s: %s\n%s", args.thread,
                        one_line(args.exc_value),
                        "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                                           args.exc_traceback)))

    sys.excepthook = hook
    threading.excepthook = thread_hook
