"""Rendering one step of a guide: its text, where it stands («۲ از ۵») and the buttons that move
through the guide. Actions send it to the citizen; a staff-desk preview shows the same reply."""

from __future__ import annotations

import json

from content.model import Article
from content.replies import Replies
from nlu.persian import persian_digits

NEXT, PREVIOUS, REPEAT = "/next_step", "/previous_step", "/repeat_message"


def step_buttons(replies: Replies, step: int, count: int, article_id: str = "") -> list[dict]:
    """Next (unless last), repeat, previous (unless first); the reply adds menu and human.

    Next and previous say which guide and step they were shown on, so that one pressed late
    (another guide opened since, or a new session) still moves from where it said."""
    payloads = []
    if step < count - 1:
        payloads.append(NEXT)
    payloads.append(REPEAT)
    if step > 0:
        payloads.append(PREVIOUS)
    buttons = replies.buttons("guide_buttons", payloads)
    if article_id:
        place = json.dumps({"article_id": article_id, "guide_step": str(step)}, separators=(",", ":"))
        buttons = [{**b, "payload": b["payload"] + place} if b["payload"] in (NEXT, PREVIOUS) else b for b in buttons]
    return buttons


def render_step(replies: Replies, article: Article, step: int) -> tuple[int, dict]:
    """The step shown (``step`` held within the guide) and its reply: text, buttons and custom."""
    count = len(article.steps)
    step = max(0, min(step, count - 1))
    reply = replies.render(
        "guide_step",
        step_buttons(replies, step, count, article.id),
        number=persian_digits(step + 1),
        count=persian_digits(count),
        step=article.steps[step],
    )
    return step, reply
