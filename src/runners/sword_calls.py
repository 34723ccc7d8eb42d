"""Running a turn's sword calls, and deciding whether their results end the run.

Each call runs in a `sword` span between the `on_sword_start` and `on_sword_end` charms; a
failing sword becomes text for the model (its `failure_error_function`) or, without one, a
`SwordError` that ends the run.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from ..models.items import FunctionCallItem
from ..tools.swords import (
    StopAtSwords,
    Sword,
    SwordArgumentsError,
    SwordResult,
    SwordsToFinalOutputResult,
    SwordUseBehavior,
    is_parts_output,
    output_text,
)
from ..tracing.spans import span
from ..util.concurrency import gather, maybe_await
from ..util.context import RunContextWrapper, SwordContext
from ..util.errors import ModelRetry, SwordError, UserError
from ..util.messages import message
from ..util.settings import get_settings
from .charm_firing import fire_sword_end, fire_sword_start

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..agents.charms import RunCharms

__all__ = ["NOT_FINAL", "final_output_from_swords", "retry_allowed", "run_sword_calls"]


async def run_sword_calls(
    calls: Sequence[tuple[FunctionCallItem, Sword | None]],
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    run_charms: RunCharms[Any] | None,
    *,
    parallel: bool,
    available: Collection[str],
) -> list[SwordResult]:
    """Run the turn's sword calls (concurrently unless `parallel` is False), in call order."""
    jobs = [
        functools.partial(_run_one, call, sword, ctx, agent, run_charms, available)
        for call, sword in calls
    ]
    if parallel:
        return await gather(jobs)
    return [await job() for job in jobs]


async def _run_one(
    call: FunctionCallItem,
    sword: Sword | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    run_charms: RunCharms[Any] | None,
    available: Collection[str],
) -> SwordResult:
    if sword is None:
        text = message(
            "unknown_sword",
            sword=call["name"],
            available=", ".join(available) or "(none)",
            error="unknown sword",
        )
        # Traced too: the model asked for a sword that is not there.
        with span("sword", call["name"], call_id=call["call_id"], agent=agent.name, error=text):
            pass
        return SwordResult(call, None, text, text, SwordArgumentsError(text))
    sword_ctx = SwordContext.for_call(ctx, sword.name, call["call_id"], call["arguments"])
    with span("sword", sword.name, call_id=call["call_id"], agent=agent.name) as sword_span:
        sword_span.set_data(arguments=call["arguments"])
        await fire_sword_start(run_charms, sword_ctx, agent, sword)
        result = await _invoke(sword, sword_ctx, call)
        sword_span.set_data(output=result.output_text)
        if result.error is not None:
            sword_span.set(error=result.output_text)
        await fire_sword_end(run_charms, sword_ctx, agent, sword, result.output)
    return result


async def _invoke(
    sword: Sword, sword_ctx: SwordContext[Any], call: FunctionCallItem
) -> SwordResult:
    try:
        if sword.timeout is None:
            output = await sword.on_invoke(sword_ctx, call["arguments"])
        else:
            import anyio  # loaded by the first sword with a timeout, not with `import drusilla`

            with anyio.fail_after(sword.timeout):
                output = await sword.on_invoke(sword_ctx, call["arguments"])
    except SwordArgumentsError as exc:
        text = message("invalid_sword_arguments", sword=sword.name, error=str(exc))
        return SwordResult(call, sword, text, text, exc)
    except ModelRetry as exc:
        if retry_allowed(sword, sword_ctx):
            text = message("model_retry", reason=exc.message)
            return SwordResult(call, sword, text, text, exc)
        return await _failed(sword, sword_ctx, call, exc)
    except Exception as exc:
        if isinstance(exc, TimeoutError) and sword.timeout is not None:
            exc.timeout = sword.timeout  # type: ignore[attr-defined]
        if isinstance(exc, SwordError):
            raise
        return await _failed(sword, sword_ctx, call, exc)
    if isinstance(output, str):
        return SwordResult(call, sword, output, output)
    if is_parts_output(output):
        return SwordResult(call, sword, output, output.text, parts=output.input_parts())
    return SwordResult(call, sword, output, output_text(output))


async def _failed(
    sword: Sword, sword_ctx: SwordContext[Any], call: FunctionCallItem, exc: Exception
) -> SwordResult:
    if sword.failure_error_function is None:
        raise SwordError(
            f"Sword {sword.name!r} failed: {exc or type(exc).__name__}", sword_name=sword.name
        ) from exc
    text = await maybe_await(sword.failure_error_function(sword_ctx, exc))
    return SwordResult(call, sword, text, str(text), exc)


def retry_allowed(sword: Sword, ctx: RunContextWrapper[Any]) -> bool:
    """Count one `ModelRetry` of `sword` in this run; False once its `max_retries` are used."""
    limit = sword.max_retries
    if limit is None:
        limit = get_settings().sword_max_retries
    used = ctx.sword_retries.get(sword.name, 0)
    if used >= limit:
        return False
    ctx.sword_retries[sword.name] = used + 1
    return True


NOT_FINAL = SwordsToFinalOutputResult(is_final_output=False)


async def final_output_from_swords(
    behavior: SwordUseBehavior, ctx: RunContextWrapper[Any], results: list[SwordResult]
) -> SwordsToFinalOutputResult:
    """Whether this turn's sword results end the run, per the agent's `sword_use_behavior`."""
    if behavior == "run_llm_again" or not results:
        return NOT_FINAL
    if behavior == "stop_on_first_sword":
        return SwordsToFinalOutputResult(True, results[0].output)
    if isinstance(behavior, StopAtSwords):
        for result in results:
            if result.sword is not None and result.sword.name in behavior.sword_names:
                return SwordsToFinalOutputResult(True, result.output)
        return NOT_FINAL
    # Otherwise a function: `Agent` checked the behavior is one of the four kinds.
    decided = await maybe_await(behavior(ctx, results))
    if not isinstance(decided, SwordsToFinalOutputResult):
        raise UserError(
            f"sword_use_behavior {behavior!r} returned {decided!r}; it must return "
            "SwordsToFinalOutputResult(is_final_output=..., final_output=...)."
        )
    return decided
