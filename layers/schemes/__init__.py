"""Scheme versions (方案): named snapshots kept inside the project, listed, restored as one
undo step, deleted, and compared the way a reviewer asks (:mod:`.diff`)."""

from layers.schemes.book import (
    CURRENT_NAMES,
    AddScheme,
    DeleteScheme,
    delete_scheme,
    find_scheme,
    restore_scheme,
    save_scheme,
    scheme_names,
    scheme_project,
    snapshot,
)

__all__ = ["CURRENT_NAMES", "AddScheme", "DeleteScheme", "delete_scheme", "find_scheme",
           "restore_scheme", "save_scheme", "scheme_names", "scheme_project", "snapshot"]
