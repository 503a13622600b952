"""SMS segments: how many parts a text costs, GSM-7 or UCS-2, and look-alike characters that force UCS-2.

One character outside the GSM-7 alphabet (a curly quote pasted by an official) turns a 160-character
message into three 67-character parts, so texts are made GSM-safe where the language allows.
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # each costs an escape septet too
GSM_SINGLE, GSM_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

LOOK_ALIKES = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‐": "-", "‑": "-", "‒": "-", "−": "-",
    "…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "", "\ufeff": "",
    "•": "-", "·": "-", "\t": " ",
}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _units(text: str) -> list[int]:
    """Cost of each character in its encoding's units: septets for GSM-7, UTF-16 code units for UCS-2."""
    if is_gsm7(text):
        return [2 if ch in GSM7_EXTENDED else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segments(text: str) -> int:
    """Parts the text is sent in; an escape pair or a surrogate pair is never split across parts."""
    units = _units(text)
    single, multi = (GSM_SINGLE, GSM_MULTI) if is_gsm7(text) else (UCS2_SINGLE, UCS2_MULTI)
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for cost in units:
        if used + cost > multi:
            parts += 1
            used = 0
        used += cost
    return parts


def gsm_safe(text: str) -> str:
    """Replace typographic look-alikes with their GSM-7 forms; other characters are kept as they are."""
    if is_gsm7(text):
        return text
    return "".join(LOOK_ALIKES.get(ch, ch) for ch in text)
