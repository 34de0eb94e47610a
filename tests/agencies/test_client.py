import time

import pytest

from agencies.catalog import Endpoint
from agencies.client import (
    AgencyClient,
    AgencyUnavailable,
    CaseNotFound,
    CaseSearchNotOffered,
    Deadline,
    NationalIdMismatch,
    UnknownService,
)


async def set_mode(base, target, mode, delay=6.0):
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{base}/_control/mode",
            json={"target": target, "mode": mode, "delay": delay},
            headers={"X-Sandbox-Control": "control"},
        ) as r:
            assert r.status == 200


@pytest.fixture
async def clients(sandbox):
    base, catalog = sandbox
    made = {a.id: AgencyClient(a.id, a.endpoint) for a in catalog.agencies}
    made["identity"] = AgencyClient("identity", catalog.identity)
    yield base, made
    for client in made.values():
        await client.close()


async def test_reads_follow_the_contract(clients):
    _, made = clients
    status = await made["tamin"].service_status("pension", Deadline(4))
    assert status.name and status.status in ("up", "degraded", "down")
    case = await made["tamin"].case("7140508213457", "0016383230", Deadline(4))
    assert case.status == "in_progress" and case.last_update.tzinfo is not None
    with pytest.raises(CaseNotFound):
        await made["tamin"].case("7000000000000", "0016383230", Deadline(4))
    with pytest.raises(NationalIdMismatch):
        await made["tamin"].case("7140508213457", "1283564807", Deadline(4))
    with pytest.raises(UnknownService):
        await made["tamin"].service_status("no_such_service", Deadline(4))
    assert await made["identity"].identity_match("0016383230", "09121000101", Deadline(4)) is True


async def test_a_slow_agency_costs_no_more_than_the_deadline(clients):
    base, made = clients
    await set_mode(base, "police", "slow", delay=10)
    started = time.monotonic()
    with pytest.raises(AgencyUnavailable):
        await made["police"].service_status("passport", Deadline(2.0))
    assert time.monotonic() - started < 2.5


async def test_breaker_opens_after_repeated_failures(clients):
    base, made = clients
    await set_mode(base, "sabt", "down")
    client = made["sabt"]
    for _ in range(5):
        with pytest.raises(AgencyUnavailable):
            await client.service_status("smart_card", Deadline(4))
    assert client.breaker.opened
    await set_mode(base, "sabt", "normal")
    # Open: the agency is not even asked until the recovery time has passed.
    with pytest.raises(AgencyUnavailable, match="circuit open"):
        await client.service_status("smart_card", Deadline(4))


async def test_wrong_token_is_an_outage_not_a_crash(sandbox):
    base, catalog = sandbox
    client = AgencyClient("tamin", Endpoint(catalog.agency("tamin").endpoint.base_url, "wrong"))
    with pytest.raises(AgencyUnavailable):
        await client.service_status("pension", Deadline(4))
    await client.close()


# A national id's open cases, where the agency's contract offers them (tamin in the sandbox).
SEVERAL_ID, ONE_ID, NO_CASE_ID = "2283081610", "1283564807", "3869390778"


async def test_open_cases_follow_the_contract_newest_first(clients):
    _, made = clients
    several = await made["tamin"].open_cases(SEVERAL_ID, Deadline(4))
    assert [c.tracking_code for c in several] == ["7140508560284", "7140508441706"]
    assert all(c.last_update.tzinfo is not None and c.title and c.status_text for c in several)
    assert [c.status for c in await made["tamin"].open_cases(ONE_ID, Deadline(4))] == ["waiting_for_citizen"]
    assert await made["tamin"].open_cases(NO_CASE_ID, Deadline(4)) == []
    # A closed case is not open: this citizen's only tamin case is completed.
    assert await made["tamin"].open_cases("0926064541", Deadline(4)) == []


async def test_an_agency_that_does_not_list_cases_says_so(clients):
    _, made = clients
    with pytest.raises(CaseSearchNotOffered):
        await made["police"].open_cases(ONE_ID, Deadline(4))


async def test_open_cases_spend_the_same_deadline_and_breaker_as_a_case(clients):
    base, made = clients
    await set_mode(base, "tamin", "slow", delay=10)
    started = time.monotonic()
    with pytest.raises(AgencyUnavailable):
        await made["tamin"].open_cases(ONE_ID, Deadline(2.0))
    assert time.monotonic() - started < 2.5
    await set_mode(base, "tamin", "down")
    for _ in range(5):
        with pytest.raises(AgencyUnavailable):
            await made["tamin"].open_cases(ONE_ID, Deadline(4))
    assert made["tamin"].breaker.opened
