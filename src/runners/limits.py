"""`UsageLimits`: caps on a run's requests, tokens and sword calls.

Checked before each model call (the call would go past `request_limit`), after each response
(a token limit was passed) and before a turn's sword calls run. A run and every nested run
(agents used as swords) share one count, kept in the root run's scope, so nested runs count
toward their root.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..util.context import current_scope
from ..util.errors import UsageLimitExceeded, UserError
from ..util.usage import Usage

__all__ = ["LimitGuard", "TreeUsage", "UsageLimits", "limit_guard"]

_TREE_COUNT = "drusilla.usage_limits"


@dataclass(frozen=True)
class UsageLimits:
    """Each limit left None is not checked."""

    request_limit: int | None = None
    input_tokens_limit: int | None = None
    output_tokens_limit: int | None = None
    total_tokens_limit: int | None = None
    sword_calls_limit: int | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise UserError(f"UsageLimits({f.name}={value!r}) must be a whole number >= 0.")


@dataclass(eq=False)
class TreeUsage:
    """What a root run and its nested runs have used so far, counted as it happens."""

    usage: Usage
    sword_calls: int = 0


class LimitGuard:
    """Checks one run's `UsageLimits` against the count shared with its root run."""

    def __init__(self, limits: UsageLimits) -> None:
        self.limits = limits
        scope = current_scope()
        if scope is None:  # only built inside run_scope(); standalone use counts alone
            self.tree = TreeUsage(Usage())
        else:
            self.tree = scope.cache.setdefault(_TREE_COUNT, TreeUsage(Usage()))

    def before_request(self) -> None:
        limit = self.limits.request_limit
        if limit is not None and self.tree.usage.requests + 1 > limit:
            raise UsageLimitExceeded(
                f"The next model call would exceed request_limit={limit} "
                f"({self.tree.usage.requests} made). Raise UsageLimits(request_limit=...)."
            )

    def after_response(self, usage: Usage) -> None:
        self.tree.usage.add(usage)
        self._check_tokens()

    def before_swords(self, count: int) -> None:
        limit = self.limits.sword_calls_limit
        if limit is not None and self.tree.sword_calls + count > limit:
            raise UsageLimitExceeded(
                f"Running {count} more sword call(s) would exceed sword_calls_limit={limit} "
                f"({self.tree.sword_calls} run). Raise UsageLimits(sword_calls_limit=...)."
            )
        self.tree.sword_calls += count

    def _check_tokens(self) -> None:
        used = self.tree.usage
        for name, value in (
            ("input_tokens_limit", used.input_tokens),
            ("output_tokens_limit", used.output_tokens),
            ("total_tokens_limit", used.total_tokens),
        ):
            limit = getattr(self.limits, name)
            if limit is not None and value > limit:
                raise UsageLimitExceeded(
                    f"The run used {value} {name.removesuffix('_limit').replace('_', ' ')}, "
                    f"more than {name}={limit}. "
                    f"Raise UsageLimits({name}=...)."
                )


def limit_guard(limits: UsageLimits | None) -> LimitGuard | None:
    """The run's guard, or None when it has no limits (nothing to check per turn)."""
    if limits is None:
        return None
    if not isinstance(limits, UsageLimits):
        raise UserError(f"RunConfig(usage_limits={limits!r}) must be a UsageLimits(...).")
    return LimitGuard(limits)
