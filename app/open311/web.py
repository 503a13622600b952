"""The Open311 GeoReport v2 endpoints under /open311/v2/, JSON or XML by suffix (GeoReport_v2 on wiki.open311.org).

Reading is public; filing needs an API key (the `api_key` form field, as the specification has it).
Every error is the specification's list of {code, description} with status 400, 403 or 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from app.open311 import requests
from app.open311.wire import FORMATS, Open311Error, answer, error, w3c
from core.errors import DomainError
from core.web import NowDep, SessionDep, SettingsDep
from intake import queries
from intake.accounts import hash_api_key
from intake.actors import Actor
from intake.models import ActorType, Category
from routing.web import ModelDep, PolicyDep

ERRORS_SCHEMA = {"type": "array", "items": {"type": "object", "required": ["code", "description"],
                                            "properties": {"code": {"type": "integer"},
                                                           "description": {"type": "string"}}}}
BOTH = {"application/json": {}, "text/xml": {}}
ERROR_CONTENT = {"application/json": {"schema": ERRORS_SCHEMA}, "text/xml": {}}
router = APIRouter(prefix="/open311/v2", tags=["open311"], responses={
    200: {"description": "The specification's list or object, as JSON or XML", "content": BOTH},
    400: {"description": "A refused parameter: the specification's error list", "content": ERROR_CONTENT},
    403: {"description": "A missing or unknown api_key", "content": ERROR_CONTENT},
    404: {"description": "No such service, request, token or format", "content": ERROR_CONTENT}})
Format = Annotated[str, Path(max_length=8, description="json or xml",
                             json_schema_extra={"enum": ["json", "xml"]})]
FORM_FIELDS = {name: {"type": "string"} for name in (
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id", "email",
    "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url")}
POST_BODY = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["api_key", "service_code"], "properties": FORM_FIELDS}}}}}
Text = Annotated[str | None, Query(max_length=20_000)]
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_FORM_FIELDS = 100
CHANGESET = datetime(2026, 12, 7, tzinfo=UTC)  # when this interface last changed


def _guarded(fmt: str, build: Callable[[], Response]) -> Response:
    """Run an endpoint; its refusals become the specification's error list in the format asked for."""
    try:
        if fmt not in FORMATS:
            raise Open311Error(404, f"no format {fmt[:8]!r}: use .json or .xml")
        return build()
    except Open311Error as exc:
        return error(fmt, exc.status, exc.description)
    except DomainError as exc:
        return error(fmt, 403 if exc.status in (401, 403) else 404 if exc.status == 404 else 400, exc.message)


@router.get("/discovery.{fmt}")
def discovery(fmt: Format, settings: SettingsDep) -> Response:
    base = settings.public_base_url.rstrip("/") + router.prefix
    return _guarded(fmt, lambda: answer(fmt, {"changeset": w3c(CHANGESET), "contact": "The grievance redress unit",
                        "key_service": "API keys: ask the administrators (`redress apikey create`)",
                        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": w3c(CHANGESET),
                                       "type": "production", "formats": ["application/json", "text/xml"]}]},
                                        root="discovery"))


@router.get("/services.{fmt}")
def services(fmt: Format, session: SessionDep, jurisdiction_id: Text = None) -> Response:
    """One service per active category."""
    return _guarded(fmt, lambda: answer(fmt, [_service(c) for c in queries.categories(session)], root="services",
                                        item="service"))


def _service(category: Category) -> dict[str, object]:
    keywords = ", ".join(part.strip() for part in category.description.replace(" and ", ", ").split(",")
                         if part.strip())
    return {"service_code": category.code, "service_name": category.name, "description": category.description,
            "metadata": bool(category.questions), "type": "realtime", "keywords": keywords,
            "group": "Integrity and conduct" if category.is_integrity else "Public services"}


@router.get("/services/{code}.{fmt}")
def service_definition(code: Annotated[str, Path(max_length=64)], fmt: Format, session: SessionDep,
                       jurisdiction_id: Text = None) -> Response:
    def build() -> Response:
        category = queries.category_by_code(session, code)
        if category is None:
            raise Open311Error(404, f"service_code {code!r} not found")
        return answer(fmt, {"service_code": category.code, "attributes": [
            {"variable": True, "code": q["code"], "datatype": q["datatype"], "required": q["required"],
             "datatype_description": None, "order": q["order"], "description": q["description"],
             "values": q["values"]} for q in category.questions or []]}, root="service_definition")

    return _guarded(fmt, build)


@router.post("/requests.{fmt}", openapi_extra=POST_BODY)
async def create_request(request: Request, fmt: Format, session: SessionDep, now: NowDep, settings: SettingsDep,
                         model: ModelDep, policy: PolicyDep) -> Response:
    """File a service request: an API key, a service_code, a location, a description of at most 4,000 characters."""
    if fmt not in FORMATS:
        return error("json", 404, f"no format {fmt[:8]!r}: use .json or .xml")
    try:
        form = await request.form()
    except Exception:  # a body that is not a form
        return error(fmt, 400, "send the request as application/x-www-form-urlencoded fields")
    if any(isinstance(value, UploadFile) for value in form.values()) or len(form) > MAX_FORM_FIELDS:
        return error(fmt, 400, "send plain form fields (media_url for a picture), at most 100")
    fields = {key: str(value) for key, value in form.items()}

    def build() -> Response:
        actor = _caller(session, fields.get("api_key", ""))
        with session.begin_nested():  # a refusal leaves nothing behind
            grievance = requests.create(session, form=fields, actor=actor, now=now, region=settings.default_region,
                                        model=model, policy=policy)
        notice = (f"Sent to {grievance.office.name}." if grievance.office else
                  "Received; staff will pass it to the office responsible.")
        return answer(fmt, [{"service_request_id": grievance.tracking_number, "service_notice": notice,
                             "account_id": None}], root="service_requests", item="request")

    return _guarded(fmt, build)


def _caller(session: SessionDep, key: str) -> Actor:
    found = queries.api_key_by_hash(session, hash_api_key(key.strip())) if key.strip() else None
    if found is None:
        raise Open311Error(403, "a valid api_key is required to file a request")
    return Actor(type=ActorType.API_KEY, id=str(found.id), role=found.role, office_id=found.office_id,
                 name=found.name)


@router.get("/requests.{fmt}")
def list_requests(fmt: Format, session: SessionDep, now: NowDep, service_request_id: Text = None,
                  service_code: Text = None, start_date: Text = None, end_date: Text = None, status: Text = None,
                  jurisdiction_id: Text = None) -> Response:
    """At most 1,000 requests, newest first; without dates, those of the last 90 days."""
    def build() -> Response:
        found = requests.find(session, ids=service_request_id, codes=service_code, start=start_date, end=end_date,
                              status=status, now=now)
        return answer(fmt, requests.shaped(session, found), root="service_requests", item="request")

    return _guarded(fmt, build)


@router.get("/requests/{request_id}.{fmt}")
def one_request(request_id: Annotated[str, Path(max_length=32)], fmt: Format, session: SessionDep,
                now: NowDep, jurisdiction_id: Text = None) -> Response:
    def build() -> Response:
        found = requests.find(session, ids=request_id, codes=None, start=None, end=None, status=None, now=now)
        if not found:
            raise Open311Error(404, f"no service request {request_id!r}")
        return answer(fmt, requests.shaped(session, found), root="service_requests", item="request")

    return _guarded(fmt, build)


@router.get("/tokens/{token}.{fmt}")
def token(token: Annotated[str, Path(max_length=32)], fmt: Format, session: SessionDep, now: NowDep,
          jurisdiction_id: Text = None) -> Response:
    """Requests are numbered at once (the token is the id), so a token always resolves to its request."""
    def build() -> Response:
        found = requests.find(session, ids=token, codes=None, start=None, end=None, status=None, now=now)
        if not found:
            raise Open311Error(404, f"no request for token {token!r}")
        number = found[0].tracking_number
        return answer(fmt, [{"service_request_id": number, "token": number}], root="service_requests",
                      item="request")

    return _guarded(fmt, build)

