"""A TCP proxy on 127.0.0.1 that a test can cut, to make a server go away and come back.

Cut, every connection through it is reset and its port refuses new ones, as when a server is
down or the network to it is gone; restored, it listens on the same port again.
"""

from __future__ import annotations

import asyncio
import contextlib


class CuttableProxy:
    """Forwards connections to one address; `cut_all` and `restore` take it away and back."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port = 0
        self.links: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen (on a free port the first time, the same one after); returns the port."""
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.listen_port,
                                                 reuse_address=True)
        self.listen_port = int(self.server.sockets[0].getsockname()[1])
        return self.listen_port

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.transport.abort()
            return
        self.links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links -= {writer, up_writer}

    async def cut_all(self) -> None:
        """Reset every connection and refuse new ones."""
        if self.server is not None:
            self.server.close()
            self.server = None
        for link in list(self.links):
            link.transport.abort()

    async def restore(self) -> None:
        if self.server is None:
            await self.start()

    async def close(self) -> None:
        await self.cut_all()
