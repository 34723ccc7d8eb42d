"""The Runner, its turn loop, configuration, results, run items, stream events and context."""

__all__: list[str] = []
