"""A Bot API double at the HTTP layer: it answers python-telegram-bot's requests with Bot API JSON
and records what the bot sent, so tests can assert on what a person would see in their chat.

`DoubleRequest` plugs it into an Application in-process (PTB's own request interface);
`BotApiServer` serves the same double over HTTP on 127.0.0.1 for tests that run separate processes.
Files members sent (`add_file`) are described by getFile and downloaded from
`/file/bot<token>/<file_path>`, as from Telegram's own servers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from telegram.request import BaseRequest, RequestData

BOT_ID = 7000001
BOT_USERNAME = "valuestory_test_bot"
TOKEN = f"{BOT_ID}:AAH-test-token-not-real-0123456789abcdef"


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str
    keyboard: list[list[dict[str, Any]]] = field(default_factory=list)
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    caption: str | None = None

    def buttons(self) -> list[str]:
        return [b["text"] for row in self.keyboard for b in row]

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "date": 0,
            "chat": {"id": self.chat_id, "type": "private" if self.chat_id > 0 else "group"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "valuestory",
                     "username": BOT_USERNAME},
        }
        if self.text:
            out["text"] = self.text
        if self.keyboard:
            out["reply_markup"] = {"inline_keyboard": self.keyboard}
        return out


class _NotModified(Exception):
    """Telegram refuses an edit that changes nothing."""


class _BadRequest(Exception):
    """Telegram refuses the request with this description."""


# What a rule returns to override a reply: (HTTP status, Bot API JSON), or None to carry on.
Rule = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]] | None]


class BotApiDouble:
    """Telegram's side of the conversation, kept in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[int, list[SentMessage]] = {}
        self.rules: list[Rule] = []
        # Called with each request before it is answered, outside the lock: a test may block
        # there to hold a request on the wire (written by the bot, not yet answered).
        self.holds: list[Callable[[str, dict[str, Any]], None]] = []
        # Set to have every request answered with this (status, Bot API JSON), long polls too,
        # as when Telegram's servers behind its front ones are down.
        self.down: tuple[int, dict[str, Any]] | None = None
        # Seconds each message send takes, to widen the window between "handled" and "said".
        self.send_delay = 0.0
        # Updates waiting for a bot that long-polls (getUpdates), as Telegram keeps them.
        self._updates: list[dict[str, Any]] = []
        # Far from the ids other test helpers use: Telegram never reuses an update id.
        self._update_ids = itertools.count(20_000_000)
        self._arrived = threading.Condition()
        # Files members sent, by file_id: (file_path, content).
        self.files: dict[str, tuple[str, bytes]] = {}
        self._file_ids = itertools.count(1)
        self.downloads: list[str] = []
        # Seconds a file download takes, to hold a transcription back while a test acts.
        self.download_delay = 0.0

    def add_file(self, content: bytes, suffix: str = ".oga") -> str:
        """A file a member sent, as Telegram keeps it; returns its file_id."""
        with self._lock:
            n = next(self._file_ids)
            file_id = f"AwACAgQAAx-test-file-{n}"
            self.files[file_id] = (f"voice/file_{n}{suffix}", content)
            return file_id

    def voice(self, content: bytes, seconds: int, **overrides: Any) -> dict[str, Any]:
        """A message's `voice` field for a note of these bytes, as Telegram describes it."""
        file_id = self.add_file(content)
        return {"file_id": file_id, "file_unique_id": file_id[-12:], "duration": seconds,
                "mime_type": "audio/ogg", "file_size": len(content), **overrides}

    def download(self, path: str) -> tuple[int, bytes]:
        """A file download at .../file/bot<token>/<file_path>."""
        if self.download_delay:
            time.sleep(self.download_delay)
        _, _, file_path = path.partition("/file/bot")
        file_path = file_path.partition("/")[2]
        with self._lock:
            self.downloads.append(file_path)
            for stored_path, content in self.files.values():
                if stored_path == file_path:
                    return 200, content
        return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        with self._arrived:
            update.setdefault("update_id", next(self._update_ids))
            self._updates.append(update)
            self._arrived.notify_all()
            return int(update["update_id"])

    def pending_updates(self) -> int:
        with self._arrived:
            return len(self._updates)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 0.5)
        with self._arrived:
            # Telegram forgets updates below the offset: that is how a bot confirms them.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and wait:
                self._arrived.wait(wait)
            return list(self._updates[: int(params.get("limit") or 100)])

    # --- what tests read -----------------------------------------------------------------
    def chat(self, chat_id: int) -> list[SentMessage]:
        return list(self.messages.get(chat_id, []))

    def texts(self, chat_id: int) -> list[str]:
        return [m.text or m.caption or "" for m in self.chat(chat_id)]

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    # --- the Bot API ---------------------------------------------------------------------
    def handle(self, method: str, params: dict[str, Any],
               files: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, dict[str, Any]]:
        down = self.down
        if down is not None:
            with self._lock:
                self.calls.append((method, params))
            return down
        if method == "getUpdates":
            with self._lock:
                self.calls.append((method, params))
            return 200, {"ok": True, "result": self._get_updates(params)}
        for hold in list(self.holds):
            hold(method, params)
        if self.send_delay and method.startswith("send"):
            time.sleep(self.send_delay)
        with self._lock:
            self.calls.append((method, params))
            for rule in self.rules:
                override = rule(method, params)
                if override is not None:
                    return override
            try:
                return 200, {"ok": True, "result": self._result(method, params, files or {})}
            except _BadRequest as exc:
                return 400, {"ok": False, "error_code": 400, "description": str(exc)}
            except _NotModified:
                return 400, {"ok": False, "error_code": 400, "description":
                             "Bad Request: message is not modified: specified new message content "
                             "and reply markup are exactly the same as a current content and "
                             "reply markup of the message"}

    def _keyboard(self, params: dict[str, Any]) -> list[list[dict[str, Any]]]:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        return list((markup or {}).get("inline_keyboard", []))

    def _find(self, params: dict[str, Any]) -> SentMessage | None:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        return next((m for m in self.messages.get(chat_id, []) if m.message_id == message_id),
                    None)

    def _result(self, method: str, params: dict[str, Any],
                files: dict[str, tuple[str, bytes]]) -> Any:
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "valuestory",
                    "username": BOT_USERNAME, "can_join_groups": True,
                    "can_read_all_group_messages": False, "supports_inline_queries": False}
        if method in ("sendMessage", "sendDocument", "sendPhoto"):
            chat_id = int(params["chat_id"])
            message = SentMessage(chat_id, next(self._ids), str(params.get("text", "")),
                                  self._keyboard(params), caption=params.get("caption"))
            if "document" in files:
                message.document = files["document"]
            if "photo" in files:
                message.photo = files["photo"][1]
            self.messages.setdefault(chat_id, []).append(message)
            return message.to_api()
        if method == "getFile":
            found = self.files.get(str(params.get("file_id")))
            if found is None:
                raise _BadRequest("Bad Request: invalid file_id")
            file_path, content = found
            if len(content) > 20 * 1024 * 1024:
                raise _BadRequest("Bad Request: file is too big")
            return {"file_id": params["file_id"], "file_unique_id": str(params["file_id"])[-12:],
                    "file_size": len(content), "file_path": file_path}
        if method == "editMessageReplyMarkup":
            found = self._find(params)
            if found is not None and found.keyboard == self._keyboard(params):
                raise _NotModified
            if found is not None:
                found.keyboard = self._keyboard(params)
                return found.to_api()
            return True
        if method == "editMessageText":
            found = self._find(params)
            if found is not None:
                found.text = str(params["text"])
                found.keyboard = self._keyboard(params)
                return found.to_api()
            return True
        return True


def _files(request_data: RequestData) -> dict[str, tuple[str, bytes]]:
    if not request_data.contains_files:
        return {}
    out = {}
    for name, value in request_data.multipart_data.items():
        if isinstance(value, tuple):
            out[name] = (str(value[0]), bytes(value[1]))
    return out


class DoubleRequest(BaseRequest):
    """PTB's request interface, answered by the double instead of Telegram's servers."""

    def __init__(self, double: BotApiDouble) -> None:
        self.double = double
        self.urls: list[str] = []

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self.urls.append(url)
        if "/file/bot" in url:
            return await asyncio.to_thread(self.double.download, url)
        api_method = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        files = _files(request_data) if request_data else {}
        if api_method == "getUpdates":
            status, payload = await asyncio.to_thread(self.double.handle, api_method, dict(params))
            return status, json.dumps(payload).encode()
        status, payload = self.double.handle(api_method, dict(params), files)
        return status, json.dumps(payload).encode()


def _multipart(kind: str, body: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Form fields and uploaded files (a photo, a document) from a multipart request."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {kind}\r\n\r\n".encode() + body)
    params: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(data, bytes):
            continue
        filename = part.get_filename()
        if filename:
            files[name] = (filename, data)
        else:
            params[name] = data.decode()
    return params, files


class BotApiServer:
    """The double over HTTP, on 127.0.0.1, for bots running in other processes."""

    def __init__(self, double: BotApiDouble) -> None:
        self.double = double
        outer = self

        class Handler(BaseHTTPRequestHandler):
            # Headers and body go out in two writes: with Nagle's algorithm the body waits for
            # the client's delayed ACK, 40 ms a call.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if not self.path.startswith("/file/bot"):
                    self.do_POST()
                    return
                status, data = outer.double.download(self.path)
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                kind = self.headers.get("Content-Type", "")
                files: dict[str, tuple[str, bytes]] = {}
                if "json" in kind and body:
                    params = json.loads(body)
                elif body and "multipart" in kind:
                    params, files = _multipart(kind, body)
                elif body:
                    params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                else:
                    params = {}
                method = self.path.rstrip("/").rsplit("/", 1)[-1]
                status, payload = outer.double.handle(method, params, files)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            # A bot opens many connections at once during a fan-out; the default backlog of 5
            # would reset some of them.
            request_queue_size = 1024
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A bot killed mid-request hangs up on us: that is what those tests do.
                if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    return
                super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def __enter__(self) -> BotApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
