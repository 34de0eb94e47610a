"""Rendering one step of a guide: its text, where it stands («۲ از ۵») and the buttons that move
through the guide. Actions send it to the citizen; a staff-desk preview shows the same reply."""

from __future__ import annotations

from content.model import Article
from content.replies import Replies
from nlu.persian import persian_digits

NEXT, PREVIOUS, REPEAT = "/next_step", "/previous_step", "/repeat_message"


def step_buttons(replies: Replies, step: int, count: int) -> list[dict]:
    """Next (unless last), repeat, previous (unless first); the reply adds menu and human."""
    payloads = []
    if step < count - 1:
        payloads.append(NEXT)
    payloads.append(REPEAT)
    if step > 0:
        payloads.append(PREVIOUS)
    return replies.buttons("guide_buttons", payloads)


def render_step(replies: Replies, article: Article, step: int) -> tuple[int, dict]:
    """The step shown (``step`` held within the guide) and its reply: text, buttons and custom."""
    count = len(article.steps)
    step = max(0, min(step, count - 1))
    reply = replies.render(
        "guide_step",
        step_buttons(replies, step, count),
        number=persian_digits(step + 1),
        count=persian_digits(count),
        step=article.steps[step],
    )
    return step, reply
