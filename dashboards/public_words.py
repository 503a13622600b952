"""Every word of the public responsiveness pages, in the reader's language (core.i18n; `make messages`)."""

from __future__ import annotations

from core.i18n import say


def words(language: str) -> dict[str, str]:
    return {
        "title": say(language, "How responsive are our offices?"),
        "intro": say(language, "For every office and every kind of complaint: how long people waited for a first "
                               "answer, how often the office answered within its deadline, how long a solution "
                               "took, and what people said afterwards. Only counts of {min} or more are shown, so no "
                               "figure is about one person."),
        "period": say(language, "Complaints received in the last {days} days."),
        "league": say(language, "Offices, most responsive first"),
        "categories": say(language, "By kind of complaint"),
        "office": say(language, "Office"),
        "category": say(language, "Kind of complaint"),
        "received": say(language, "Received"),
        "wait": say(language, "Typical wait for a first answer"),
        "wait_p90": say(language, "9 in 10 answered within"),
        "within": say(language, "Answered within the deadline"),
        "resolution": say(language, "Typical time to solve"),
        "missed": say(language, "Deadlines missed"),
        "satisfaction": say(language, "Satisfaction (1 to 5)"),
        "withheld": say(language, "fewer than {min}: not shown"),
        "trend": say(language, "Month by month"),
        "month": say(language, "Month"),
        "nothing": say(language, "Nothing received."),
        "back": say(language, "All offices"),
        "data": say(language, "Download these figures as open data:"),
        "complain": say(language, "Make a complaint"),
        "not_placed": say(language, "Not yet passed to an office"),
        "not_given": say(language, "Kind not yet known"),
    }


def duration(language: str, hours: float | None) -> str:
    """Hours under two days, days above: '5.5 h', '3.2 days'."""
    if hours is None:
        return "—"
    if hours < 48:
        return say(language, "{n} h", n=f"{hours:.1f}")
    return say(language, "{n} days", n=f"{hours / 24:.1f}")
