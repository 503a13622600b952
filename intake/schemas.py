"""Pydantic shapes of what enters intake from any channel."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from intake.models import Channel


class GrievanceDraft(BaseModel):
    """A complaint as a channel received it (and the API's request body); `intake.services.submit` checks it.

    Bounds here only stop absurd payloads early; the real limits (5,000 characters of normalised
    text, E.164 phones, known categories) are enforced by submit with clear messages.
    """

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=20_000, description="The complaint, at most 5,000 characters once normalised")
    phone: str | None = Field(default=None, max_length=64, description="Any local or international format")
    name: str | None = Field(default=None, max_length=400)
    channel: Channel = Channel.API
    language: str | None = Field(default=None, max_length=16, description="e.g. en, ne")
    category: str | None = Field(default=None, max_length=64, description="A code from GET /api/v1/categories")
    admin_area: str | None = Field(default=None, max_length=64, description="e.g. RV-N")
    location_text: str | None = Field(default=None, max_length=1000)
    anonymous: bool = Field(default=False, description="Keep the complainant's identity from the office")
