"""Settings from the environment and `.env`, prefix `DRUSILLA_`.

Read when first needed (never at import), cached, and validated: a bad value raises `UserError`
naming the variable. Variables already in the environment win over `.env`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from .errors import UserError
from .masking import set_settings_source

DEFAULT_MODEL = "deepseek-r1"
DEFAULT_OLLAMA_BASE_URL = "http://localhost:11434/v1"
SWORD_CHOICES = ("auto", "required", "none")


@dataclass(frozen=True)
class Settings:
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    server: str | None = None
    api_key: str | None = None
    max_turns: int = 10
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    sword_choice: str | None = None
    parallel_sword_calls: bool | None = None
    log_level: str = "WARNING"
    http_timeout: float = 600.0
    http_connect_timeout: float = 10.0
    max_retries: int = 3
    sword_max_retries: int = 1
    retry_base_delay: float = 0.5
    retry_max_delay: float = 30.0
    trace_dir: str | None = None
    runs_dir: str | None = None

    def __repr__(self) -> str:
        # The API key never reaches a log line through repr().
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        if shown["api_key"]:
            shown["api_key"] = "***"
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("must be greater than 0")
    return number


def _non_negative_float(value: str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _sword_choice(value: str) -> str:
    if not value.strip():
        raise ValueError(f"must be one of {', '.join(SWORD_CHOICES)} or a sword name")
    return value.strip()


ServerKind = Literal[
    "openai", "ollama", "deepseek", "vllm", "llama.cpp", "llama-cpp-python", "openai-compatible"
]
SERVER_KINDS: tuple[ServerKind, ...] = (
    "openai",
    "ollama",
    "deepseek",
    "vllm",
    "llama.cpp",
    "llama-cpp-python",
    "openai-compatible",
)
"""The one list of server kinds (DRUSILLA_SERVER and the Chat dialects read it)."""


def _server(value: str) -> str:
    kind = value.strip().lower()
    if kind not in SERVER_KINDS:
        raise ValueError(f"must be one of {', '.join(SERVER_KINDS)}")
    return kind


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


def _text(value: str) -> str:
    return value


# field name -> (parser, expected-value hint for the error message)
_PARSERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "model": (_text, "a model name"),
    "base_url": (_text, "a URL"),
    "server": (_server, ", ".join(SERVER_KINDS[:-1]) + " or openai-compatible"),
    "api_key": (_text, "a key"),
    "max_turns": (_positive_int, "a positive integer"),
    "max_tokens": (_positive_int, "a positive integer"),
    "temperature": (_non_negative_float, "a number such as 0.7"),
    "top_p": (_non_negative_float, "a number between 0 and 1"),
    "sword_choice": (_sword_choice, "auto, required, none or a sword name"),
    "parallel_sword_calls": (_bool, "true or false"),
    "log_level": (_log_level, "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    "http_timeout": (_positive_float, "seconds, e.g. 600"),
    "http_connect_timeout": (_positive_float, "seconds, e.g. 10"),
    "max_retries": (_non_negative_int, "a whole number, 0 or more"),
    "sword_max_retries": (_non_negative_int, "a whole number, 0 or more"),
    "retry_base_delay": (_non_negative_float, "seconds, e.g. 0.5"),
    "retry_max_delay": (_non_negative_float, "seconds, e.g. 30"),
    "trace_dir": (_text, "a directory path"),
    "runs_dir": (_text, "a directory path"),
}


@functools.cache
def dotenv_values_cached() -> dict[str, str]:
    """The `.env` of the working directory (or `DRUSILLA_ENV_FILE`), read once."""
    path = Path(os.environ.get("DRUSILLA_ENV_FILE", ".env"))
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _lookup(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        value = dotenv_values_cached().get(name)
    if value is None or value.strip() == "":
        return None
    return value


@functools.cache
def get_settings() -> Settings:
    """The process settings, read on first call."""
    values: dict[str, Any] = {}
    for name, (parse, hint) in _PARSERS.items():
        env_name = f"DRUSILLA_{name.upper()}"
        raw = _lookup(env_name)
        if raw is None and name == "api_key":
            raw = _lookup("OPENAI_API_KEY")
            env_name = "OPENAI_API_KEY"
        if raw is None:
            continue
        try:
            values[name] = parse(raw)
        except ValueError as exc:
            shown = "***" if name == "api_key" else repr(raw)
            raise UserError(
                f"{env_name}={shown} is not valid: expected {hint} ({exc}). "
                f"Fix {env_name} in the environment or in .env."
            ) from None
    return Settings(**values)


def _configured_secrets() -> tuple[str | None, str | None]:
    settings = get_settings()
    return settings.api_key, settings.base_url


set_settings_source(_configured_secrets)  # masking (util/masking.py) hides these everywhere


def forget_settings() -> None:
    """Drop cached settings and `.env` values; the next `get_settings()` reads them again."""
    get_settings.cache_clear()
    dotenv_values_cached.cache_clear()


def reload_settings() -> Settings:
    """Read settings and `.env` again now (tests, long-lived shells)."""
    forget_settings()
    return get_settings()
