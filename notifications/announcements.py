"""An operator's notice (a planned outage, say) to subscribed citizens and to public channels.

``POST /admin/announcements`` (bearer ``HAMYAR_ADMIN_TOKEN``, header ``Idempotency-Key``) or
``python -m notifications.announcements "متن"``. The request only creates a job and is answered
202 with its id; the gateway's notice queue (notifications/queue.py) sends it within rate limits,
each recipient at least once and never twice, and ``GET /admin/announcements/{id}`` reports its
progress and, once done, the delivery report. The same idempotency key gives the same job, so an
operator's retry sends nothing twice. Channels: Telegram/Bale channels through their adapter,
Eitaa channels through Eitaa's send-only API.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Optional

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from aiolimiter import AsyncLimiter
from pydantic import BaseModel, Field, ValidationError
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from connectors.channel_config import channel_entries
from connectors.keys import ADAPTERS, ADMIN_TOKEN, ANNOUNCEMENT_CHANNELS, DELIVERER, JOBS, NOTICES, SUBSCRIPTIONS
from connectors.models import OutboundMessage
from connectors.signing import same_secret
from notifications.queue import STREAM, Fields, Kind, NoticeQueue

logger = logging.getLogger("notifications")
# A job and its idempotency key are kept a week: operators look at reports for days, not months.
JOB_TTL = 7 * 24 * 3600
MAX_KEY = 200


@dataclass(frozen=True)
class AnnouncementChannel:
    via: str  # a messenger adapter's name (telegram, bale, splus) or "eitaa"
    chat_id: str
    token: str = ""
    base_url: str = ""


def load_channels(path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None) -> list[AnnouncementChannel]:
    channels = []
    for entry in channel_entries("announcement_channels", path, env):
        values = {k: str(v) for k, v in entry.items()}
        if values.get("chat_id") and (values["via"] != "eitaa" or values.get("token")):
            channels.append(
                AnnouncementChannel(
                    values["via"], values["chat_id"], values.get("token", ""), values.get("base_url", "").rstrip("/")
                )
            )
    return channels


class Announcement(BaseModel):
    text: str = Field(min_length=1, max_length=1000)
    subscribers: bool = True
    channels: bool = True


class KeyReused(Exception):
    """The idempotency key was used for a different announcement."""


async def send_to_eitaa(channel: AnnouncementChannel, text: str) -> bool:
    """Eitaa's send-only API: ``{base}/{token}/sendMessage`` with chat_id and text."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            async with session.post(
                f"{channel.base_url}/{channel.token}/sendMessage", data={"chat_id": channel.chat_id, "text": text}
            ) as response:
                body = await response.json(content_type=None)
                return response.status == 200 and isinstance(body, dict) and bool(body.get("ok"))
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return False


def _job_key(job_id: str) -> str:
    return f"hamyar:announcement:{job_id}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


# Atomically: the job for this idempotency key, or a new job with its first entry on the queue.
# KEYS: idempotency key, job key, notice stream. ARGV: job id, fingerprint, TTL, job fields...
_CREATE = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'EX', ARGV[3])
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], '*', 'kind', 'announce', 'job', ARGV[1], 'dedup', 'announce:' .. ARGV[1])
return false
"""


class AnnouncementJobs:
    """Jobs in Redis: a hash per job (text, options, progress), found by id or idempotency key."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._create = redis.register_script(_CREATE)

    async def create(self, announcement: Announcement, idempotency_key: str) -> tuple[dict, bool]:
        """The job's report, and whether it was created now (False: the key's earlier job)."""
        fingerprint = _digest(announcement.model_dump_json())
        job_id = uuid.uuid4().hex
        fields = {
            "text": announcement.text,
            "subscribers": int(announcement.subscribers),
            "channels": int(announcement.channels),
            "status": "queued",
            "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "sent": 0,
            "failed": 0,
        }
        args = [job_id, fingerprint, JOB_TTL, *(str(v) for pair in fields.items() for v in pair)]
        existing = await self._create(
            keys=[f"hamyar:announcement:key:{_digest(idempotency_key)}", _job_key(job_id), STREAM], args=args
        )
        if existing is None:
            logger.info("announcement queued job=%s", job_id)
            return await self.report(job_id) or {}, True
        job_id, _, earlier = existing.partition(":")
        if earlier != fingerprint:
            raise KeyReused
        return await self.report(job_id) or {"id": job_id, "status": "queued"}, False

    async def report(self, job_id: str) -> Optional[dict]:
        job = await self._redis.hgetall(_job_key(job_id))
        if not job:
            return None
        sent, failed = int(job.get("sent", 0)), int(job.get("failed", 0))
        total = int(job["total"]) if "total" in job else None
        channels = [
            {"via": name.split(":", 2)[1], "chat_id": name.split(":", 2)[2], "state": state}
            for name, state in sorted(job.items())
            if name.startswith("channel:")
        ]
        status = job.get("status", "queued")
        if (
            status == "sending"
            and total is not None
            and sent + failed >= total
            and all(c["state"] != "pending" for c in channels)
        ):
            status = "done"
        return {
            "id": job_id,
            "status": status,
            "created_at": job.get("created_at"),
            "subscribers": {
                "total": total,
                "sent": sent,
                "failed": failed,
                "pending": None if total is None else total - sent - failed,
            },
            "channels": channels,
        }

    async def text(self, job_id: str) -> Optional[str]:
        return await self._redis.hget(_job_key(job_id), "text")

    async def start(self, job_id: str, subscribers: list[str], everywhere: list[AnnouncementChannel], queue: NoticeQueue) -> bool:
        """Queues one entry per recipient, together with the job's total; False when the job
        expired or was started already (by an earlier copy of its entry)."""
        job = await self._redis.hgetall(_job_key(job_id))
        if not job or job.get("status") != "queued":
            return False
        conversations = subscribers if job.get("subscribers") == "1" else []
        channels = everywhere if job.get("channels") == "1" else []
        entries = [{"kind": "announcement", "job": job_id, "conversation": c, "dedup": _digest(job_id, c)} for c in conversations]
        entries += [
            {
                "kind": "channel",
                "job": job_id,
                "via": c.via,
                "chat_id": c.chat_id,
                "dedup": _digest(job_id, "channel", c.via, c.chat_id),
            }
            for c in channels
        ]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                _job_key(job_id),
                mapping={
                    "total": len(conversations),
                    "status": "sending",
                    **{f"channel:{c.via}:{c.chat_id}": "pending" for c in channels},
                },
            )
            await queue.add(entries, pipe)
            await pipe.execute()
        logger.info("announcement started job=%s subscribers=%d channels=%d", job_id, len(conversations), len(channels))
        return True

    @staticmethod
    def count(pipe: Pipeline, fields: Fields, ok: bool) -> None:
        """One subscriber told (or given up on), in the transaction that settles the entry."""
        pipe.hincrby(_job_key(fields["job"]), "sent" if ok else "failed", 1)
        pipe.expire(_job_key(fields["job"]), JOB_TTL, nx=True)  # a job that expired meanwhile does not come back for good

    @staticmethod
    def mark(pipe: Pipeline, fields: Fields, ok: bool) -> None:
        pipe.hset(_job_key(fields["job"]), f"channel:{fields['via']}:{fields['chat_id']}", "sent" if ok else "failed")
        pipe.expire(_job_key(fields["job"]), JOB_TTL, nx=True)


def kinds(app: web.Application, per_second: float = 20) -> dict[str, Kind]:
    """How the notice queue sends an announcement: "announce" turns a job into one entry per
    recipient, "announcement" tells one subscriber, "channel" posts to one public channel."""
    jobs = app[JOBS]
    limiter = AsyncLimiter(per_second, 1)

    async def start(fields: Fields) -> bool:
        await jobs.start(fields["job"], sorted(await app[SUBSCRIPTIONS].everyone()), app[ANNOUNCEMENT_CHANNELS], app[NOTICES])
        return True

    async def tell(fields: Fields) -> bool:
        text = await jobs.text(fields["job"])
        if text is None:
            return True  # the job expired: nothing left to say
        async with limiter:
            return await app[DELIVERER].say(fields["conversation"], "announcement", text=text)  # with «دیگر خبر نده»

    async def post(fields: Fields) -> bool:
        text = await jobs.text(fields["job"])
        channel = next((c for c in app[ANNOUNCEMENT_CHANNELS] if c.via == fields["via"] and c.chat_id == fields["chat_id"]), None)
        if text is None or channel is None:
            return False  # expired, or no longer configured
        async with limiter:
            if channel.via == "eitaa":
                return await send_to_eitaa(channel, text)
            if channel.via in app[ADAPTERS]:
                return await app[DELIVERER].send(f"{channel.via}:{channel.chat_id}", [OutboundMessage(text=text)])
        return False

    return {"announce": Kind(start), "announcement": Kind(tell, jobs.count), "channel": Kind(post, jobs.mark)}


def _authorised(request: web.Request) -> bool:
    token = request.app[ADMIN_TOKEN]
    given = request.headers.get("Authorization", "")
    return bool(token) and same_secret(given, f"Bearer {token}")


async def post_announcement(request: web.Request) -> web.Response:
    if not _authorised(request):
        return web.json_response({"error": "unauthorised"}, status=401)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > MAX_KEY:
        return web.json_response({"error": "idempotency_key_required"}, status=400)
    try:
        announcement = Announcement.model_validate_json(await request.read())
    except ValidationError:
        return web.json_response({"error": "malformed"}, status=400)
    try:
        report, created = await request.app[JOBS].create(announcement, key)
    except KeyReused:
        return web.json_response({"error": "idempotency_key_reused"}, status=409)
    except RedisError as error:
        logger.error("announcement not queued error=%s", type(error).__name__)
        return web.json_response({"error": "not_queued"}, status=503)
    return web.json_response(report, status=202 if created else 200, headers={"Location": f"/admin/announcements/{report['id']}"})


async def get_announcement(request: web.Request) -> web.Response:
    if not _authorised(request):
        return web.json_response({"error": "unauthorised"}, status=401)
    job_id = request.match_info["id"]
    report = await request.app[JOBS].report(job_id) if len(job_id) == 32 and job_id.isalnum() else None
    if report is None:
        return web.json_response({"error": "not_found"}, status=404)
    return web.json_response(report)


def derived_key(body: dict, today: Optional[str] = None) -> str:
    """The CLI's idempotency key: the same command on the same (UTC) day is one announcement."""
    today = today or datetime.now(timezone.utc).date().isoformat()
    return "cli-" + _digest(json.dumps(body, ensure_ascii=False, sort_keys=True), today)


def main() -> int:
    parser = argparse.ArgumentParser(description="Send a notice to subscribed citizens and announcement channels")
    parser.add_argument("text")
    parser.add_argument("--no-subscribers", action="store_true")
    parser.add_argument("--no-channels", action="store_true")
    parser.add_argument(
        "--idempotency-key",
        help="default: made from the text and options and today's date, so running "
        "the same command again today reports on the first run instead of sending twice",
    )
    parser.add_argument("--no-wait", action="store_true", help="print the job and return without waiting for it to finish")
    parser.add_argument("--wait-seconds", type=float, default=3600)
    parser.add_argument(
        "--gateway", default=os.environ.get("GATEWAY_URL", f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}")
    )
    args = parser.parse_args()
    token = os.environ.get("HAMYAR_ADMIN_TOKEN", "")
    if not token:
        print("HAMYAR_ADMIN_TOKEN is not set (make run writes it to .env)", file=sys.stderr)
        return 2
    body = {"text": args.text, "subscribers": not args.no_subscribers, "channels": not args.no_channels}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": args.idempotency_key or derived_key(body)}

    async def run() -> tuple[bool, dict]:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{args.gateway}/admin/announcements", json=body, headers=headers) as response:
                report = await response.json(content_type=None)
                if response.status not in (200, 202):
                    return False, report
            if response.status == 200:
                print(f"already sent with this key: job {report['id']}", file=sys.stderr)
            deadline = time.monotonic() + args.wait_seconds
            while not args.no_wait and report["status"] != "done" and time.monotonic() < deadline:
                await asyncio.sleep(1)  # an operator's progress display, not synchronisation
                async with session.get(f"{args.gateway}/admin/announcements/{report['id']}", headers=headers) as response:
                    report = await response.json(content_type=None)
                    if response.status != 200:
                        return False, report
                subscribers = report["subscribers"]
                print(
                    f"{report['status']}: sent {subscribers['sent']} of {subscribers['total']}, failed {subscribers['failed']}",
                    file=sys.stderr,
                )
            finished = report["status"] == "done" or args.no_wait
            failed = report["subscribers"]["failed"] or any(c["state"] == "failed" for c in report["channels"])
            return finished and not failed, report

    ok, report = asyncio.run(run())
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
