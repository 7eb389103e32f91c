"""The GUI-free editing core the map tools call.

Every ``*_command`` function checks an edit and returns a command (not yet
applied); ``project.apply(cmd)`` applies it as one undo step. Errors a person
can cause are :class:`~layers.errors.EditError` in English and Chinese.
"""

from layers.editing.common import GeometryEdit
from layers.editing.geometry import (
    add_feature_command,
    delete_command,
    merge_command,
    move_command,
    split_command,
)
from layers.editing.snapping import SnapIndex, SnapResult
from layers.editing.topology import (
    TopologyIssue,
    check_project_topology,
    check_topology,
    default_gap_tolerance,
    default_min_area,
    fix_gap_command,
    fix_overlap_command,
)
from layers.editing.vertices import (
    delete_vertex_command,
    deleted_vertex,
    insert_vertex_command,
    inserted_vertex,
    move_vertex_command,
    moved_vertex,
    nearest_segment,
    nearest_vertex,
    shared_vertices,
)

__all__ = [
    "GeometryEdit", "SnapIndex", "SnapResult", "TopologyIssue",
    "add_feature_command", "check_project_topology", "check_topology", "default_gap_tolerance",
    "default_min_area", "delete_command", "delete_vertex_command", "deleted_vertex",
    "fix_gap_command", "fix_overlap_command", "insert_vertex_command", "inserted_vertex",
    "merge_command", "move_command", "move_vertex_command", "moved_vertex", "nearest_segment",
    "nearest_vertex", "shared_vertices", "split_command",
]
