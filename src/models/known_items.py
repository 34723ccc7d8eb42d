"""Conversations drusilla has already checked, so a run's input that starts with one is checked
(and cleared of lone surrogates) only past it.

A run's input is usually the last run's `to_input_list()` plus a new message, or a list the
application keeps and extends. Checking every item again cost a one-turn run over a 5,000-item
history most of its time. So the items of each checked input and of each `to_input_list()` are
remembered (the latest few conversations, by their first item), and an input whose head is the
same item objects, in order, is taken as checked that far. The comparison is `==` on the lists:
identical items match at C speed, and an equal copy of a checked item is as good as the item.

An item changed in place after it was checked is not checked again: items are plain dicts,
and the one way to know they did not change would be to look at all of them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["KnownConversations", "known_conversations"]


class KnownConversations:
    """The latest `capacity` checked conversations, keyed by the identity of their first item."""

    __slots__ = ("_by_first", "_last", "_lock", "capacity", "items_checked")

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = capacity
        self._by_first: OrderedDict[int, list[Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._last: tuple[list[Any], int, int] | None = None  # see known_head(keep=True)
        self.items_checked = 0
        """Items checked one by one so far (the head of a known conversation is not): what a
        test counts to see that an input was not checked again."""

    def remember(self, items: list[Any]) -> None:
        """`items` (a list of its own, never changed afterwards) hold only well-formed items."""
        if not items:
            return
        key = id(items[0])  # held alive by the entry, so the id cannot be reused meanwhile
        with self._lock:  # runs on several threads (run_sync) share it
            self._by_first.pop(key, None)
            self._by_first[key] = items
            if len(self._by_first) > self.capacity:
                self._by_first.popitem(last=False)

    def known_head(self, items: list[Any], keep: bool = False) -> int:
        """How many of `items`, from the start, are a conversation known to be well-formed.

        `keep=True`: the next call, if it asks about the same (unchanged-length) list, gets the
        answer without comparing again — a run's input is looked at twice in a row as it starts
        (lone surrogates, then the check). Only the next call: a list changed later is compared
        again."""
        last, self._last = self._last, None
        if last is not None and last[0] is items and last[1] == len(items):
            return last[2]
        head = self._head(items)
        if keep:
            self._last = (items, len(items), head)
        return head

    def _head(self, items: list[Any]) -> int:
        if not items:
            return 0
        known = self._by_first.get(id(items[0]))
        if known is None or known[0] is not items[0] or len(known) > len(items):
            return 0
        size = len(known)
        return size if items[:size] == known else 0


known_conversations = KnownConversations()
