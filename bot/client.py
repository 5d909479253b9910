"""The HTTP client the bot calls the Bot API with: PTB's httpx, with a cheaper idle check.

Before each request, and again when one ends, httpcore's pool asks every idle connection whether
the server has closed it. Each ask goes through anyio, which works out all of the socket's
attributes (its peer's address included: a system call) to hand back the socket, then polls it.
With a member's updates handled side by side, a dozen or more connections sit idle between
calls, and those asks were about a tenth of the bot's time on an answer. Here each connection
keeps its socket and one poll object from the start, so the ask is a single poll; what it
answers is the same.

The pool also rechecks its connections whenever a request comes or goes, and httpcore 1.0 does
it in time that grows with the square of their number (for each idle connection it lists them
all again, only to count them): with a dozen connections that was most of the pool's time.
`_Pool` does the same bookkeeping, deciding exactly as httpcore does, in one pass.
"""

# The streams' and backend's signatures are httpcore's, timeouts included.
# ruff: noqa: ASYNC109

from __future__ import annotations

import select
import socket
import ssl
import typing
from typing import Any

import httpcore
import httpx
from telegram.request import HTTPXRequest


class _Stream(httpcore.AsyncNetworkStream):
    """A connection's stream, answering 'is_readable' from its own socket and poll object."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")
        self._poll: Any = None
        if self._socket is not None and hasattr(select, "poll"):
            self._poll = select.poll()
            self._poll.register(self._socket, select.POLLIN)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._poll is not None and self._socket is not None:
            # As httpcore's own check: a closed socket, or one with bytes waiting (an idle
            # HTTP/1.1 connection gets none but the server's goodbye), is not to be reused.
            return self._socket.fileno() < 0 or bool(self._poll.poll(0))
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, each stream it opens wrapped in `_Stream`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_tcp(host, port, timeout, local_address,
                                                     socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


# What `_Pool` reads of httpcore's pool: should a later httpcore keep its state otherwise, its
# own pool is used as it is.
_POOL_STATE = ("_connections", "_requests", "_max_connections", "_max_keepalive_connections",
               "_assign_requests_to_connections")


class _Pool(httpcore.AsyncConnectionPool):
    """httpcore's pool with its connection bookkeeping done in one pass (see the module).

    Adapted from httpcore 1.0's `_assign_requests_to_connections` (BSD licence): its idle
    check counted every connection for each idle one, `len([c.is_idle() for c in ...])`, which
    is the number of connections; here that number is read once per connection. A queued request
    takes the first available connection, else a new one while there is room, else one made in
    place of an idle one, as there.
    """

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        connections = self._connections
        for connection in list(connections):
            if connection.is_closed():
                connections.remove(connection)
            elif connection.has_expired() or (
                    connection.is_idle() and len(connections) > self._max_keepalive_connections):
                connections.remove(connection)
                closing.append(connection)
        for pool_request in [r for r in self._requests if r.is_queued()]:
            origin = pool_request.request.url.origin
            available = next((c for c in connections
                              if c.can_handle_request(origin) and c.is_available()), None)
            if available is None and len(connections) >= self._max_connections:
                idle = next((c for c in connections if c.is_idle()), None)
                if idle is None:
                    continue  # it waits for a connection to come free
                connections.remove(idle)
                closing.append(idle)
            if available is None:
                available = self.create_connection(origin)
                connections.append(available)
            pool_request.assign_to_connection(available)
        return closing


def transport(max_connections: int) -> httpx.AsyncHTTPTransport:
    """httpx's transport, its pool's connections opened through `_Backend`.

    httpx lets no backend be given: it is set on the pool it built, before any connection is
    opened. Should a later httpx build its pool differently, this is httpx's own transport.
    """
    built = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=max_connections))
    pool = getattr(built, "_pool", None)
    if isinstance(pool, httpcore.AsyncConnectionPool) and hasattr(pool, "_network_backend"):
        pool._network_backend = _Backend(pool._network_backend)
        if type(pool) is httpcore.AsyncConnectionPool and all(
                hasattr(pool, name) for name in _POOL_STATE):
            pool.__class__ = _Pool  # the same pool and settings; only its bookkeeping differs
    return built


def api_request(connection_pool_size: int) -> HTTPXRequest:
    """PTB's request for Bot API calls, on `transport`."""
    return HTTPXRequest(connection_pool_size=connection_pool_size,
                        httpx_kwargs={"transport": transport(connection_pool_size)})
