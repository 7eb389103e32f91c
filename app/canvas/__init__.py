"""The map canvas: the view, its painter and paths, map tools, and the map-sheet renderer."""
