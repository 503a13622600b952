"""Routing administration: rules, category thresholds, the model registry, and transfer latency per office."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.deps import Principal, PrincipalDep
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.web import NowDep, SessionDep
from directory import export as directory_export
from directory import services as directory_services
from intake import queries as intake_queries
from intake.models import Category, Role
from routing import queries, registry
from routing.models import RoutingRule
from routing.registry import ActiveModel
from routing.rules import compile_rule
from routing.web import ModelDep

router = APIRouter(prefix="/api/v1/routing", tags=["routing"])
READERS = frozenset({Role.ADMIN, Role.MANAGER, Role.OVERSIGHT, Role.OFFICE_HEAD})


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    pattern: str = Field(max_length=300, description="Keywords separated by '|', or a regular expression")
    regex: bool = False
    category: str | None = Field(default=None, max_length=64)
    office: str | None = Field(default=None, max_length=64)
    priority: int = Field(default=100, ge=0, le=10_000, description="Lower numbers are tried first")


class RuleOut(BaseModel):
    id: int
    name: str
    pattern: str
    regex: bool
    category: str | None
    office: str | None
    priority: int
    active: bool

    @classmethod
    def of(cls, rule: RoutingRule) -> RuleOut:
        return cls(id=rule.id, name=rule.name, pattern=rule.pattern, regex=rule.is_regex,
                   category=rule.category.code if rule.category else None,
                   office=rule.office.code if rule.office else None, priority=rule.priority, active=rule.active)


class ModelOut(BaseModel):
    version: str
    status: str
    created_at: datetime
    activated_at: datetime | None
    examples: int
    corrections: int
    figures: dict[str, Any]


class ChangeOut(BaseModel):
    at: datetime
    action: str
    version: str
    previous_version: str | None
    actor: str
    reason: str


class ModelsOut(BaseModel):
    items: list[ModelOut]
    changes: list[ChangeOut]


class LatencyOut(BaseModel):
    office: str
    transfers: int
    median_hours: float
    longest_hours: float


class ThresholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route_threshold: float | None = Field(gt=0, le=1, description="Confidence needed to auto-route; null: the model's")


class ThresholdOut(BaseModel):
    category: str
    route_threshold: float | None = Field(description="The admin's override, if any")
    model_threshold: float | None = Field(description="What the active model learned for this category")
    effective: float | None = Field(description="The one routing uses (null: no active model)")


def _require(principal: Principal, roles: frozenset[Role]) -> None:
    if principal.role not in roles:
        raise PermissionDenied(f"the {principal.role.value} role may not use this")


@router.get("/rules", response_model=list[RuleOut])
def list_rules(session: SessionDep, principal: PrincipalDep) -> list[RuleOut]:
    """Every rule, active ones first, in the order they are tried."""
    _require(principal, READERS)
    return [RuleOut.of(rule) for rule in queries.rules(session)]


def _edit(session: SessionDep, principal: Principal, now: datetime, *, section: str, key: str | None,
          entry: dict[str, Any], what: str) -> None:
    """A change to the directory through its one validating service: versioned and audited like a file's."""
    directory_services.edit(session, section=section, changes=[(key, entry)], source=f"API: {what}"[:200],
                            actor=f"api key {principal.key_id}", now=now, expected_version=None)


@router.post("/rules", status_code=201, response_model=RuleOut)
def create_rule(body: RuleIn, session: SessionDep, principal: PrincipalDep, now: NowDep) -> RuleOut:
    """Add a rule (admins): where it matches, it decides the category and/or office before the model. A name in
    use by a live rule is refused; a retired rule of that name comes back with these values."""
    _require(principal, frozenset({Role.ADMIN}))
    compile_rule(body.pattern, is_regex=body.regex)  # the API names the field at fault; the directory checks again
    if body.category is None and body.office is None:
        raise InvalidInput("a rule must name a category, an office or both", field="category")
    if body.category and intake_queries.category_by_code(session, body.category) is None:
        raise InvalidInput(f"unknown category {body.category!r}", field="category")
    if body.office and intake_queries.office_by_code(session, body.office) is None:
        raise InvalidInput(f"unknown office {body.office!r}", field="office")
    name = body.name.strip()
    existing = session.scalar(select(RoutingRule).where(RoutingRule.name == name).order_by(RoutingRule.active.desc()))
    if existing is not None and existing.active:
        raise Conflict(f"there is already a rule {name!r}; retire it first (DELETE) or choose another name",
                       field="name")
    entry = {"name": name, "pattern": body.pattern, "regex": body.regex, "category": body.category,
             "office": body.office, "priority": body.priority}
    _edit(session, principal, now, section="rules", key=name if existing is not None else None,
          entry={k: v for k, v in entry.items() if v is not None}, what=f"rule {name}")
    return RuleOut.of(session.scalar(select(RoutingRule).where(RoutingRule.name == name, RoutingRule.active)))


@router.delete("/rules/{rule_id}", response_model=RuleOut)
def deactivate_rule(rule_id: int, session: SessionDep, principal: PrincipalDep, now: NowDep) -> RuleOut:
    """Retire a rule (admins); it stays listed, inactive, for the record."""
    _require(principal, frozenset({Role.ADMIN}))
    rule = session.get(RoutingRule, rule_id) if 0 < rule_id < 2**31 else None
    if rule is None:
        raise NotFound(f"no routing rule {rule_id}")
    if rule.active:
        entry = directory_export.to_document_entry(directory_export.live(session)["rules"][rule.name])
        _edit(session, principal, now, section="rules", key=rule.name, entry=entry | {"retired": True},
              what=f"rule {rule.name} retired")
        session.refresh(rule)
    return RuleOut.of(rule)


@router.get("/models", response_model=ModelsOut)
def list_models(session: SessionDep, principal: PrincipalDep) -> ModelsOut:
    """Model versions, newest first, and the latest promotions, rejections and rollbacks."""
    _require(principal, frozenset({Role.ADMIN, Role.MANAGER}))
    return ModelsOut(
        items=[ModelOut(version=v.version, status=v.status.value, created_at=v.created_at,
                        activated_at=v.activated_at, examples=v.examples, corrections=v.corrections,
                        figures=v.figures) for v in registry.versions(session)],
        changes=[ChangeOut(at=c.at, action=c.action, version=c.version, previous_version=c.previous_version,
                           actor=c.actor, reason=c.reason) for c in registry.changes(session)])


@router.get("/transfer-latency", response_model=list[LatencyOut])
def transfer_latency(session: SessionDep, principal: PrincipalDep,
                     since: Annotated[datetime | None, Query()] = None) -> list[LatencyOut]:
    """Per office the caller may see: grievances passed on and hours held before passing them (slowest first)."""
    _require(principal, READERS)
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since needs a timezone, e.g. 2026-11-01T00:00:00Z", field="since")
    return [LatencyOut(**row.__dict__) for row in queries.transfer_latency(session, since=since,
                                                                                 office_ids=principal.scope.office_ids)]


@router.get("/thresholds", response_model=list[ThresholdOut])
def thresholds(session: SessionDep, principal: PrincipalDep, model: ModelDep) -> list[ThresholdOut]:
    """Per category: the confidence a prediction needs to route itself, and where that number comes from."""
    _require(principal, READERS)
    return [_threshold(category, model) for category in intake_queries.categories(session)]


@router.put("/thresholds/{category}", response_model=ThresholdOut)
def set_threshold(category: str, body: ThresholdIn, session: SessionDep, principal: PrincipalDep,
                  model: ModelDep, now: NowDep) -> ThresholdOut:
    """Set (or, with null, clear) a category's auto-route threshold (admins): stricter where mistakes cost more."""
    _require(principal, frozenset({Role.ADMIN}))
    found = intake_queries.category_by_code(session, category)
    if found is None:
        raise NotFound(f"no category {category!r}; GET /api/v1/categories lists them")
    entry = directory_export.to_document_entry(directory_export.live(session)["categories"][found.code])
    entry = {k: v for k, v in entry.items() if k != "route_threshold"}
    if body.route_threshold is not None:
        entry["route_threshold"] = body.route_threshold
    _edit(session, principal, now, section="categories", key=found.code, entry=entry,
          what=f"category {found.code} threshold")
    session.refresh(found)
    return _threshold(found, model)


def _threshold(category: Category, model: ActiveModel | None) -> ThresholdOut:
    learned = model.model.threshold_for(category.code) if model and category.code in model.model.labels else None
    effective = category.route_threshold if category.route_threshold is not None else learned
    return ThresholdOut(category=category.code, route_threshold=category.route_threshold, model_threshold=learned,
                        effective=effective)
