"""actions/case_by_id.py: a citizen without a tracking code finds their cases by national id,
where an agency lists them, and only once the national id is proved."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime as runtime_module
from actions.aside import ActionDontHave
from actions.case_by_id import ActionAskLookupAgency, case_choice
from actions.case_status import ActionCaseStatus, ValidateCaseStatusForm
from actions.runtime import runtime
from agencies.catalog import DEFAULT_PATH
from agencies.models import CaseSummary
from nlu.writing import MAX_BUTTON_CHARS
from tests.actions.kit import payloads, said, slots_set, text, tracker

SEARCH = '/case_status{"case_lookup":"national_id"}'
DOMAIN_SLOTS = ["lookup_agency", "tracking_code", "national_id", "phone_number", "otp_code"]
SEVERAL = ("2283081610", "09171000505")  # two open tamin cases
ONE = ("1283564807", "09131000202")  # one open tamin case
NONE = ("3869390778", "09011001111")  # no case anywhere
BY_ID = {"case_lookup": "national_id", "lookup_agency": "tamin"}


async def dont_have(form: str | None = None, requested: str | None = None) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    conversation = tracker("کد پیگیری ندارم", intent="dont_have", slots={"requested_slot": requested}, form=form)
    await ActionDontHave().run(dispatcher, conversation, {})
    return dispatcher


async def test_no_tracking_code_offers_the_search_before_and_inside_the_lookup_only(live):
    before = await dont_have()
    assert said(before) == ["dont_have_tracking_code"]
    assert payloads(before)[0] == SEARCH and "/request_human" in payloads(before)
    assert payloads(await dont_have("case_status_form", "tracking_code")) == [SEARCH]
    # Inside another form the button would read as another task: not offered there.
    assert payloads(await dont_have("file_complaint_form", "national_id")) == []


async def test_no_agency_offering_the_search_offers_no_search(live, tmp_path: Path, monkeypatch):
    catalogue = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    for agency in catalogue["agencies"]:
        agency.pop("case_search", None)
    path = tmp_path / "agencies.yml"
    path.write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("HAMYAR_AGENCIES", str(path))
    runtime_module.runtime.cache_clear()
    assert SEARCH not in payloads(await dont_have())
    assert SEARCH not in payloads(await dont_have("case_status_form", "tracking_code"))
    # A search button from before (or typed by hand) leads to the tracking code's question.
    steps = await ValidateCaseStatusForm().required_slots(
        DOMAIN_SLOTS, CollectingDispatcher(), tracker(slots={"case_lookup": "national_id"}), {}
    )
    assert steps[0] == "tracking_code"


async def test_by_national_id_the_agency_stands_for_the_tracking_code(live):
    form = ValidateCaseStatusForm()

    async def steps(slots: dict) -> list[str]:
        return await form.required_slots(DOMAIN_SLOTS, CollectingDispatcher(), tracker(slots=slots), {})

    assert await steps({}) == ["tracking_code", "national_id", "phone_number", "otp_code"]
    assert await steps({"case_lookup": "national_id"}) == [
        "lookup_agency",
        "national_id",
        "phone_number",
        "otp_code",
    ]
    conversation = tracker(slots={"case_lookup": "national_id", "national_id": ONE[0]})
    await runtime().verified.prove(conversation, *ONE)
    # Proved in this session: the same identity check, with nothing more to ask.
    assert await form.required_slots(DOMAIN_SLOTS, CollectingDispatcher(), conversation, {}) == ["lookup_agency", "national_id"]


async def test_only_an_agency_that_lists_cases_is_asked_and_taken(live):
    dispatcher = CollectingDispatcher()
    await ActionAskLookupAgency().run(dispatcher, tracker(), {})
    assert said(dispatcher) == ["ask_lookup_agency"]
    assert payloads(dispatcher) == ['/inform{"agency": "tamin"}', "/help", "/request_human"]
    form = ValidateCaseStatusForm()

    async def choose(agency: str) -> tuple[dict, list[str]]:
        dispatcher = CollectingDispatcher()
        asked = tracker(f'/inform{{"agency":"{agency}"}}', entities={"agency": agency}, slots={"requested_slot": "lookup_agency"})
        return await form.validate_lookup_agency(agency, dispatcher, asked, {}), said(dispatcher)

    # The search's button, taken as a code by the form's text mapping, is no code.
    assert await choose("tamin") == ({"lookup_agency": "tamin", "tracking_code": None}, [])
    assert await choose("police") == ({"lookup_agency": None}, ["lookup_agency_not_offered"])


async def listed(person: tuple[str, str], proved: bool = True) -> tuple[list[str], str, list[str], dict]:
    conversation = tracker("۴۸۲۹۱۵", slots={**BY_ID, "national_id": person[0]})
    if proved:
        await runtime().verified.prove(conversation, *person)
    dispatcher = CollectingDispatcher()
    events = await ActionCaseStatus().run(dispatcher, conversation, {})
    return said(dispatcher), text(dispatcher), payloads(dispatcher), slots_set(events)


async def test_several_cases_are_offered_as_buttons_that_show_each(live):
    replies, shown, buttons, slots = await listed(SEVERAL)
    assert replies == ["case_search_found"] and "تأمین اجتماعی" in shown
    assert "گواهی سابقه بیمه" in shown and "اصلاح سابقه بیمه" in shown and "۱۴۰۵" in shown
    assert buttons[:2] == ['/case_status{"tracking_code": "7140508560284"}', '/case_status{"tracking_code": "7140508441706"}']
    assert all(slots[s] is None for s in ("case_lookup", "lookup_agency", "national_id", "tracking_code"))


async def test_one_case_is_shown_as_a_case_looked_up_by_its_code(live):
    replies, shown, _, slots = await listed(ONE)
    assert replies == ["case_status", "case_done"] and "منتظر مدرک از طرف شما" in shown
    assert slots["last_case"].startswith("tamin:7140508305519:") and slots["case_lookup"] is None


async def test_no_case_is_said_kindly_with_a_person(live):
    replies, shown, buttons, _ = await listed(NONE)
    assert replies == ["case_search_none"] and "/request_human" in buttons


async def test_nothing_is_listed_without_proof(live):
    replies, shown, buttons, slots = await listed(SEVERAL, proved=False)
    assert replies == ["identity_not_proved"] and "سابقه بیمه" not in shown
    assert not [p for p in buttons if "tracking_code" in p] and slots["national_id"] is None


async def test_an_agency_down_is_said_as_for_a_case(live):
    await live.mode("tamin", "down")
    replies, shown, _, _ = await listed(SEVERAL)
    assert replies == ["agency_unavailable"] and "تأمین اجتماعی" in shown


def test_a_case_button_fits_a_phone_line_and_shows_that_case():
    long = CaseSummary(
        tracking_code="7140508772640",
        title="درخواست مستمری ازکارافتادگی با پیوست مدارک پزشکی",
        status="in_progress",
        status_text="در انتظار نظر کمیسیون پزشکی",
        last_update=datetime(2026, 11, 19, tzinfo=timezone.utc),
    )
    button = case_choice(3, long)
    assert len(button["title"]) <= MAX_BUTTON_CHARS and button["title"].startswith("۳. درخواست")
    assert button["payload"] == '/case_status{"tracking_code": "7140508772640"}'
