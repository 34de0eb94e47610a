"""Reading a request's JSON body strictly, for every inbound door that takes a JSON object."""

from __future__ import annotations

from aiohttp import web
from pydantic_core import from_json


async def json_object(request: web.Request) -> dict:
    """The request's body as a JSON object; ValueError when it is not one.

    pydantic's parser rather than ``request.json()`` (``json.loads``): it refuses invalid UTF-8,
    lone surrogates (which Redis cannot store), NaN and nesting past 200 levels (where
    ``json.loads`` raises RecursionError), and does not look up the charset the client names
    (an unknown one raised LookupError). The body is bounded by the app's ``client_max_size``.
    """
    body = from_json(await request.read(), allow_inf_nan=False)
    if not isinstance(body, dict):
        raise ValueError("not an object")
    return body


# A messenger's webhook update (Bot API, Rubika) larger than this is refused unread.
MAX_UPDATE = 1024 * 1024


def refusal(error: str, status: int) -> web.Response:
    return web.json_response({"error": error}, status=status)


async def read_update(request: web.Request) -> dict | web.Response:
    """A messenger's webhook update, or the answer refusing it: 413 when it says it is larger
    than ``MAX_UPDATE``, 400 when it is not a JSON object."""
    if (request.content_length or 0) > MAX_UPDATE:
        return refusal("too_large", 413)
    try:
        return await json_object(request)
    except ValueError:
        return refusal("malformed", 400)
