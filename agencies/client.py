"""One aiohttp client per agency: a deadline per turn, retries for reads, a circuit breaker."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Optional, Type, TypeVar

import aiohttp
from circuitbreaker import CircuitBreaker
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from agencies.catalog import Endpoint
from agencies.lazy_session import LazySession
from agencies.models import Case, CaseList, CaseSummary, ComplaintCreated, ComplaintRequest, IdentityMatch, ServiceStatus

logger = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)


class AgencyError(Exception):
    """Base of what an agency call can end in, other than an answer."""


class AgencyUnavailable(AgencyError):
    """Timed out, refused, 5xx, unreadable answer or circuit open: the citizen cannot be helped now."""


class CaseNotFound(AgencyError):
    pass


class NationalIdMismatch(AgencyError):
    pass


class UnknownService(AgencyError):
    pass


class CaseSearchNotOffered(AgencyError):
    """The agency's contract has no list of a national id's cases."""


class _Transient(Exception):
    """A failure worth another try within the deadline."""


class Deadline:
    """The time left for this turn; every attempt and every retry spends from it."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())


class AgencyClient:
    """Talks to one agency (or the identity or SMS service) over the Hamyar agency contract."""

    def __init__(
        self,
        name: str,
        endpoint: Endpoint,
        attempt_timeout: float = 1.5,
        read_attempts: int = 3,
        breaker: Optional[CircuitBreaker] = None,
    ) -> None:
        self.name = name
        self._endpoint = endpoint
        self._attempt_timeout = attempt_timeout
        self._read_attempts = read_attempts
        self._breaker = breaker or CircuitBreaker(
            failure_threshold=5, recovery_timeout=30, expected_exception=AgencyUnavailable, name=name
        )
        self._session = LazySession(
            base_url=endpoint.base_url.rstrip("/") + "/", headers={"Authorization": f"Bearer {endpoint.token}"}
        )

    @property
    def breaker(self) -> CircuitBreaker:
        return self._breaker

    def _client(self) -> aiohttp.ClientSession:
        return self._session.get()

    async def close(self) -> None:
        await self._session.close()

    async def _call(self, method: str, path: str, deadline: Deadline, *, read: bool, **kwargs: Any) -> tuple[int, Any]:
        if self._breaker.opened:
            raise AgencyUnavailable(f"{self.name}: circuit open")
        return await self._breaker.call_async(self._attempts, method, path, deadline, read, kwargs)

    async def _attempts(self, method: str, path: str, deadline: Deadline, read: bool, kwargs: dict) -> tuple[int, Any]:
        attempts = self._read_attempts if read else 1
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_exponential(multiplier=0.1, max=0.5),
                retry=retry_if_exception_type(_Transient),
                reraise=True,
            ):
                with attempt:
                    if deadline.remaining() <= 0.05:
                        raise AgencyUnavailable(f"{self.name}: deadline spent")
                    return await self._once(method, path, min(self._attempt_timeout, deadline.remaining()), kwargs)
        except _Transient as error:
            raise AgencyUnavailable(f"{self.name}: {error}") from None
        raise AgencyUnavailable(f"{self.name}: no attempt made")  # pragma: no cover - tenacity always attempts

    async def _once(self, method: str, path: str, timeout: float, kwargs: dict) -> tuple[int, Any]:
        try:
            async with self._client().request(
                method, path.lstrip("/"), timeout=aiohttp.ClientTimeout(total=timeout), **kwargs
            ) as response:
                if response.status >= 500 or response.status == 429:
                    raise _Transient(f"status {response.status}")
                if response.status == 401:
                    # A wrong token is an outage for the citizen, and a configuration error to log.
                    logger.error("agency %s refused our token", self.name)
                    raise AgencyUnavailable(f"{self.name}: not authorised")
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    raise _Transient("unreadable body") from None
                return response.status, body
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise _Transient(type(error).__name__) from None

    @staticmethod
    def _parse(model: Type[Model], body: Any, name: str) -> Model:
        try:
            return model.model_validate(body)
        except ValidationError:
            raise AgencyUnavailable(f"{name}: answer does not follow the contract") from None

    async def service_status(self, service_id: str, deadline: Deadline) -> ServiceStatus:
        status, body = await self._call("GET", f"v1/services/{service_id}/status", deadline, read=True)
        if status == 404:
            raise UnknownService(service_id)
        if status != 200:
            raise AgencyUnavailable(f"{self.name}: status {status}")
        return self._parse(ServiceStatus, body, self.name)

    async def case(self, tracking_code: str, national_id: str, deadline: Deadline) -> Case:
        status, body = await self._call(
            "GET", f"v1/cases/{tracking_code}", deadline, read=True, headers={"X-Citizen-National-Id": national_id}
        )
        if status == 404:
            raise CaseNotFound(tracking_code)
        if status == 403:
            raise NationalIdMismatch(tracking_code)
        if status != 200:
            raise AgencyUnavailable(f"{self.name}: status {status}")
        return self._parse(Case, body, self.name)

    async def open_cases(self, national_id: str, deadline: Deadline) -> list[CaseSummary]:
        """A national id's open cases, newest first; ask only for an id the citizen proved."""
        status, body = await self._call("GET", "v1/cases", deadline, read=True, headers={"X-Citizen-National-Id": national_id})
        if status == 404:
            raise CaseSearchNotOffered(self.name)
        if status != 200:
            raise AgencyUnavailable(f"{self.name}: status {status}")
        return self._parse(CaseList, body, self.name).cases

    async def file_complaint(self, request: ComplaintRequest, idempotency_key: str, deadline: Deadline) -> ComplaintCreated:
        # Not retried here (only reads are); the key makes a citizen's own retry safe.
        status, body = await self._call(
            "POST", "v1/complaints", deadline, read=False, json=request.model_dump(), headers={"Idempotency-Key": idempotency_key}
        )
        if status not in (200, 201):
            raise AgencyUnavailable(f"{self.name}: status {status}")
        return self._parse(ComplaintCreated, body, self.name)

    async def identity_match(self, national_id: str, phone: str, deadline: Deadline) -> bool:
        status, body = await self._call(
            "POST", "v1/match", deadline, read=True, json={"national_id": national_id, "phone": phone}
        )
        if status != 200:
            raise AgencyUnavailable(f"{self.name}: status {status}")
        return self._parse(IdentityMatch, body, self.name).match

    async def send_sms(self, to: str, text: str, deadline: Deadline) -> None:
        status, _ = await self._call("POST", "v1/messages", deadline, read=False, json={"to": to, "text": text})
        if status not in (200, 202):
            raise AgencyUnavailable(f"{self.name}: status {status}")
