"""Orbs: handing the conversation to another agent.

On the wire an orb is a sword named `transfer_to_<agent_name>`; when the model calls it, the run
continues with the target agent, which sees the history (after the orb's `input_filter`).

An `Orb` is generic over the agent it hands off to, and `OrbInputData` over the run items it
carries, so that tools/ names neither `Agent` nor `RunItem` (both sit above it): `orb(agent)`
gives an `Orb[Agent[...]]`, and the runner hands a filter an `OrbInputData[RunItem]`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeAlias

from typing_extensions import TypeVar

from ..models.interface import SwordSpec
from ..models.items import InputItem
from ..util.concurrency import maybe_await
from ..util.context import RunContextWrapper
from ..util.errors import UserError
from ..util.json_schema import drop_titles, strict_json_schema
from .swords import IsEnabled, SwordArgumentsError, format_validation_error

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = [
    "Orb",
    "OrbInputData",
    "OrbInputFilter",
    "OrbTarget",
    "as_orb",
    "default_orb_description",
    "default_orb_name",
    "orb",
    "remove_all_swords",
    "snake_case",
]


class OrbTarget(Protocol):
    """What an orb reads of the agent it hands off to (an `Agent`)."""

    @property
    def name(self) -> str: ...

    @property
    def orb_description(self) -> str | None: ...


TItem = TypeVar("TItem", default=Any)
"""The run items an `OrbInputData` carries: `RunItem` when the runner builds it."""
TTarget = TypeVar("TTarget", bound=OrbTarget, default=Any)
"""The agent an `Orb` hands off to: `Agent[...]` when `orb(agent)` builds it."""


@dataclass(frozen=True)
class OrbInputData(Generic[TItem]):
    """What the target agent will see; an `input_filter` returns a changed copy.

    Annotate a filter's argument `OrbInputData[RunItem]` to see the run items typed."""

    input_history: tuple[InputItem, ...]
    """The run's input (and session history) before any item the run produced."""
    pre_orb_items: tuple[TItem, ...]
    """Run items produced before the turn in which the orb was called."""
    new_items: tuple[TItem, ...]
    """Run items of the orb's turn, including the orb call and its output."""

    def clone(self, **changes: Any) -> OrbInputData[TItem]:
        return replace(self, **changes)


OrbInputFilter: TypeAlias = Callable[
    [OrbInputData[Any]], OrbInputData[Any] | Awaitable[OrbInputData[Any]]
]


@dataclass(eq=False)
class Orb(Generic[TTarget]):
    """A hand-off to `agent`, offered to the model as the sword `sword_name`."""

    agent: TTarget
    sword_name: str
    sword_description: str
    input_json_schema: dict[str, Any]
    on_invoke_orb: Callable[[RunContextWrapper[Any], str], Awaitable[None]]
    input_filter: OrbInputFilter | None = None
    strict_json_schema: bool = True
    is_enabled: IsEnabled = True
    """Offer the orb this turn? A bool or `fn(ctx, agent) -> bool`; see docs/orbs.md."""
    spec: SwordSpec = field(init=False, repr=False)

    def __post_init__(self) -> None:
        strict = strict_json_schema(self.input_json_schema) if self.strict_json_schema else None
        self.spec = SwordSpec(
            name=self.sword_name,
            description=self.sword_description,
            parameters=strict if strict is not None else self.input_json_schema,
            strict=strict is not None,
        )


def snake_case(name: str) -> str:
    """ "Billing Agent" and "BillingAgent" both become "billing_agent"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", spaced).strip("_").lower()


def default_orb_name(agent_name: str) -> str:
    return f"transfer_to_{snake_case(agent_name)}"


def default_orb_description(agent: OrbTarget) -> str:
    extra = f" {agent.orb_description}" if agent.orb_description else ""
    return f"Hand off to the {agent.name} agent to handle the request.{extra}"


def orb(
    agent: TTarget,
    *,
    name: str | None = None,
    description: str | None = None,
    on_orb: Callable[..., Any] | None = None,
    input_type: Any = None,
    input_filter: OrbInputFilter | None = None,
    is_enabled: IsEnabled = True,
) -> Orb[TTarget]:
    """An orb to `agent`.

    `on_orb(ctx)` — or `on_orb(ctx, input)` with `input_type` — runs when the model takes it;
    the model's arguments are validated against `input_type` first (errors go back to the model).
    """
    # Checked by what orb() reads, not by class: the Agent class sits above the gear.
    if not isinstance(getattr(agent, "name", None), str) or not hasattr(agent, "orb_description"):
        raise UserError(
            f"orb() needs an Agent to hand off to, got {type(agent).__name__} {agent!r}."
        )
    if not (isinstance(is_enabled, bool) or callable(is_enabled)):
        raise UserError(
            f"orb(is_enabled={is_enabled!r}) must be a bool or a function (ctx, agent) -> bool."
        )
    if on_orb is not None and input_type is not None:
        _require_params(on_orb, 2, "on_orb with input_type must accept (ctx, input)")
    elif on_orb is not None:
        _require_params(on_orb, 1, "on_orb without input_type must accept (ctx)")

    adapter: TypeAdapter[Any] | None = None
    schema: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
    if input_type is not None:
        adapter, schema = _input_adapter(input_type)

    async def invoke(ctx: RunContextWrapper[Any], arguments: str) -> None:
        if adapter is None:
            if on_orb is not None:
                await maybe_await(on_orb(ctx))
            return
        from pydantic import ValidationError

        try:
            value = adapter.validate_json(arguments or "{}")
        except ValidationError as exc:
            raise SwordArgumentsError(format_validation_error(exc)) from None
        if on_orb is not None:
            await maybe_await(on_orb(ctx, value))

    return Orb(
        agent=agent,
        sword_name=name or default_orb_name(agent.name),
        sword_description=description or default_orb_description(agent),
        input_json_schema=schema,
        on_invoke_orb=invoke,
        input_filter=input_filter,
        is_enabled=is_enabled,
    )


def _input_adapter(input_type: Any) -> tuple[TypeAdapter[Any], dict[str, Any]]:
    """The validator of an orb's `input_type` and its JSON schema (pydantic loads here, with
    the first orb that takes input, not with `import drusilla`)."""
    from pydantic import TypeAdapter

    try:
        adapter: TypeAdapter[Any] = TypeAdapter(input_type)
        return adapter, drop_titles(adapter.json_schema())
    except Exception as exc:
        raise UserError(
            f"orb input_type={input_type!r} cannot be turned into a JSON schema ({exc}). "
            "Use a pydantic model, dataclass or TypedDict."
        ) from exc


def _require_params(fn: Callable[..., Any], count: int, hint: str) -> None:
    try:
        inspect.signature(fn).bind(*([None] * count))
    except TypeError:
        raise UserError(f"{fn!r}: {hint}.") from None
    except ValueError:  # builtins without a signature: trust the caller
        pass


def as_orb(target: TTarget | Orb[TTarget]) -> Orb[TTarget]:
    """An agent listed in `orbs=` means `orb(agent)`."""
    if isinstance(target, Orb):
        return target
    return orb(target)


# --- ready-made input filters ------------------------------------------------------------------

_SWORD_ITEM_TYPES = frozenset({"function_call", "function_call_output"})


def _is_sword_item(item: Any) -> bool:
    """A run item of a sword or orb call or result: known by its wire item, so a new kind of
    run item needs no entry here."""
    return item.to_input_item().get("type") in _SWORD_ITEM_TYPES


def remove_all_swords(data: OrbInputData[Any]) -> OrbInputData[Any]:
    """Drop every sword (and orb) call and result from the history handed over."""
    return OrbInputData(
        input_history=tuple(
            item for item in data.input_history if item.get("type") not in _SWORD_ITEM_TYPES
        ),
        pre_orb_items=tuple(item for item in data.pre_orb_items if not _is_sword_item(item)),
        new_items=tuple(item for item in data.new_items if not _is_sword_item(item)),
    )
