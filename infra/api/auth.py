"""Bearer tokens and roles: ``write`` may call everything, ``read`` only GETs, ``audit`` only ``/audit/*``.

History holds personal data that dashboards do not need, so ``/audit/*`` answers to audit tokens
alone (403 for the others), and an audit token is refused everywhere else.

Enforced by an ASGI middleware, before routing and body parsing, so a caller without a valid token
learns nothing (not even whether its JSON was malformed or the route exists).  Routers also declare
``bearer`` so the OpenAPI docs offer an "Authorize" button; it checks nothing itself.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from fastapi.security import HTTPBearer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from infra.api.problems import problem

#: No token needed: health, metrics and the published documents (OpenAPI, and AsyncAPI for the topics).
OPEN_PATHS = frozenset({
    "/livez", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/asyncapi.json",
})  # fmt: skip
AUDIT_PREFIX = "/audit/"
READ_METHODS = frozenset({"GET", "HEAD"})
OCPI_PREFIX = "/ocpi/"

#: Documentation only: the middleware does the checking.
bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`; roles `read`, `write` and `audit`.")


def role_of(authorization: str | None, tokens: Mapping[str, str]) -> str | None:
    """The role of the bearer token in ``authorization``, or None.  Compares in constant time."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    found: str | None = None
    for known, role in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            found = role
    return found


def is_audit_path(path: str) -> bool:
    return path.startswith(AUDIT_PREFIX) or path == AUDIT_PREFIX.rstrip("/")


class BearerAuth:
    """401 without a known token (with ``WWW-Authenticate: Bearer``); 403 for a read token on a command,
    for a write or read token on ``/audit/*``, and for an audit token anywhere else."""

    def __init__(self, app: ASGIApp, tokens: Mapping[str, str]) -> None:
        self.app = app
        self.tokens = dict(tokens)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # OCPI endpoints authenticate with OCPI's own ``Token`` scheme (``infra.api.charging.ocpi``).
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or scope["path"].startswith(OCPI_PREFIX):
            await self.app(scope, receive, send)
            return
        role = role_of(Headers(scope=scope).get("authorization"), self.tokens)
        if role is None:
            response = problem(
                401, "A valid 'Authorization: Bearer <token>' header is required.", "auth.unauthenticated",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        elif is_audit_path(scope["path"]) != (role == "audit"):
            detail = "Only audit tokens may read /audit/*." if role != "audit" else "This token may only read /audit/*."
            response = problem(403, detail, "auth.forbidden")
        elif role != "write" and scope["method"] not in READ_METHODS:
            response = problem(403, "This token may only read (GET).", "auth.forbidden")
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
