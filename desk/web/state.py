"""What the desk's web side holds (``DESK`` on its sub-application, ``DESK_WEB`` on the gateway's
app), and what the access check puts on each request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agencies.catalog import CatalogFile
from agencies.sealing import Sealer
from connectors.throttle import Limit, Throttle
from desk.alerts import OverdueAlerts
from desk.desk_config import DeskConfig
from desk.handoff import HandoffService
from desk.models import StaffUser
from desk.queue import HandoffQueue
from desk.runtime import DeskRuntime
from desk.settings import DeskSettings
from desk.web.sessions import DeskSessions, Session
from desk.web.watch import QueueWatch


@dataclass
class DeskWeb:
    """The staff pages' view of the desk: the gateway's one runtime (database, queue, clock) and
    handoff service, and what only the pages need."""

    runtime: DeskRuntime
    handoffs: HandoffService
    sealer: Sealer
    sessions: DeskSessions
    watch: QueueWatch
    alerts: OverdueAlerts
    throttle: Throttle
    login_limit: Limit
    catalog: CatalogFile
    # Cookies get Secure when the gateway's public URL is https.
    secure: bool
    keepalive_seconds: float
    # Live streams open on this gateway, by staff user id (DESK_STREAMS_PER_USER).
    open_streams: dict[int, list[web.Request]] = field(default_factory=dict)

    @property
    def settings(self) -> DeskSettings:
        return self.runtime.settings

    @property
    def config(self) -> DeskConfig:
        return self.runtime.config

    @property
    def queue(self) -> HandoffQueue:
        return self.handoffs.queue

    @property
    def database(self) -> async_sessionmaker[AsyncSession]:
        return self.runtime.sessions

    @property
    def clock(self) -> Callable[[], datetime]:
        """The runtime's clock: tests that move it move the queue and the handoffs too."""
        return self.runtime.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.runtime.clock = clock

    def now(self) -> datetime:
        return self.runtime.now()

    def db(self) -> AsyncSession:
        return self.runtime.sessions()


DESK: web.AppKey[DeskWeb] = web.AppKey("desk")
DESK_WEB: web.AppKey[DeskWeb] = web.AppKey("desk_web")
DESK_APP: web.AppKey[web.Application] = web.AppKey("desk_app")

# Set on a request by the access check: the signed-in user (as the database has them now) and
# their session with its id.
USER: web.RequestKey[StaffUser] = web.RequestKey("desk_user")
SESSION: web.RequestKey[tuple[str, Session]] = web.RequestKey("desk_session")
