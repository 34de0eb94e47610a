"""Both sides of the agency contract held together.

Hamyar's catalogue (config/agencies.yml) and the sandbox's own data (sandbox/data/) name the same
agencies, services, tracking-code shapes and token variables; and Hamyar's agency client reads
every answer the real sandbox gives, so neither side can drift without this failing.
"""

from urllib.parse import urlparse

import pytest

from agencies.catalog import CatalogFile
from agencies.client import AgencyClient, Deadline
from agencies.models import ComplaintRequest
from sandbox.config import load_config


def test_both_sides_know_the_same_agencies_services_and_code_shapes(tokens):
    catalog, played = CatalogFile(env=tokens).get(), load_config(env=tokens)
    assert {a.id for a in catalog.agencies} == set(played.agencies)
    for agency in catalog.agencies:
        sandbox_agency = played.agencies[agency.id]
        assert sandbox_agency.name == agency.name
        assert sandbox_agency.tracking_code == agency.tracking_code.pattern
        assert dict(sandbox_agency.service_names) == {s.id: s.name for s in agency.services}
        # Every token in `tokens` differs, so equal tokens mean the same environment variable.
        assert sandbox_agency.token == agency.endpoint.token != ""
        assert all(agency.tracking_code.fullmatch(code) for code in sandbox_agency.cases)
        assert sandbox_agency.case_search == agency.case_search
    assert played.identity_token == catalog.identity.token != ""
    assert played.sms_token == catalog.sms.token != ""


def test_the_catalogue_points_at_the_sandbox_routes_by_default():
    catalog = CatalogFile(env={}).get()
    for name in ("identity", "sms", *(a.id for a in catalog.agencies)):
        assert urlparse(catalog.endpoint(name).base_url).path == f"/{name}"


@pytest.fixture
async def clients(sandbox):
    _, catalog = sandbox
    made: dict[str, AgencyClient] = {}

    def client(name: str) -> AgencyClient:
        return made.setdefault(name, AgencyClient(name, catalog.endpoint(name)))

    yield catalog, client
    for one in made.values():
        await one.close()


async def test_the_client_reads_every_status_and_case_the_sandbox_serves(clients, tokens):
    catalog, client = clients
    played = load_config(env=tokens)
    for agency in catalog.agencies:
        for service in agency.services:
            status = await client(agency.id).service_status(service.id, Deadline(4))
            assert (status.service, status.name) == (service.id, service.name)
        for code, seeded in played.agencies[agency.id].cases.items():
            case = await client(agency.id).case(code, str(seeded["national_id"]), Deadline(4))
            assert (case.tracking_code, case.status) == (code, seeded["status"])
            if agency.case_search:
                listed = await client(agency.id).open_cases(str(seeded["national_id"]), Deadline(4))
                assert (code in {c.tracking_code for c in listed}) == (seeded["status"] != "completed")


async def test_the_client_reads_complaints_identity_matches_and_sms(clients, tokens):
    catalog, client = clients
    people = load_config(env=tokens).people
    national_id, phone = next(iter(people.items()))
    for agency in catalog.agencies:
        request = ComplaintRequest(national_id=national_id, phone=phone, text="پرونده‌ام یک ماه است تکان نخورده.")
        created = await client(agency.id).file_complaint(request, f"contract-{agency.id}", Deadline(4))
        assert agency.tracking_code.fullmatch(created.tracking_code)
        assert (await client(agency.id).case(created.tracking_code, national_id, Deadline(4))).status == "received"
    for owner, owner_phone in people.items():
        assert await client("identity").identity_match(owner, owner_phone, Deadline(4)) is True
    await client("sms").send_sms(phone, "کد تأیید: ۱۲۳۴۵", Deadline(4))
