"""The one Settings object: built once from the environment (prefix REDRESS_) and passed in."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - the known default that production refuses


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SmsProvider(StrEnum):
    CONSOLE = "console"
    TWILIO = "twilio"


def quiet_window(value: str) -> tuple[time, time] | None:
    """Parse 'HH:MM-HH:MM' (it may span midnight); empty means no quiet hours."""
    if not value.strip():
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ValueError(f"quiet hours must look like 21:00-07:00, not {value!r}") from exc
    if start == end:
        raise ValueError("quiet hours must start and end at different times")
    return start, end


def sampling_rates(value: str) -> dict[str, float]:
    """Parse '0.5, OFFICE=1, OFFICE/service=0.2' into {'': 0.5, 'OFFICE': 1.0, 'OFFICE/service': 0.2}."""
    rates: dict[str, float] = {"": 1.0}
    for part in (p.strip() for p in value.split(",") if p.strip()):
        key, _, rate = part.rpartition("=")
        try:
            share = float(rate)
        except ValueError as exc:
            raise ValueError(f"survey sampling {part!r}: the share must be a number from 0 to 1") from exc
        if not 0 <= share <= 1:
            raise ValueError(f"survey sampling {part!r}: the share must be from 0 to 1")
        rates[key.strip()] = share
    return rates


class Settings(BaseSettings):
    """Everything the service can be told from outside; see the settings table in README.md."""

    model_config = SettingsConfigDict(env_prefix="REDRESS_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///./redress.db"
    secret_key: str = DEV_SECRET_KEY
    public_base_url: str = "http://127.0.0.1:8000"
    api_docs: bool | None = None  # /docs, /redoc, /openapi.json; default: on in development, off in production
    default_region: str = "NP"
    timezone: str = "Asia/Kathmandu"
    languages: Annotated[list[str], NoDecode] = ["en", "ne"]
    sms_provider: SmsProvider = SmsProvider.CONSOLE
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_api_base: str = "https://api.twilio.com"
    twilio_status_callbacks: bool = True  # ask the provider to report delivery to /webhooks/twilio/status
    sms_followup_window_minutes: int = Field(default=120, ge=0)
    sms_daily_cap_per_recipient: int = Field(default=10, ge=1)
    sms_daily_cap: int = Field(default=10_000, ge=1)
    sms_quiet_hours: str = "21:00-07:00"  # in the citizen's timezone; empty: none
    telegram_bot_token: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    telegram_webhook_secret: str = ""
    redis_url: str = ""
    survey_delay_hours: float = Field(default=2.0, ge=0)  # after the service, before the invitation
    survey_hours: str = "09:00-19:00"  # when invitations may go, in the citizen's timezone
    survey_every_days: int = Field(default=30, ge=0)  # at most one survey per citizen in this many days
    survey_sampling: str = "1"  # a share, with overrides: "0.5, RV-N-WATER=1, RV-N-WATER/new_connection=0.2"
    survey_reminder_hours: float = Field(default=24.0, gt=0)  # one reminder to a citizen who has not answered
    survey_expiry_hours: float = Field(default=72.0, gt=0)  # then the survey closes
    survey_payment_question: bool = True  # Q3: were you asked for extra payment?
    survey_rate_per_minute: int = Field(default=60, ge=1)  # invitations handed to the provider per minute
    survey_interval_seconds: float = Field(default=300.0, gt=0)
    voice_max_seconds: int = Field(default=120, ge=10, le=600)  # the longest voice message the line records
    voice_transcribe: bool = True  # ask the provider for a transcription of each voice message
    scheduler_enabled: bool = True
    delivery_interval_seconds: float = Field(default=5.0, gt=0)
    delivery_claim_timeout_seconds: float = Field(default=300.0, gt=0)
    max_request_bytes: int = Field(default=256 * 1024, ge=1024)
    model_dir: str = "models"
    seed_corpus: str = ""  # labelled CSV the model starts from; empty: the demo corpus shipped with the app
    max_transfers: int = Field(default=3, ge=1)
    integrity_review_probability: float = Field(default=0.25, gt=0, le=1)
    related_similarity: float = Field(default=0.3, gt=0, le=1)
    related_days: int = Field(default=30, ge=1)
    retrain_interval_hours: float = Field(default=24.0, gt=0)
    escalation_interval_seconds: float = Field(default=60.0, gt=0)
    track_max_failures: int = Field(default=5, ge=1)  # wrong secrets for one tracking number before a lockout
    track_ip_max_failures: int = Field(default=30, ge=1)  # wrong tries from one address before a lockout
    track_lockout_minutes: float = Field(default=15.0, gt=0)
    rollup_interval_seconds: float = Field(default=60.0, gt=0)  # dashboards show changes at most this late
    kpi_min_count: int = Field(default=5, ge=1)  # below this many grievances, no figure is published
    staff_idle_minutes: float = Field(default=30.0, gt=0)  # a staff session unused this long ends
    staff_session_hours: float = Field(default=12.0, gt=0)  # and none lasts longer than this
    login_max_failures: int = Field(default=5, ge=1)  # failed sign-ins in a row before the lockout
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    staff_link_hours: float = Field(default=72.0, gt=0)  # a one-time link that sets a password lasts this long

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as Asia/Kathmandu") from exc
        return value

    @field_validator("sms_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if value.strip():
            quiet_window(value)
        return value.strip()

    @field_validator("survey_hours")
    @classmethod
    def _survey_hours(cls, value: str) -> str:
        if not value.strip() or quiet_window(value) is None:
            raise ValueError("survey_hours must look like 09:00-19:00")
        return value.strip()

    @field_validator("survey_sampling")
    @classmethod
    def _survey_sampling(cls, value: str) -> str:
        sampling_rates(value)
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: str) -> str:
        if value and not (len(value) <= 256 and all(c.isascii() and (c.isalnum() or c in "_-") for c in value)):
            raise ValueError("telegram_webhook_secret must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - "
                             "(Telegram's rule)")
        return value

    @field_validator("default_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        if len(value) != 2 or not value.isalpha():
            raise ValueError("default_region must be a two-letter country code such as NP")
        return value.upper()

    @model_validator(mode="after")
    def _safe_for_production(self) -> Settings:
        if not self.languages:
            raise ValueError("languages must name at least one language, e.g. 'en'")
        if self.environment is Environment.PRODUCTION and (
            self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError("REDRESS_SECRET_KEY must be set to a random value of 32+ characters in production")
        if self.sms_provider is SmsProvider.TWILIO and not (
            self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number
        ):
            raise ValueError("sms_provider=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER")
        return self

    @property
    def serves_api_docs(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.environment is Environment.DEVELOPMENT

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
