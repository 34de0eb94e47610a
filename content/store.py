"""Published content in Redis: one hash of articles and a version that changes on every edit."""

from __future__ import annotations

import json
from typing import Optional, Sequence

import redis.asyncio as aioredis

from content.model import Article
from content.search import ContentIndex

ARTICLES = "hamyar:content:articles"
VERSION = "hamyar:content:version"


class ContentStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._cached: Optional[tuple[str, ContentIndex]] = None

    async def publish(self, articles: Sequence[Article], only_newer: bool = True) -> int:
        """Write articles; with ``only_newer``, one already published at an equal or later
        version is kept (an admin's edit is not undone by a restart). Returns how many changed."""
        stored = await self._redis.hgetall(ARTICLES)
        changed = {}
        for article in articles:
            current = stored.get(article.id)
            if only_newer and current and json.loads(current)["version"] >= article.version:
                continue
            changed[article.id] = article.model_dump_json()
        if changed:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(ARTICLES, mapping=changed)
                pipe.incr(VERSION)
                await pipe.execute()
        return len(changed)

    async def index(self) -> ContentIndex:
        """The search index of what is published now, rebuilt only when the version moves."""
        version = await self._redis.get(VERSION) or "0"
        if self._cached is None or self._cached[0] != version:
            raw = await self._redis.hgetall(ARTICLES)
            articles = sorted((Article.model_validate_json(v) for v in raw.values()), key=lambda a: a.id)
            self._cached = (version, ContentIndex(articles))
        return self._cached[1]

    async def article(self, article_id: str) -> Optional[Article]:
        raw = await self._redis.hget(ARTICLES, article_id)
        return Article.model_validate_json(raw) if raw else None
