"""Coming back days later: what was left unfinished is noted as the conversation goes, and
offered again at the start of the next session.

Noting happens where every action's result passes (``ProgressExecutor``, the action server's
executor), so no action has to remember to do it:
- a guide step shown (``article_step`` set) keeps the guide and step; its last step forgets it;
- a form asking its next question (``action_ask_<slot>`` inside the form) keeps the form;
- a form that ends (submitted, cancelled, left for another task) forgets a kept form;
- «خداحافظ» and «از اول» (``article_id`` reset) forget everything.
Only ids and names are kept (actions/unfinished.py), never what the citizen typed.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, ActionExecutorRunResult, CollectingDispatcher
from redis.exceptions import RedisError

from actions.common import tag
from actions.replies import REPLIES, say
from actions.runtime import runtime
from actions.unfinished import Unfinished
from nlu.logtag import conversation_tag
from nlu.persian import persian_digits

logger = logging.getLogger(__name__)

# The actions a form's rule runs once the form has everything (bot/data/rules.yml, «submit …»).
SUBMITTED = frozenset({"action_case_status", "action_service_status", "action_file_complaint"})
ASK = "action_ask_"


def _slots_set(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in events if e.get("event") == "slot"}


def _form_ended(events: list[dict]) -> bool:
    return any(e.get("event") == "active_loop" and not e.get("name") for e in events)


async def note(action: str, tracker: dict, events: list[dict]) -> None:
    """What ``action`` (run on ``tracker``, Rasa's JSON) changed in what is left unfinished."""
    conversation = str(tracker.get("sender_id") or "")
    store = runtime().unfinished
    slots = _slots_set(events)
    if "article_id" in slots and slots["article_id"] is None:
        await store.forget(conversation)
        return
    if _form_ended(events) or action in SUBMITTED:
        await store.forget(conversation, "form")
    if slots.get("article_step") is not None:
        await _note_step(conversation, slots.get("article_id") or (tracker.get("slots") or {}).get("article_id"), slots)
    loop = (tracker.get("active_loop") or {}).get("name")
    if action.startswith(ASK) and loop:
        await store.keep(conversation, Unfinished("form", str(loop), slot=action[len(ASK) :]))


async def _note_step(conversation: str, article_id: Optional[str], slots: dict[str, Any]) -> None:
    article = await runtime().content.article(article_id) if article_id else None
    if article is None or article.kind != "guide":
        return
    step = int(slots["article_step"])
    if step >= len(article.steps) - 1:
        await runtime().unfinished.forget(conversation, "guide")
    else:
        await runtime().unfinished.keep(conversation, Unfinished("guide", article.id, step=step))


async def offer_unfinished(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """At a session's start: what was left unfinished, offered once (the reply's hint makes it
    the turn's question, after the answer to what the citizen wrote: connectors/rendering.py)."""
    unfinished = await runtime().unfinished.take(tracker.sender_id)
    if unfinished is None:
        return
    if unfinished.kind == "guide":
        article = await runtime().content.article(unfinished.name)
        if article is None:
            return  # removed by an admin since
        step = min(unfinished.step, len(article.steps) - 1)
        say(dispatcher, "resume_guide", step=persian_digits(step + 1), title=article.title, article_id=article.id, at=step)
    elif f"resume_{unfinished.name}" in REPLIES.entries():
        say(dispatcher, f"resume_{unfinished.name}")
    logger.info("unfinished offered conversation=%s kind=%s", tag(tracker), unfinished.kind)


class ProgressExecutor(ActionExecutor):
    """rasa-sdk's executor, noting after each action what is left unfinished."""

    async def run(self, action_call: dict[str, Any], *args: Any, **kwargs: Any) -> Optional[ActionExecutorRunResult]:
        result = await super().run(action_call, *args, **kwargs)
        if result is not None:
            tracker = action_call.get("tracker") or {}
            try:
                await note(str(action_call.get("next_action") or ""), tracker, result.events)
            except RedisError as error:
                # Only an offer days later is lost: the turn goes on.
                who = conversation_tag(str(tracker.get("sender_id") or ""))
                logger.warning("unfinished not noted conversation=%s error=%s", who, type(error).__name__)
        return result
