"""Precinct Planner's Qt desktop shell: main window, map canvas, panels, CLI entry."""
