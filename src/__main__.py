"""`python -m drusilla`: the same as the `drusilla` command."""

import sys

from .cli import main

__all__: list[str] = []

sys.exit(main())
