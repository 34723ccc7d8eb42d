"""Swords: functions the model may call.

`@sword` turns a sync or async function into a `Sword`: the JSON schema comes from its type hints
(through pydantic), the description and parameter docs from its docstring, and an optional first
parameter typed `RunContextWrapper` (or `SwordContext`) is injected and hidden from the schema.
Arguments are validated before the call; sync functions run in worker threads.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    Protocol,
    TypeAlias,
    get_origin,
    get_type_hints,
    overload,
    runtime_checkable,
)

from ..models.interface import SwordSpec
from ..models.items import FunctionCallItem
from ..util.context import RunContextWrapper, SwordContext
from ..util.errors import UserError
from ..util.json_schema import drop_titles, strict_json_schema
from ..util.messages import message
from ..util.threads import sword_threads
from .docstrings import parse_docstring

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

__all__ = [
    "FailureErrorFunction",
    "FunctionSignature",
    "PartsOutput",
    "StopAtSwords",
    "Sword",
    "SwordArgumentsError",
    "SwordResult",
    "SwordUseBehavior",
    "SwordsToFinalOutputResult",
    "default_sword_error_function",
    "format_validation_error",
    "output_text",
    "parse_arguments_json",
    "sword",
]


FailureErrorFunction: TypeAlias = Callable[
    [RunContextWrapper[Any], Exception], str | Awaitable[str]
]
IsEnabled: TypeAlias = bool | Callable[[RunContextWrapper[Any], Any], Any]
"""Whether gear is offered this turn: a bool, or `fn(ctx, agent) -> bool` (sync or async). The
agent parameter is `Any` because tools/ sits below agents/: annotate yours `agent: Agent[Any]`."""


NeedsApproval: TypeAlias = bool | Callable[[RunContextWrapper[Any], Any], bool | Awaitable[bool]]
"""Whether a call waits for a person's approval: always, or decided per call from the parsed
arguments (see docs/approvals.md)."""


class SwordArgumentsError(Exception):
    """The model's arguments were not JSON or did not validate; the model is told and may retry."""


def default_sword_error_function(ctx: RunContextWrapper[Any], error: Exception) -> str:
    """The text the model sees when a sword raises: what failed, so it can recover."""
    name = ctx.sword_name if isinstance(ctx, SwordContext) else "?"
    if isinstance(error, TimeoutError):
        return message("sword_timeout", sword=name, timeout=getattr(error, "timeout", "?"))
    return message("sword_error", sword=name, error=str(error) or type(error).__name__)


@dataclass(eq=False)
class Sword:
    """A function the model may call.

    `on_invoke(ctx, arguments_json)` does the work. Build one with `@sword`, `Agent.as_sword()`,
    or directly for full control (raise `SwordArgumentsError` for arguments the model got wrong).
    """

    name: str
    description: str
    params_json_schema: dict[str, Any]
    on_invoke: Callable[[SwordContext[Any], str], Awaitable[Any]]
    strict_json_schema: bool = True
    """Offer the model a strict schema when the parameters allow one (all required)."""
    failure_error_function: FailureErrorFunction | None = default_sword_error_function
    """Turns an exception into text for the model; None makes a failure end the run."""
    timeout: float | None = None
    is_enabled: IsEnabled = True
    """Offer the sword this turn? A bool or `fn(ctx, agent) -> bool`; see docs/swords.md."""
    max_retries: int | None = None
    """How often `ModelRetry` may send the model back per run; None: DRUSILLA_SWORD_MAX_RETRIES."""
    needs_approval: NeedsApproval = False
    """True, or `fn(ctx, arguments) -> bool`: the call waits for `state.approve(...)`."""
    nested_agent: Any = field(default=None, repr=False)
    """The `Agent` behind `Agent.as_sword()` (so a saved run finds it again by name), or None."""
    validate_arguments: Callable[[str], Any] | None = field(default=None, repr=False)
    """`fn(arguments_json)` raising `SwordArgumentsError` for arguments the sword cannot run
    with (`@sword` gives its parameters' check); None: checked against `params_json_schema`."""
    spec: SwordSpec = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise UserError(f"A sword needs a non-empty string name, got {self.name!r}.")
        if not (isinstance(self.is_enabled, bool) or callable(self.is_enabled)):
            raise UserError(
                f"Sword {self.name!r}: is_enabled={self.is_enabled!r} must be a bool or a "
                "function (ctx, agent) -> bool."
            )
        retries = self.max_retries
        if retries is not None and (
            not isinstance(retries, int) or isinstance(retries, bool) or retries < 0
        ):
            raise UserError(f"Sword {self.name!r}: max_retries={retries!r} must be 0 or more.")
        if not isinstance(self.needs_approval, bool) and not callable(self.needs_approval):
            raise UserError(
                f"Sword {self.name!r}: needs_approval={self.needs_approval!r} must be True, "
                "False or a function (ctx, arguments) -> bool."
            )
        strict = strict_json_schema(self.params_json_schema) if self.strict_json_schema else None
        self.spec = SwordSpec(
            name=self.name,
            description=self.description,
            parameters=strict if strict is not None else self.params_json_schema,
            strict=strict is not None,
        )

    def checked_arguments(self, arguments: str) -> dict[str, Any]:
        """The call's arguments as the JSON object the sword takes, checked against its
        parameters before anything is decided on them (approvals); `SwordArgumentsError` says
        what is wrong, for the model to retry."""
        parsed = parse_arguments_json(arguments)
        if not isinstance(parsed, dict):
            raise SwordArgumentsError(
                f"arguments must be a JSON object, got {type(parsed).__name__} ({arguments!r})"
            )
        if self.validate_arguments is not None:
            self.validate_arguments(arguments)
        else:
            self._schema_check(parsed)
        return parsed

    def _schema_check(self, parsed: dict[str, Any]) -> None:
        validator = self.__dict__.get("_schema_validator")
        if validator is None:
            from jsonschema.validators import validator_for  # loaded when first needed

            schema = self.params_json_schema
            validator = validator_for(schema)(schema)
            self.__dict__["_schema_validator"] = validator
        problems = [
            f"{'.'.join(str(part) for part in error.absolute_path) or 'arguments'}: {error.message}"
            for error in validator.iter_errors(parsed)
        ]
        if problems:
            raise SwordArgumentsError("; ".join(problems))


# --- @sword ------------------------------------------------------------------------------------

F: TypeAlias = Callable[..., Any]


@overload
def sword(fn: F, /) -> Sword: ...


@overload
def sword(
    *,
    name: str | None = None,
    description: str | None = None,
    failure_error_function: FailureErrorFunction | None = default_sword_error_function,
    timeout: float | None = None,
    strict: bool = True,
    is_enabled: IsEnabled = True,
    max_retries: int | None = None,
    needs_approval: NeedsApproval = False,
) -> Callable[[F], Sword]: ...


def sword(
    fn: F | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    failure_error_function: FailureErrorFunction | None = default_sword_error_function,
    timeout: float | None = None,
    strict: bool = True,
    is_enabled: IsEnabled = True,
    max_retries: int | None = None,
    needs_approval: NeedsApproval = False,
) -> Sword | Callable[[F], Sword]:
    """Make a `Sword` from a function; use bare (`@sword`) or with options (`@sword(name=...)`)."""
    # Hints naming classes local to the decorating scope (a test, a notebook cell's function)
    # only resolve with that scope's namespace.
    caller_locals = dict(sys._getframe(1).f_locals)

    def build(func: F) -> Sword:
        if isinstance(func, Sword):
            raise UserError(f"{func.name!r} is already a sword; apply @sword only once.")
        if not callable(func):
            raise UserError(f"@sword needs a function, got {func!r}.")
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            raise UserError(f"@sword(timeout={timeout!r}) must be a positive number of seconds.")
        signature = FunctionSignature.of(func, caller_locals)
        doc = parse_docstring(func.__doc__)
        schema = signature.json_schema(doc.params)
        return Sword(
            name=name or func.__name__,
            description=description if description is not None else doc.description,
            params_json_schema=schema,
            on_invoke=signature.invoker(func),
            strict_json_schema=strict,
            failure_error_function=failure_error_function,
            timeout=timeout,
            is_enabled=is_enabled,
            max_retries=max_retries,
            needs_approval=needs_approval,
            validate_arguments=signature.parse,
        )

    if fn is not None:
        return build(fn)
    return build


def _is_context_type(annotation: Any) -> bool:
    target = get_origin(annotation) or annotation
    return inspect.isclass(target) and issubclass(target, RunContextWrapper)


@functools.cache
def _reserved_names() -> frozenset[str]:
    """Names a parameter cannot keep as a field of the arguments model (BaseModel's own)."""
    from pydantic import BaseModel

    return frozenset(dir(BaseModel))


def _field_for(param: inspect.Parameter) -> Any:
    """The pydantic field of one parameter; a `Field(...)` default keeps its constraints."""
    from pydantic import Field
    from pydantic.fields import FieldInfo

    if isinstance(param.default, FieldInfo):
        return FieldInfo.merge_field_infos(param.default, Field(alias=param.name))
    default = ... if param.default is param.empty else param.default
    return Field(default, alias=param.name)


@dataclass
class FunctionSignature:
    """A function's parameters as a pydantic model, and how to call it with validated arguments."""

    func_name: str
    takes_context: bool
    arguments_model: type[BaseModel]
    field_to_param: dict[str, str]

    @classmethod
    def of(cls, func: F, local_names: dict[str, Any] | None = None) -> FunctionSignature:
        func_name = getattr(func, "__name__", repr(func))
        try:
            hints = get_type_hints(func, localns=local_names, include_extras=True)
        except Exception as exc:
            raise UserError(
                f"Cannot read the type hints of {func_name!r} ({exc}). Make every annotation "
                "importable at module level."
            ) from exc
        params = list(inspect.signature(func).parameters.values())
        takes_context = bool(params) and _is_context_type(hints.get(params[0].name))
        fields: dict[str, Any] = {}
        field_to_param: dict[str, str] = {}
        for param in params[1 if takes_context else 0 :]:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise UserError(
                    f"Sword {func_name!r} takes *{param.name}; a sword needs named parameters "
                    "the model can fill. Replace it with explicit parameters."
                )
            annotation = hints.get(param.name, Any)
            if _is_context_type(annotation):
                raise UserError(
                    f"In sword {func_name!r}, the context parameter {param.name!r} must come first."
                )
            field_name = f"p_{param.name}" if param.name in _reserved_names() else param.name
            fields[field_name] = (annotation, _field_for(param))
            field_to_param[field_name] = param.name
        from pydantic import ConfigDict, create_model  # loaded by the first @sword, not on import

        model = create_model(
            f"{func_name}_arguments",
            __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
            **fields,
        )
        return cls(func_name, takes_context, model, field_to_param)

    def json_schema(self, docs: dict[str, str]) -> dict[str, Any]:
        import pydantic

        try:
            schema = self.arguments_model.model_json_schema(by_alias=True)
        except pydantic.PydanticUserError as exc:  # pragma: no cover - depends on the hint
            raise UserError(f"Sword {self.func_name!r}: {exc}") from exc
        except Exception as exc:
            raise UserError(
                f"Sword {self.func_name!r} has a parameter type with no JSON schema ({exc}). "
                "Use JSON-friendly types (str, int, lists, pydantic models ...)."
            ) from exc
        drop_titles(schema)
        for param_name, doc in docs.items():
            prop = schema.get("properties", {}).get(param_name)
            if isinstance(prop, dict) and doc and "description" not in prop:
                prop["description"] = doc
        schema.setdefault("properties", {})
        return schema

    def parse(self, arguments: str) -> dict[str, Any]:
        """Validated keyword arguments from the model's JSON (raises SwordArgumentsError)."""
        try:
            parsed = self.arguments_model.model_validate_json(arguments or "{}")
        except Exception as exc:
            from pydantic import ValidationError  # here, not per call: pydantic is loaded

            if not isinstance(exc, ValidationError):
                raise
            raise SwordArgumentsError(format_validation_error(exc)) from None
        return {param: getattr(parsed, name) for name, param in self.field_to_param.items()}

    def invoker(self, func: F) -> Callable[[SwordContext[Any], str], Awaitable[Any]]:
        is_async = inspect.iscoroutinefunction(func)
        takes_context = self.takes_context

        async def invoke(ctx: SwordContext[Any], arguments: str) -> Any:
            kwargs = self.parse(arguments)
            if is_async:
                return await (func(ctx, **kwargs) if takes_context else func(**kwargs))
            call = (
                functools.partial(func, ctx, **kwargs)
                if takes_context
                else functools.partial(func, **kwargs)
            )
            result = await sword_threads.run(call, getattr(func, "__name__", repr(func)))
            if inspect.isawaitable(result):  # a sync wrapper returning a coroutine
                result = await result
            return result

        return invoke


def format_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "arguments"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)


@runtime_checkable
class PartsOutput(Protocol):
    """A sword output the model reads as content parts (text and images), not as one string.

    `text` is its text form (logs, traces, `output_text`); `input_parts()` gives Responses-style
    parts (`input_text`, `input_image`) for the model, or None when the text says it all.
    MCP results with images are such outputs.
    """

    @property
    def text(self) -> str: ...

    def input_parts(self) -> list[dict[str, Any]] | None: ...


def output_text(value: Any) -> str:
    """How a sword's return value reads to the model."""
    if isinstance(value, str):
        return value
    if is_parts_output(value):
        return str(value.text)
    pydantic = sys.modules.get("pydantic")  # no BaseModel exists before pydantic is loaded
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return str(value.model_dump_json())
    import pydantic_core

    try:
        return pydantic_core.to_json(value).decode()
    except Exception:
        return str(value)


# --- running sword calls -----------------------------------------------------------------------


@dataclass(slots=True)
class SwordResult:
    """The outcome of one sword call: what the sword returned and what the model is told."""

    call: FunctionCallItem
    sword: Sword | None
    output: Any
    output_text: str
    error: Exception | None = None
    parts: list[dict[str, Any]] | None = None
    """Content parts (text and images) the model is sent instead of `output_text`, if any."""


def is_parts_output(value: Any) -> bool:
    """Whether a sword's output is a `PartsOutput`. Attribute checks, not isinstance: a
    runtime-checkable Protocol's isinstance costs microseconds, paid on every sword call."""
    return callable(getattr(value, "input_parts", None)) and hasattr(value, "text")


# --- sword_use_behavior ------------------------------------------------------------------------


@dataclass(frozen=True)
class StopAtSwords:
    """End the run when any of these swords is called; its output is the final output."""

    sword_names: Sequence[str]

    def __post_init__(self) -> None:
        if isinstance(self.sword_names, str):
            object.__setattr__(self, "sword_names", [self.sword_names])


@dataclass(frozen=True)
class SwordsToFinalOutputResult:
    """What a `sword_use_behavior` function decides: stop with `final_output`, or ask again."""

    is_final_output: bool
    final_output: Any = None


SwordUseBehavior: TypeAlias = (
    Literal["run_llm_again", "stop_on_first_sword"]
    | StopAtSwords
    | Callable[
        [RunContextWrapper[Any], list[SwordResult]],
        SwordsToFinalOutputResult | Awaitable[SwordsToFinalOutputResult],
    ]
)


def parse_arguments_json(arguments: str) -> Any:
    """The model's arguments as JSON, or SwordArgumentsError saying why they are not."""
    try:
        return json.loads(arguments or "{}")
    except json.JSONDecodeError as exc:
        raise SwordArgumentsError(f"arguments are not valid JSON ({exc})") from None
