"""`python -m drusilla.cli`: the same as the `drusilla` command."""

import sys

from . import main

__all__: list[str] = []

sys.exit(main())
