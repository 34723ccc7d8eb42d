"""What an MCP tool call gives back, as the model and as Python code see it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_types import CallToolResult

__all__ = ["MCPAudio", "MCPImage", "MCPToolError", "MCPToolResult", "tool_result"]


@dataclass(frozen=True, slots=True)
class MCPImage:
    """An image an MCP tool returned: base64 `data` and its MIME type."""

    data: str
    mime_type: str

    @property
    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{self.data}"


@dataclass(frozen=True, slots=True)
class MCPAudio:
    """Audio an MCP tool returned: base64 `data` and its MIME type."""

    data: str
    mime_type: str

    def input_part(self) -> dict[str, Any]:
        """An `input_audio` content part (format: the MIME subtype, e.g. wav or mp3)."""
        audio_format = self.mime_type.split("/")[-1].removeprefix("x-").replace("mpeg", "mp3")
        return {"type": "input_audio", "input_audio": {"data": self.data, "format": audio_format}}


@dataclass(frozen=True, slots=True)
class MCPToolResult:
    """The result of an MCP tool call.

    The model reads `text` and is given the `images` and `audio`. Python code (charms,
    `stop_on_first_sword`, `SwordCallOutputItem.output`) also gets `structured_content` (also
    as `data`) and the raw MCP `content` blocks.
    """

    server_name: str
    tool_name: str
    text: str
    """The text blocks joined by newlines (or the structured content as JSON; see docs/mcp.md)."""
    structured_content: Any = None
    images: tuple[MCPImage, ...] = ()
    content: list[Any] = field(default_factory=list)
    is_error: bool = False
    audio: tuple[MCPAudio, ...] = ()

    @property
    def data(self) -> Any:
        """The structured content (checked against the tool's output schema), or None."""
        return self.structured_content

    def input_parts(self) -> list[dict[str, Any]] | None:
        """Content parts for the model when there are images or audio, else None."""
        if not self.images and not self.audio:
            return None
        text = self.text or _media_note(len(self.images), len(self.audio))
        parts: list[dict[str, Any]] = [{"type": "input_text", "text": text}]
        for image in self.images:
            parts.append({"type": "input_image", "image_url": image.data_url, "detail": "auto"})
        parts.extend(clip.input_part() for clip in self.audio)
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
    audio: list[MCPAudio] = []
    for block in raw.content:
        if block.type == "audio":
            audio.append(MCPAudio(block.data, block.mime_type))
        else:
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
        audio=tuple(audio),
    )


def _media_note(images: int, clips: int) -> str:
    def count(n: int, one: str, many: str) -> str:
        return "" if n == 0 else (one if n == 1 else f"{n} {many}")

    shown = [c for c in (count(images, "an image", "images"), count(clips, "audio", "clips")) if c]
    return f"({' and '.join(shown)})"


def _read_block(block: Any, texts: list[str], images: list[MCPImage]) -> None:
    kind = getattr(block, "type", None)
    if kind == "text":
        texts.append(block.text)
    elif kind == "image":
        images.append(MCPImage(block.data, block.mime_type))
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
