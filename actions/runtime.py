"""What every action shares in one process: settings, catalogue, agency clients, Redis, content."""

from __future__ import annotations

import logging
from functools import lru_cache

import redis.asyncio as aioredis
from cryptography.fernet import Fernet

from actions.settings import ActionSettings
from actions.trust import Hasher, IdentityFailures, RequesterQuota, SmsLimits, SmsRule, VerifiedIdentities
from actions.unfinished import UnfinishedStore
from agencies import redis_connection
from agencies.catalog import Catalog, CatalogFile
from agencies.client import AgencyClient, Deadline
from agencies.client_cache import AgencyClients
from agencies.sealing import Sealer
from content.store import ContentStore

logger = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: ActionSettings, catalog_file: CatalogFile) -> None:
        self.settings = settings
        self._clients = AgencyClients(catalog_file)
        self.redis = aioredis.from_url(settings.redis_url, decode_responses=True, connection_class=redis_connection.Connection)
        self.content = ContentStore(self.redis)
        key = settings.hamyar_data_key
        if not key:
            # Every action server must share the key, or one forgets what another was told.
            logger.warning("HAMYAR_DATA_KEY is not set; proved identities last only as long as this process")
            key = Fernet.generate_key().decode()
        hasher = Hasher(key)
        self.verified = VerifiedIdentities(self.redis, hasher, Sealer(key), settings.identity_ttl_seconds)
        self.failures = IdentityFailures(
            self.redis, hasher, settings.identity_max_failures, settings.identity_lock_seconds, settings.identity_alert_requesters
        )
        self.sms_limits = SmsLimits(
            self.redis,
            hasher,
            settings.sms_cooldown_seconds,
            (
                SmsRule("phone", settings.sms_per_phone_10min, 600),
                SmsRule("phone", settings.sms_per_phone_day, 86400),
                SmsRule("requester", settings.sms_per_requester_hour, 3600),
            ),
        )
        self.complaint_quota = RequesterQuota(self.redis, hasher, "complaint", settings.complaints_per_hour, 3600)
        self.unfinished = UnfinishedStore(self.redis, hasher, settings.resume_ttl_seconds)

    @property
    def catalog(self) -> Catalog:
        return self._clients.catalog

    def client(self, name: str) -> AgencyClient:
        """The client of an agency id, or of ``identity`` / ``sms``."""
        return self._clients.get(name)

    def deadline(self) -> Deadline:
        return Deadline(self.settings.turn_deadline_seconds)


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    return Runtime(ActionSettings(), CatalogFile())
