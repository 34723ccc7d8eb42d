"""`estimate_cost`: a usage's price from the `genai-prices` package (the `prices` extra).

A server that reports the cost (OpenRouter and others) fills `Usage.cost` itself; this is for
the others. Prices come from a maintained library, never from a table of our own.
"""

from __future__ import annotations

from ..util.errors import UserError
from ..util.usage import Usage

__all__ = ["estimate_cost"]


def estimate_cost(usage: Usage, model: str, *, provider: str | None = None) -> float | None:
    """What `usage` costs on `model` in US dollars, or None when the model's price is unknown.

    Needs `pip install 'drusilla[prices]'`.
    """
    try:
        import genai_prices
    except ImportError:
        raise UserError(
            "estimate_cost needs the genai-prices package: pip install 'drusilla[prices]'."
        ) from None
    counted = genai_prices.Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cached_tokens or None,
        cache_write_tokens=usage.cache_write_tokens or None,
    )
    try:
        price = genai_prices.calc_price(counted, model, provider_id=provider)
    except LookupError:
        return None
    return float(price.total_price)
