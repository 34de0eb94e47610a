"""The handoff-code form's doors: the guides a code can open (content/articles), by title, and
``POST /desk/api/handoff-codes`` (desk/codes_api.py)."""

from __future__ import annotations

from functools import lru_cache

from aiohttp import web

from content.loader import load_articles


@lru_cache(maxsize=1)
def guide_list() -> tuple[dict[str, str], ...]:
    articles = sorted((a for a in load_articles() if a.kind == "guide"), key=lambda a: a.title)
    return tuple({"id": a.id, "title": a.title, "agency": a.agency} for a in articles)


async def guides(request: web.Request) -> web.Response:
    return web.json_response({"guides": list(guide_list())})


async def handoff_code(request: web.Request) -> web.Response:
    # Imported when called: desk/codes_api.py reads the desk's state from this package, which
    # imports this module.
    from desk.codes_api import create_handoff_code

    return await create_handoff_code(request)
