"""Span lines for the JSONL exporter: ended spans are kept as they ended, and their lines made
a batch at a time when their batch is written.

A span's end only takes a snapshot (`Ended`: its record — kind, name, ids, times, a copy of its
attributes, its error — and a long input's items, as they are at that moment). The writer (the
trace writer thread, the run's own thread when its run ends, a flush, the exit) makes the
lines of the batch it takes in one call of the encoder, and screens their text for secrets in
one pass; when that finds something, span by span (attributes and error: what `Span.to_dict`
masks), and a span with something to mask is written as `Span.to_dict` would write it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from ..util.logging import get_logger
from ..util.masking import json_bytes_need_masking
from .background import Chunk
from .item_texts import LONG, table
from .jsonable import dumps_json_bytes, dumps_lines, to_jsonable
from .spans import Span

__all__ = ["Ended", "encode_lines", "ended"]


class Ended(NamedTuple):
    """A span as it ended, waiting for its line to be made."""

    target: Path
    record: dict[str, Any]
    """The span's JSON form before masking, `attributes` and `error` last (what is masked):
    a copy of its attributes at its end, a long input replaced by a placeholder."""
    items: list[Any] | None
    """A long input's items (after its base: a history), spliced into the line from their texts
    kept joined (`ItemTexts`); None when the input is no list or a short one, written with the
    span's other attributes."""
    secrets: tuple[str, ...]


def ended(
    target: Path, span: Span, secrets: tuple[str, ...], base: tuple[str, int] | None = None
) -> Ended:
    """`span`'s snapshot for `target`; `base` links its input to another span's in place of
    `span.input_base` (an earlier trace's in the same file)."""
    attributes = span.attributes.copy()
    record = {
        "kind": span.kind,
        "name": span.name,
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "started_at": span.started_at,
        "ended_at": span.ended_at,
        "attributes": attributes,
        "error": span.error,
    }
    items = attributes.get("input")
    if type(items) is not list:
        return _new(Ended, (target, record, None, secrets))
    base = base or span.input_base
    if base is not None:
        attributes["input_base"] = {"span_id": base[0], "items": base[1]}
        items = items[base[1] :]
    if len(items) < LONG:  # a turn's new items: encoded with the span itself
        attributes["input"] = items[:] if base is None else items
        return _new(Ended, (target, record, None, secrets))
    attributes["input"] = _INPUT_PLACEHOLDER
    return _new(Ended, (target, record, items[:] if base is None else items, secrets))


_new = tuple.__new__
"""Makes an `Ended` in C (a NamedTuple's own constructor is Python code): one per span."""


_INPUT_PLACEHOLDER = f"\x00drusilla-input-{os.urandom(8).hex()}\x00"
_ENCODED_PLACEHOLDER = json.dumps(_INPUT_PLACEHOLDER).encode()  # as orjson writes it
_ATTRIBUTES = b',"attributes":'


def encode_lines(batch: list[Ended]) -> list[list[Chunk]]:
    """The lines of `batch` (spans for one file, in order) as groups of UTF-8 chunks, each
    group whole lines: usually one group, the whole batch made in one call of the encoder and
    screened in one pass (`_together`), else one group per span, each screened (and masked)
    on its own. A span that cannot be encoded at all is left out and logged (never seen: its
    masked form always encodes)."""
    together = _together(batch)
    if together is not None:
        return [together]
    lines = []
    for entry in batch:
        text = _masked(entry, _encoded(entry.record))
        if isinstance(text, bytes):
            lines.append(_chunks(entry, text))
        else:
            get_logger().warning("trace.span_dropped", span=entry.record["name"], error=repr(text))
    return lines


_MOST_CHUNKS = 256
"""A batch holding more spans with long inputs is written span by span (a system call takes
so many buffers at most)."""


def _together(batch: list[Ended]) -> list[Chunk] | None:
    """The whole batch's lines from one encoder call, when nothing in them needs masking (one
    screen of the text; a secret-looking span name, screened though never masked, sends the
    batch span by span) and its spans know the same secrets (unless one was registered
    meanwhile); long inputs spliced in from their joined texts."""
    secrets = batch[0].secrets
    if any(entry.secrets != secrets for entry in batch):
        return None
    text = dumps_lines([entry.record for entry in batch])
    if text is None or json_bytes_need_masking(text, secrets):
        return None
    spliced = [entry for entry in batch if entry.items is not None]
    if not spliced:
        return [text]
    parts = text.split(_ENCODED_PLACEHOLDER)
    if len(parts) != len(spliced) + 1 or len(spliced) * 4 > _MOST_CHUNKS:
        return None
    chunks: list[Chunk] = [parts[0]]
    for entry, part in zip(spliced, parts[1:], strict=True):
        chunks += (b"[", *table.chunks(entry.items or [], secrets), b"]", part)
    return chunks


def _encoded(record: dict[str, Any]) -> bytes | Exception:
    try:
        return dumps_json_bytes(record)
    except (TypeError, ValueError, RecursionError) as exc:
        return exc


def _masked(entry: Ended, text: bytes | Exception) -> bytes | Exception:
    if isinstance(text, bytes):
        tail = text[text.find(_ATTRIBUTES) :]
        if not json_bytes_need_masking(tail, entry.secrets):
            return text
    return _encoded(_masked_record(entry))


def _chunks(entry: Ended, text: bytes) -> list[Chunk]:
    if entry.items is None:
        return [text, b"\n"]
    head, tail = text.split(_ENCODED_PLACEHOLDER, 1)
    items = table.chunks(entry.items, entry.secrets)
    return [head, b"[", *items, b"]", tail, b"\n"]


def _masked_record(entry: Ended) -> dict[str, Any]:
    """As `Span.to_dict` masks (the input items are masked one by one, `ItemTexts`)."""
    record = entry.record
    return {
        **record,
        "attributes": to_jsonable(record["attributes"], entry.secrets),
        "error": to_jsonable(record["error"], entry.secrets),
    }
