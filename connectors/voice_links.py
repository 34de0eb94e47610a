"""Signed, expiring links to a reply's voice, served by the gateway: ``GET /voice/{token}.ogg``.

The token is the voice's cache name (connectors/voice.py) signed with the web session key under
its own salt, with the time it was made: an altered or made-up token is answered 403, one older
than ``lifetime_seconds`` 410. The words behind a name are kept in Redis as long as its links
live, so the voice is made when a link is first played, never for a reply nobody plays.
"""

from __future__ import annotations

import functools
import logging
import re

import redis.asyncio as aioredis
from aiohttp import web
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from redis.asyncio.client import Pipeline

from connectors.keys import VOICE_LINKS
from connectors.voice import MIME_TYPE, VoiceError, VoiceMaker

logger = logging.getLogger("gateway.voice")
SALT = "hamyar.voice.link"
PATH = "/voice/{token}.ogg"
_NAME = re.compile(r"[0-9a-f]{32}")
NAMES_KEPT = 1024


def _text_key(name: str) -> str:
    return f"hamyar:voice:text:{name}"


class VoiceLinks:
    def __init__(
        self, redis: aioredis.Redis, signer: TimestampSigner, maker: VoiceMaker, lifetime_seconds: int, base_url: str = ""
    ) -> None:
        self._redis = redis
        # The gateway's public address (PUBLIC_URL), for links that leave the page's origin.
        self.base_url = base_url.rstrip("/")
        self._signer = signer
        self.maker = maker
        self.lifetime_seconds = lifetime_seconds
        # A text's name is asked for twice a turn (its words kept, its link signed), and the same
        # replies (menus, questions) come back all day: made once (``spoken`` and a hash).
        self._name = functools.lru_cache(maxsize=NAMES_KEPT)(self._name_of)

    async def url(self, text: str, base_url: str = "") -> str:
        """A link to ``text`` said aloud; absolute when ``base_url`` (an address of the gateway) is given."""
        return (await self.urls([text], base_url))[0]

    async def urls(self, texts: list[str], base_url: str = "") -> list[str]:
        """Links to each of ``texts`` said aloud (a turn's replies: their words kept in one round trip)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            self.keep_in(pipe, texts)
            await pipe.execute()
        return self.signed(texts, base_url)

    def keep_in(self, pipe: Pipeline, texts: list[str]) -> None:
        """Keep the words of ``texts`` for their links, in the caller's pipeline (a turn's
        transaction), so that ``signed`` links to them need no round trip of their own."""
        for text in texts:
            pipe.set(_text_key(self._name(text)), text, ex=self.lifetime_seconds)

    def signed(self, texts: list[str], base_url: str = "") -> list[str]:
        """Links to each of ``texts`` whose words ``keep_in`` kept."""
        return [base_url.rstrip("/") + PATH.format(token=self._signer.sign(self._name(text)).decode()) for text in texts]

    def _name_of(self, text: str) -> str:
        return self.maker.path_for(text).stem

    async def words(self, token: str) -> str:
        """The words a token names; HTTPForbidden when it is not ours, HTTPGone when it has expired."""
        try:
            name = self._signer.unsign(token, max_age=self.lifetime_seconds).decode()
        except SignatureExpired:
            raise web.HTTPGone() from None
        except (BadSignature, UnicodeDecodeError):
            raise web.HTTPForbidden() from None
        if not _NAME.fullmatch(name):
            raise web.HTTPForbidden()
        text = await self._redis.get(_text_key(name))
        if text is None:
            raise web.HTTPGone()
        return text


async def serve(request: web.Request) -> web.StreamResponse:
    """``GET /voice/{token}.ogg``: the voice, made now if it is not cached yet."""
    links = request.app[VOICE_LINKS]
    token = request.match_info["token"]
    if len(token) > 200:
        raise web.HTTPForbidden()
    text = await links.words(token)
    try:
        path = await links.maker.ogg(text)
    except VoiceError as error:
        logger.error("voice not made error=%s", error)
        raise web.HTTPServiceUnavailable() from None
    return web.FileResponse(
        path, headers={"Content-Type": MIME_TYPE, "Cache-Control": f"private, max-age={links.lifetime_seconds}"}
    )
