"""The Runner, its turn loop, configuration, results, run items, stream events and context."""
