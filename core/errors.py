"""Domain errors: services raise these; the web layer turns them into clear 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a caller can act on; `status` is the HTTP status it maps to."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"a grievance that is {from_status} cannot become {to_status}")
        self.from_status = from_status
        self.to_status = to_status
