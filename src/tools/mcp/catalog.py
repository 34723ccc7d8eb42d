"""What an MCP server publishes besides tools: resources (and their templates) and prompts.

`MCPServer` has these methods from `MCPCatalog`. A resource read or a prompt comes back as an
`MCPResource` / `MCPPrompt`, whose `to_input()` gives input items for `Runner.run`. With
`cache_resources=True` the lists and resource reads are kept until the server says they changed
(`resources/updated`, `resources/list_changed`, `prompts/list_changed`).
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ...models.items import InputItem
from ...util.logging import get_logger

if TYPE_CHECKING:
    from mcp import Client
    from mcp_types import Prompt, Resource, ResourceTemplate

__all__ = ["MCPBlob", "MCPCatalog", "MCPPrompt", "MCPResource"]

T = TypeVar("T")

_MAX_PAGES = 100
_RESOURCES = "resources/list"
_TEMPLATES = "resources/templates/list"
_PROMPTS = "prompts/list"
_READ = "resources/read"


@dataclass(frozen=True, slots=True)
class MCPBlob:
    """A binary resource's content: base64 `data` and its MIME type."""

    uri: str
    mime_type: str
    data: str

    @property
    def bytes(self) -> bytes:
        return base64.b64decode(self.data)


@dataclass(frozen=True, slots=True)
class MCPResource:
    """What `read_resource(uri)` gave back: its text parts, its binary parts, the raw contents."""

    uri: str
    texts: tuple[str, ...] = ()
    blobs: tuple[MCPBlob, ...] = ()
    contents: list[Any] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def to_input(self, note: str | None = None) -> list[InputItem]:
        """One user message holding the resource (images as images, other binary content
        described), after `note` if given: `Runner.run(agent, [*res.to_input(), "Sum it up."])`."""
        parts = [{"type": "input_text", "text": note}] if note else []
        parts.extend({"type": "input_text", "text": text} for text in self.texts)
        parts.extend(_blob_part(blob) for blob in self.blobs)
        return [_user(parts)]


@dataclass(frozen=True, slots=True)
class MCPPrompt:
    """What `get_prompt(name, arguments)` gave back: the prompt's messages, ready to run."""

    name: str
    description: str | None
    messages: list[Any]
    """The server's `PromptMessage`s (role and one content block each)."""

    def to_input(self) -> list[InputItem]:
        """The messages as input items: `Runner.run(agent, prompt.to_input())`."""
        items: list[InputItem] = []
        for message in self.messages:
            part = _content_part(message.content)
            if message.role == "assistant" or part["type"] == "input_text":
                text = part.get("text", "")
                items.append({"role": message.role, "content": text})
            else:
                items.append(_user([part]))
        return items


class MCPCatalog:
    """Resources, resource templates and prompts of a server (mixed into `MCPServer`)."""

    name: str
    cache_resources: bool
    _catalog: dict[tuple[str, str], Any]
    _request: Callable[..., Awaitable[Any]]

    def _catalog_cache(self) -> dict[tuple[str, str], Any]:
        if not hasattr(self, "_catalog"):
            self._catalog = {}
        return self._catalog

    async def list_resources(self) -> list[Resource]:
        """The resources the server lists (`resources/list`, every page)."""
        return await self._listed(_RESOURCES, "resources", "list_resources")

    async def list_resource_templates(self) -> list[ResourceTemplate]:
        """The server's resource templates (`uri_template`s such as `notes://{topic}`)."""
        return await self._listed(_TEMPLATES, "resource_templates", "list_resource_templates")

    async def list_prompts(self) -> list[Prompt]:
        """The prompts the server offers (`prompts/list`, every page)."""
        return await self._listed(_PROMPTS, "prompts", "list_prompts")

    async def read_resource(self, uri: str) -> MCPResource:
        """Read one resource by its URI (a listed one, or a template filled in)."""
        return await self._cached(_READ, str(uri), functools.partial(self._read, str(uri)))

    async def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> MCPPrompt:
        """Fill in a prompt: its messages, for `Runner.run(agent, prompt.to_input())`."""

        async def send(client: Client) -> Any:
            return await client.get_prompt(name, arguments)

        raw = await self._request(f"prompts/get {name!r}", send)
        return MCPPrompt(name, raw.description, list(raw.messages))

    async def subscribe_resource(self, uri: str) -> None:
        """Ask for `resources/updated` notifications about `uri` (servers before 2026-07-28)."""
        import warnings

        async def send(client: Client) -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return await client.subscribe_resource(uri)

        await self._request(f"resources/subscribe {uri!r}", send)

    def invalidate_resources_cache(self, uri: str | None = None) -> None:
        """Forget a cached read of `uri`, or (None) every cached list and read."""
        cache = self._catalog_cache()
        if uri is None:
            cache.clear()
        else:
            cache.pop((_READ, uri), None)

    def _catalog_changed(self, method: str, params: Any) -> None:
        """A server notification that may make cached lists or reads stale."""
        cache = self._catalog_cache()
        if method == "notifications/resources/updated":
            cache.pop((_READ, str(getattr(params, "uri", ""))), None)
        elif method == "notifications/resources/list_changed":
            for key in (_RESOURCES, _TEMPLATES):
                cache.pop((key, ""), None)
        elif method == "notifications/prompts/list_changed":
            cache.pop((_PROMPTS, ""), None)
        else:
            return
        get_logger().debug("mcp.catalog_changed", server=self.name, change=method)

    async def _listed(self, method: str, attribute: str, call: str) -> list[Any]:
        return await self._cached(
            method, "", functools.partial(self._pages, method, attribute, call)
        )

    async def _cached(self, method: str, key: str, fetch: Callable[[], Awaitable[T]]) -> T:
        if not self.cache_resources:
            return await fetch()
        cache = self._catalog_cache()
        if (method, key) not in cache:
            cache[(method, key)] = await fetch()
        return cache[(method, key)]  # type: ignore[no-any-return]

    async def _pages(self, method: str, attribute: str, call: str) -> list[Any]:
        found: list[Any] = []
        cursor: str | None = None
        for _ in range(_MAX_PAGES):

            async def send(client: Client, cursor: str | None = cursor) -> Any:
                return await getattr(client, call)(cursor=cursor)

            page = await self._request(method, send)
            found.extend(getattr(page, attribute))
            cursor = page.next_cursor
            if not cursor:
                break
        return found

    async def _read(self, uri: str) -> MCPResource:
        async def send(client: Client) -> Any:
            return await client.read_resource(uri)

        raw = await self._request(f"resources/read {uri!r}", send)
        texts: list[str] = []
        blobs: list[MCPBlob] = []
        for content in raw.contents:
            if hasattr(content, "text"):
                texts.append(content.text)
            else:
                mime_type = content.mime_type or "application/octet-stream"
                blobs.append(MCPBlob(str(content.uri), mime_type, content.blob))
        return MCPResource(uri, tuple(texts), tuple(blobs), list(raw.contents))


def _user(parts: list[dict[str, Any]]) -> InputItem:
    if all(part["type"] == "input_text" for part in parts):
        return {"role": "user", "content": "\n\n".join(part["text"] for part in parts)}
    return {"role": "user", "content": parts}


def _blob_part(blob: MCPBlob) -> dict[str, Any]:
    if blob.mime_type.startswith("image/"):
        url = f"data:{blob.mime_type};base64,{blob.data}"
        return {"type": "input_image", "image_url": url, "detail": "auto"}
    if blob.mime_type.startswith("text/"):
        return {"type": "input_text", "text": blob.bytes.decode("utf-8", errors="replace")}
    size = len(blob.bytes)
    return {"type": "input_text", "text": f"[resource {blob.uri} ({blob.mime_type}, {size} bytes)]"}


def _content_part(block: Any) -> dict[str, Any]:
    kind = getattr(block, "type", None)
    if kind == "text":
        return {"type": "input_text", "text": block.text}
    if kind == "image":
        url = f"data:{block.mime_type};base64,{block.data}"
        return {"type": "input_image", "image_url": url, "detail": "auto"}
    if kind == "resource":
        resource = block.resource
        if hasattr(resource, "text"):
            return {"type": "input_text", "text": resource.text}
        blob = MCPBlob(str(resource.uri), resource.mime_type or "", resource.blob)
        return _blob_part(blob)
    if kind == "resource_link":
        return {"type": "input_text", "text": f"[resource link {block.name} {block.uri}]"}
    dump = block.model_dump(by_alias=True, exclude_none=True, mode="json")
    return {"type": "input_text", "text": json.dumps(dump)}
