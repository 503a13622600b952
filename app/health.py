"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from core.web import SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request, session: SessionDep) -> JSONResponse:
    """The database answers and its schema is at the migrations' head."""
    try:
        session.execute(text("SELECT 1"))
        current = MigrationContext.configure(session.connection()).get_current_revision()
    except Exception as exc:  # any failure means not ready; say which kind, never the URL
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    head = request.app.state.migration_head
    if current != head:
        return JSONResponse({"status": "unavailable", "migration": current, "expected": head}, status_code=503)
    return JSONResponse({"status": "ok", "migration": current})
