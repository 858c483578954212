"""Two ASGI guards around the routes: a request body limit (413), and a last-resort 500 that keeps the
connection open.

``BodyLimit`` refuses a declared ``Content-Length`` over the limit before anything reads the body, and
stops a chunked body as soon as it passes the limit.  ``Unexpected`` answers an error no handler knows
with a 500 problem and does *not* re-raise it: Starlette's own last resort re-raises after answering,
which makes the server drop the keep-alive connection under the client's next request.
"""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.api.problems import problem

log = logging.getLogger(__name__)

TOO_LARGE_CODE = "request.too_large"


def too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` when a body without (or with a false) ``Content-Length`` passes the limit;
    an ``HTTPException`` so that FastAPI's body parsing lets it through to the problem handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit))


class BodyLimit:
    """``max_bytes`` for every path, except those under a prefix of ``by_prefix`` (path prefix -> limit):
    OCPI sessions carry their charging periods and may be megabytes (``/ocpi/``: 8 MiB)."""

    def __init__(self, app: ASGIApp, max_bytes: int, by_prefix: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.by_prefix = by_prefix or {}

    def limit(self, path: str) -> int:
        return next((n for prefix, n in self.by_prefix.items() if path.startswith(prefix)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not (declared.isascii() and declared.isdigit()) or int(declared) > limit):
            response = problem(413, too_large_detail(limit), TOO_LARGE_CODE, headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, counted, send)


class Unexpected:
    """The last resort: a 500 problem for any unhandled error, logged once, the connection kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error", extra={"method": scope.get("method"), "path": scope.get("path")})
            if started:
                raise  # half an answer is out: only closing the connection can tell the client
            await problem(500, "An unexpected error occurred.", "internal.error")(scope, receive, send)
