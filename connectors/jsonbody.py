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
