"""POST /api/v1/service-deliveries: offices report services delivered, so citizens can be asked how it went."""

from __future__ import annotations

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, Field

from app.deps import PrincipalDep
from core.errors import InvalidInput, PermissionDenied
from core.web import NowDep, SessionDep, SettingsDep
from surveys import deliveries

router = APIRouter(prefix="/api/v1/service-deliveries", tags=["surveys"])
MAX_ITEMS = 1000


class DeliveryIn(BaseModel):
    phone: str = Field(max_length=64, description="The citizen's mobile number, any format")
    office: str = Field(max_length=32, description="An office code from GET /api/v1/offices")
    service: str = Field(max_length=64, description="A short service code, e.g. new_connection")
    delivered_at: str = Field(max_length=40, description="ISO 8601; without an offset, the service's local time")
    reference: str = Field(max_length=64, description="The office's own reference: the same one is stored once")


class DeliveriesOut(BaseModel):
    created: int
    duplicates: list[str] = Field(description="References already known; they were not stored again")


@router.post("", status_code=201, response_model=DeliveriesOut)
def report(session: SessionDep, principal: PrincipalDep, now: NowDep, settings: SettingsDep, response: Response,
           body: list[DeliveryIn] | DeliveryIn = Body(...)) -> DeliveriesOut:  # noqa: B008
    """One delivery, or a list of up to 1,000; any bad item stores nothing (422 lists each by its position)."""
    items = body if isinstance(body, list) else [body]
    if not items or len(items) > MAX_ITEMS:
        raise InvalidInput(f"send 1 to {MAX_ITEMS:,} deliveries", field="body")
    context = deliveries.Context.load(session, region=settings.default_region, timezone=settings.timezone, now=now)
    if principal.scope.office_ids is not None:  # an office's key reports for its own offices only
        allowed = {code for code, oid in context.offices.items() if oid in principal.scope.office_ids}
        foreign = sorted({i.office.strip().upper() for i in items} & set(context.offices) - allowed)
        if foreign:
            raise PermissionDenied(f"this key may not report deliveries of {', '.join(foreign[:5])}")
    try:
        result = deliveries.store(session, ((n, i.model_dump()) for n, i in enumerate(items, start=1)),
                                  context=context, source="api")
    except deliveries.BadDeliveries as bad:
        raise _unprocessable(bad) from bad
    if not result.created:
        response.status_code = 200
    return DeliveriesOut(created=result.created, duplicates=result.duplicates)



def _unprocessable(bad: deliveries.BadDeliveries) -> InvalidInput:
    """The same report, numbering the items of the request (from 1) instead of file lines."""
    return InvalidInput(bad.message.replace("line ", "item "), field="body")
