"""`python -m drusilla.cli`: the same as the `drusilla` command."""

import sys

from . import main

sys.exit(main())
