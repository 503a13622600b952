"""Pydantic shapes of what enters intake from any channel."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from intake.models import Channel


class GrievanceDraft(BaseModel):
    """A complaint as a channel received it, before checks; `intake.services.submit` validates it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    text: str = Field(max_length=20_000)
    phone: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=400)
    channel: Channel = Channel.API
    language: str | None = Field(default=None, max_length=16)
    category: str | None = Field(default=None, max_length=64)
    admin_area: str | None = Field(default=None, max_length=64)
    location_text: str | None = Field(default=None, max_length=1000)
    anonymous: bool = False
    telegram_chat_id: int | None = None
