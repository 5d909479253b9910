"""The Bot API client keeps connections open between calls, and never reuses one the server shut."""

from __future__ import annotations

import asyncio
import socket
import threading

from telegram import Bot
from telegram.request import HTTPXRequest

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
              request=HTTPXRequest(connection_pool_size=8))
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
              request=HTTPXRequest(connection_pool_size=3))
    try:
        async with bot:
            names = await asyncio.gather(*(bot.get_me() for _ in range(12)))
            assert [me.username for me in names] == ["valuestory_bot"] * 12
            assert server.answered == 13 and 1 <= len(server.connections) <= 3
    finally:
        server.close()
