"""Run in the Rasa environment by test_action_calls.py: the body Rasa builds for a call to the
action server (``RemoteAction._action_call_format``) for a real tracker of Hamyar's domain,
before and after bot/serve.py's patch. ``python -m tests.bot.action_call_checks WORKDIR`` prints
«RESULT » and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[2]
STAMP = {"model_id": "4c7b2882c88246f2a4fe256a3513d6de", "assistant_id": "hamyar"}


def conversation() -> List[Any]:
    """A session as Rasa logs it: a typed question answered by a guide with buttons, a button
    press, a form that asks and is given a value, each event stamped as Rasa stamps them."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        DefinePrevUserUtteredFeaturization,
        SessionStarted,
        SlotSet,
        UserUttered,
    )

    said = {"channel": "eitaa", "user_id": "u-1", "private_link": "", "verified_phone": ""}

    def user(text: str, intent: str, entities: list, at: float) -> UserUttered:
        ranking = [
            {"name": intent, "confidence": 0.91},
            {"name": "inform", "confidence": 0.04},
            {"name": "deny", "confidence": 0.01},
        ]
        parse = {
            "intent": {"name": intent, "confidence": 0.91},
            "entities": entities,
            "text": text,
            "message_id": f"m{at}",
            "metadata": said,
            "text_tokens": [[0, 5], [6, 9]],
            "intent_ranking": ranking,
        }
        return UserUttered(text, parse["intent"], entities, parse, at, "hamyar", f"m{at}", {**said, **STAMP})

    buttons = [{"title": "مرحله بعد", "payload": '/next_step{"article_id":"office-hours"}'}]
    return [
        ActionExecuted("action_session_start", timestamp=1.0, metadata=dict(STAMP)),
        SessionStarted(timestamp=1.1, metadata=dict(STAMP)),
        ActionExecuted("action_listen", timestamp=1.2, metadata=dict(STAMP)),
        user("دفاتر ثبت احوال جمعه‌ها بازن؟", "how_to", [{"entity": "agency", "value": "sabt", "start": 6, "end": 15}], 2.0),
        DefinePrevUserUtteredFeaturization(False, timestamp=2.1, metadata=dict(STAMP)),
        ActionExecuted("action_how_to", policy="IndexedRulePolicy", confidence=1.0, timestamp=2.2, metadata=dict(STAMP)),
        BotUttered("مرحله ۱ از ۲", {"buttons": buttons}, {**STAMP}, timestamp=2.3),
        BotUttered(
            "منو",
            {"buttons": buttons, "custom": {"handoff": {"reason": "request_human"}}},
            {"utter_action": "utter_help", **STAMP},
            timestamp=2.4,
        ),
        SlotSet("article_id", "office-hours", timestamp=2.5, metadata=dict(STAMP)),
        ActionExecuted("action_listen", policy="IndexedRulePolicy", confidence=1.0, timestamp=2.6, metadata=dict(STAMP)),
        user("/case_status", "case_status", [], 3.0),
        ActionExecuted("case_status_form", policy="IndexedRulePolicy", confidence=1.0, timestamp=3.1, metadata=dict(STAMP)),
        ActiveLoop("case_status_form", timestamp=3.2, metadata=dict(STAMP)),
        SlotSet("requested_slot", "tracking_code", timestamp=3.3, metadata=dict(STAMP)),
        BotUttered("کد رهگیری را بنویسید", {}, {**STAMP}, timestamp=3.4),
        ActionExecuted("action_listen", policy="IndexedRulePolicy", confidence=1.0, timestamp=3.5, metadata=dict(STAMP)),
        user("۱۲۳۴۵۶۷۸", "inform", [{"entity": "tracking_code", "value": "12345678", "start": 0, "end": 8}], 4.0),
    ]


def bodies() -> Dict[str, Any]:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.serve import action_calls_carry_what_actions_read

    domain = Domain.load(str(ROOT / "bot" / "domain.yml"))
    tracker = DialogueStateTracker.from_events("eitaa:u-1", conversation(), domain.slots)
    action = RemoteAction("validate_case_status_form", EndpointConfig(url="http://127.0.0.1:9/webhook"))
    stock = action._action_call_format(tracker, domain)
    action_calls_carry_what_actions_read()
    patched_format = RemoteAction._action_call_format
    action_calls_carry_what_actions_read()  # a second start wraps nothing twice
    patched = action._action_call_format(tracker, domain)
    again = action._action_call_format(tracker, domain)
    return {
        # As the action server reads them: through JSON.
        "stock": json.loads(json.dumps(stock, ensure_ascii=False)),
        "patched": json.loads(json.dumps(patched, ensure_ascii=False)),
        "stock_bytes": len(json.dumps(stock, ensure_ascii=False).encode()),
        "patched_bytes": len(json.dumps(patched, ensure_ascii=False).encode()),
        "same_each_call": patched == again,
        "wrapped_once": RemoteAction._action_call_format is patched_format and getattr(patched_format, "hamyar", False),
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(bodies(), ensure_ascii=False))
