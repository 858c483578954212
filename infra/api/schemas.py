"""``GET /asyncapi.json``: the published schemas of every topic (``infra.asyncapi``), like the OpenAPI
document for HTTP, open to anyone who may reach the service."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from infra import asyncapi

router = APIRouter(tags=["schemas"])


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    return asyncapi.document()


@router.get("/asyncapi.json", summary="AsyncAPI 3.0: every topic the service reads or writes")
def asyncapi_document() -> JSONResponse:
    return JSONResponse(_document())
