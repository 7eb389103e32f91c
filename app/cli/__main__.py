"""``python -m app.cli`` runs the ``precinct`` command."""

import sys

from app.cli.main import main

sys.exit(main())
