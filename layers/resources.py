"""The one way into the ``data`` resource package (standards, sample project).

Works the same from a source checkout, an editable install and an installed wheel,
because it asks the import system where ``data`` lives instead of guessing paths.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir() -> Path:
    """Directory of the bundled ``data`` package."""
    return Path(str(resources.files("data")))


def data_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``data_path("standards", "services.csv")``."""
    return data_dir().joinpath(*parts)


def sample_project_path() -> Path:
    """The committed ``small`` sample city project."""
    return data_path("sample", "sample_city_small.gpkg")
