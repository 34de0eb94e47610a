"""``POST /desk/api/handoff-codes``: an agent on the phone asks for a code that opens a guide, the
case lookup or the complaint form, with a note for the caller.

    {"guide": "passport-new", "note": "…"}  or  {"case": true, "note": "…"}  or  {"complaint": true}
    → 201 {"code": "H-ABCDE", "links": {"telegram": …, "web": …}, "expires_at": "…"}

The staff desk mounts ``create_handoff_code`` among its API routes; its access check has made sure
of a signed-in agent (``USER`` on the request) and of the CSRF token before the handler runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connectors.jsonbody import json_object
from content.loader import load_articles
from desk.codes import NOTE_CHARS, issue, links
from desk.models import CodeKind, StaffUser
from desk.web.state import DESK, USER


@lru_cache(maxsize=1)
def guide_ids() -> frozenset[str]:
    """The guides a code may open: the articles of content/articles."""
    return frozenset(article.id for article in load_articles())


class CodeRequest(BaseModel):
    """Exactly one of ``guide``, ``case`` and ``complaint``."""

    model_config = ConfigDict(extra="forbid")

    guide: Optional[str] = Field(default=None, max_length=64)
    case: bool = False
    complaint: bool = False
    note: str = Field(default="", max_length=NOTE_CHARS)

    @model_validator(mode="after")
    def one_target(self) -> CodeRequest:
        if sum((self.guide is not None, self.case, self.complaint)) != 1:
            raise ValueError('give exactly one of "guide", "case": true or "complaint": true')
        if self.guide is not None and self.guide not in guide_ids():
            raise ValueError(f"unknown guide {self.guide!r}: use the id of an article in content/articles")
        return self

    @property
    def kind(self) -> CodeKind:
        return CodeKind.guide if self.guide is not None else CodeKind.case if self.case else CodeKind.complaint


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": "bad_request", "text": message}, status=400)


async def create_handoff_code(request: web.Request) -> web.Response:
    try:
        asked = CodeRequest.model_validate(await json_object(request))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return _bad_request(f"{where}: {first['msg']}" if where else first["msg"])
    except ValueError:
        return _bad_request("the body must be a JSON object")
    desk = request.app[DESK]
    async with desk.db() as session:
        agent = await session.get(StaffUser, request[USER].id)  # this session's own copy
        row = await issue(session, asked.kind, asked.guide, asked.note, agent, desk.now(), settings=desk.settings)
        await session.commit()
    body = {"code": row.code, "links": links(row.code, desk.settings), "expires_at": row.expires_at.isoformat()}
    return web.json_response(body, status=201)
