"""`results_path=`: a batch's results as JSON Lines, appended as runs finish, read back to resume.

One line per finished run: `{"index", "input", "input_sha256", "final_output", "error",
"usage", "run_id"}`, `error` being `{"type", "message"}` or null. Running the same batch again
with the same path skips the inputs whose line says they finished; failed inputs run again
(their new line comes later in the file, and the last line for an index wins). A crash can
leave half a line at the end: it is cut off before anything is appended. A complete line that
is damaged (not UTF-8, not JSON, a field of the wrong type) is skipped with a warning
(`batch.results.damaged_line`), so its input runs again. A line for an input other than the
batch's (different inputs, or a different file) is an error rather than a silently wrong resume.

`input` is written masked (util/masking.py), so a secret in an input never reaches the file;
lines are matched to inputs by `input_sha256`, the SHA-256 of the input's unmasked JSON, which
a masked text could never match.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pydantic_core

from ...tracing.jsonable import known_secrets, to_jsonable
from ...util.errors import UserError
from ...util.logging import get_logger
from ...util.usage import Usage
from ..state_schema import saved_usage
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
        fingerprints = [_fingerprint(value) for value in inputs] if lines else []
        finished: dict[int, BatchItem] = {}
        for number, line in enumerate(lines, 1):
            try:
                document, usage = _read(line)
            except ValueError as exc:  # a damaged line: its input runs again
                get_logger().warning(
                    "batch.results.damaged_line", path=str(where), line=number, problem=str(exc)
                )
                continue
            index = document["index"]
            _check_belongs(document, inputs, fingerprints, f"{str(where)!r}, line {number}")
            if document.get("error") is None:
                finished[index] = _resumed_item(index, inputs[index], document, usage)
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
            "input_sha256": _fingerprint(item.input),
            "final_output": to_jsonable(item.final_output, self._secrets),
            "error": None
            if error is None
            else {"type": type(error).__name__, "message": to_jsonable(str(error), self._secrets)},
            "usage": asdict(item.usage),
            "run_id": item.run_id,
        }


def _fingerprint(value: Any) -> str:
    """SHA-256 of `value`'s JSON, unmasked and with sorted keys: what matches a line to its
    input (the hash tells nothing of a secret in it)."""
    plain = pydantic_core.to_jsonable_python(value, fallback=repr)
    text = json.dumps(plain, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _complete_lines(path: Path) -> list[bytes]:
    """The file's complete lines; half a line at the end (a crash mid-write) is cut off."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as file:
            file.truncate(end)
    return [line for line in data[:end].split(b"\n") if line.strip()]


def _read(line: bytes) -> tuple[dict[str, Any], Usage]:
    """The line as a checked JSON object, and its usage; ValueError saying what is damaged."""
    try:
        document = json.loads(line)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None
    except ValueError as exc:  # not UTF-8, not JSON, a number too long to read
        raise ValueError(f"it is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ValueError("it is not a JSON object")
    index = document.get("index")
    if type(index) is not int or index < 0:
        raise ValueError(f"its index {index!r} is not an input's position")
    for name in ("input_sha256", "run_id"):
        if document.get(name) is not None and not isinstance(document[name], str):
            raise ValueError(f"its {name} {document[name]!r} is not a string")
    error = document.get("error")
    if error is not None and not (isinstance(error, dict) and isinstance(error.get("type"), str)):
        raise ValueError(f"its error {error!r} is neither null nor a type and a message")
    return document, saved_usage(document.get("usage") or {})


def _check_belongs(
    document: dict[str, Any], inputs: list[Any], fingerprints: list[str], where: str
) -> None:
    """A UserError if the line is for an input other than the batch's (another batch's file)."""
    index = document["index"]
    if index >= len(inputs):
        raise UserError(
            f"results_path {where}, is for input {index}, but the batch has {len(inputs)} "
            "inputs: the file belongs to another batch. Give a new path."
        )
    if "input_sha256" in document:
        same = document["input_sha256"] == fingerprints[index]
    else:  # written before fingerprints: the input itself, as it was written
        same = document.get("input") == to_jsonable(inputs[index])
    if not same:
        raise UserError(
            f"results_path {where}: input {index} there differs from input {index} of this "
            "batch, so the file belongs to another batch. Give a new path."
        )


def _resumed_item(index: int, input: Any, document: dict[str, Any], usage: Usage) -> BatchItem:
    return BatchItem(
        index=index,
        input=input,
        final_output=document.get("final_output"),
        error=None,
        usage=usage,
        run_id=document.get("run_id"),
        resumed=True,
    )
