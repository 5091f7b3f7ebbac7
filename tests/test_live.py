"""The shared live server (tests/live.py): serves over a real socket, fails fast with the reason
when the application cannot start, and frees its port on leaving."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from tests.live import LiveServer


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    return app


def test_serves_over_a_socket_and_stops() -> None:
    with LiveServer(_app(), log_level="error") as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(server.url + "/ping", timeout=5).json() == {"pong": "yes"}
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
        pass


def test_a_failed_start_up_raises_with_the_reason() -> None:
    @asynccontextmanager
    async def broken(_: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield  # pragma: no cover

    with (
        pytest.raises(RuntimeError, match="failed to start"),
        LiveServer(FastAPI(lifespan=broken), log_level="critical", lifespan="on"),
    ):
        pass  # pragma: no cover
