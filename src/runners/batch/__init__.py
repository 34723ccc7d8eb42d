"""Batch runs: one run per input, many at once (`Runner.run_batch`; see docs/batch.md).

Nothing here loads with `import drusilla`: `Runner.run_batch` imports `engine` when a batch
starts. `engine` runs the inputs, `run_one` one input, `ray_cluster` chunks on Ray actors;
`items` are what a batch returns, `results` the resumable results file, `progress` the bar.
"""

__all__: list[str] = []
