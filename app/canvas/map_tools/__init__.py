"""Map tools: one is active on the canvas at a time and receives events already in map
coordinates (after QGIS's QgsMapTool, with snapping done once by the canvas)."""

from app.canvas.map_tools.base import MapEvent, MapTool
from app.canvas.map_tools.draw import DrawTool, SplitTool
from app.canvas.map_tools.edit import MoveTool, VertexTool
from app.canvas.map_tools.navigate import IdentifyTool, PanTool, ZoomBoxTool
from app.canvas.map_tools.select import BrushSelectTool, PolygonSelectTool, SelectTool

__all__ = ["BrushSelectTool", "DrawTool", "IdentifyTool", "MapEvent", "MapTool", "MoveTool", "PanTool",
           "PolygonSelectTool", "SelectTool", "SplitTool", "VertexTool", "ZoomBoxTool"]
