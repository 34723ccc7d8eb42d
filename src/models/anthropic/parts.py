"""Content parts for the Messages API: drusilla's (Responses-style) parts as Claude's blocks.

`input_text` is a text block, `input_image` an image block and `input_file` a document block,
each by URL or inline (a `data:` URL becomes a base64 source): images and PDFs go to Claude in
its native form. Blocks already in Claude's shape (`image`, `document`) pass unchanged.
"""

from __future__ import annotations

import base64
from typing import Any

from ...util.errors import UserError
from ..wire import output_text

__all__ = ["message_blocks", "result_blocks"]

_NATIVE = frozenset({"text", "image", "document"})
_TEXT = frozenset({"input_text", "output_text", "text"})


def message_blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks of a message's content; empty text is left out (Claude rejects it)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = [_block(part) for part in content]
    return [block for block in blocks if block.get("type") != "text" or block.get("text")]


def result_blocks(output: Any) -> str | list[dict[str, Any]]:
    """A sword result for `tool_result.content`: its text, or blocks when it has images."""
    if isinstance(output, list) and any(
        isinstance(part, dict) and part.get("type") not in _TEXT for part in output
    ):
        return message_blocks(output)
    return output_text(output)


def _block(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind in _TEXT:
        return {"type": "text", "text": part.get("text") or ""}
    if kind in _NATIVE:
        return part
    if kind == "input_image":
        return {"type": "image", "source": _image_source(part)}
    if kind == "image_url":  # a Chat Completions part
        image = part["image_url"]
        url = image if isinstance(image, str) else image.get("url")
        return {"type": "image", "source": _url_source(str(url))}
    if kind == "input_file":
        return _document(part)
    raise UserError(
        f"The message part {str(part)[:200]} cannot be sent to Claude; use input_text, "
        "input_image (image_url: a URL or data: URL) or input_file (file_url or file_data) "
        "parts."
    )


def _image_source(part: dict[str, Any]) -> dict[str, Any]:
    url = part.get("image_url")
    if not url:
        raise UserError(
            f"The image part {str(part)[:200]} has no image_url; Claude takes images by URL "
            "or data: URL."
        )
    return _url_source(str(url))


def _url_source(url: str) -> dict[str, Any]:
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        return {"type": "base64", "media_type": header[5:].split(";")[0], "data": data}
    return {"type": "url", "url": url}


def _document(part: dict[str, Any]) -> dict[str, Any]:
    """A PDF (or plain text) document block from an `input_file` part."""
    if part.get("file_url"):
        source = _url_source(str(part["file_url"]))
    elif part.get("file_data"):
        data = str(part["file_data"])
        source = (
            _url_source(data)
            if data.startswith("data:")
            else {"type": "base64", "media_type": "application/pdf", "data": data}
        )
    else:
        raise UserError(
            f"The file part {str(part)[:200]} has neither file_url nor file_data; Claude takes "
            "documents by URL or inline."
        )
    if source.get("media_type") == "text/plain":
        text = base64.b64decode(source["data"]).decode("utf-8", "replace")
        source = {"type": "text", "media_type": "text/plain", "data": text}
    block: dict[str, Any] = {"type": "document", "source": source}
    if part.get("filename"):
        block["title"] = part["filename"]
    return block
