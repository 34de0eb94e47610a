"""The bending benchmark's pure parts: its conversations as data, and a conversation judged on
the answers it got (bench/bending_script.py, bench/bending_report.py)."""

from __future__ import annotations

import pytest

from bench.bending_report import figures, markdown
from bench.bending_script import Script, domain_forms, judge, load, parse

FORMS = {"case_status_form": ("tracking_code", "national_id")}
CATEGORIES = {"question_in_form", "dont_have", "second_thoughts", "two_requests", "off_topic"}


def script(**conversation) -> Script:
    entry = {
        "name": "case-aside",
        "form": "case_status_form",
        "slot": "tracking_code",
        "category": "question_in_form",
        "turns": [{"say": "پیگیری پرونده"}, {"press": "ادامه پیگیری پرونده"}, {"sms": "09121000101"}],
        "success": ["passport_up", "case_found"],
        **conversation,
    }
    texts = {"passport_up": "سامانه گذرنامه الان کار می‌کند", "case_found": "وضعیت:", "person": ["صف کارشناسان", "با یک کارشناس"]}
    return parse({"misunderstood": "متوجه نشدم", "texts": texts, "conversations": [entry]}, FORMS)


def test_the_benchmarks_conversations_cover_every_slot_of_every_form_and_every_kind():
    conversations = load().conversations
    assert len(conversations) >= 30
    covered = {(c.form, c.slot) for c in conversations}
    assert {(form, slot) for form, slots in domain_forms().items() for slot in slots} <= covered
    assert {c.category for c in conversations} == CATEGORIES


def test_turns_and_criteria_are_read():
    conversation = script().conversations[0]
    assert [(t.kind, t.value) for t in conversation.turns] == [
        ("say", "پیگیری پرونده"),
        ("press", "ادامه پیگیری پرونده"),
        ("sms", "09121000101"),
    ]
    assert conversation.success == (("سامانه گذرنامه الان کار می‌کند",), ("وضعیت:",))


@pytest.mark.parametrize(
    "change",
    [
        {"success": ["no_such_text"]},
        {"success": []},
        {"never": ["no_such_text"]},
        {"slot": "phone_number"},  # not asked by this form
        {"form": "unknown_form"},
        {"turns": [{"type": "hello"}]},
        {"turns": [{"say": "a", "press": "b"}]},
    ],
)
def test_a_wrong_conversation_is_refused(change):
    with pytest.raises(ValueError):
        script(**change)


def test_success_is_every_text_seen_and_counted_at_the_turn_of_the_last():
    conversation = script().conversations[0]
    answers = [
        ["لطفاً کد پیگیری پرونده را بنویسید."],
        ["سامانه گذرنامه الان کار می‌کند.", "ادامه؟"],
        ["پرونده «…»\nوضعیت: در حال بررسی"],
    ]
    verdict = judge(conversation, answers, "متوجه نشدم")
    assert verdict.success and verdict.turns_to_success == 3
    assert verdict.last_reply == "پرونده «…»\nوضعیت: در حال بررسی"


def test_an_aside_answered_but_the_task_not_done_fails():
    conversation = script().conversations[0]
    answers = [["سامانه گذرنامه الان کار می‌کند."], ["ببخشید، متوجه نشدم. دوباره می‌پرسم."], ["این کد درست نیست."]]
    verdict = judge(conversation, answers, "متوجه نشدم")
    assert not verdict.success and verdict.turns_to_success is None
    assert verdict.missing == ("case_found",) and verdict.misunderstood == 1
    assert verdict.last_reply == "این کد درست نیست."


def test_any_text_of_a_name_counts_and_a_text_never_to_be_said_fails_it():
    conversation = script(success=["person"], never=["passport_up"]).conversations[0]
    assert judge(conversation, [["برای صحبت با یک کارشناس، با شماره ۱۱۱۱ تماس بگیرید."]], "متوجه نشدم").success
    verdict = judge(conversation, [["سامانه گذرنامه الان کار می‌کند."], ["گفتگوی شما به صف کارشناسان رفت."]], "متوجه نشدم")
    assert not verdict.success and verdict.said_never == ("سامانه گذرنامه الان کار می‌کند",)


def test_a_script_stopped_early_succeeds_only_if_the_criterion_was_already_met():
    conversation = script(success=["passport_up"]).conversations[0]
    stopped = "turn 2: no button «ادامه پیگیری پرونده» to press"
    assert judge(conversation, [["سامانه گذرنامه الان کار می‌کند."]], "متوجه نشدم", stopped).success
    verdict = judge(conversation, [["لطفاً کد پیگیری پرونده را بنویسید."]], "متوجه نشدم", stopped)
    assert not verdict.success and verdict.stopped == stopped


def test_the_report_gives_rates_by_category_and_form_and_each_failure_with_its_last_answer():
    ok = script().conversations[0]
    failing = script(name="complaint-ولش", category="second_thoughts", success=["case_found"]).conversations[0]
    verdicts = [
        judge(ok, [["سامانه گذرنامه الان کار می‌کند."], ["وضعیت: در حال بررسی"]], "متوجه نشدم"),
        judge(failing, [["ببخشید، متوجه نشدم. دوباره می‌پرسم."], ["این کد | درست نیست."]], "متوجه نشدم"),
    ]
    found = figures(verdicts)
    assert found["by_category"] == {"question_in_form": "1/1 (100%)", "second_thoughts": "0/1 (0%)"}
    assert found["by_form"] == {"case_status_form": "1/2 (50%)"}
    assert found["turns_mean"] == 2 and found["misunderstood"] == 1
    text = markdown(verdicts, {"date": "d", "commit": "c", "dirty": False, "model": "m", "source": "eitaa", "command": "x"})
    assert "task success 1/2 (50%)" in text
    row = next(line for line in text.splitlines() if line.startswith("| complaint-ولش"))
    assert "never said: case_found" in row and "این کد \\| درست نیست." in row
