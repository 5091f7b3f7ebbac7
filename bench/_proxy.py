"""A round-robin TCP proxy for the benchmarks: ``python -m bench._proxy PORT HOST:PORT ...``.

Listens on ``127.0.0.1:PORT`` and hands each new client connection to the next backend in
turn (connection-level round robin, as haproxy's ``mode tcp`` with ``balance roundrobin``),
then copies bytes both ways until either side closes. HTTP keep-alive connections stay on
the backend they were given, so a load generator's clients spread evenly over the backends.
No HTTP parsing, no buffering beyond one read: it adds one loopback hop per request. Used by
``bench/api.py`` for ``api.p95_read_ms_3_instances`` (Debian's haproxy and nginx are not
installed on the bench machine).
"""

from __future__ import annotations

import asyncio
import itertools
import sys

__all__ = ["main", "serve"]

CHUNK = 64 * 1024


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def serve(port: int, backends: list[tuple[str, int]]) -> None:
    """Proxy ``127.0.0.1:port`` to ``backends`` round-robin until cancelled."""
    turn = itertools.cycle(backends)

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        host, backend_port = next(turn)
        try:
            backend_r, backend_w = await asyncio.open_connection(host, backend_port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, backend_w), _pipe(backend_r, client_w))

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> None:
    port, *targets = argv
    backends = [(h, int(p)) for h, p in (t.rsplit(":", 1) for t in targets)]
    try:
        import uvloop  # the event loop plexms serve itself uses

        uvloop.run(serve(int(port), backends))
    except ImportError:  # pragma: no cover - uvloop is a dependency of plexms serve
        asyncio.run(serve(int(port), backends))


if __name__ == "__main__":
    main(sys.argv[1:])
