"""The ``precinct`` command line: Qt-free (the map-sheet renderer is the one lazy exception).

``app.cli.main`` parses and dispatches (the console script is ``app.cli.main:main``); each
subcommand lives in its own module; ``app.cli.output`` holds what they print with.
"""
