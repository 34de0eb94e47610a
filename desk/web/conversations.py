"""A conversation at the desk through the API: read it (and follow it live), take it, reveal a
masked message, reply, hand it back to the bot, or pass it on to another agency or agent.

Reading needs the conversation's agency among those the user serves; everything after the take
needs the user to have the conversation. Refusals carry a Persian ``text`` for the page to show.
"""

from __future__ import annotations

import json
from typing import Optional, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select

from connectors.jsonbody import json_object
from desk.conversation import Conversation, read_conversation
from desk.conversation import reveal as reveal_line
from desk.models import Role, StaffUser
from desk.queue import Take, Transfer
from desk.web.access import RANK, refusal
from desk.web.queue_view import agency_name, stream
from desk.web.state import DESK, USER, DeskWeb

# The longest reply an agent sends in one go; the channels split long text themselves.
MAX_REPLY = 2000
MAX_NOTE = 500

NOT_FOUND = "این گفتگو پیدا نشد."
NOT_YOURS = "این گفتگو الان دست شما نیست."
TAKEN = "این گفتگو را کارشناس دیگری زودتر برداشت."
AT_CAPACITY = "شما به سقف گفتگوهای هم‌زمان خود رسیده‌اید. اول یکی را تمام کنید."
NOT_WAITING = "این گفتگو دیگر در صف نیست."
RECEIVER_FULL = "این کارشناس الان گفتگوی بیشتری نمی‌پذیرد."
NO_SUCH_AGENT = "این کارشناس پیدا نشد یا به این بخش رسیدگی نمی‌کند."
NO_SUCH_AGENCY = "این بخش پیدا نشد."

_TAKE_REFUSALS = {
    Take.ALREADY_TAKEN: ("taken", 409, TAKEN),
    Take.AT_CAPACITY: ("at_capacity", 409, AT_CAPACITY),
    Take.NOT_WAITING: ("not_waiting", 409, NOT_WAITING),
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reply(_Body):
    text: str = Field(min_length=1, max_length=MAX_REPLY)


class Release(_Body):
    note: str = Field(default="", max_length=MAX_NOTE)


class Reveal(_Body):
    entry: int


class TransferTo(_Body):
    """Exactly one of ``agency`` (back into its queue) and ``agent`` (a username)."""

    agency: Optional[str] = Field(default=None, max_length=64)
    agent: Optional[str] = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=MAX_NOTE)

    @model_validator(mode="after")
    def _one(self) -> TransferTo:
        if (self.agency is None) == (self.agent is None):
            raise ValueError('give exactly one of "agency" and "agent"')
        return self


Body = TypeVar("Body", bound=BaseModel)


async def body_of(request: web.Request, model: type[Body]) -> Body:
    """The request's body as ``model``; a 400 answer saying what is wrong otherwise."""
    try:
        return model.model_validate(await json_object(request))
    except ValidationError as error:
        problem = error.errors()[0]["msg"]
    except ValueError:
        problem = "the body must be a JSON object"
    raise web.HTTPBadRequest(text=json.dumps({"error": "bad_request", "text": problem}), content_type="application/json")


def conversation_json(desk: DeskWeb, conversation: Conversation, user: StaffUser) -> dict:
    return {
        "conversation_id": conversation.conversation_id,
        "channel": conversation.channel,
        "agency": conversation.agency,
        "agency_name": agency_name(desk, conversation.agency or ""),
        "reason": conversation.reason,
        "priority_reasons": list(conversation.priority_reasons),
        "state": conversation.state,
        "agent": conversation.agent_name,
        "yours": conversation.agent_id == user.id,
        "queued_at": conversation.queued_at.isoformat(),
        "transcript": [
            {
                "id": line.id,
                "at": line.at.isoformat(),
                "author": line.author.value,
                "agent_name": line.agent_name or None,
                "text": line.text,
                "masked": line.masked,
            }
            for line in conversation.lines
        ],
        "canned_replies": desk.config.canned_for(conversation.agency),
    }


async def _read(desk: DeskWeb, conversation_id: str) -> Optional[Conversation]:
    async with desk.db() as db:
        return await read_conversation(db, desk.queue, desk.sealer, conversation_id)


def _may_read(user: StaffUser, conversation: Conversation) -> bool:
    return RANK[user.role] >= RANK[Role.supervisor] or user.serves(conversation.agency)


async def show(request: web.Request) -> web.Response:
    desk, user = request.app[DESK], request[USER]
    conversation = await _read(desk, request.match_info["id"])
    if conversation is None or not _may_read(user, conversation):
        return refusal("not_found", 404, NOT_FOUND)
    return web.json_response(conversation_json(desk, conversation, user))


async def events(request: web.Request) -> web.StreamResponse:
    """The conversation now, then again whenever it changes (a message, a take, a release)."""
    desk, user = request.app[DESK], request[USER]
    conversation_id = request.match_info["id"]
    first = await _read(desk, conversation_id)
    if first is None or not _may_read(user, first):
        return refusal("not_found", 404, NOT_FOUND)

    async def current() -> Optional[tuple[str, dict, object]]:
        conversation = await _read(desk, conversation_id)
        if conversation is None:
            return None
        shown = conversation_json(desk, conversation, user)
        return "conversation", shown, shown

    return await stream(request, current)


async def mine(request: web.Request) -> web.Response:
    """The conversations the user has now, first taken first."""
    desk, user = request.app[DESK], request[USER]
    active = await desk.queue.active(str(user.id))
    return web.json_response(
        {
            "conversations": [
                {
                    "conversation_id": a.item.conversation_id,
                    "channel": a.item.channel,
                    "agency": a.item.agency,
                    "agency_name": agency_name(desk, a.item.agency),
                    "reason": a.item.reason,
                    "preview": a.item.preview,
                    "taken_at": a.taken_at.isoformat(),
                }
                for a in active
            ]
        }
    )


async def take(request: web.Request) -> web.Response:
    desk, user = request.app[DESK], request[USER]
    conversation_id = request.match_info["id"]
    status = await desk.queue.status(conversation_id)
    if status is None or not user.serves(status.item.agency):
        return refusal("not_found", 404, NOT_FOUND)
    result = await desk.handoffs.take(conversation_id, user)
    if result is not Take.TAKEN:
        return refusal(*_TAKE_REFUSALS[result])
    return web.json_response({"status": "taken"})


async def _has(desk: DeskWeb, user: StaffUser, conversation_id: str) -> bool:
    status = await desk.queue.status(conversation_id)
    return status is not None and status.state == "active" and status.agent_id == str(user.id)


def _not_yours() -> web.Response:
    return refusal("not_yours", 403, NOT_YOURS)


async def _holding(request: web.Request, model: type[Body]) -> tuple[DeskWeb, StaffUser, str, Body]:
    """The desk, the user, the conversation's id and the body of a request only the agent who has
    the conversation may make; a 403 answer for anyone else."""
    desk, user, conversation_id = request.app[DESK], request[USER], request.match_info["id"]
    body = await body_of(request, model)
    if not await _has(desk, user, conversation_id):
        refused = json.dumps({"error": "not_yours", "text": NOT_YOURS})
        raise web.HTTPForbidden(text=refused, content_type="application/json")
    return desk, user, conversation_id, body


async def reveal(request: web.Request) -> web.Response:
    """A masked message in full, to the agent who has the conversation; audited."""
    desk, user, conversation_id, body = await _holding(request, Reveal)
    async with desk.db() as db, db.begin():
        text = await reveal_line(db, desk.sealer, conversation_id, body.entry, user, desk.now())
    if text is None:
        return refusal("not_found", 404, NOT_FOUND)
    return web.json_response({"entry": body.entry, "text": text})


async def message(request: web.Request) -> web.Response:
    desk, user = request.app[DESK], request[USER]
    body = await body_of(request, Reply)
    if not body.text.strip():
        return refusal("bad_request", 400, "the text is empty")
    if not await desk.handoffs.agent_message(request.match_info["id"], user, body.text):
        return _not_yours()
    return web.json_response({"status": "sent"})


async def release(request: web.Request) -> web.Response:
    """«بازگشت به ربات»: the bot answers the citizen again; the note stays with the desk."""
    desk, user = request.app[DESK], request[USER]
    body = await body_of(request, Release)
    if not await desk.handoffs.release(request.match_info["id"], user, body.note):
        return _not_yours()
    return web.json_response({"status": "released"})


async def transfer(request: web.Request) -> web.Response:
    desk, user, conversation_id, body = await _holding(request, TransferTo)
    if body.agency is not None:
        if body.agency not in transfer_agencies(desk):
            return refusal("not_found", 404, NO_SUCH_AGENCY)
        if not await desk.handoffs.transfer_to_agency(conversation_id, user, body.agency, body.note):
            return _not_yours()
        return web.json_response({"status": "transferred", "agency": body.agency})
    status = await desk.queue.status(conversation_id)
    async with desk.db() as db:
        receiver = await db.scalar(select(StaffUser).where(StaffUser.username == (body.agent or "").lower()))
    if (
        receiver is None
        or receiver.disabled
        or receiver.id == user.id
        or status is None
        or not receiver.serves(status.item.agency)
    ):
        return refusal("not_found", 404, NO_SUCH_AGENT)
    result = await desk.handoffs.transfer_to_agent(conversation_id, user, receiver, body.note)
    if result is Transfer.AT_CAPACITY:
        return refusal("at_capacity", 409, RECEIVER_FULL)
    if result is Transfer.NOT_YOURS:
        return _not_yours()
    return web.json_response({"status": "transferred", "agent": receiver.username})


def transfer_agencies(desk: DeskWeb) -> list[str]:
    """Where a conversation can be sent: every agency of the catalogue, and the general queue."""
    return ["general", *(agency.id for agency in desk.catalog.get().agencies)]


async def transfer_targets(request: web.Request) -> web.Response:
    """The agencies and the agents (enabled, other than the user) a conversation can go to."""
    desk, user = request.app[DESK], request[USER]
    async with desk.db() as db:
        agents = (await db.execute(select(StaffUser).where(StaffUser.disabled.is_(False)).order_by(StaffUser.username))).scalars()
        listed = [
            {"username": a.username, "name": a.first_name or a.username, "agencies": list(a.agencies)}
            for a in agents
            if a.id != user.id
        ]
    agencies = [{"id": a, "name": agency_name(desk, a)} for a in transfer_agencies(desk)]
    return web.json_response({"agencies": agencies, "agents": listed})
