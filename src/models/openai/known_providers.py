"""The providers-by-name table: a model-name prefix and the endpoint behind it.

A leaf below the provider and the OpenAI models (which name it in errors), so that neither
imports the other for it; `drusilla.models.provider` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...util.settings import ServerKind

__all__ = ["KNOWN_PROVIDERS", "KnownProvider", "known_prefixes"]


@dataclass(frozen=True)
class KnownProvider:
    """A model-name prefix (`"groq/llama-3.3-70b"`) and the OpenAI-compatible endpoint behind it.

    `DRUSILLA_<PREFIX>_BASE_URL` replaces `base_url` (a proxy, a self-hosted gateway, a test
    server); `key_variable` names where the API key comes from (None: a local server that needs
    none). `server` picks the request dialect (models/chat_wire.py) for the provider's quirks.
    """

    prefix: str
    label: str
    base_url: str
    key_variable: str | None
    server: ServerKind = "openai-compatible"

    @property
    def base_url_variable(self) -> str:
        return f"DRUSILLA_{self.prefix.upper()}_BASE_URL"


KNOWN_PROVIDERS: dict[str, KnownProvider] = {
    p.prefix: p
    for p in (
        KnownProvider("openai", "OpenAI", "https://api.openai.com/v1", "OPENAI_API_KEY", "openai"),
        KnownProvider("groq", "Groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
        KnownProvider(
            "deepseek", "DeepSeek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", "deepseek"
        ),
        KnownProvider(
            "openrouter", "OpenRouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"
        ),
        KnownProvider("together", "Together AI", "https://api.together.xyz/v1", "TOGETHER_API_KEY"),
        KnownProvider("mistral", "Mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
        KnownProvider(
            "fireworks", "Fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"
        ),
        KnownProvider("xai", "xAI", "https://api.x.ai/v1", "XAI_API_KEY"),
        KnownProvider("ollama", "Ollama (local)", "http://localhost:11434/v1", None, "ollama"),
        KnownProvider("vllm", "vLLM (local)", "http://localhost:8000/v1", None, "vllm"),
        KnownProvider("lmstudio", "LM Studio (local)", "http://localhost:1234/v1", None),
        KnownProvider(
            "llamacpp", "llama.cpp server (local)", "http://localhost:8080/v1", None, "llama.cpp"
        ),
    )
}


def known_prefixes() -> str:
    """`openai/, groq/, …, anthropic/, gemini/, google/` for error messages."""
    from ..registry import NATIVE_WIRES

    return ", ".join(f"{prefix}/" for prefix in (*KNOWN_PROVIDERS, *NATIVE_WIRES))
