"""Importing what planners have: formats, encodings, Chinese map offsets, repair, networks.

GUI-free. The one entry point most callers need is :func:`import_layer`; the
import dialog and ``precinct import`` use the pieces (read, map, prepare) too.
"""

from layers.importing.core import ImportReport, import_layer, prepare_import
from layers.importing.encoding import guess_dbf_encoding, shapefile_encoding, write_shapefile
from layers.importing.georef import parse_coords
from layers.importing.mapping import auto_map
from layers.importing.network import StreetNetwork, build_network, import_street_network, network_for
from layers.importing.read import Source, read_source
from layers.importing.repair import Repair

__all__ = ["ImportReport", "Repair", "Source", "StreetNetwork", "auto_map", "build_network",
           "guess_dbf_encoding", "import_layer", "import_street_network", "network_for", "parse_coords",
           "prepare_import", "read_source", "shapefile_encoding", "write_shapefile"]
