"""Which procedure a how-to question names («تمدید», «المثنی»…), and whether any article of the
asked service explains it: pure, over content/procedures.yml and the published articles."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import yaml
from pydantic import BaseModel

from content.model import Article
from nlu.persian import normalize

PROCEDURES_FILE = Path(__file__).resolve().parent / "procedures.yml"


class Procedure(BaseModel):
    id: str
    name: str
    words: list[str]


@functools.lru_cache(maxsize=1)
def procedures(path: Path = PROCEDURES_FILE) -> tuple[Procedure, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(Procedure.model_validate(p) for p in data["procedures"])


def procedure_named(question: str, known: Sequence[Procedure]) -> Optional[Procedure]:
    """The first procedure one of whose words starts a word (or words) of the question."""
    text = f" {normalize(question).lower()} "
    for procedure in known:
        if any(f" {normalize(word).lower()}" in text for word in procedure.words):
            return procedure
    return None


def without_procedures(question: str, known: Sequence[Procedure]) -> str:
    """The question without its procedure words: what is left names its topic, if anything."""
    text = f" {normalize(question).lower()} "
    for procedure in known:
        for word in procedure.words:
            text = re.sub(rf" {re.escape(normalize(word).lower())}\S*", " ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Missing:
    """The asked procedure of a service no article explains, and the service's articles."""

    procedure: Procedure
    nearest: list[Article]


def missing_procedure(
    question: str, service: Optional[str], articles: Sequence[Article], known: Sequence[Procedure]
) -> Optional[Missing]:
    """None when the question names no procedure or service, or an article explains it."""
    asked = procedure_named(question, known)
    if asked is None or not service:
        return None
    of_service = [a for a in articles if a.service == service]
    if not of_service or any(a.procedure == asked.id for a in of_service):
        return None
    return Missing(asked, of_service[:3])
