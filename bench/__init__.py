"""Benchmarks: drusilla against the OpenAI Agents SDK and Pydantic AI.

`python -m bench` runs every scenario on every framework, each framework in fresh subprocesses,
and writes docs/benchmarks.md. See bench/README.md.
"""

# The catalog first, whichever bench module is imported: it imports the modules that register
# scenarios (catalog.MODULES), and they import it back for `Scenario`.
from . import catalog as catalog
