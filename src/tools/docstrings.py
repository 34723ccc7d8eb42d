"""Read a function's description and parameter docs from its docstring.

Understands the three common styles:

- Google:  ``Args:`` then ``name (type): text`` lines
- NumPy:   ``Parameters`` / ``----------`` then ``name : type`` lines with indented text
- Sphinx:  ``:param name: text`` (and ``:param type name: text``)
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ["ParsedDocstring", "parse_docstring"]


_GOOGLE_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params)\s*:\s*$")
_GOOGLE_OTHER_SECTION = re.compile(
    r"^(Returns?|Yields?|Raises?|Examples?|Notes?|Attributes|See Also|Warnings?|Todo)\s*:\s*$"
)
_GOOGLE_PARAM = re.compile(r"^(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_HEADER = re.compile(r"^(Parameters|Other Parameters)\s*$")
_NUMPY_UNDERLINE = re.compile(r"^-{3,}\s*$")
_NUMPY_PARAM = re.compile(r"^(\*{0,2}\w+)\s*(:.*)?$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_SPHINX_FIELD = re.compile(r"^:\w+")


@dataclass
class ParsedDocstring:
    """A docstring's description and its parameters' descriptions, by parameter name."""

    description: str = ""
    params: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> ParsedDocstring:
    if not doc:
        return ParsedDocstring()
    lines = inspect.cleandoc(doc).splitlines()
    for parse in (_parse_sphinx, _parse_numpy, _parse_google):
        parsed = parse(lines)
        if parsed is not None:
            return parsed
    return ParsedDocstring(description="\n".join(lines).strip())


def _description(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _parse_google(lines: list[str]) -> ParsedDocstring | None:
    start = next((i for i, line in enumerate(lines) if _GOOGLE_SECTION.match(line)), None)
    if start is None:
        return None
    params: dict[str, str] = {}
    current: str | None = None
    base_indent: int | None = None
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            break  # the next section (Returns:, ...) or free text
        if base_indent is None:
            base_indent = indent
        match = _GOOGLE_PARAM.match(line.strip())
        if indent == base_indent and match:
            current = match.group(1).lstrip("*")
            params[current] = match.group(3).strip()
        elif current is not None:
            params[current] = (params[current] + " " + line.strip()).strip()
    return ParsedDocstring(_description(lines[:start]), params)


def _parse_numpy(lines: list[str]) -> ParsedDocstring | None:
    start = next(
        (
            i
            for i, line in enumerate(lines[:-1])
            if _NUMPY_HEADER.match(line) and _NUMPY_UNDERLINE.match(lines[i + 1])
        ),
        None,
    )
    if start is None:
        return None
    params: dict[str, str] = {}
    current: str | None = None
    body = lines[start + 2 :]
    for i, line in enumerate(body):
        if not line.strip():
            continue
        if i + 1 < len(body) and _NUMPY_UNDERLINE.match(body[i + 1]):
            break  # the next section header
        if _NUMPY_UNDERLINE.match(line):
            break
        indent = len(line) - len(line.lstrip())
        match = _NUMPY_PARAM.match(line.strip())
        if indent == 0 and match:
            current = match.group(1).lstrip("*")
            params[current] = ""
        elif current is not None:
            params[current] = (params[current] + " " + line.strip()).strip()
    return ParsedDocstring(_description(lines[:start]), params)


def _parse_sphinx(lines: list[str]) -> ParsedDocstring | None:
    first = next((i for i, line in enumerate(lines) if _SPHINX_FIELD.match(line.strip())), None)
    if first is None or not any(_SPHINX_PARAM.match(line.strip()) for line in lines):
        return None
    params: dict[str, str] = {}
    current: str | None = None
    for line in lines[first:]:
        stripped = line.strip()
        match = _SPHINX_PARAM.match(stripped)
        if match:
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif _SPHINX_FIELD.match(stripped):
            current = None
        elif current is not None and stripped:
            params[current] = (params[current] + " " + stripped).strip()
    return ParsedDocstring(_description(lines[:first]), params)
