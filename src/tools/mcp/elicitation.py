"""Elicitation: an MCP server asks the person a question in the middle of a call.

`elicitation_handler=` on a server is an async function given an `ElicitationRequest` (the
server's message and the JSON schema of the answer it wants, or a URL to visit) that returns an
`ElicitationResult`: accepted with content, declined, or cancelled. Accepted content is checked
against the schema before it is sent; content that does not match never reaches the server,
which gets a JSON-RPC error instead (and its tool call fails with that error).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ...util.errors import UserError
from ...util.logging import get_logger

if TYPE_CHECKING:
    from mcp.client.session import ClientRequestContext
    from mcp_types import ElicitRequestParams, ElicitResult, ErrorData

__all__ = [
    "ElicitationHandler",
    "ElicitationRequest",
    "ElicitationResult",
    "Elicitor",
    "check_elicitation_handler",
    "invalid_content",
]

_MAX_REPORTED_ERRORS = 5


@dataclass(frozen=True, slots=True)
class ElicitationRequest:
    """What a server asks the person: `message`, and either `schema` (a form: a JSON object
    schema of flat properties) or `url` (a page to visit, e.g. to sign in)."""

    server_name: str
    message: str
    schema: dict[str, Any] = field(default_factory=dict)
    url: str | None = None

    @property
    def mode(self) -> Literal["form", "url"]:
        return "url" if self.url is not None else "form"


@dataclass(frozen=True, slots=True)
class ElicitationResult:
    """The person's answer: `ElicitationResult.accept(content)`, `.decline()` or `.cancel()`."""

    action: Literal["accept", "decline", "cancel"]
    content: dict[str, Any] | None = None

    @classmethod
    def accept(cls, content: dict[str, Any] | None = None) -> ElicitationResult:
        """Accepted: `content` answers a form (None for a URL request)."""
        return cls("accept", content)

    @classmethod
    def decline(cls) -> ElicitationResult:
        """Said no."""
        return cls("decline")

    @classmethod
    def cancel(cls) -> ElicitationResult:
        """Dismissed without choosing."""
        return cls("cancel")


ElicitationHandler: TypeAlias = Callable[[ElicitationRequest], Awaitable[ElicitationResult]]
"""`async def handler(request: ElicitationRequest) -> ElicitationResult`."""


def check_elicitation_handler(value: Any, server: str) -> ElicitationHandler | None:
    if value is not None and not callable(value):
        raise UserError(
            f"MCP server {server!r}: elicitation_handler={value!r} must be an async function "
            "(request: ElicitationRequest) -> ElicitationResult."
        )
    return value  # type: ignore[no-any-return]


def invalid_content(content: Any, schema: dict[str, Any]) -> str | None:
    """Why `content` does not answer `schema` (None when it does)."""
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for

    if not isinstance(content, dict):
        return f"the content must be a JSON object, got {type(content).__name__}"
    validator = validator_for(schema)(schema, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(content), key=lambda e: list(map(str, e.path)))
    if not errors:
        return None
    return "; ".join(_describe(error) for error in errors[:_MAX_REPORTED_ERRORS])


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error.path)
    return f"{location}: {error.message}" if location else str(error.message)


class Elicitor:
    """Answers a server's `elicitation/create` requests (the `mcp` SDK's elicitation callback)."""

    def __init__(self, server: str, handler: ElicitationHandler) -> None:
        self.server = server
        self.handler = handler

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, ElicitResult, ErrorData

        request = ElicitationRequest(
            server_name=self.server,
            message=params.message,
            schema=dict(getattr(params, "requested_schema", None) or {}),
            url=getattr(params, "url", None),
        )
        try:
            answer = await self.handler(request)
        except Exception as exc:
            get_logger().warning("mcp.elicitation_failed", server=self.server, error=repr(exc))
            return ErrorData(code=INTERNAL_ERROR, message=f"The client could not ask: {exc}")
        if not isinstance(answer, ElicitationResult):
            return ErrorData(code=INTERNAL_ERROR, message="The client's answer was not understood")
        if answer.action != "accept" or request.mode == "url":
            return ElicitResult(action=answer.action)
        problem = invalid_content(answer.content, request.schema)
        if problem is not None:
            get_logger().warning("mcp.elicitation_invalid", server=self.server, error=problem)
            return ErrorData(
                code=INVALID_PARAMS,
                message=f"The answer does not match the requested schema: {problem}",
            )
        return ElicitResult(action="accept", content=answer.content)
