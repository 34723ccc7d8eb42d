"""An earlier eval's report, rebuilt from its results file without running anything: the
baseline `drusilla eval --compare OLD.jsonl` compares with."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic_evals import Dataset
from pydantic_evals.reporting import EvaluationReport

from ..runners.batch.items import BatchItem
from ..util.errors import RunnerError, UserError
from ..util.logging import get_logger
from ..util.usage import Usage
from .evaluate import judge_cache_path, report_from_items
from .judge import JudgeCache

__all__ = ["read_results", "report_of_file"]


async def report_of_file(
    dataset: Dataset[Any, Any, Any], path: str | os.PathLike[str], *, repeat: int = 1
) -> EvaluationReport[Any, Any, Any]:
    """The report of the eval whose results are in `path` (run with the same `repeat`); its
    judges answer from that file's verdict cache. A case missing from the file is a failure."""
    items = read_results(Path(path))
    cache = JudgeCache(judge_cache_path(path))
    return await report_from_items(dataset, items, repeat, cache, Path(path).stem)


def read_results(path: Path) -> dict[int, BatchItem]:
    """Each index's last line in a results file; a damaged line (the half line a crash can
    leave at the end, or a garbled one) is skipped with a warning, its case a failure."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"Cannot read the results file {str(path)!r}: {exc}.") from None
    items: dict[int, BatchItem] = {}
    for number, line in enumerate(text.splitlines(), 1):
        item = _item(line)
        if item is not None:
            items[item.index] = item
        elif line.strip():
            get_logger().warning("eval.results.damaged_line", path=str(path), line=number)
    return items


def _item(line: str) -> BatchItem | None:
    try:
        document = json.loads(line)
        index = document["index"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(index, int) or isinstance(index, bool):
        return None
    error = document.get("error")
    failure = RunnerError(f"{error.get('type')}: {error.get('message')}") if error else None
    output = None if failure else document.get("final_output")
    return BatchItem(index, document.get("input"), output, failure, Usage(), None, resumed=True)
