"""The running service over HTTP: the session's service with uvicorn on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from infra.api.app import create_app
from infra.service import Service
from tests.support.service import READ_TOKEN, WRITE_TOKEN


@contextmanager
def serve(service: Service) -> Iterator[str]:
    """``service``'s API with uvicorn on a free loopback port, for the ``with`` block; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(service.container, readiness=service.readiness)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def base_url(service: Service) -> Iterator[str]:
    with serve(service) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {WRITE_TOKEN}"}, timeout=20) as client:
        yield client


@pytest.fixture
def reader(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {READ_TOKEN}"}, timeout=20) as client:
        yield client
