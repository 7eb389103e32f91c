"""Child process for the two-writers test: opens a project, then saves it on request.

Prints "opened"; then for each line read from stdin ("save" or "overwrite") sets
metadata ``writer`` to its name, saves, and prints "saved" or the error's class name.
"""

import sys

from layers.errors import ProjectFileError
from layers.store import open_project, save_project

path, name = sys.argv[1], sys.argv[2]
project = open_project(path)
print("opened", flush=True)
for line in sys.stdin:
    project.set_metadata(writer=name)
    try:
        save_project(project, path, overwrite=line.strip() == "overwrite")
        print("saved", flush=True)
    except ProjectFileError as exc:
        print(type(exc).__name__, flush=True)
