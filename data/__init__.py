"""Resource package: standards tables, schemas and the bundled sample project.

Holds no logic. Code reaches these files only through :mod:`layers.resources`.
"""
