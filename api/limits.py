"""Request guards below the routes: a cap on body size (413 before the body is parsed) and one access line
per request naming the caller (uvicorn's own line cannot know who called)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("synth.access")


class RequestGuard:
    """Pure ASGI middleware: refuses a declared Content-Length over `max_body_bytes` at once; a body sent
    without one (chunked) is read first, at most the cap, and refused as soon as it passes it (the app would
    turn an error raised mid-body into a vague 400). Logs the access line."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, *, upload_max_bytes: int | None = None,
                 upload_paths: tuple[str, ...] = ("/ingest",)) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.upload_max_bytes = upload_max_bytes or max_body_bytes  # file uploads may be larger
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}
        cap = self.upload_max_bytes if scope["path"] in self.upload_paths else self.max_body_bytes

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            declared = _content_length(scope)
            if declared is not None:
                if declared > cap:
                    await self._too_large(send_wrapper, cap, _wants_html(scope) and scope["path"])
                else:
                    await self.app(scope, receive, send_wrapper)
                return
            replay = await self._read_capped(receive, cap)
            if replay is None:
                await self._too_large(send_wrapper, cap, _wants_html(scope) and scope["path"])
            else:
                await self.app(scope, replay, send_wrapper)
        finally:
            state = scope.get("state") or {}
            access_log.info("%s %s %s caller=%s %.0f ms", scope["method"], scope["path"], status["code"],
                            state.get("caller", "-"), (time.perf_counter() - start) * 1000)

    async def _read_capped(self, receive: Receive, cap: int) -> Receive | None:
        """The body's messages, to be replayed to the app; None once they pass the cap."""
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > cap:
                return None
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay

    async def _too_large(self, send: Send, cap: int, page: str | bool = False) -> None:
        """A 413: JSON for the API; a browser's form (`page`: its path, e.g. the upload page's without its script)
        gets a short page leading back to it."""
        if page:
            body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too large</title></head>'
                    f'<body><h1>Too large</h1><p>The files sent are over {cap:,} bytes together, the limit. '
                    f'Send fewer or smaller files.</p><p><a href="{quote(str(page))}">Back</a></p>'
                    f'</body></html>').encode()
            headers = [(b"content-type", b"text/html; charset=utf-8"),
                       (b"content-security-policy", b"default-src 'none'")]
        else:
            body = json.dumps({"detail": f"the request body is over {cap} bytes"}).encode()
            headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 413,
                    "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _wants_html(scope: Scope) -> bool:
    """A browser's request (it accepts HTML) without a bearer token."""
    headers = dict(scope.get("headers", ()))
    return b"text/html" in headers.get(b"accept", b"") and b"authorization" not in headers


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def too_large_response() -> dict[str, Any]:
    return {"description": "the request body is over the configured limit (SYNTH_API_MAX_BODY_BYTES)"}
