"""Articles from YAML files (content/articles), and publishing them at start-up."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import redis.asyncio as aioredis
import yaml

from content.model import Article
from content.store import ContentStore

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"


def load_articles(directory: Path = ARTICLES_DIR) -> list[Article]:
    articles = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        article = Article.model_validate(data)
        if article.id != path.stem:
            raise ValueError(f"{path.name}: id {article.id!r} differs from the file name")
        articles.append(article)
    return articles


async def publish_files(redis_url: str, directory: Path = ARTICLES_DIR) -> int:
    client = aioredis.from_url(redis_url, decode_responses=True)
    try:
        return await ContentStore(client).publish(load_articles(directory))
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description="Publish content/articles to Redis")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--dir", type=Path, default=ARTICLES_DIR)
    args = parser.parse_args()
    changed = asyncio.run(publish_files(args.redis_url, args.dir))
    print(f"content: {changed} article(s) published")


if __name__ == "__main__":
    main()
