"""Run in the Rasa environment by test_serve.py: the validator of action server responses that
bot/serve.py keeps. ``python -m tests.bot.validator_checks WORKDIR`` prints «RESULT » and JSON
(the work directory is not needed: nothing is written)."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Optional

VALID = {"events": [{"event": "slot", "name": "otp_code", "value": None, "timestamp": None}], "responses": [{"text": "سلام"}]}
INVALID = {"events": [{"event": "slot", "name": 12}], "responses": "سلام"}
CALLS = 50


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

    from bot.serve import action_responses_checked_by_one_validator

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
    return {
        "patched": getattr(patched, "hamyar", False),
        "wrapped_once": RemoteAction._validate_action_result is patched,
        "schema_checks": {"stock": stock_checks, "patched": patched_checks},
        "valid_accepted": accepted,
        "refusal": {"stock": stock_refusal, "patched": patched_refusal},
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(validations(), ensure_ascii=False))
