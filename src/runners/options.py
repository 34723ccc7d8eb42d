"""The keyword arguments the `Runner` methods share, written once (`Unpack[RunOptions]`).

`Runner.run`, `run_sync` and `run_streamed` take `**options: Unpack[RunOptions]`; the batch
methods take `**options: Unpack[BatchRunOptions]`, the part of them that makes sense for many
inputs at once. Type checkers and IDEs read the keywords from these classes; `check_options`
refuses any other keyword at run time, as a signature would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from ..util.errors import UserError
from ..util.peer_names import PEER_KEYWORDS

if TYPE_CHECKING:
    from ..agents.charms import RunCharms
    from ..sessions.base import Session
    from .config import RunConfig
    from .error_handlers import ErrorHandlers

__all__ = ["BatchRunOptions", "RunOptions", "check_options"]


class BatchRunOptions(TypedDict, total=False):
    """What `Runner.run_batch` starts each of its runs with."""

    context: Any
    """Your object, handed to swords, shields, charms and instructions (`ctx.context`)."""
    run_config: RunConfig | None
    """Settings for the whole run (model, limits, tracing ...); see docs/runner.md."""
    max_turns: int | None
    """Model calls allowed; `MaxTurnsError` past it (default: `DRUSILLA_MAX_TURNS`, 10)."""


class RunOptions(BatchRunOptions, total=False):
    """The keywords of `Runner.run`, `run_sync` and `run_streamed` (see docs/runner.md)."""

    charms: RunCharms[Any] | None
    """Hooks for the whole run (`RunCharms`); an agent's own go on `Agent(charms=...)`."""
    session: Session | None
    """Where the conversation is kept between runs (docs/sessions.md)."""
    timeout: float | None
    """Seconds the whole run may take; `RunTimeoutError` past it."""
    error_handlers: ErrorHandlers | None
    """Turn an error into a final output instead: `{"max_turns": fn}` (docs/runner.md)."""


def check_options(method: str, options: Mapping[str, Any], allowed: Any, *also: str) -> None:
    """Refuse a keyword that `allowed` (a TypedDict above) does not have, naming the keywords
    `method` takes: those of `allowed`, and `also` (its own)."""
    unknown = options.keys() - allowed.__optional_keys__
    if not unknown:
        return
    keyword = min(unknown)
    hint = f" did you mean {PEER_KEYWORDS[keyword]}?" if keyword in PEER_KEYWORDS else ""
    known = ", ".join(sorted([*allowed.__optional_keys__, *also]))
    raise UserError(
        f"{method}() got an unexpected keyword argument {keyword!r};{hint} its keywords are "
        f"{known}."
    )
