"""Every reply an action names exists in bot/replies.yml with the values it is given."""

import re
from pathlib import Path

import yaml

from content.replies import DEFAULT_PATH, Replies

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
REPLIES = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def named_replies() -> set[str]:
    names = set()
    for source in ACTIONS.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        names |= set(re.findall(r'say\(\s*dispatcher,\s*"([a-z_]+)"', text))
        for pair in re.findall(r'say\(dispatcher, "([a-z_]+)" if [^\n]+ else "([a-z_]+)"', text):
            names |= set(pair)
        names |= {f"service_{s}" for s in ("up", "degraded", "down")} if 'f"service_{status.status}"' in text else set()
    return names


def test_every_named_reply_exists():
    names = named_replies()
    assert len(names) > 30
    assert not names - set(REPLIES), sorted(names - set(REPLIES))


def test_placeholders_are_filled():
    replies = Replies()
    rendered = replies.render("case_status", title="مستمری", status="در حال بررسی", last_update="۳ آذر ۱۴۰۵")
    assert "{" not in rendered["text"]
    assert [b["payload"] for b in replies.render("guide_step", number="۱", count="۳", step="x")["buttons"]] == ["/help", "/request_human"]


def test_a_replys_own_buttons_are_filled_too():
    rendered = Replies().render("service_menu", service_name="گذرنامه", entities='{"service": "passport"}')
    assert rendered["buttons"][0] == {"title": "وضعیت سامانه گذرنامه", "payload": '/service_status{"service": "passport"}'}
    assert [b["payload"] for b in rendered["buttons"][1:]] == ["/case_status", "/help", '/request_human{"service": "passport"}']
