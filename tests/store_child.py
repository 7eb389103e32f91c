"""Child process for the kill-during-save test: saves version after version forever."""

import sys

from layers.commands import ChangeAttributes
from layers.store import open_project, save_project

path = sys.argv[1]
project = open_project(path)
layer = project.layer("communities")
version = int(project.metadata["version"])
while True:
    version += 1
    project.set_metadata(version=version)
    project.apply(ChangeAttributes(layer.id, {fid: {"households": version}
                                              for fid in layer.gdf.index}))
    print(f"saving {version}", flush=True)
    save_project(project, path)
    print(f"saved {version}", flush=True)
