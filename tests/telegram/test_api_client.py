"""The Bot API client keeps connections open between calls, and never reuses one the server shut."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from types import SimpleNamespace

import httpcore
from telegram import Bot

from bot.client import _Pool, api_request
from tests.botapi import TOKEN

ANSWER = (b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n'
          b'Connection: keep-alive\r\n\r\n%s')
ME = (b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"valuestory",'
      b'"username":"valuestory_bot"}}')


class KeepAliveServer:
    """Answers getMe on 127.0.0.1, keeping each connection open until told to shut them."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.answered = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                if len(rest) < length:
                    break
                buffer = rest[length:]
                self.answered += 1
                conn.sendall(ANSWER % (len(ME), ME))

    def shut_all(self) -> None:
        """The server's side of idle connections closing (a keep-alive timeout, a restart)."""
        for conn in self.connections:
            conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def close(self) -> None:
        self.listener.close()


async def test_calls_share_one_connection_and_a_shut_one_is_never_reused() -> None:
    server = KeepAliveServer()
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{server.port}/bot",
              request=api_request(connection_pool_size=8))
    try:
        async with bot:  # its own getMe: the first call
            for _ in range(3):
                assert (await bot.get_me()).username == "valuestory_bot"
            assert server.answered == 4 and len(server.connections) == 1

            server.shut_all()
            await asyncio.sleep(0.1)  # the goodbye reaches the client's socket
            # The idle connection the server shut is seen to be so, and a new one opened: the
            # call does not fail on a dead socket.
            assert (await bot.get_me()).username == "valuestory_bot"
            assert server.answered == 5 and len(server.connections) == 2
    finally:
        server.close()


async def test_many_calls_at_once_share_a_few_connections_and_all_are_answered() -> None:
    server = KeepAliveServer()
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{server.port}/bot",
              request=api_request(connection_pool_size=3))
    try:
        async with bot:
            names = await asyncio.gather(*(bot.get_me() for _ in range(12)))
            assert [me.username for me in names] == ["valuestory_bot"] * 12
            assert server.answered == 13 and 1 <= len(server.connections) <= 3
    finally:
        server.close()


class _Connection:
    """A pooled connection's state, as the pool asks about it."""

    def __init__(self, rng: random.Random, n: int) -> None:
        self.n = n
        self.closed, self.expired = rng.random() < 0.15, rng.random() < 0.15
        self.idle = rng.random() < 0.5
        self.available = self.idle or rng.random() < 0.2
        self.origin = rng.choice(("a", "b"))

    def is_closed(self) -> bool:
        return self.closed

    def has_expired(self) -> bool:
        return self.expired

    def is_idle(self) -> bool:
        return self.idle

    def is_available(self) -> bool:
        return self.available

    def can_handle_request(self, origin: str) -> bool:
        return origin == self.origin

    def __repr__(self) -> str:
        return f"c{self.n}:{self.origin}"


class _New(_Connection):
    """A connection the pool just made for a request: busy with it."""

    def __init__(self, n: int, origin: str) -> None:
        self.n, self.origin = n, origin
        self.closed = self.expired = self.idle = self.available = False


class _Request:
    def __init__(self, rng: random.Random) -> None:
        self.request = SimpleNamespace(url=SimpleNamespace(origin=rng.choice(("a", "b"))))
        self.queued = rng.random() < 0.7
        self.to: object = None

    def is_queued(self) -> bool:
        return self.queued and self.to is None

    def assign_to_connection(self, connection: object) -> None:
        self.to = connection


def test_the_pool_decides_exactly_as_httpcores_own_in_every_state() -> None:
    """The pool's bookkeeping (bot/client.py) against httpcore's, on the same random states:
    the same connections kept, closed and opened, and each request given the same one."""
    for seed in range(400):
        outcomes = []
        for kind in (httpcore.AsyncConnectionPool, _Pool):
            rng = random.Random(seed)
            pool = kind(max_connections=rng.randint(1, 6),
                        max_keepalive_connections=rng.choice((None, 0, 1, 3)))
            pool._connections = [_Connection(rng, n) for n in range(rng.randint(0, 8))]
            pool._requests = [_Request(rng) for _ in range(rng.randint(0, 5))]
            made = iter(range(100, 200))
            pool.create_connection = lambda origin, made=made: _New(next(made), origin)
            closing = pool._assign_requests_to_connections()
            outcomes.append((repr(pool._connections), repr(closing),
                             [repr(r.to) for r in pool._requests]))
        assert outcomes[0] == outcomes[1], seed
