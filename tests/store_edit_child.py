"""Child process for the concurrent-editing tests: one planner's app on a PostGIS project.

Opens the project (argv[1]) and prints {"opened": true}; then reads one JSON command per
line and answers one JSON line:
  {"op": "edit", "layer": L, "values": {fid: {field: value}}}  -> {"ok": true}
  {"op": "save"}            -> {"saved": true} or {"error": class, "message", "conflicts"}
  {"op": "resolve", "choices": [[layer, fid, choice], ...]}   -> {"ok": true}
  {"op": "listen"}          -> {"ok": true}  (LISTENs on the project's channel)
  {"op": "poll"}            -> {"notices": [{"schema", "token", "layers"}]}
"""

import json
import sys
import time

from layers.commands import ChangeAttributes
from layers.errors import ProjectFileError
from layers.store import open_project, save_project
from layers.store.pgconflicts import resolve_conflicts
from layers.store.pgnotify import SaveListener

project = open_project(sys.argv[1])
listener = None
print(json.dumps({"opened": True}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    if op == "edit":
        layer = project.layer(cmd["layer"])
        project.apply(ChangeAttributes(layer.id, {int(f): v for f, v in cmd["values"].items()}))
        out = {"ok": True}
    elif op == "save":
        try:
            save_project(project)
            out = {"saved": True}
        except ProjectFileError as exc:
            out = {"error": type(exc).__name__, "message": str(exc),
                   "conflicts": [[c.layer, c.fid, c.name]
                                 for c in getattr(exc, "conflicts", [])]}
    elif op == "resolve":
        resolve_conflicts(project, {(layer, int(fid)): choice
                                    for layer, fid, choice in cmd["choices"]})
        out = {"ok": True}
    elif op == "listen":
        listener = SaveListener(sys.argv[1])
        out = {"ok": True}
    elif op == "poll":
        deadline = time.monotonic() + float(cmd.get("wait", 0))
        notices = listener.poll()
        while not notices and time.monotonic() < deadline:
            time.sleep(0.05)
            notices = listener.poll()
        out = {"notices": [n.__dict__ for n in notices]}
    else:
        out = {"error": "unknown op"}
    print(json.dumps(out, ensure_ascii=False), flush=True)
