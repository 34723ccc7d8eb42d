"""What an MCP tool call gives back, as the model and as Python code see it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_types import CallToolResult

__all__ = ["MCPImage", "MCPToolError", "MCPToolResult", "tool_result"]


@dataclass(frozen=True, slots=True)
class MCPImage:
    """An image an MCP tool returned: base64 `data` and its MIME type."""

    data: str
    mime_type: str

    @property
    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{self.data}"


@dataclass(frozen=True, slots=True)
class MCPToolResult:
    """The result of an MCP tool call.

    The model reads `text` and is shown the `images`. Python code (charms, `stop_on_first_sword`,
    `SwordCallOutputItem.output`) also gets `structured_content` and the raw MCP `content` blocks.
    """

    server_name: str
    tool_name: str
    text: str
    """The text blocks joined by newlines (or the structured content as JSON; see docs/mcp.md)."""
    structured_content: Any = None
    images: tuple[MCPImage, ...] = ()
    content: list[Any] = field(default_factory=list)
    is_error: bool = False

    def input_parts(self) -> list[dict[str, Any]] | None:
        """Responses-style content parts for the model when there are images, else None."""
        if not self.images:
            return None
        count = len(self.images)
        text = self.text or ("(an image)" if count == 1 else f"({count} images)")
        parts: list[dict[str, Any]] = [{"type": "input_text", "text": text}]
        for image in self.images:
            parts.append({"type": "input_image", "image_url": image.data_url, "detail": "auto"})
        return parts

    def __str__(self) -> str:
        return self.text


class MCPToolError(Exception):
    """An MCP tool reported failure (`isError`); the model is told its message."""

    def __init__(self, result: MCPToolResult) -> None:
        super().__init__(result.text or f"the MCP tool {result.tool_name} failed")
        self.result = result


def tool_result(
    server_name: str, tool_name: str, raw: CallToolResult, use_structured_content: bool
) -> MCPToolResult:
    texts: list[str] = []
    images: list[MCPImage] = []
    for block in raw.content:
        _read_block(block, texts, images)
    structured = raw.structured_content
    if structured is not None and (use_structured_content or not texts):
        text = json.dumps(structured, ensure_ascii=False)
    else:
        text = "\n".join(texts)
    return MCPToolResult(
        server_name=server_name,
        tool_name=tool_name,
        text=text,
        structured_content=structured,
        images=tuple(images),
        content=list(raw.content),
        is_error=raw.is_error,
    )


def _read_block(block: Any, texts: list[str], images: list[MCPImage]) -> None:
    kind = getattr(block, "type", None)
    if kind == "text":
        texts.append(block.text)
    elif kind == "image":
        images.append(MCPImage(block.data, block.mime_type))
    elif kind == "audio":
        texts.append(f"[audio ({block.mime_type}, {_size(block.data)} bytes) not shown]")
    elif kind == "resource":
        resource = block.resource
        mime_type = resource.mime_type or "application/octet-stream"
        if hasattr(resource, "text"):
            texts.append(resource.text)
        elif mime_type.startswith("image/"):
            images.append(MCPImage(resource.blob, mime_type))
        else:
            texts.append(f"[resource {resource.uri} ({mime_type}, {_size(resource.blob)} bytes)]")
    elif kind == "resource_link":
        about = f": {block.description}" if block.description else ""
        texts.append(f"[resource link {block.name} {block.uri}{about}]")
    else:
        dump = getattr(block, "model_dump_json", None)
        texts.append(dump(by_alias=True, exclude_none=True) if callable(dump) else str(block))


def _size(base64_data: str) -> int:
    return len(base64_data) * 3 // 4 - base64_data[-2:].count("=")
