"""The gateway's notice sender: reads the notice queue for as long as the gateway runs.

Started once the gateway is up (its messengers started), stopped first when it shuts down: the
notice being sent is finished, and what is left stays queued for the next start or another
gateway process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from aiohttp import web

from connectors.keys import DELIVERER, NOTICE_WORKER, NOTICES, SUBSCRIPTIONS
from notifications import announcements
from notifications.queue import Fields, Kind

logger = logging.getLogger("notifications")
# How long a stopping gateway waits for the notice being sent (a bridge may take ~45 s).
STOP_GRACE_SECONDS = 60


def notice_kinds(app: web.Application) -> dict[str, Kind]:
    async def say(fields: Fields) -> bool:
        conversation = fields["conversation"]
        agency_id, _, code = fields.get("case", "").partition(":")
        if code and not await app[SUBSCRIPTIONS].follows(conversation, agency_id, code):
            return True  # stopped following the case since the change was queued
        return await app[DELIVERER].say(conversation, fields["reply"], **json.loads(fields["values"]))

    return {"notice": Kind(say), **announcements.kinds(app)}


async def start_delivering(app: web.Application) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(app[NOTICES].serve(notice_kinds(app), stop))
    app[NOTICE_WORKER] = (stop, task)


async def stop_delivering(app: web.Application) -> None:
    running = app.get(NOTICE_WORKER)
    if running is None:
        return
    stop, task = running
    stop.set()
    try:
        await asyncio.wait_for(task, STOP_GRACE_SECONDS)
    except asyncio.TimeoutError:
        logger.warning("notice sender stopped mid-send; the notice is sent again after a while")
    except Exception as error:
        logger.error("notice sender failed error=%s", type(error).__name__)
    with contextlib.suppress(asyncio.CancelledError):
        task.cancel()
