"""Which article answers a question: TF-IDF over character n-grams and words of normalised text.

Pure and small: the whole published content is indexed in memory and rebuilt when it changes.
Character n-grams make «پاسپورتم», «پاسپورت» and a typo land near each other.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from content.model import Article
from nlu.persian import normalize

# Words that say nothing about the topic («چطور», «میخواهم»...).
STOP_WORDS = frozenset(
    "و در به از که را با برای این آن چطور چطوری چگونه چیکار چه چی کنم کنیم میخواهم میخوام باید "
    "است هست هستم کجا کی آیا ایا لطفا لطفاً من ما شما یک یه رو هم تا بگید بگو بگین میشه میتونم "
    "چند چندتا دارم داره باشه بکنم راهنمایی راهنما چنده چیه کیه کجاست کجاس چطوریه امروز الان فردا "
    "دیروز بگو بده کن کنید بکن بدید بگید میکنه میشه؟ خب حالا اینکه اون ازش بهم".split()
)


def _features(text: str) -> Counter:
    words = [w for w in normalize(text).split() if w not in STOP_WORDS and len(w) > 1]
    features: Counter = Counter()
    for word in words:
        features["w:" + word] += 2
        padded = f" {word} "
        for n in (3, 4):
            for i in range(len(padded) - n + 1):
                features[padded[i : i + n]] += 1
    return features


@dataclass(frozen=True)
class Match:
    article: Article
    score: float


class ContentIndex:
    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = list(articles)
        documents: list[tuple[int, Counter]] = []
        for position, article in enumerate(self.articles):
            for text in (article.title, *article.questions, " ".join(article.tags)):
                documents.append((position, _features(text)))
        frequency: Counter = Counter()
        for _, features in documents:
            frequency.update(features.keys())
        count = max(1, len(documents))
        self._idf = {term: math.log((1 + count) / (1 + df)) + 1 for term, df in frequency.items()}
        self._documents = [(position, self._vector(features)) for position, features in documents]

    def _vector(self, features: Counter) -> dict[str, float]:
        vector = {term: tf * self._idf.get(term, 0.0) for term, tf in features.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {term: v / norm for term, v in vector.items()}

    def search(self, question: str, limit: int = 3) -> list[Match]:
        query = self._vector(_features(question))
        best: dict[int, float] = {}
        for position, vector in self._documents:
            score = sum(weight * vector.get(term, 0.0) for term, weight in query.items())
            if score > best.get(position, 0.0):
                best[position] = score
        ranked = sorted(best.items(), key=lambda item: -item[1])[:limit]
        return [Match(self.articles[position], score) for position, score in ranked]


@dataclass(frozen=True)
class Answer:
    """One clear article, or a few to choose from, or none."""

    chosen: Article | None
    choices: list[Article]


def decide(matches: list[Match], accept: float = 0.32, margin: float = 0.12) -> Answer:
    """Pick one article when it clearly leads, else offer up to three that are good enough."""
    good = [m for m in matches if m.score >= accept]
    if not good:
        return Answer(None, [])
    if len(good) == 1 or good[0].score - good[1].score >= margin:
        return Answer(good[0].article, [])
    return Answer(None, [m.article for m in good[:3]])
