"""What every action shares in one process: settings, catalogue, agency clients, Redis, content."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

import redis.asyncio as aioredis

from actions.agency.client import AgencyClient, Deadline
from actions.settings import ActionSettings
from content.store import ContentStore
from nlu.catalog import Catalog, CatalogFile


class Runtime:
    def __init__(self, settings: ActionSettings, catalog_file: CatalogFile) -> None:
        self.settings = settings
        self._catalog_file = catalog_file
        self._catalog: Optional[Catalog] = None
        self._clients: dict[str, AgencyClient] = {}
        self.redis = aioredis.from_url(settings.redis_url, decode_responses=True)
        self.content = ContentStore(self.redis)

    @property
    def catalog(self) -> Catalog:
        catalog = self._catalog_file.get()
        if catalog is not self._catalog:
            # A changed catalogue gets fresh clients; their breakers start closed.
            self._catalog, self._clients = catalog, {}
        return catalog

    def client(self, name: str) -> AgencyClient:
        """The client of an agency id, or of ``identity`` / ``sms``."""
        catalog = self.catalog
        if name not in self._clients:
            if name == "identity":
                endpoint = catalog.identity
            elif name == "sms":
                endpoint = catalog.sms
            else:
                agency = catalog.agency(name)
                if agency is None:
                    raise KeyError(name)
                endpoint = agency.endpoint
            self._clients[name] = AgencyClient(name, endpoint)
        return self._clients[name]

    def deadline(self) -> Deadline:
        return Deadline(self.settings.turn_deadline_seconds)


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    return Runtime(ActionSettings(), CatalogFile())
