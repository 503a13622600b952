"""Routing with the model: the right office first time, triage when unsure, rules first, integrity apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from channels.accept import accept
from core.errors import Conflict, InvalidInput
from core.outbox import OutboxMessage
from directory.services import edit
from intake.access import scope_for
from intake.actors import SYSTEM, Actor
from intake.models import ActorType, Confidentiality, EventKind, Grievance, Role, Status
from intake.queries import category_by_code, destinations, list_for_scope, office_by_code
from intake.schemas import GrievanceDraft
from routing import rules
from routing.models import CorrectionKind, RoutingCorrection
from routing.queries import transfer_latency
from routing.services import Policy, transfer
from tests import builders
from tests.builders import auth

OFFICER = Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, office_id=None, name="Officer")


def submit(session, model, clock, text, *, area="RV-N", phone="+9779812345670", policy=None, **fields):
    draft = GrievanceDraft(text=text, admin_area=area, phone=phone, **fields)
    result = accept(session, draft=draft, actor=SYSTEM, now=clock.now, region="NP", model=model, policy=policy)
    session.flush()
    return result.grievance


def routed_data(grievance: Grievance) -> dict:
    return [e for e in grievance.events if e.kind.value == "routed"][-1].data


@pytest.mark.parametrize(("text", "area", "office", "category"), [
    ("No water in our tole for 3 days, taps completely dry", "RV-N", "RV-N-WATER", "water"),
    ("garbage not collected for two weeks, bins overflowing and stinking", "RV-C", "RV-C-WASTE", "waste"),
    ("hamro gaun ma 4 din dekhi bijuli chaina, transformer bigreko", "RV-S", "RV-S-POWER", "electricity"),
    ("my old age pension has not been paid for three months", "RV-S", "RV-S-SOCIAL", "social-benefits"),
    ("big potholes on the main road near the school, bikes falling", "RV-N", "RV-N-ROADS", "roads"),
], ids=["water", "waste", "romanised-nepali-power", "pension-south", "roads"])
def test_the_model_routes_confident_complaints_to_the_office_for_the_area(session, model, clock, text, area,
                                                                          office, category):
    grievance = submit(session, model, clock, text, area=area)
    data = routed_data(grievance)
    assert (grievance.status, grievance.office.code, grievance.category.code) == (Status.ASSIGNED, office, category)
    assert data["source"] == "model" and data["prediction"]["label"] == category
    assert data["prediction"]["model_version"] == model.version
    assert data["prediction"]["why"], "staff are shown why it came to them"
    assert grievance.classifier_confidence >= model.model.threshold_for(category)


def test_unsure_predictions_wait_in_triage_with_the_reason(session, model, clock):
    grievance = submit(session, model, clock, "please help me sir, it is urgent")
    data = routed_data(grievance)
    assert grievance.status == Status.TRIAGE and grievance.office is None
    assert data["reason"].startswith("model unsure") and data["prediction"]["confidence"] < 1


def test_a_category_threshold_set_by_an_admin_overrides_the_models(session, model, clock):
    category_by_code(session, "water").route_threshold = 0.9999
    grievance = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry")
    assert grievance.status == Status.TRIAGE
    assert "< threshold 1.00" in routed_data(grievance)["reason"]


def add_rule(session, clock, **entry) -> None:
    """A rule added as an administrator adds one: through the directory's one validating service."""
    edit(session, section="rules", changes=[(None, entry)], source="test", actor="tester", now=clock.now,
         expected_version=None)


def test_a_matching_rule_wins_over_the_model(session, model, clock):
    add_rule(session, clock, name="tankers", pattern="tanker|tankers", category="roads", priority=5)
    grievance = submit(session, model, clock, "No water in our tole for 3 days, the tanker never came")
    data = routed_data(grievance)
    assert grievance.category.code == "roads" and grievance.office.code == "RV-N-ROADS"
    assert data["source"] == "rule" and data["rule"] == "tankers"
    assert data["prediction"]["label"] == "water", "the model's view is still recorded"


def test_a_rule_can_name_the_office(session, model, clock):
    add_rule(session, clock, name="call centre line", pattern=r"hotline\s+0+", regex=True, office="RV-CALL")
    grievance = submit(session, model, clock, "the hotline 1111 never answers")
    assert grievance.office.code == "RV-CALL"


@pytest.mark.parametrize(("pattern", "is_regex", "message"), [
    ("(unclosed", True, "not a valid regular expression"),
    (" | ", False, "at least one word"),
], ids=["bad-regex", "empty-keywords"])
def test_bad_rules_are_refused(session, clock, pattern, is_regex, message):
    with pytest.raises(InvalidInput, match=message):
        add_rule(session, clock, name="bad", pattern=pattern, regex=is_regex, category="roads")


def test_keywords_match_whole_words_only(session, clock):
    add_rule(session, clock, name="buses", pattern="bus", category="public-transport")
    assert rules.first_match(session, "the BUS skipped our stop") is not None
    assert rules.first_match(session, "my business licence is late") is None


def test_no_office_for_the_category_in_the_area_climbs_to_the_area_office(session, model, clock):
    grievance = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry", area="RV")
    assert grievance.office.code == "RV"
    assert "nearest office above" in routed_data(grievance)["reasons"][-1]


def test_an_unknown_area_waits_in_triage(session, model, clock):
    grievance = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry", area="XX-9")
    assert grievance.status == Status.TRIAGE
    assert routed_data(grievance)["reason"] == "no office covers area XX-9"


def test_without_an_area_the_citizens_own_area_routes_it(session, model, clock):
    submit(session, model, clock, "streetlight near my house broken", area="RV-C", phone="+9779812000001")
    later = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry", area=None,
                   phone="+9779812000001")
    assert later.office.code == "RV-C-WATER"
    assert routed_data(later)["area"] == "RV-C"


def test_a_category_with_one_office_needs_no_area(session, model, clock):
    grievance = submit(session, model, clock, "the bus conductor overcharged me and was rude", area=None,
                       phone=None)
    assert grievance.office.code == "RV-TRANSPORT"


BRIBE = "The clerk at the water office asked me for 2000 rupees bribe before he would connect our tap"


def test_integrity_complaints_go_to_the_integrity_unit_and_are_invisible_to_the_office(session, model, clock):
    grievance = submit(session, model, clock, BRIBE, area="RV-N")
    assert grievance.office.code == "RV-OIU" and grievance.category.code == "corruption"
    assert grievance.confidentiality == Confidentiality.INTEGRITY
    visible = {}
    for office, role in [("RV-N-WATER", Role.OFFICER), ("RV-N-WATER", Role.OFFICE_HEAD), ("RV-N", Role.OFFICE_HEAD),
                         ("RV", Role.MANAGER), ("RV-CALL", Role.OPERATOR), ("RV-OIU", Role.OVERSIGHT)]:
        scope = scope_for(session, role=role, office_id=office_by_code(session, office).id)
        listed = [g.id for g in list_for_scope(session, scope=scope, limit=1000)]
        counted = session.scalar(select(func.count()).select_from(Grievance).where(scope.where(),
                                                                                   Grievance.id == grievance.id))
        filtered = [g.id for g in list_for_scope(session, scope=scope, office_id=grievance.office_id, limit=1000)]
        assert (grievance.id in listed) == bool(counted) == (grievance.id in filtered) == scope.allows(grievance)
        visible[(office, role)] = scope.allows(grievance)
    assert visible == {("RV-N-WATER", Role.OFFICER): False, ("RV-N-WATER", Role.OFFICE_HEAD): False,
                       ("RV-N", Role.OFFICE_HEAD): False, ("RV", Role.MANAGER): False,
                       ("RV-CALL", Role.OPERATOR): False, ("RV-OIU", Role.OVERSIGHT): True}


def test_the_accused_office_gets_404_for_an_integrity_complaint(client, session, model, clock):
    head = auth(builders.api_key(session, role=Role.OFFICE_HEAD, office="RV-N-WATER", now=clock.now))
    admin = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    created = client.post("/api/v1/grievances", headers=admin,
                          json={"text": BRIBE, "admin_area": "RV-N", "phone": "9812345600"}).json()
    assert created["office"]["code"] == "RV-OIU" and created["confidentiality"] == "integrity"
    number = created["tracking_number"]
    assert client.get(f"/api/v1/grievances/{number}", headers=head).status_code == 404
    listed = client.get("/api/v1/grievances", headers=head, params={"limit": 200}).json()["items"]
    assert number not in [g["tracking_number"] for g in listed]
    for params in ({"office": "RV-OIU"}, {"status": "assigned"}):
        listed = client.get("/api/v1/grievances", headers=head, params=params).json()["items"]
        assert number not in [g["tracking_number"] for g in listed]


def test_unsure_about_integrity_goes_to_oversight_not_to_the_office(session, model, clock):
    text = "the man at the water office was very rude and asked for something extra before fixing the tap"
    grievance = submit(session, model, clock, text, category="water",
                       policy=Policy(integrity_review_probability=0.05))
    data = routed_data(grievance)
    assert grievance.office.code == "RV-OIU" and grievance.confidentiality == Confidentiality.INTEGRITY
    assert data["source"] == "integrity-review" and grievance.category.is_integrity
    assert "may concern staff integrity" in data["reasons"][-2]
    vague = submit(session, model, clock, "sir they asked me to come again and again, nobody helps",
                   policy=Policy(integrity_review_probability=0.05))
    assert vague.status == Status.TRIAGE, "nothing would reach an office: triage is neutral ground"
    assert "may concern staff integrity" in routed_data(vague)["reasons"][-1], "triage staff are warned"


def test_a_bribery_keyword_is_integrity_even_with_a_category_given(session, model, clock):
    add_rule(session, clock, name="bribes", pattern="bribe|घुस", category="corruption", priority=1)
    grievance = submit(session, model, clock, "they want ghus... I mean a bribe, for the water connection",
                       category="water")
    assert grievance.office.code == "RV-OIU" and grievance.confidentiality == Confidentiality.INTEGRITY


def test_transfers_are_training_labels_with_latency_and_keep_the_silence_clock(session, model, clock):
    grievance = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry")
    assert grievance.office.code == "RV-N-WATER"
    clock.advance(hours=5)
    transfer(session, grievance=grievance, to_office=office_by_code(session, "RV-N-ROADS"), actor=OFFICER,
             now=clock.now, note="the pipe was broken by road works; roads must fix it")
    session.flush()
    correction = session.scalars(select(RoutingCorrection).where(RoutingCorrection.grievance_id == grievance.id)).one()
    assert correction.kind == CorrectionKind.TRANSFER and correction.category.code == "roads"
    assert correction.predicted_label == "water" and correction.held_seconds == 5 * 3600
    assert grievance.category.code == "roads" and grievance.first_response_at is None
    latency = transfer_latency(session)
    assert [(row.office, row.transfers, row.median_hours) for row in latency] == [("RV-N-WATER", 1, 5.0)]


def test_a_transfer_is_the_sending_offices_event_and_names_where_it_went(session, model, clock):
    grievance = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry")
    water, roads = office_by_code(session, "RV-N-WATER"), office_by_code(session, "RV-N-ROADS")
    gopal = Actor(type=ActorType.STAFF, id="8", role=Role.OFFICER, office_id=water.id, name="Gopal Gurung")
    clock.advance(hours=1)
    transfer(session, grievance=grievance, to_office=roads, actor=gopal, now=clock.now, note="road works broke it")
    session.flush()
    routed, moved = [e for e in grievance.events if e.kind in (EventKind.ROUTED, EventKind.TRANSFERRED)]
    assert (routed.kind, routed.office) == (EventKind.ROUTED, water)  # the first routing: where it went
    assert (moved.kind, moved.office, moved.actor_name) == (EventKind.TRANSFERRED, water, "Gopal Gurung")
    assert (moved.data["from_office"], moved.data["to_office"]) == ("RV-N-WATER", "RV-N-ROADS")
    assert destinations(session, grievance.events) == {routed: water, moved: roads}
    clock.advance(hours=1)
    transfer(session, grievance=grievance, to_office=water, actor=OFFICER, now=clock.now, note="it is the pipe")
    session.flush()
    back = grievance.events[-1]
    assert (back.kind, back.office, destinations(session, [back])) == (EventKind.TRANSFERRED, roads, {back: water})


def test_the_transfer_that_reaches_the_limit_goes_to_oversight(session, model, clock):
    grievance = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry")
    for office in ("RV-N-ROADS", "RV-N-WASTE"):
        clock.advance(hours=1)
        transfer(session, grievance=grievance, to_office=office_by_code(session, office), actor=OFFICER,
                 now=clock.now, note="not ours", policy=Policy(max_transfers=3))
    clock.advance(hours=1)
    received = transfer(session, grievance=grievance, to_office=office_by_code(session, "RV-N-HEALTH"),
                        actor=OFFICER, now=clock.now, note="not ours either", policy=Policy(max_transfers=3))
    assert received.code == "RV-OIU" and grievance.office.code == "RV-OIU" and grievance.transfer_count == 3
    last = grievance.events[-1].data
    assert last["requested_office"] == "RV-N-HEALTH" and "oversight decides" in last["reason"]
    onward = transfer(session, grievance=grievance, to_office=office_by_code(session, "RV-N-WATER"),
                      actor=OFFICER, now=clock.now, note="it is a water problem", policy=Policy(max_transfers=3))
    assert onward.code == "RV-N-WATER", "oversight's own decision is not sent back to oversight"


def test_triage_needs_a_category_when_the_office_handles_several(session, model, clock):
    grievance = submit(session, model, clock, "please help me sir, it is urgent", area="RV-S")
    social = office_by_code(session, "RV-S-SOCIAL")
    with pytest.raises(InvalidInput, match="name the category too"):
        transfer(session, grievance=grievance, to_office=social, actor=OFFICER, now=clock.now, note=None)
    transfer(session, grievance=grievance, to_office=social, actor=OFFICER, now=clock.now, note=None,
             category=category_by_code(session, "schools"))
    correction = session.scalars(select(RoutingCorrection).where(RoutingCorrection.grievance_id == grievance.id)).one()
    assert correction.kind == CorrectionKind.TRIAGE and correction.category.code == "schools"
    assert correction.held_seconds is None and grievance.transfer_count == 0


def test_integrity_complaints_only_move_between_oversight_offices_unless_declassified(session, model, clock):
    grievance = submit(session, model, clock, BRIBE)
    water = office_by_code(session, "RV-N-WATER")
    with pytest.raises(Conflict, match="integrity unit"):
        transfer(session, grievance=grievance, to_office=water, actor=OFFICER, now=clock.now, note="ours?")
    transfer(session, grievance=grievance, to_office=water, actor=OFFICER, now=clock.now,
             note="no bribe involved: a connection fee", category=category_by_code(session, "water"))
    assert grievance.confidentiality == Confidentiality.NORMAL and grievance.events[-1].data["declassified"]


def test_a_no_wrong_door_transfer_over_the_api_hides_it_from_the_sender_once_it_is_integrity(client, session, model,
                                                                                               clock):
    officer = auth(builders.api_key(session, role=Role.OFFICER, office="RV-N-WATER", now=clock.now))
    grievance = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry")
    session.commit()
    number = grievance.tracking_number
    moved = client.post(f"/api/v1/grievances/{number}/actions", headers=officer,
                        json={"action": "transfer", "office": "RV-OIU", "category": "corruption",
                              "note": "the citizen says our meter reader demanded money"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["text"] == "" and moved.json()["events"] is None
    assert client.get(f"/api/v1/grievances/{number}", headers=officer).status_code == 404


def test_staff_see_why_it_came_to_them(client, session, model, clock):
    admin = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    body = client.post("/api/v1/grievances", headers=admin,
                       json={"text": "garbage not collected for two weeks, bins overflowing", "admin_area": "RV-C",
                             "phone": "9812345601"}).json()
    assert body["office"]["code"] == "RV-C-WASTE"
    routing = body["routing"]
    assert routing["source"] == "model" and routing["prediction"]["label"] == "waste"
    assert set(routing["prediction"]["why"]) & {"garbage", "bins", "collected", "overflowing"}
    assert routing["reasons"][-1] == "RV-C-WASTE handles waste in RV-C"


def test_related_reports_join_one_case_and_the_citizen_is_told(client, session, model, clock):
    admin = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    texts = ["Water pipe burst near Ratna chowk, water flowing on the road since morning",
             "big water pipe burst at ratna chowk, so much water wasting on road",
             "pipe burst ratna chowk plz fix, water on the road"]
    numbers = []
    for i, text in enumerate(texts):
        clock.advance(minutes=10)
        body = client.post("/api/v1/grievances", headers=admin,
                           json={"text": text, "admin_area": "RV-N", "phone": f"98123456{10 + i}"}).json()
        numbers.append(body["tracking_number"])
    first = client.get(f"/api/v1/grievances/{numbers[0]}", headers=admin).json()
    assert sorted(link["tracking_number"] for link in first["links"]) == sorted(numbers[1:])
    third = client.get(f"/api/v1/grievances/{numbers[2]}", headers=admin).json()
    assert third["links"] == [{"kind": "related", "tracking_number": numbers[0], "status": "assigned"}]
    assert third["events"][-1]["kind"] == "linked"
    told = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "related")).all()
    assert len(told) == 2 and all(numbers[0] in m.body for m in told)
    other = client.post("/api/v1/grievances", headers=admin,
                        json={"text": "no water in ward 5 for three days", "admin_area": "RV-N",
                              "phone": "9812345699"}).json()
    assert other["links"] == []


def test_a_citizens_grievances_are_linked_and_integrity_never(session, model, clock):
    first = submit(session, model, clock, "No water in our tole for 3 days", phone="+9779812000002")
    bribe = submit(session, model, clock, BRIBE, phone="+9779812000002")
    third = submit(session, model, clock, "garbage not collected for two weeks", phone="+9779812000002")
    from routing.related import links

    assert [(kind.value, g.id) for kind, g in links(session, third)] == [("same_citizen", first.id)]
    assert links(session, bribe) == []


def test_old_or_closed_cases_are_not_joined(session, model, clock):
    text = "Water pipe burst near Ratna chowk, water flowing on the road since morning"
    old = submit(session, model, clock, text, phone="+9779812000003")
    clock.advance(days=31)
    new = submit(session, model, clock, text, phone="+9779812000004")
    from routing.related import links

    assert links(session, new) == [] and old.status == Status.ASSIGNED
    assert clock.now - old.received_at > timedelta(days=30)


def test_rules_over_the_api(client, session, clock):
    admin = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    officer = auth(builders.api_key(session, role=Role.OFFICER, office="RV-N-WATER", now=clock.now))
    body = {"name": "landslides", "pattern": "landslide|pahiro|पहिरो", "category": "roads", "priority": 20}
    assert client.post("/api/v1/routing/rules", headers=officer, json=body).status_code == 403
    created = client.post("/api/v1/routing/rules", headers=admin, json=body)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule | {"id": 0} == {"id": 0, "name": "landslides", "pattern": "landslide|pahiro|पहिरो", "regex": False,
                                "category": "roads", "office": None, "priority": 20, "active": True}
    for bad, field in [({"pattern": "(", "regex": True}, "pattern"), ({"category": "nope"}, "category"),
                       ({"category": None}, "category")]:
        refused = client.post("/api/v1/routing/rules", headers=admin, json=body | bad)
        assert refused.status_code == 422 and refused.json()["field"] == field, refused.text
    routed = client.post("/api/v1/grievances", headers=admin,
                         json={"text": "pahiro le bato banda bhayo", "admin_area": "RV-S"}).json()
    assert routed["office"]["code"] == "RV-S-ROADS" and routed["routing"]["rule"] == "landslides"
    gone = client.delete(f"/api/v1/routing/rules/{rule['id']}", headers=admin)
    assert gone.json()["active"] is False
    assert [r["active"] for r in client.get("/api/v1/routing/rules", headers=admin).json()
            if r["name"] == "landslides"] == [False]
    assert client.delete("/api/v1/routing/rules/999999", headers=admin).status_code == 404


def test_models_and_transfer_latency_over_the_api(client, session, model, clock):
    manager = auth(builders.api_key(session, role=Role.MANAGER, office="RV", now=clock.now))
    officer = auth(builders.api_key(session, role=Role.OFFICER, office="RV-N-WATER", now=clock.now))
    grievance = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry")
    clock.advance(hours=2)
    transfer(session, grievance=grievance, to_office=office_by_code(session, "RV-N-ROADS"), actor=OFFICER,
             now=clock.now, note="road works broke the pipe")
    session.commit()
    models = client.get("/api/v1/routing/models", headers=manager).json()
    assert models["items"][0]["status"] == "active" and models["changes"][0]["action"] == "promoted"
    latency = client.get("/api/v1/routing/transfer-latency", headers=manager).json()
    assert latency == [{"office": "RV-N-WATER", "transfers": 1, "median_hours": 2.0, "longest_hours": 2.0}]
    assert client.get("/api/v1/routing/models", headers=officer).status_code == 403
    naive = client.get("/api/v1/routing/transfer-latency", headers=manager, params={"since": "2026-11-01T00:00:00"})
    assert naive.status_code == 422


def test_joining_a_case_started_by_the_same_citizen_links_once(session, model, clock):
    from routing.related import links

    text = "Water pipe burst near Ratna chowk, water flowing on the road since morning"
    root = submit(session, model, clock, text, phone="+9779812000005")
    other = submit(session, model, clock, text + " again", phone="+9779812000006")
    assert [(kind.value, g.id) for kind, g in links(session, other)] == [("related", root.id)]
    again = submit(session, model, clock, "pipe burst ratna chowk water on road", phone="+9779812000005")
    assert [(kind.value, g.id) for kind, g in links(session, again)] == [("related", root.id)]


def test_category_thresholds_over_the_api(client, session, model, clock):
    admin = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    head = auth(builders.api_key(session, role=Role.OFFICE_HEAD, office="RV-N-WATER", now=clock.now))
    listed = {row["category"]: row for row in client.get("/api/v1/routing/thresholds", headers=head).json()}
    assert listed["water"]["route_threshold"] is None
    assert listed["water"]["effective"] == listed["water"]["model_threshold"] == model.model.threshold_for("water")
    url = "/api/v1/routing/thresholds/water"
    assert client.put(url, headers=head, json={"route_threshold": 0.5}).status_code == 403
    for bad in (1.5, 0, "high"):
        assert client.put("/api/v1/routing/thresholds/water", headers=admin,
                          json={"route_threshold": bad}).status_code == 422
    missing = client.put("/api/v1/routing/thresholds/nope", headers=admin, json={"route_threshold": 0.5})
    assert missing.status_code == 404
    strict = client.put("/api/v1/routing/thresholds/water", headers=admin, json={"route_threshold": 0.9999}).json()
    assert strict["route_threshold"] == strict["effective"] == 0.9999
    routed = client.post("/api/v1/grievances", headers=admin,
                         json={"text": "No water in our tole for 3 days, taps completely dry", "admin_area": "RV-N"})
    assert routed.json()["status"] == "triage", "the stricter threshold now holds this prediction back"
    cleared = client.put("/api/v1/routing/thresholds/water", headers=admin, json={"route_threshold": None}).json()
    assert cleared["route_threshold"] is None and cleared["effective"] == cleared["model_threshold"]


def test_a_complaint_without_an_area_is_placed_by_the_place_it_names(session, model, clock):
    grievance = submit(session, model, clock, "No water in our tole for 3 days, taps completely dry, Southvale",
                       area=None, phone="+9779812000077")
    assert grievance.admin_area == "RV-S" and grievance.office.code == "RV-S-WATER"
    assert "the text names 'Southvale', in area RV-S" in routed_data(grievance)["reasons"]
