"""Conversation items as JSON, kept by identity: each item a run sees is encoded (and masked)
once per process, and a long history is kept joined so that the next run over it splices its
text rather than encoding it again (the JSONL exporter's span lines, tracing/lines.py)."""

from __future__ import annotations

import itertools
import operator
from typing import Any

from .background import Chunk
from .jsonable import dumps_json, plain_json, plain_texts, to_jsonable

__all__ = ["LONG", "ItemTexts", "Joined", "shared_count", "table"]


LONG = 64
"""Inputs from this many items on are kept joined and anchored."""
_JOINED_BYTES = 64 << 20
"""The joined texts kept, at most (the latest one is kept whatever its size)."""


def shared_count(items: list[Any], earlier: list[Any]) -> int:
    """How many leading items `items` has in common with `earlier` (equal ones count, as
    `tracing.inputs` links spans: list comparison checks identity first, in C)."""
    count = min(len(items), len(earlier))
    head = items if count == len(items) else items[:count]  # a whole list is not copied
    if head == (earlier if count == len(earlier) else earlier[:count]):
        return count
    if items[: count - 1] == earlier[: count - 1]:  # a new last message: the usual case
        return count - 1
    same = list(map(operator.is_, items[:count], earlier))
    return same.index(False) if False in same else count


class ItemTexts:
    """Each conversation item's JSON (UTF-8), kept by identity for the whole process.

    Runs see the same item objects again and again — a history passed back in, a session's
    items, the growing conversation of a run — so each item is encoded (and masked) once and
    its text spliced into later lines. An entry holds its item, so no other object can take
    that id while the entry lives; a change of the known secrets empties the table. Looking up
    a known list runs at C speed (`map`), which keeps a traced run with a long history cheap.

    A long list (a history given to a run) is also kept joined, by its first item
    (`Joined`): the next run over the same history finds the items it shares with it in one
    list comparison and splices that part of the joined text, uncopied, into its line — only
    the items after it (the new user message) are looked up and joined.
    """

    _LIMIT = 100_000
    _JOINED_LIMIT = 8

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Any, bytes]] = {}
        self._secrets: tuple[str, ...] = ()
        self._joined: dict[int, Joined] = {}

    def chunks(self, items: list[Any], secrets: tuple[str, ...]) -> list[Chunk]:
        """The items' JSON texts, comma-separated, as chunks to write one after the other."""
        self._fresh(secrets)
        if len(items) < LONG:
            return [self._join(items)]
        joined = self._joined.get(id(items[0]))
        shared = joined.shared_with(items) if joined is not None else 0
        if joined is None or shared * 2 < len(joined.items):
            joined = self._keep_joined(items)
            shared = len(items)
        elif shared == len(joined.items) and (len(items) - shared) * 4 > shared:
            joined = self._keep_joined(items)  # grown by a quarter: rejoin, the rest stays short
            shared = len(items)
        head = joined.head(shared)
        if shared == len(items):
            return [head]
        return [head, b",", self._join(items[shared:])]

    def _fresh(self, secrets: tuple[str, ...]) -> None:
        if secrets != self._secrets or len(self._texts) > self._LIMIT:
            self._texts, self._joined = {}, {}
            self._secrets = secrets

    def _keep_joined(self, items: list[Any]) -> Joined:
        joined = Joined(items, self._texts_of(items))
        key, kept = id(items[0]), self._joined
        kept.pop(key, None)
        kept[key] = joined
        for oldest in list(kept):  # list(): spans end on several threads
            sizes = [len(entry.text) for entry in list(kept.values())]
            if oldest == key or (len(sizes) <= self._JOINED_LIMIT and sum(sizes) <= _JOINED_BYTES):
                break
            kept.pop(oldest, None)
        return joined

    def _join(self, items: list[Any]) -> bytes:
        return b",".join(self._texts_of(items))

    def _texts_of(self, items: list[Any]) -> list[bytes]:
        texts = self._texts
        found: list[Any] = list(map(texts.get, map(id, items)))
        if None in found:
            missing = [items[index] for index, entry in enumerate(found) if entry is None]
            # one screen for a turn's new items together; one by one when it finds something
            plain = plain_texts(missing, self._secrets)
            new = iter(plain if plain is not None else [])
            for index, entry in enumerate(found):
                if entry is None:
                    item = items[index]
                    text = next(new) if plain is not None else _item_text(item, self._secrets)
                    found[index] = texts[id(item)] = (item, text)
        return list(map(_TEXT, found))


class Joined:
    """A long list of items (a copy, which keeps them alive) and their texts joined once."""

    __slots__ = ("_ends", "items", "text")

    def __init__(self, items: list[Any], texts: list[bytes]) -> None:
        self.items = list(items)
        self.text = memoryview(b",".join(texts))
        self._ends = list(itertools.accumulate(map(len, texts)))

    def shared_with(self, items: list[Any]) -> int:
        return shared_count(items, self.items)

    def head(self, count: int) -> memoryview:
        """The joined text of the first `count` items (no copy)."""
        return self.text[: self._ends[count - 1] + count - 1] if count else self.text[:0]


_TEXT = operator.itemgetter(1)
table = ItemTexts()
"""The process's one table (the JSONL exporters share it)."""


def _item_text(item: Any, secrets: tuple[str, ...]) -> bytes:
    return (plain_json(item, secrets) or dumps_json(to_jsonable(item, secrets))).encode()
