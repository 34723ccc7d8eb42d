"""What a batch gives back: one `BatchItem` per input, and the `BatchResult` summing them up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...util.usage import Usage

__all__ = ["BatchItem", "BatchResult"]


@dataclass(slots=True)
class BatchItem:
    """The outcome of one input of a batch."""

    index: int
    """The input's position in the batch."""
    input: Any
    final_output: Any
    """The run's final output; None when it failed. Resumed from a results file: its JSON form."""
    error: Exception | None
    """The error that ended the run (a `RunnerError`, with its partial run in `run_data`), or
    None when the run finished."""
    usage: Usage
    run_id: str | None
    resumed: bool = False
    """True when the result was read back from `results_path`, not run this time."""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class BatchResult:
    """Every input's `BatchItem`, in input order, and what they add up to."""

    results: list[BatchItem]
    seconds: float
    """Wall time of the batch (this run of it, when resumed)."""
    usage: Usage = field(init=False)

    def __post_init__(self) -> None:
        self.usage = Usage()
        for item in self.results:
            self.usage.add(item.usage)

    @property
    def done(self) -> int:
        """Inputs whose run finished with a final output."""
        return sum(1 for item in self.results if item.error is None)

    @property
    def failed(self) -> int:
        return len(self.results) - self.done

    @property
    def failures(self) -> list[BatchItem]:
        return [item for item in self.results if item.error is not None]

    @property
    def final_outputs(self) -> list[Any]:
        """Each input's final output in input order (None for a failed one)."""
        return [item.final_output for item in self.results]

    def __str__(self) -> str:
        return (
            f"BatchResult(inputs={len(self.results)}, done={self.done}, failed={self.failed}, "
            f"seconds={self.seconds:.2f}, usage={self.usage})"
        )
