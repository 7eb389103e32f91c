"""The ``precinct`` command line: Qt-free (the map-sheet renderer is the one lazy exception).

``main`` parses and dispatches; each subcommand lives in its own module; ``output``
holds what they print with.
"""

from app.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
