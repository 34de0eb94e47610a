"""A local fake of Rubika's bot API (``/v3/{token}/{method}``): records what is sent, can fail."""

from __future__ import annotations

import asyncio
import itertools
import time

from aiohttp import web


class FakeRubikaApi:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.uploads: dict[str, bytes] = {}  # file_id: the bytes uploaded (requestSendFile, then a POST)
        self.endpoints: dict[str, str] = {}
        self.redis_url = ""  # the Redis of the gateway under test, for tests that wait on its queues
        self.failures: list[tuple[int, str]] = []
        self._ids = itertools.count(5000)
        self._event = asyncio.Event()

    def texts(self, chat_id: str) -> list[str]:
        return [m["text"] for m in self.sent if m["chat_id"] == chat_id]

    def fail_next_send(self, http_status: int = 200, api_status: str = "TOO_REQUESTS") -> None:
        self.failures.append((http_status, api_status))

    async def wait_for_sent(self, count: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count:
            self._event.clear()
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.sent)} sent, wanted {count}")
            try:
                await asyncio.wait_for(self._event.wait(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass
        return self.sent

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/{token}/{method}", self._handle)
        app.router.add_post("/upload/{ticket}", self._upload)
        return app

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return web.json_response({"status": "INVALID_INPUT"}, status=400)
        file_id = f"f{request.match_info['ticket']}"
        self.uploads[file_id] = upload.file.read()
        return web.json_response({"status": "OK", "data": {"file_id": file_id}})

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.json()
        if method == "getMe":
            return web.json_response({"status": "OK", "data": {"bot": {"bot_id": "b0hamyar", "bot_title": "همیار"}}})
        if method == "updateBotEndpoints":
            self.endpoints[body["type"]] = body["url"]
            return web.json_response({"status": "OK", "data": {"status": "Done"}})
        if method == "sendMessage":
            if self.failures:
                http_status, api_status = self.failures.pop(0)
                return web.json_response({"status": api_status}, status=http_status)
            self.sent.append({**body, "at": time.monotonic()})
            self._event.set()
            return web.json_response({"status": "OK", "data": {"message_id": str(next(self._ids))}})
        if method == "requestSendFile":
            if body.get("type") not in ("File", "Image", "Voice", "Music", "Gif", "Video"):
                return web.json_response({"status": "INVALID_INPUT"}, status=400)
            ticket = str(next(self._ids))
            return web.json_response({"status": "OK", "data": {"upload_url": str(request.url.with_path(f"/upload/{ticket}"))}})
        if method == "sendFile":
            if body.get("file_id") not in self.uploads:
                return web.json_response({"status": "INVALID_INPUT"}, status=400)
            self.sent.append({**body, "text": body.get("text", ""), "at": time.monotonic()})
            self._event.set()
            return web.json_response({"status": "OK", "data": {"message_id": str(next(self._ids))}})
        return web.json_response({"status": "INVALID_INPUT"}, status=400)
