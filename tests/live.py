"""One live server for the tests that need a real socket: ``with LiveServer(app) as server``.

uvicorn serves the application in a daemon thread on a socket this helper binds itself
(127.0.0.1, a port the kernel chooses, so two runs never race for one port). Entering waits
for uvicorn's own start-up to finish (an event set when the lifespan has started and the
socket listens; no sleep, no polling), up to a deadline; a server that fails to start raises
at once with the reason. Leaving asks uvicorn to exit and joins the thread.

Used by the browser tests (``tests/e2e/conftest.py``), the API journey over a socket
(``tests/api/test_journey.py``) and the privacy test (``tests/security/test_privacy.py``).
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn

__all__ = ["HOST", "LiveServer"]

HOST = "127.0.0.1"


class _Server(uvicorn.Server):
    """uvicorn's server that reports the end of its start-up (or its failure) by events."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.settled = threading.Event()  # started, or failed to start
        self.failure: BaseException | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.settled.set()

    def run_in_thread(self, sockets: list[socket.socket]) -> None:
        try:
            self.run(sockets=sockets)
        except BaseException as exc:  # e.g. SystemExit from a failed lifespan start-up
            self.failure = exc
        finally:
            self.settled.set()


class LiveServer:
    """The ASGI ``app`` served over HTTP at :attr:`url` while the ``with`` block runs.

    ``config`` goes to :class:`uvicorn.Config` (``log_level``, ``lifespan``, ``access_log``...);
    the host and the socket are this helper's.
    """

    def __init__(self, app: Any, *, start_timeout: float = 30.0, **config: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((HOST, 0))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://{HOST}:{self.port}"
        self._timeout = start_timeout
        self._server = _Server(uvicorn.Config(app, host=HOST, port=self.port, **config))
        self._thread = threading.Thread(
            target=self._server.run_in_thread, args=([self._sock],), daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        if not self._server.settled.wait(self._timeout):
            self._stop()
            raise RuntimeError(f"the live server did not start within {self._timeout} s")
        if not self._server.started:
            self._stop()
            raise RuntimeError(f"the live server failed to start: {self._server.failure!r}")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._thread.is_alive():  # open connections kept it: close them
            self._server.force_exit = True
            self._thread.join(timeout=10)
        self._sock.close()
