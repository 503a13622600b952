"""Every word the portal shows a citizen, in their language (gettext via core.i18n: `make messages` finds them)."""

from __future__ import annotations

from core.i18n import say


def words(language: str) -> dict[str, str]:
    return {
        "site": say(language, "Complaints and feedback"),
        "complain": say(language, "Make a complaint"),
        "intro": say(language, "Tell us what went wrong. We send it to the office responsible and you can follow "
                               "it with a tracking number."),
        "text": say(language, "What happened?"),
        "text_hint": say(language, "Where, when, and what you need. At most 5,000 characters."),
        "category": say(language, "Subject (optional)"),
        "category_any": say(language, "I don't know: place it for me"),
        "area": say(language, "Area (optional)"),
        "area_any": say(language, "Not given"),
        "name": say(language, "Your name (optional)"),
        "phone": say(language, "Your mobile number (optional)"),
        "phone_hint": say(language, "We send news about your complaint to this number by SMS."),
        "anonymous": say(language, "Keep my name and number from the office (only the complaints team sees them)"),
        "privacy": say(language, "Who sees what: the office handling your complaint reads its text and, unless you "
                                 "ask us not to, your name and number, to answer you. Complaints about staff "
                                 "asking for money go only to the integrity unit. Nobody else sees your name or "
                                 "number. You may leave both out."),
        "send": say(language, "Send my complaint"),
        "problem": say(language, "Please check this:"),
        "received": say(language, "Your complaint is received"),
        "tracking": say(language, "Tracking number"),
        "secret": say(language, "Secret code"),
        "keep": say(language, "Write both down now. You need them to follow your complaint, and the secret code "
                              "is shown only this once."),
        "sent_to": say(language, "Sent to"),
        "triage": say(language, "Our staff will pass it to the right office."),
        "sms_news": say(language, "We will send news by SMS."),
        "again": say(language, "This complaint was already received. The secret code was shown the first time."),
        "another": say(language, "Make another complaint"),
        "language": say(language, "Language"),
        "track": say(language, "Follow a complaint"),
        "track_intro": say(language, "Enter the tracking number and the secret code you were given."),
        "show": say(language, "Show my complaint"),
        "wrong": say(language, "The tracking number or the secret code is not right."),
        "locked": say(language, "Too many wrong tries. Please try again after {time}."),
        "status": say(language, "Now"),
        "office": say(language, "Office responsible"),
        "expected_response": say(language, "Expected response by"),
        "expected_resolution": say(language, "Expected resolution by"),
        "paused": say(language, "on hold while the office waits for your answer"),
        "answered": say(language, "answered"),
        "timeline": say(language, "What happened, when, and who decided"),
        "you": say(language, "You"),
        "system": say(language, "OpenRedress (automatic)"),
        "complaints_team": say(language, "Complaints team"),
        "routed_to": say(language, "Sent to {office}"),
        "transferred": say(language, "Transferred from {from_office} to {to_office}"),
        "routed_triage": say(language, "Waiting for staff to choose the office"),
        "what_now": say(language, "What you can do"),
        "add": say(language, "Add information"),
        "add_hint": say(language, "Anything the office should know, or the answer it asked you for."),
        "confirm": say(language, "It is solved: close my complaint"),
        "reopen": say(language, "It is not solved: reopen it"),
        "reason": say(language, "What is still wrong?"),
        "escalate": say(language, "No answer yet: ask a higher office"),
        "added": say(language, "Your information is added. The office sees it now."),
        "confirmed": say(language, "Thank you. Your complaint is closed."),
        "confirmed_note": say(language, "The citizen confirmed the resolution."),
        "reopened": say(language, "Your complaint is reopened and back with the office."),
        "escalate_requested": say(language, "Escalation requested. The next level is alerted within minutes."),
        "escalate_not_yet": say(language, "The office has until {date} to answer. You can ask a higher office after "
                                          "that."),
        "escalate_answered": say(language, "The office has answered, so there is nothing to escalate."),
        "escalate_at_top": say(language, "Your complaint is already with the highest office."),
    }


def status_words(language: str) -> dict[str, str]:
    return {
        "received": say(language, "Received"),
        "triage": say(language, "Being sent to the right office"),
        "assigned": say(language, "With the office"),
        "in_progress": say(language, "Being worked on"),
        "awaiting_citizen": say(language, "Waiting for your answer"),
        "resolved": say(language, "Resolved"),
        "closed": say(language, "Closed"),
    }


def event_words(language: str) -> dict[str, str]:
    return {
        "submitted": say(language, "Complaint received"),
        "status_changed": say(language, "Status changed"),
        "routed": say(language, "Sent to an office"),
        "transferred": say(language, "Passed to another office"),
        "acknowledged": say(language, "The office has seen it"),
        "responded": say(language, "Reply"),
        "info_requested": say(language, "The office asks you for more information"),
        "resolved": say(language, "Resolved"),
        "reopened": say(language, "Reopened"),
        "closed": say(language, "Closed"),
        "citizen_added": say(language, "You added information"),
        "escalated": say(language, "Escalated to a higher office"),
        "linked": say(language, "Linked to a similar complaint"),
        "note": say(language, "Note"),
        "delivery": say(language, "Message delivery"),
    }


def role_words(language: str) -> dict[str, str]:
    return {
        "officer": say(language, "officer"),
        "office_head": say(language, "head of office"),
        "operator": say(language, "call centre operator"),
        "oversight": say(language, "oversight officer"),
        "manager": say(language, "manager"),
        "admin": say(language, "administrator"),
    }
