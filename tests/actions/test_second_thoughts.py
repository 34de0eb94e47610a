"""actions/second_thoughts.py: «برگرد» asks the question before, «اشتباه زدم» the answer just
given; what else was given stays."""

from __future__ import annotations

import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.second_thoughts import ActionFormBack, answered_last_turn, slot_before
from tests.actions.kit import said, slots_set, tracker
from tests.conftest import ROOT

CASE = ["tracking_code", "national_id", "phone_number", "otp_code"]
COMPLAINT = ["complaint_agency", "complaint_text", "national_id", "phone_number", "otp_code", "complaint_confirmed"]
DOMAIN = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))


def test_the_question_before_the_pending_one():
    given = {"tracking_code": "7140508213457", "national_id": "0016383230"}
    assert slot_before(CASE, "phone_number", given, proved=False) == "national_id"
    assert slot_before(CASE, "national_id", given, proved=False) == "tracking_code"
    assert slot_before(CASE, "tracking_code", given, proved=False) is None


def test_an_sms_code_is_never_asked_back_but_the_phone_is():
    given = {"tracking_code": "7140508213457", "national_id": "0016383230", "phone_number": "09121000101"}
    assert slot_before(CASE, "otp_code", given, proved=False) == "phone_number"


def test_a_proved_identity_is_stepped_over():
    given = {"complaint_agency": "sabt", "complaint_text": "…", "national_id": "0016383230", "phone_number": "0912"}
    assert slot_before(COMPLAINT, "complaint_confirmed", given, proved=True) == "complaint_text"
    assert slot_before(COMPLAINT, "complaint_confirmed", given, proved=False) == "phone_number"


def test_an_answer_taken_or_refused_last_turn():
    taken = [
        {"event": "user", "text": "0016383230"},
        {"event": "slot", "name": "national_id", "value": "0016383230"},
        {"event": "user", "text": "اشتباه زدم"},
    ]
    refused = [
        {"event": "slot", "name": "national_id", "value": "0016383230"},
        {"event": "user", "text": "0912"},
        {"event": "slot", "name": "phone_number", "value": None},
        {"event": "user", "text": "اشتباه زدم"},
    ]
    assert answered_last_turn(taken, "national_id")
    assert not answered_last_turn(refused, "national_id")


def form_at(text: str, intent: str, requested: str, earlier: tuple = (), **slots):
    return tracker(text, intent=intent, slots={"requested_slot": requested, **slots}, form="case_status_form", earlier=earlier)


async def test_back_forgets_the_national_id_and_what_was_proved_with_it():
    dispatcher = CollectingDispatcher()
    at = form_at("برگرد", "previous_step", "phone_number", tracking_code="7140508213457", national_id="0016383230")
    events = await ActionFormBack().run(dispatcher, at, DOMAIN)
    assert said(dispatcher) == ["back_one_step"]
    forgotten = slots_set(events)
    assert forgotten["national_id"] is None and forgotten["identity_verified"] is None
    assert "tracking_code" not in forgotten


async def test_back_from_the_first_question_leaves_the_form_for_the_menu():
    dispatcher = CollectingDispatcher()
    events = await ActionFormBack().run(dispatcher, form_at("برگرد", "previous_step", "tracking_code"), DOMAIN)
    assert said(dispatcher) == ["back_out_of_form"] and "پیگیری پرونده" in dispatcher.messages[0]["buttons"][0]["title"]
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert events[-1] == {"event": "followup", "name": "action_listen", "timestamp": None}


async def test_a_correction_of_a_refused_answer_forgets_nothing():
    dispatcher = CollectingDispatcher()
    earlier = ({"event": "user", "text": "0912"}, {"event": "slot", "name": "phone_number", "value": None})
    at = form_at("اشتباه زدم", "correct", "phone_number", earlier, tracking_code="7140508213457", national_id="0016383230")
    assert await ActionFormBack().run(dispatcher, at, DOMAIN) == []
    assert said(dispatcher) == ["correct_again"]


async def test_a_correction_of_the_answer_just_taken_asks_it_again():
    dispatcher = CollectingDispatcher()
    earlier = ({"event": "user", "text": "0016383230"}, {"event": "slot", "name": "national_id", "value": "0016383230"})
    at = form_at("نه اشتباه شد", "correct", "phone_number", earlier, tracking_code="7140508213457", national_id="0016383230")
    assert slots_set(await ActionFormBack().run(dispatcher, at, DOMAIN))["national_id"] is None


async def test_a_correction_after_the_form_offers_the_menu():
    dispatcher = CollectingDispatcher()
    assert await ActionFormBack().run(dispatcher, tracker("اشتباه زدم", intent="correct"), DOMAIN) == []
    assert said(dispatcher) == ["correct_outside_form"] and dispatcher.messages[0]["buttons"]
