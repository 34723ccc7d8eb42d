"""Where the recorded exchanges live, and a helper to read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"


def recording(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def recorded_request(name: str, index: int) -> dict[str, Any]:
    return recording(name)["interactions"][index]["request"]["body"]  # type: ignore[no-any-return]
