"""Images and documents of a message, as Gemini parts: `inline_data` (bytes) or `file_data` (a
URI Gemini reads itself).

drusilla's parts are Responses-style (`input_image` with an `image_url`, `input_file` with
`file_data`, `file_url` or `file_id`; Chat-style `image_url` and `file` too). A `data:` URL
becomes inline bytes; a Google Cloud Storage, Files API or YouTube URI goes as `file_data`;
any other http(s) URL is downloaded and sent inline, as the Gemini API cannot fetch it.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from typing import Any

import anyio

from ...util.errors import UserError

__all__ = ["media_part"]

_MAX_DOWNLOAD = 20 * 1024 * 1024
"""Gemini's limit for a whole request with inline data."""
_GEMINI_READS = ("gs://", "https://generativelanguage.googleapis.com/", "https://www.youtube.com/")
_GEMINI_READS_TOO = ("https://youtu.be/", "files/")


async def media_part(part: dict[str, Any]) -> dict[str, Any]:
    """The Gemini part for an image or file part of a message."""
    url, mime_type = _source(part)
    if url.startswith("data:"):
        return _inline(*_from_data_url(url))
    if url.startswith(_GEMINI_READS + _GEMINI_READS_TOO):
        return {"file_data": {"file_uri": url, "mime_type": mime_type or _guess(url)}}
    if url.startswith(("http://", "https://")):
        data, downloaded_type = await anyio.to_thread.run_sync(_download, url)
        return _inline(data, mime_type or downloaded_type or _guess(url))
    raise UserError(
        f"Cannot send {url[:80]!r} to Gemini: give an image or file as a data: URL, an "
        "http(s) URL, or a gs:// or Files API URI."
    )


def _source(part: dict[str, Any]) -> tuple[str, str | None]:
    kind = part.get("type")
    if kind == "input_image":
        return str(part.get("image_url") or part.get("file_id") or ""), None
    if kind == "image_url":
        image = part["image_url"]
        return str(image if isinstance(image, str) else image.get("url", "")), None
    file = part.get("file", part) if kind == "file" else part
    url = file.get("file_data") or file.get("file_url") or file.get("file_id") or ""
    return str(url), mimetypes.guess_type(file.get("filename") or "")[0]


def _inline(data: bytes, mime_type: str) -> dict[str, Any]:
    return {"inline_data": {"data": data, "mime_type": mime_type}}


def _from_data_url(url: str) -> tuple[bytes, str]:
    header, _, payload = url.partition(",")
    mime_type = header[5:].split(";")[0] or "application/octet-stream"
    try:
        return base64.b64decode(payload, validate=True), mime_type
    except binascii.Error:
        raise UserError(f"The data: URL {url[:60]!r}… is not valid base64.") from None


def _download(url: str) -> tuple[bytes, str | None]:
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "drusilla"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            data = reply.read(_MAX_DOWNLOAD + 1)
            mime_type = reply.headers.get_content_type() if reply.headers["Content-Type"] else None
    except OSError as exc:
        raise UserError(f"Could not download {url} to send it to Gemini: {exc}.") from exc
    if len(data) > _MAX_DOWNLOAD:
        raise UserError(
            f"{url} is larger than 20 MB, too large to send inline: upload it with the Gemini "
            "Files API and pass its URI instead."
        )
    return data, mime_type


def _guess(url: str) -> str:
    return mimetypes.guess_type(url.split("?")[0])[0] or "application/octet-stream"
