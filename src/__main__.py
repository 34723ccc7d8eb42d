"""`python -m drusilla`: the same as the `drusilla` command."""

import sys

from .cli import main

sys.exit(main())
