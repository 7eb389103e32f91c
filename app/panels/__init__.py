"""Docked panels: layer tree, attribute table, identify, and the analysis panels.

Panels never import each other (an import-linter contract); they share ``app.panels.base``."""
