"""The agency contract as pydantic models: what crosses the process boundary is checked here."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, Field


class ServiceStatus(BaseModel):
    service: str
    name: str
    status: Literal["up", "degraded", "down"]
    message: str = ""
    since: Optional[datetime] = None
    expected_restore: Optional[datetime] = None


class Case(BaseModel):
    tracking_code: str
    title: str
    status: Literal["received", "in_progress", "waiting_for_citizen", "approved", "rejected", "completed"]
    status_text: str
    last_update: datetime
    next_step: Optional[str] = None
    office: Optional[str] = None


class CaseSummary(BaseModel):
    """One of a citizen's open cases, as an agency lists them (GET /v1/cases)."""

    tracking_code: str
    title: str
    status: Literal["received", "in_progress", "waiting_for_citizen", "approved", "rejected", "completed"]
    status_text: str
    last_update: datetime


class CaseList(BaseModel):
    cases: list[CaseSummary]


class ComplaintRequest(BaseModel):
    national_id: str = Field(pattern=r"^\d{10}(\d{2})?$")
    phone: str = Field(pattern=r"^09\d{9}$")
    text: str = Field(min_length=1, max_length=2000)


class ComplaintCreated(BaseModel):
    tracking_code: str
    created_at: datetime


class IdentityMatch(BaseModel):
    match: bool
