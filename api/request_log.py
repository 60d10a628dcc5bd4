"""Logs without people: one JSON line per request by route template, and unexpected errors
by type only.

Paths carry jobseeker ids (`/v1/jobseekers/WZ-...`), exception messages carry SQL parameters
and record fields, and tracebacks carry both. So the access log names the route template
(`/v1/jobseekers/{jobseeker_id}`), never the path or query; an unexpected error is answered
500 here and logged as its type with the request id, and is not passed on to the server
(which would print the traceback). `X-Request-ID` ties a user's report to the log line.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("werkmatch.access")
log = logging.getLogger("werkmatch")

REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")  # a caller's id is kept only if it is plain
STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"color_message"}


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", ...extra fields}` per line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out |= {k: v for k, v in vars(record).items() if k not in STANDARD and k != "message"}
        if record.exc_info:  # never the traceback itself: frames hold the request's values
            out["error"] = record.exc_info[0].__name__ if record.exc_info[0] else "unknown"
        return json.dumps(out, default=str, ensure_ascii=False)


def log_config(level: str = "INFO") -> dict[str, Any]:
    """`logging.config.dictConfig` for the server: every logger as JSON on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
        },
    }


def _route(scope: Scope) -> str:
    return getattr(scope.get("route"), "path", "unmatched")


class RequestLog:
    """ASGI middleware, outermost: request id, access line, and the last word on errors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        state = {"status": 500, "started": False}
        start = time.perf_counter()

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        except Exception as exc:  # answered here: nothing of it reaches the server's log
            log.error(
                "unexpected error",
                extra={
                    "request_id": request_id,
                    "route": _route(scope),
                    "error": type(exc).__name__,
                },
            )
            if not state["started"]:
                await _internal_error(tagged)
        finally:
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": _route(scope),
                    "status": state["status"],
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )


async def _internal_error(send: Send) -> None:
    body = json.dumps({"detail": [{"field": "", "reason": "internal error"}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
