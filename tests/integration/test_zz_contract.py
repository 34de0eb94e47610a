"""The contract between the Rasa 3.6.21 server and the newer rasa-sdk action server.

Runs after the conversation tests (files run in name order): every custom action and form of
the domain must have been called by the real Rasa server and have answered without error.
"""

from __future__ import annotations

import redis
import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_rasa_called_every_action_and_form(stack):
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    # Forms run their validation and question actions inside the form's own turn; those are
    # checked by what they said (below), the rest by the action events Rasa recorded.
    expected = {a for a in domain["actions"] if not a.startswith(("validate_", "action_ask_"))} | set(domain["forms"])
    replies = yaml.safe_load((ROOT / "bot" / "replies.yml").read_text(encoding="utf-8"))
    questions = {a: replies["ask_service_of_agency" if a == "action_ask_service" else "ask_agency_for_service" if a == "action_ask_agency" else a[len("action_"):]]["text"].split("{")[0][:20]
                 for a in domain["actions"] if a.startswith("action_ask_")}
    said: list[str] = []
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    executed: set[str] = set()
    prefix = "rasa:tracker:"  # endpoints.yml key_prefix + Rasa's own
    for key in client.scan_iter(prefix + "*"):
        tracker = stack.tracker(key[len(prefix):])
        executed |= {e.get("name") for e in tracker["events"] if e["event"] == "action"}
        said += [e.get("text") or "" for e in tracker["events"] if e["event"] == "bot"]
    executed |= {action for action, start in questions.items() if any(text.startswith(start) for text in said)}
    missing = expected - executed
    assert not missing, f"never called by Rasa in the integration suite (run it whole): {sorted(missing)}"
    log = stack.log_tail("rasa", 2000)
    assert "Encountered an exception while running action" not in log
    assert "Failed to run custom action" not in log


def test_logs_hold_no_personal_data_or_message_text(stack):
    """After the whole suite, no process log names a citizen or repeats what they typed."""
    secrets = ["0016383230", "09121000101", "1750890895", "09161000606", "7140508213457"]
    secrets += [s.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) for s in secrets]
    typed = ["سامانه گواهینامه کار میکنه", "چطوری پاسپورت بگیرم", "کارت ملی ام آماده نشده"]
    for name in ("gateway", "actions", "rasa", "sandbox"):
        log = stack.log_tail(name, 100000)
        assert log, f"{name} wrote no log at all"
        for value in secrets + typed:
            assert value not in log, f"{name} log contains {value!r}"
