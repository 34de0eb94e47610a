"""An article: question variants and an answer made of short steps."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field, field_validator

from nlu.writing import MAX_CHARS

MAX_STEP_CHARS = MAX_CHARS


class Article(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]{1,63}$")
    title: str = Field(min_length=2, max_length=80)
    kind: Literal["guide", "faq"] = "guide"
    agency: str = "general"
    service: Optional[str] = None
    # Which procedure of the service it explains (content/procedures.yml), if it is one.
    procedure: Optional[str] = None
    tags: list[str] = Field(default_factory=list)
    version: int = Field(default=1, ge=1)
    author: str = "content-team"
    questions: list[str] = Field(min_length=1)
    steps: list[str] = Field(min_length=1, max_length=12)
    # A step said more simply, by its number, for «یعنی چی؟» (actions/follow_up.py); a step
    # without one is read back a sentence a line.
    plain: dict[int, str] = Field(default_factory=dict)

    @field_validator("steps")
    @classmethod
    def _short_steps(cls, steps: list[str]) -> list[str]:
        for step in steps:
            if not step.strip() or len(step) > MAX_STEP_CHARS:
                raise ValueError(f"each step is one short message of at most {MAX_STEP_CHARS} characters")
        return steps
