"""What the gateway opens once for the desk: the database (engine and sessions, brought to the
latest migration at start-up), the sealing key, the handoff queue and the one clock they share.

The database is always opened: handoff codes need only it. The desk itself (the handoff queue,
transcripts, call-backs and the staff pages) needs ``HAMYAR_DATA_KEY`` as well, because what
citizens say is kept only sealed; without the key ``queue`` and ``sealer`` are None and the desk
is off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator, Callable, Optional

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agencies.sealing import Sealer, SealingKeyMissing
from desk.db import make_engine, session_factory, shown, unshared_database, upgrade_engine
from desk.desk_config import DeskConfig, load_desk_config
from desk.models import utcnow
from desk.queue import HandoffQueue
from desk.settings import DeskSettings

logger = logging.getLogger("gateway.desk")
OFF_WARNING = "the call-centre desk is off (no handoff to a person, no staff pages): HAMYAR_DATA_KEY is not set"


class SharedDatabaseRequired(RuntimeError):
    """The gateway runs as one of several replicas (Kubernetes) on a SQLite file of its own."""


@dataclass
class DeskRuntime:
    settings: DeskSettings
    config: DeskConfig
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # None when HAMYAR_DATA_KEY is not set: the desk is off.
    sealer: Optional[Sealer]
    queue: Optional[HandoffQueue]
    # The desk's time, read by the queue, the handoff service and the staff pages alike: tests
    # move it instead of sleeping.
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        return self.clock()

    @property
    def on(self) -> bool:
        return self.queue is not None and self.sealer is not None

    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        """An aiohttp cleanup context: the migration before anything reads the database, the
        engine closed at the end."""
        await upgrade_engine(self.engine)
        logger.info("desk database %s is at the latest revision", shown(self.settings.database_url))
        yield
        await self.engine.dispose()


def open_runtime(
    redis: aioredis.Redis, settings: Optional[DeskSettings] = None, config: Optional[DeskConfig] = None
) -> DeskRuntime:
    """The desk's engine, sessions and (when the key is set) sealer and queue; logs one warning when
    off. Refuses (``SharedDatabaseRequired``, logged) a SQLite database under Kubernetes."""
    settings = settings or DeskSettings()
    problem = unshared_database(settings.database_url)
    if problem:
        logger.error(problem)
        raise SharedDatabaseRequired(problem)
    config = config or load_desk_config()
    engine = make_engine(settings.database_url)
    runtime = DeskRuntime(settings, config, engine, session_factory(engine), None, None)
    try:
        runtime.sealer = Sealer.from_env()
    except SealingKeyMissing:
        logger.warning(OFF_WARNING)
        return runtime
    runtime.queue = HandoffQueue(redis, config, clock=runtime.now, sealer=runtime.sealer)
    return runtime
