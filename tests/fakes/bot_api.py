"""A local fake of the Telegram Bot API, enough for python-telegram-bot to talk to over HTTP.

It records what the bot sends, serves updates to long polling, and can be told to fail the next
calls of a method (429 with retry_after, or 5xx), now or after some calls have gone through. The "bale" profile lacks what Bale lacks:
setWebhook with a secret_token is refused.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from typing import Any

from aiohttp import web


class FakeBotApi:
    def __init__(self, profile: str = "telegram") -> None:
        self.profile = profile
        self.sent: list[dict] = []
        self.calls: list[str] = []
        self.voices: list[dict] = []  # sendVoice: chat_id, the OGG bytes, reply_markup
        self.files: dict[str, bytes] = {}  # what getFile and the file URL serve, by file_id
        # What reached each chat, in order: (method, chat_id, text, monotonic time).
        self.events: list[tuple[str, object, str, float]] = []
        self.webhook: dict = {}
        self.redis_url = ""  # the Redis of the gateway under test, for tests that wait on its queues
        self.failures: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        self._updates: asyncio.Queue = asyncio.Queue()
        self._message_ids = itertools.count(1000)
        self._sent_event = asyncio.Event()

    def fail_next(self, method: str, status: int, parameters: dict | None = None, after: int = 0) -> None:
        """Fail a coming call of ``method``, once ``after`` calls have gone through."""
        self.failures[method].extend([(0, {})] * after + [(status, parameters or {})])

    def push_update(self, update: dict) -> None:
        self._updates.put_nowait(update)

    async def wait_for_sent(self, count: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count:
            self._sent_event.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{len(self.sent)} messages sent, wanted {count}: {[m.get('text') for m in self.sent]}")
            try:
                await asyncio.wait_for(self._sent_event.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return self.sent

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/voice/{file_id}", self._file)
        return app

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        data = await request.post()
        import json

        params: dict[str, Any] = {}
        for key, value in data.items():
            try:
                params[key] = json.loads(value)
            except (TypeError, ValueError):
                params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(method)
        status, parameters = self.failures[method].pop(0) if self.failures.get(method) else (0, {})
        if status:
            return web.json_response(
                {"ok": False, "error_code": status, "description": "fake failure", "parameters": parameters}, status=status
            )
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": f"no method {method}"}, status=404)
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _getMe(self, params: dict) -> dict:  # noqa: N802 - Bot API method names
        return {"id": 4242, "is_bot": True, "first_name": "Hamyar", "username": "hamyar_test_bot"}

    async def _setWebhook(self, params: dict):  # noqa: N802
        if self.profile == "bale" and params.get("secret_token"):
            return web.json_response({"ok": False, "error_code": 400, "description": "secret_token is not supported"}, status=400)
        self.webhook = params
        return True

    async def _deleteWebhook(self, params: dict) -> bool:  # noqa: N802
        self.webhook = {}
        return True

    async def _getUpdates(self, params: dict) -> list:  # noqa: N802
        timeout = float(params.get("timeout") or 0)
        updates = []
        try:
            updates.append(await asyncio.wait_for(self._updates.get(), timeout=max(timeout, 0.01)))
        except asyncio.TimeoutError:
            return []
        while not self._updates.empty():
            updates.append(self._updates.get_nowait())
        return updates

    def chat_log(self, chat_id: object) -> list[tuple[str, str, float]]:
        """(method, text, time) of what one chat got: messages and chat actions."""
        return [(method, text, at) for method, chat, text, at in self.events if str(chat) == str(chat_id)]

    def texts(self, chat_id: object) -> list[str]:
        return [text for method, text, _ in self.chat_log(chat_id) if method == "sendMessage"]

    async def _sendChatAction(self, params: dict) -> bool:  # noqa: N802
        self.events.append(("sendChatAction", params["chat_id"], params.get("action", ""), time.monotonic()))
        return True

    async def _sendMessage(self, params: dict) -> dict:  # noqa: N802
        self.events.append(("sendMessage", params["chat_id"], params.get("text", ""), time.monotonic()))
        self.sent.append(params)
        self._sent_event.set()
        chat = params["chat_id"]
        kind = "channel" if isinstance(chat, str) and chat.startswith("@") else "private"
        chat_id = -1001234567890 if kind == "channel" else int(chat)
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": kind},
            "text": params.get("text", ""),
        }

    async def _sendVoice(self, params: dict) -> dict:  # noqa: N802
        """A voice note arrives as a multipart upload; its bytes are kept in ``voices``."""
        voice = params.get("voice")
        data = voice.file.read() if hasattr(voice, "file") else b""
        self.voices.append({"chat_id": params["chat_id"], "ogg": data, "reply_markup": params.get("reply_markup")})
        self.events.append(("sendVoice", params["chat_id"], "", time.monotonic()))
        self.sent.append({"chat_id": params["chat_id"], "voice": len(data), "reply_markup": params.get("reply_markup")})
        self._sent_event.set()
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "voice": {"file_id": f"v{len(self.voices)}", "file_unique_id": f"u{len(self.voices)}", "duration": 1},
        }

    async def _getFile(self, params: dict):  # noqa: N802
        data = self.files.get(str(params.get("file_id")))
        if data is None:
            return web.json_response({"ok": False, "error_code": 400, "description": "file not found"}, status=400)
        file_id = str(params["file_id"])
        return {"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(data), "file_path": f"voice/{file_id}"}

    async def _file(self, request: web.Request) -> web.Response:
        """A file's bytes, at the URL getFile gave (python-telegram-bot's ``File.download_*``)."""
        data = self.files.get(request.match_info["file_id"])
        return web.Response(body=data, content_type="audio/ogg") if data is not None else web.Response(status=404)

    async def _answerCallbackQuery(self, params: dict) -> bool:  # noqa: N802
        return True
