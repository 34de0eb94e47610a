"""Run in the Rasa environment by test_serve.py: the validator of action server responses that
bot/serve.py keeps. ``python -m tests.bot.validator_checks WORKDIR`` prints «RESULT » and JSON
(the work directory is not needed: nothing is written)."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Optional

VALID = {"events": [{"event": "slot", "name": "otp_code", "value": None, "timestamp": None}], "responses": [{"text": "سلام"}]}
INVALID = {"events": [{"event": "slot", "name": 12}], "responses": "سلام"}
CALLS = 50
USER = {"event": "user", "text": "سلام", "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}}
# Responses that fit Rasa's schema and ones that do not, each kind of event included: the kept
# check must accept exactly the ones jsonschema accepts.
CASES = [
    VALID,
    INVALID,
    {},
    {"responses": []},
    {"events": []},
    {"events": None},
    {"events": {}},
    {"events": ["slot"]},
    {"events": [{}]},
    {"events": [{"name": "otp_code"}]},
    {"events": [{"event": 7}]},
    {"events": [{"event": "no_such_kind"}]},
    {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "slot", "name": None}]},
    {"events": [{"event": "slot", "value": 1}]},
    {"events": [{"event": "slot", "name": "a", "value": [1, {"x": "y"}], "timestamp": "now"}]},
    {"events": [USER, {**USER, "parse_data": {"intent": {"name": 3}}}]},
    {"events": [USER, {**USER, "parse_data": {"entities": [{"entity": "city", "value": "قم", "start": "0"}]}}]},
    {"events": [USER, {**USER, "parse_data": {"response_selector": {"all_retrieval_intents": []}}}]},
    {"events": [USER, {**USER, "parse_data": {"response_selector": {"faq": {"response": {"responses": [{"text": 1}]}}}}}]},
    {"events": [{"event": "action", "name": "utter_greet", "policy": None, "confidence": 1.0}]},
    {"events": [{"event": "action", "name": 5}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_x"}]},
    {"events": [{"event": "active_loop", "name": 1}]},
    {"events": [{"event": "bot", "text": "سلام", "data": {"buttons": [{"title": "الف", "payload": "/b"}]}}]},
    {"events": [{"event": "bot", "text": 2}]},
    {"events": [{"event": "reminder", "intent": "remind", "date_time": "2026-12-07T10:00:00", "entities": None}]},
    {"events": [{"event": name} for name in ("restart", "undo", "rewind", "pause", "resume", "export", "session_started")]},
    {"events": [{"event": "pause", "metadata": "x"}]},
    {"responses": [{"text": "سلام", "buttons": [{"title": "a", "payload": "/b"}]}, {"custom": {"a": 1}}]},
    {"responses": "سلام"},
]


def refusal(validate: Callable[[Dict[str, Any]], Any]) -> Optional[str]:
    """The message a response that breaks the schema is refused with (None: accepted)."""
    from jsonschema import ValidationError

    try:
        validate(INVALID)
    except ValidationError as error:
        return error.message
    return None


def validations() -> Dict[str, Any]:
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    from bot.serve import action_responses_checked_by_one_validator, response_check

    action = RemoteAction("action_case_status", None)
    kind = validators.validator_for(RemoteAction.action_response_format_spec())
    schema_checks = []
    check_schema = kind.check_schema

    def counted(schema: Any, *args: Any, **kwargs: Any) -> None:
        schema_checks.append(1)
        check_schema(schema, *args, **kwargs)

    kind.check_schema = counted  # the meta-schema check jsonschema.validate makes on every call
    try:
        stock_refusal = refusal(action._validate_action_result)
        schema_checks.clear()
        for _ in range(CALLS):
            action._validate_action_result(VALID)
        stock_checks = len(schema_checks)

        action_responses_checked_by_one_validator()
        patched = RemoteAction._validate_action_result
        action_responses_checked_by_one_validator()  # a second start wraps nothing twice
        schema_checks.clear()
        accepted = all(action._validate_action_result(VALID) is True for _ in range(CALLS))
        patched_checks = len(schema_checks)
        patched_refusal = refusal(action._validate_action_result)
    finally:
        kind.check_schema = check_schema
    whole = kind(RemoteAction.action_response_format_spec())
    fits = response_check(RemoteAction.action_response_format_spec())
    verdicts = [{"rasa": whole.is_valid(case), "kept": fits(case)} for case in CASES]
    return {
        "patched": getattr(patched, "hamyar", False),
        "wrapped_once": RemoteAction._validate_action_result is patched,
        "schema_checks": {"stock": stock_checks, "patched": patched_checks},
        "valid_accepted": accepted,
        "refusal": {"stock": stock_refusal, "patched": patched_refusal},
        "verdicts": verdicts,
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(validations(), ensure_ascii=False))
