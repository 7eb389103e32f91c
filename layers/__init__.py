"""Precinct Planner's GUI-free core: project, layers, edits, storage, standards.

Nothing in this package imports PyQt5 or ``app``; a contract in setup.cfg,
checked by the test suite, keeps it so.
"""

__version__ = "0.1.0"
