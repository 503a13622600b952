"""Checks and normalisation of citizen input: text, names, phone numbers, language tags."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import timezone as phone_timezones

from core.errors import InvalidInput
from intake.models import MAX_TEXT_CHARS

_KEEP = {"\n", "\t"}
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_AREA = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")


def clean_text(value: str, *, field: str, max_chars: int, required: bool = True) -> str:
    """NFC-normalise, refuse NUL bytes, drop other control characters, trim; bounded length."""
    if "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL byte; send plain text", field=field)
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = "".join(ch for ch in value if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cs", "Co"))
    value = re.sub(r"[ \t]+\n", "\n", value).strip()
    value = re.sub(r"\n{3,}", "\n\n", value)
    if required and not value:
        raise InvalidInput(f"{field} is empty", field=field)
    if len(value) > max_chars:
        raise InvalidInput(f"{field} is {len(value)} characters long; at most {max_chars} are accepted",
                           field=field)
    return value


def complaint_text(value: str) -> str:
    return clean_text(value, field="text", max_chars=MAX_TEXT_CHARS)


def one_line(value: str | None, *, field: str, max_chars: int) -> str | None:
    """A short single-line value such as a name; empty becomes None."""
    if value is None:
        return None
    value = " ".join(clean_text(value, field=field, max_chars=max_chars * 2, required=False).split())
    if len(value) > max_chars:
        raise InvalidInput(f"{field} is longer than {max_chars} characters", field=field)
    return value or None


def phone_e164(raw: str, *, region: str) -> str:
    """Parse a phone number written any local or international way into E.164."""
    if len(raw) > 40:
        raise InvalidInput("phone is too long to be a phone number", field="phone")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"phone {_mask(raw)} is not a phone number", field="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"phone {_mask(raw)} is not a valid number for region {region}", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def language_tag(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _LANGUAGE.match(value):
        raise InvalidInput("language must be a language code such as 'en' or 'ne'", field="language")
    return value.lower()


def admin_area(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip().upper()
    if not _AREA.match(value):
        raise InvalidInput("admin_area must be an area code such as 'RV-N' (letters, digits, hyphens)",
                           field="admin_area")
    return value


def mask_phone(phone: str | None) -> str | None:
    """Show only the last digits, for staff who do not need the number and for logs."""
    if not phone:
        return phone
    return phone[:4] + "•" * max(len(phone) - 7, 0) + phone[-3:]


def _mask(raw: str) -> str:
    digits = "".join(ch for ch in raw if ch.isdigit())
    return f"ending {digits[-2:]}" if len(digits) > 2 else "given"


def timezone_of(phone: str, default: str) -> str:
    """The timezone of a phone number's country (the first, for countries with several).

    Numbers sharing their first eight characters (country code and operator or area prefix) share it:
    the answer is remembered per prefix, since parsing every number cost 70 µs (7 s for 100,000 surveys).
    """
    prefix = phone[:8]
    if prefix not in _ZONES:
        if len(_ZONES) >= 65_536:
            _ZONES.clear()
        _ZONES[prefix] = _zone_of(phone)
    return _ZONES[prefix] or default


_ZONES: dict[str, str | None] = {}


def _zone_of(phone: str) -> str | None:
    try:
        zones = phone_timezones.time_zones_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return None
    return zones[0] if zones and zones[0] != "Etc/Unknown" else None
