"""An operator's notice (a planned outage, say) to subscribed citizens and to public channels.

``POST /admin/announcements`` (bearer ``HAMYAR_ADMIN_TOKEN``) or ``python -m
notifications.announcements "متن"``. Channels: Telegram/Bale channels through their adapter, Eitaa
channels through Eitaa's send-only API. Sent within rate limits; answered with a delivery report.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import aiohttp
from aiohttp import web
from aiolimiter import AsyncLimiter
from pydantic import BaseModel, Field, ValidationError

from connectors.channel_config import read_channels
from connectors.delivery import ADAPTERS
from connectors.models import OutboundMessage
from nlu.catalog import expand_env
from notifications.agency_updates import DELIVERER, SUBSCRIPTIONS

logger = logging.getLogger("notifications")
ADMIN_TOKEN: web.AppKey[str] = web.AppKey("admin_token", str)
CHANNELS: web.AppKey[list] = web.AppKey("announcement_channels", list)


@dataclass(frozen=True)
class AnnouncementChannel:
    via: str  # a messenger adapter's name (telegram, bale, splus) or "eitaa"
    chat_id: str
    token: str = ""
    base_url: str = ""


def load_channels(path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None) -> list[AnnouncementChannel]:
    data, env = read_channels(path, env)
    channels = []
    for raw in data.get("announcement_channels", []):
        values = {k: expand_env(str(v), env) for k, v in raw.items()}
        if values.get("chat_id") and (values["via"] != "eitaa" or values.get("token")):
            channels.append(AnnouncementChannel(values["via"], values["chat_id"], values.get("token", ""), values.get("base_url", "").rstrip("/")))
    return channels


class Announcement(BaseModel):
    text: str = Field(min_length=1, max_length=1000)
    subscribers: bool = True
    channels: bool = True


async def send_to_eitaa(channel: AnnouncementChannel, text: str) -> bool:
    """Eitaa's send-only API: ``{base}/{token}/sendMessage`` with chat_id and text."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            async with session.post(f"{channel.base_url}/{channel.token}/sendMessage", data={"chat_id": channel.chat_id, "text": text}) as response:
                body = await response.json(content_type=None)
                return response.status == 200 and isinstance(body, dict) and bool(body.get("ok"))
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return False


async def announce(app: web.Application, announcement: Announcement, rate_per_second: float = 20) -> dict:
    deliverer = app[DELIVERER]
    limiter = AsyncLimiter(rate_per_second, 1)
    report: dict = {"subscribers": {"sent": 0, "failed": 0}, "channels": []}
    if announcement.subscribers:
        for conversation in sorted(await app[SUBSCRIPTIONS].everyone()):
            async with limiter:
                ok = await deliverer.say(conversation, "announcement", text=announcement.text)  # with «دیگر خبر نده»
            report["subscribers"]["sent" if ok else "failed"] += 1
    if announcement.channels:
        for channel in app[CHANNELS]:
            async with limiter:
                if channel.via == "eitaa":
                    ok = await send_to_eitaa(channel, announcement.text)
                elif channel.via in app[ADAPTERS]:
                    ok = await app[ADAPTERS][channel.via].send(channel.chat_id, [OutboundMessage(text=announcement.text)], f"{channel.via}:{channel.chat_id}")
                else:
                    ok = False
            report["channels"].append({"via": channel.via, "ok": ok})
    logger.info("announcement sent report=%s", json.dumps(report))
    return report


async def post_announcement(request: web.Request) -> web.Response:
    token = request.app[ADMIN_TOKEN]
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return web.json_response({"error": "unauthorised"}, status=401)
    try:
        announcement = Announcement.model_validate_json(await request.read())
    except ValidationError:
        return web.json_response({"error": "malformed"}, status=400)
    return web.json_response(await announce(request.app, announcement))


def main() -> int:
    parser = argparse.ArgumentParser(description="Send a notice to subscribed citizens and announcement channels")
    parser.add_argument("text")
    parser.add_argument("--no-subscribers", action="store_true")
    parser.add_argument("--no-channels", action="store_true")
    parser.add_argument("--gateway", default=os.environ.get("GATEWAY_URL", f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}"))
    args = parser.parse_args()
    token = os.environ.get("HAMYAR_ADMIN_TOKEN", "")
    if not token:
        print("HAMYAR_ADMIN_TOKEN is not set (make run writes it to .env)", file=sys.stderr)
        return 2
    body = {"text": args.text, "subscribers": not args.no_subscribers, "channels": not args.no_channels}

    async def send() -> tuple[int, dict]:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{args.gateway}/admin/announcements", json=body, headers={"Authorization": f"Bearer {token}"}) as response:
                return response.status, await response.json(content_type=None)

    status, report = asyncio.run(send())
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
