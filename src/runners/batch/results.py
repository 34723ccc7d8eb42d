"""`results_path=`: a batch's results as JSON Lines, appended as runs finish, read back to resume.

One line per finished run: `{"index", "input", "final_output", "error", "usage", "run_id"}`,
`error` being `{"type", "message"}` or null. Running the same batch again with the same path
skips the inputs whose line says they finished; failed inputs run again (their new line comes
later in the file, and the last line for an index wins). A crash can leave half a line at the
end: it is cut off before anything is appended. A line for an input other than the batch's
(different inputs, or a different file) is an error rather than a silently wrong resume.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ...tracing.jsonable import known_secrets, to_jsonable
from ...util.errors import UserError
from ...util.usage import Usage
from .items import BatchItem

__all__ = ["ResultsFile"]


class ResultsFile:
    """An open results file: what earlier runs finished, and where new lines go."""

    def __init__(self, path: Path, finished: dict[int, BatchItem]) -> None:
        self.path = path
        self.finished = finished
        self._secrets = known_secrets()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    @classmethod
    def open(cls, path: str | os.PathLike[str], inputs: list[Any]) -> ResultsFile:
        where = Path(path)
        lines = _complete_lines(where) if where.exists() else []
        finished: dict[int, BatchItem] = {}
        for number, line in enumerate(lines, 1):
            index, document = _parse(line, number, where, inputs)
            if document.get("error") is None:
                finished[index] = _resumed_item(index, inputs[index], document)
            else:
                finished.pop(index, None)
        return cls(where, finished)

    def append(self, item: BatchItem) -> None:
        """Write `item`'s line in one `write` to a file opened for appending."""
        line = json.dumps(self._document(item), ensure_ascii=False, separators=(",", ":"))
        os.write(self._fd, (line + "\n").encode())

    def close(self) -> None:
        os.close(self._fd)

    def _document(self, item: BatchItem) -> dict[str, Any]:
        error = item.error
        return {
            "index": item.index,
            "input": to_jsonable(item.input, self._secrets),
            "final_output": to_jsonable(item.final_output, self._secrets),
            "error": None
            if error is None
            else {"type": type(error).__name__, "message": to_jsonable(str(error), self._secrets)},
            "usage": asdict(item.usage),
            "run_id": item.run_id,
        }


def _complete_lines(path: Path) -> list[str]:
    """The file's complete lines; half a line at the end (a crash mid-write) is cut off."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as file:
            file.truncate(end)
    return [line for line in data[:end].decode().splitlines() if line.strip()]


def _parse(line: str, number: int, path: Path, inputs: list[Any]) -> tuple[int, dict[str, Any]]:
    try:
        document = json.loads(line)
        index = document["index"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"results_path {str(path)!r}, line {number}, is not a batch result ({exc}). "
            "Give a new path, or remove the file to start the batch over."
        ) from None
    if not isinstance(index, int) or not 0 <= index < len(inputs):
        raise UserError(
            f"results_path {str(path)!r}, line {number}, is for input {index!r}, but the batch "
            f"has {len(inputs)} inputs: the file belongs to another batch. Give a new path."
        )
    if document.get("input") != to_jsonable(inputs[index]):
        raise UserError(
            f"results_path {str(path)!r}, line {number}: input {index} there differs from input "
            f"{index} of this batch, so the file belongs to another batch. Give a new path."
        )
    return index, document


def _resumed_item(index: int, input: Any, document: dict[str, Any]) -> BatchItem:
    return BatchItem(
        index=index,
        input=input,
        final_output=document.get("final_output"),
        error=None,
        usage=Usage(**(document.get("usage") or {})),
        run_id=document.get("run_id"),
        resumed=True,
    )
