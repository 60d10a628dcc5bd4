"""NUL characters are refused at the door: PostgreSQL cannot store them in text, so a path,
query parameter, header, JSON or form field holding one is a 422 naming the field, never a
500 from the database. Binary bulk uploads (Parquet) pass untouched; their rows are
validated as records, which refuse NUL too (`matching.records`)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

REASON = "text must not contain NUL characters (\\u0000)"
TEXT_BODIES = (b"application/json", b"application/x-www-form-urlencoded")


def nul_field(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string in a JSON value that holds a NUL, or None."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
        items += [(str(k), k) for k in value]  # the keys themselves
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return None
    for key, item in items:
        found = nul_field(item, f"{path}.{key}" if path else key)
        if found:
            return found
    return None


def _in_request_line(scope: Scope) -> str | None:
    """The path, query parameter or header holding a NUL, or None."""
    if "\x00" in scope["path"]:
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    for name, value in scope["headers"]:
        if b"\x00" in value:
            return name.decode("latin-1")
    return None


def _in_body(content_type: bytes, body: bytes) -> str | None:
    if content_type.startswith(b"application/json"):
        if b"\\u0000" not in body:
            return None
        try:
            return nul_field(json.loads(body))
        except ValueError:
            return None  # not JSON: the route's own validation answers
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    return next((n for n, v in pairs if "\x00" in unquote(v) or "\x00" in v), None)


class NulGuard:
    """ASGI middleware: 422 for a NUL in the request line, headers or a text body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _in_request_line(scope)
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        messages: list[Message] = []
        if field is None and content_type.startswith(TEXT_BODIES):
            try:
                body = await _read(receive, messages)
            except HTTPException as exc:  # the body limit, below this middleware
                await error_response(exc.status_code, "body", "body too large")(
                    scope, receive, send
                )
                return
            field = _in_body(content_type, body)
        if field is not None:
            await error_response(422, field, REASON)(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive) if messages else receive, send)


async def _read(receive: Receive, messages: list[Message]) -> bytes:
    """The whole body, keeping the messages to hand on."""
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that first hands out the messages already read."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
