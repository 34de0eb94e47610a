"""One agency client per name for a process, following the live catalogue."""

from __future__ import annotations

from typing import Optional

from agencies.catalog import Catalog, CatalogFile
from agencies.client import AgencyClient


class AgencyClients:
    """The client of each agency id (and of ``identity`` / ``sms``), made when first asked for.

    A changed catalogue gets fresh clients, so a new endpoint or token is used at once and the
    circuit breakers start closed; the old ones are closed with the rest by ``close``.
    """

    def __init__(self, catalog_file: CatalogFile) -> None:
        self._catalog_file = catalog_file
        self._catalog: Optional[Catalog] = None
        self._clients: dict[str, AgencyClient] = {}
        self._retired: list[AgencyClient] = []

    @property
    def catalog(self) -> Catalog:
        catalog = self._catalog_file.get()
        if catalog is not self._catalog:
            self._retired.extend(self._clients.values())
            self._catalog, self._clients = catalog, {}
        return catalog

    def get(self, name: str) -> AgencyClient:
        """KeyError for a name the catalogue does not know."""
        catalog = self.catalog
        if name not in self._clients:
            self._clients[name] = AgencyClient(name, catalog.endpoint(name))
        return self._clients[name]

    async def close(self) -> None:
        clients, self._clients, self._retired = [*self._retired, *self._clients.values()], {}, []
        for client in clients:
            await client.close()
