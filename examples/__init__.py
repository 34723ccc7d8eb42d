"""drusilla's examples, shipped with the package so `drusilla demo` can run them anywhere.

Each example is a script: `python examples/<name>.py` (or `drusilla demo <name>`). Its module
docstring's first line is its title; `OFFLINE_REPLAY` holds the scripted model replies that
`drusilla demo` and the tests serve from a local OpenAI-protocol server when no model endpoint
is available (see docs/cli.md).
"""
