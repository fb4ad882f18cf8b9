"""``python -m cnnapps <command> ...``: the command-line face of the public API."""

import sys

from cnnapps.cli import main

sys.exit(main())
