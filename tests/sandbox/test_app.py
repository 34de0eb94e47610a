import aiohttp
import yaml

from sandbox.config import DATA_DIR


async def get(url, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as session:
        async with session.request(kwargs.pop("method", "GET"), url, headers=headers, **kwargs) as response:
            return response.status, await response.json(content_type=None)


async def test_token_is_required(sandbox, tokens):
    base, _ = sandbox
    assert (await get(f"{base}/tamin/v1/services/pension/status"))[0] == 401
    assert (await get(f"{base}/tamin/v1/services/pension/status", tokens["AGENCY_SABT_TOKEN"]))[0] == 401
    status, body = await get(f"{base}/tamin/v1/services/pension/status", tokens["AGENCY_TAMIN_TOKEN"])
    assert status == 200 and body["status"] in ("up", "degraded", "down")


async def test_seed_data_is_rich_enough(sandbox, tokens):
    base, catalog = sandbox
    statuses, case_states, cases = set(), set(), 0
    for agency in catalog.agencies:
        data = yaml.safe_load((DATA_DIR / f"{agency.id}.yml").read_text(encoding="utf-8"))
        for service in agency.services:
            status, body = await get(
                f"{base}/{agency.id}/v1/services/{service.id}/status", tokens[f"AGENCY_{agency.id.upper()}_TOKEN"]
            )
            assert status == 200, service.id
            statuses.add(body["status"])
        for case in data["cases"]:
            assert agency.tracking_code.fullmatch(case["tracking_code"])
            case_states.add(case["status"])
            cases += 1
    assert statuses == {"up", "degraded", "down"}
    assert cases >= 20
    assert len(case_states) == 6


async def test_case_answers_are_distinct(sandbox, tokens):
    base, _ = sandbox
    token = tokens["AGENCY_TAMIN_TOKEN"]
    ok = await get(f"{base}/tamin/v1/cases/7140508213457", token, headers={"X-Citizen-National-Id": "0016383230"})
    assert ok[0] == 200 and ok[1]["status"] == "in_progress"
    assert (await get(f"{base}/tamin/v1/cases/7140508213457", token, headers={"X-Citizen-National-Id": "1283564807"}))[0] == 403
    assert (await get(f"{base}/tamin/v1/cases/7000000000000", token, headers={"X-Citizen-National-Id": "0016383230"}))[0] == 404


async def test_complaint_is_idempotent_and_followable(sandbox, tokens):
    base, catalog = sandbox
    token = tokens["AGENCY_POLICE_TOKEN"]
    body = {"national_id": "0016383230", "phone": "09121000101", "text": "سه ماه است گذرنامه‌ام نرسیده."}
    first = await get(f"{base}/police/v1/complaints", token, method="POST", json=body, headers={"Idempotency-Key": "key-123456"})
    again = await get(f"{base}/police/v1/complaints", token, method="POST", json=body, headers={"Idempotency-Key": "key-123456"})
    assert first[0] == 201 and first[1] == again[1]
    code = first[1]["tracking_code"]
    assert catalog.agency("police").tracking_code.fullmatch(code)
    case = await get(f"{base}/police/v1/cases/{code}", token, headers={"X-Citizen-National-Id": "0016383230"})
    assert case[0] == 200 and case[1]["status"] == "received"
    assert (await get(f"{base}/police/v1/complaints", token, method="POST", json=body))[0] == 400


async def test_identity_match_and_sms_outbox(sandbox, tokens):
    base, _ = sandbox
    token = tokens["IDENTITY_TOKEN"]
    assert (
        await get(f"{base}/identity/v1/match", token, method="POST", json={"national_id": "0016383230", "phone": "09121000101"})
    )[1] == {"match": True}
    assert (
        await get(f"{base}/identity/v1/match", token, method="POST", json={"national_id": "0016383230", "phone": "09131000202"})
    )[1] == {"match": False}
    sms = tokens["SMS_TOKEN"]
    assert (await get(f"{base}/sms/v1/messages", sms, method="POST", json={"to": "09121000101", "text": "کد ۱۲۳"}))[0] == 202
    status, outbox = await get(f"{base}/sms/v1/outbox?to=09121000101", sms)
    assert status == 200 and outbox["messages"][-1]["text"] == "کد ۱۲۳"


async def test_down_mode_and_malformed_input(sandbox, tokens):
    base, _ = sandbox
    token = tokens["AGENCY_SABT_TOKEN"]
    assert (await get(f"{base}/_control/mode", method="POST", json={"target": "sabt", "mode": "down"}))[0] == 401
    assert (
        await get(
            f"{base}/_control/mode",
            method="POST",
            json={"target": "sabt", "mode": "down"},
            headers={"X-Sandbox-Control": "control"},
        )
    )[0] == 200
    assert (await get(f"{base}/sabt/v1/services/smart_card/status", token))[0] == 503
    assert (await get(f"{base}/identity/v1/match", tokens["IDENTITY_TOKEN"], method="POST", data=b"not json"))[0] == 400


async def test_openapi_describes_every_route(sandbox):
    base, _ = sandbox
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/openapi.yaml") as response:
            spec = yaml.safe_load(await response.text())
    assert set(spec["paths"]) == {
        "/{agency}/v1/services/{service}/status",
        "/{agency}/v1/cases",
        "/{agency}/v1/cases/{tracking_code}",
        "/{agency}/v1/complaints",
        "/identity/v1/match",
        "/sms/v1/messages",
        "/sms/v1/outbox",
        "/_control/mode",
        "/_control/case",
    }


async def test_open_cases_need_the_agencys_own_token_and_a_valid_national_id(sandbox, tokens):
    base, _ = sandbox
    url, owner = f"{base}/tamin/v1/cases", {"X-Citizen-National-Id": "2283081610"}
    assert (await get(url, headers=dict(owner)))[0] == 401
    assert (await get(url, tokens["AGENCY_SABT_TOKEN"], headers=dict(owner)))[0] == 401
    status, body = await get(url, tokens["AGENCY_TAMIN_TOKEN"], headers=dict(owner))
    assert status == 200 and [c["tracking_code"] for c in body["cases"]] == ["7140508560284", "7140508441706"]
    # Nothing of the case beyond what the list promises (no owner, no office).
    assert set(body["cases"][0]) == {"tracking_code", "title", "status", "status_text", "last_update"}
    assert (await get(url, tokens["AGENCY_TAMIN_TOKEN"]))[0] == 422
    assert (await get(url, tokens["AGENCY_TAMIN_TOKEN"], headers={"X-Citizen-National-Id": "1234567890"}))[0] == 422


async def test_an_unknown_national_id_has_no_open_cases(sandbox, tokens):
    base, _ = sandbox
    headers = {"X-Citizen-National-Id": "3869390778"}  # a valid id with no case anywhere
    assert await get(f"{base}/tamin/v1/cases", tokens["AGENCY_TAMIN_TOKEN"], headers=headers) == (200, {"cases": []})


async def test_only_the_agencies_whose_data_says_so_list_cases(sandbox, tokens):
    base, _ = sandbox
    headers = {"X-Citizen-National-Id": "2283081610"}
    for agency in ("sabt", "police"):
        token = tokens[f"AGENCY_{agency.upper()}_TOKEN"]
        assert await get(f"{base}/{agency}/v1/cases", token, headers=headers) == (404, {"error": "not_offered"})
