"""The directory as JSON: offices and categories, for clients that file or transfer grievances."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.schemas import CategoryList, CategoryOut, OfficeList, OfficeOut
from core.web import SessionDep
from intake import queries

router = APIRouter(prefix="/api/v1", tags=["directory"])


@router.get("/offices", response_model=OfficeList)
def offices(session: SessionDep) -> OfficeList:
    """Public: the directory is public information, and citizens' apps need it."""
    return OfficeList(items=[OfficeOut.of(o) for o in queries.offices(session)])


@router.get("/categories", response_model=CategoryList)
def categories(session: SessionDep) -> CategoryList:
    return CategoryList(items=[CategoryOut(code=c.code, name=c.name, description=c.description,
                                           response_hours=c.response_hours, resolution_hours=c.resolution_hours,
                                           integrity=c.is_integrity) for c in queries.categories(session)])
