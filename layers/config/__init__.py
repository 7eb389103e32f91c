"""Per-project settings: one undoable command for any change (:mod:`.command`) and the
keys a user lists and sets with ``precinct config`` or the programme panel (:mod:`.keys`).

Nothing is imported here, so core modules can use :mod:`.command` without a cycle.
"""
