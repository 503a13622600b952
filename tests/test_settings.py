"""Settings: built once from REDRESS_* variables or .env, refusing unsafe production values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import DEV_SECRET_KEY, Environment, Settings, SmsProvider


def test_defaults_serve_development(monkeypatch):
    for name in ("REDRESS_DATABASE_URL", "REDRESS_LANGUAGES", "REDRESS_SMS_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite:///./redress.db"
    assert settings.sms_provider is SmsProvider.CONSOLE and settings.environment is Environment.DEVELOPMENT
    assert settings.twilio_api_base == "https://api.twilio.com"


def test_environment_and_dotenv_are_read(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("REDRESS_LANGUAGES=en, ne ,hi\nREDRESS_TIMEZONE=Europe/Tirane\n")
    monkeypatch.setenv("REDRESS_DEFAULT_REGION", "al")
    settings = Settings(_env_file=env_file)
    assert settings.languages == ["en", "ne", "hi"]
    assert settings.timezone == "Europe/Tirane" and settings.default_region == "AL"


@pytest.mark.parametrize(("values", "says"), [
    ({"environment": "production"}, "SECRET_KEY"),
    ({"environment": "production", "secret_key": "short"}, "SECRET_KEY"),
    ({"timezone": "Mars/Olympus"}, "unknown timezone"),
    ({"default_region": "Nepal"}, "two-letter"),
    ({"languages": ""}, "at least one language"),
    ({"sms_provider": "twilio"}, "TWILIO_ACCOUNT_SID"),
    ({"sms_provider": "carrier-pigeon"}, "sms_provider"),
], ids=["prod-default-secret", "prod-short-secret", "timezone", "region", "languages", "twilio-creds", "provider"])
def test_unsafe_or_wrong_settings_are_refused(values, says):
    with pytest.raises(ValidationError, match=says):
        Settings(_env_file=None, **values)


def test_production_with_a_real_secret_starts():
    settings = Settings(_env_file=None, environment="production", secret_key="x" * 40)
    assert settings.secret_key != DEV_SECRET_KEY
