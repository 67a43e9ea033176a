"""Managing assignment rules (API and pages): order and priority, moves, validation, round-robin, queries."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import AssignmentRule
from customers.selectors.assignment import visible_assignment_rules
from customers.services.assignment import (
    create_assignment_rule,
    move_assignment_rule,
    update_assignment_rule,
)
from customers.services.customer import create_customer
from tests.conftest import api_client_for
from tests.factories import TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/assignment-rules/"


def names(user):
    return [r.name for r in visible_assignment_rules(user=user)]


# --- services ------------------------------------------------------------------------------------------


def test_new_rule_without_priority_goes_after_every_existing_rule(org):
    create_assignment_rule(actor=org.admin, name="first", priority=50, city="上海", assignee=org.rep_a)
    last = create_assignment_rule(actor=org.admin, name="second", city="北京", assignee=org.rep_b)
    assert last.priority == 60
    assert names(org.admin) == ["first", "second"]


def test_list_order_is_the_order_rules_are_tried(org):
    territory = TerritoryFactory()
    create_assignment_rule(actor=org.admin, name="catch-all", priority=10, assignee=org.rep_a)
    create_assignment_rule(actor=org.admin, name="industry", priority=10, industry="零售", assignee=org.rep_a)
    create_assignment_rule(actor=org.admin, name="city", priority=10, city="上海", assignee=org.rep_a)
    create_assignment_rule(actor=org.admin, name="territory", priority=10, territory=territory, assignee=org.rep_a)
    create_assignment_rule(actor=org.admin, name="urgent", priority=1, assignee=org.rep_b)
    assert names(org.admin) == ["urgent", "territory", "city", "industry", "catch-all"]


def test_rule_needs_a_team_or_an_assignee(org):
    with pytest.raises(ValidationError) as caught:
        create_assignment_rule(actor=org.admin, name="nobody", city="上海")
    assert "__all__" in caught.value.message_dict
    assert not AssignmentRule.objects.exists()


def test_rule_assignee_must_be_active(org):
    gone = UserFactory(username="gone", role="rep", is_active=False)
    with pytest.raises(ValidationError) as caught:
        create_assignment_rule(actor=org.admin, name="gone", assignee=gone)
    assert "assignee" in caught.value.message_dict
    rule = create_assignment_rule(actor=org.admin, name="ok", assignee=org.rep_a)
    with pytest.raises(ValidationError):
        update_assignment_rule(actor=org.admin, rule=rule, assignee=gone)
    rule.refresh_from_db()
    assert rule.assignee == org.rep_a


def test_only_admins_manage_rules(org):
    for actor in (org.manager_a, org.rep_a):
        with pytest.raises(PermissionDenied):
            create_assignment_rule(actor=actor, name="x", assignee=org.rep_a)
    assert names(org.rep_a) == []


def test_moving_up_and_down_swaps_with_the_neighbour_and_keeps_ties_in_order(org):
    for name in ("a", "b", "c", "d"):
        create_assignment_rule(actor=org.admin, name=name, priority=100, assignee=org.rep_a)
    c = AssignmentRule.objects.get(name="c")
    move_assignment_rule(actor=org.admin, rule=c, direction="up")
    assert names(org.admin) == ["a", "c", "b", "d"]
    assert [r.priority for r in visible_assignment_rules(user=org.admin)] == [10, 20, 30, 40]
    move_assignment_rule(actor=org.admin, rule=c, direction="up")
    move_assignment_rule(actor=org.admin, rule=c, direction="up")  # already first: stays
    assert names(org.admin) == ["c", "a", "b", "d"]
    d = AssignmentRule.objects.get(name="d")
    move_assignment_rule(actor=org.admin, rule=d, direction="down")  # already last: stays
    move_assignment_rule(actor=org.admin, rule=AssignmentRule.objects.get(name="a"), direction="down")
    assert names(org.admin) == ["c", "b", "a", "d"]


def test_move_to_a_priority_and_bad_moves(org):
    a = create_assignment_rule(actor=org.admin, name="a", assignee=org.rep_a)
    create_assignment_rule(actor=org.admin, name="b", assignee=org.rep_a)
    move_assignment_rule(actor=org.admin, rule=a, priority=999)
    assert names(org.admin) == ["b", "a"]
    for bad in ({}, {"direction": "up", "priority": 1}, {"direction": "sideways"}):
        with pytest.raises(ValidationError):
            move_assignment_rule(actor=org.admin, rule=a, **bad)


def test_reordering_changes_who_gets_the_next_customer(org):
    city = create_assignment_rule(actor=org.admin, name="city", city="上海", assignee=org.rep_a)
    create_assignment_rule(actor=org.admin, name="team", team=org.team_b)
    assert create_customer(actor=org.admin, name="X", city="上海").owner == org.rep_a
    move_assignment_rule(actor=org.admin, rule=city, direction="down")
    assert create_customer(actor=org.admin, name="Y", city="上海").owner == org.rep_c


# --- API -----------------------------------------------------------------------------------------------


def test_admin_creates_lists_updates_moves_and_deletes_rules_through_the_api(org):
    client = api_client_for(org.admin)
    first = client.post(API, {"name": "Shanghai", "city": "上海", "assignee": org.rep_a.pk}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["priority"] == 10 and first.json()["team"] is None
    second = client.post(API, {"name": "Team A", "team": org.team_a.pk, "priority": 5}, format="json")
    assert second.status_code == 201
    listed = client.get(API).json()
    assert [r["name"] for r in listed["results"]] == ["Team A", "Shanghai"]
    rule_id = first.json()["id"]
    patched = client.patch(f"{API}{rule_id}/", {"industry": "零售", "active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["industry"] == "零售" and patched.json()["active"] is False
    moved = client.post(f"{API}{rule_id}/move/", {"direction": "up"}, format="json")
    assert moved.status_code == 200 and moved.json()["priority"] == 10
    assert [r["name"] for r in client.get(API).json()["results"]] == ["Shanghai", "Team A"]
    moved = client.post(f"{API}{rule_id}/move/", {"priority": 70}, format="json")
    assert moved.json()["priority"] == 70
    assert client.delete(f"{API}{rule_id}/").status_code == 204
    assert list(AssignmentRule.objects.values_list("name", flat=True)) == ["Team A"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "nobody", "city": "上海"}, "non_field_errors"),
        ({"name": "", "assignee": "me"}, "name"),
        ({"name": "x" * 201, "team": 1}, "name"),
        ({"name": "bad team", "team": 999999}, "team"),
        ({"name": "bad priority", "priority": -1, "team": 1}, "priority"),
        ({"name": "long city", "city": "x" * 101, "team": 1}, "city"),
    ],
)
def test_api_refuses_bad_rules_with_field_messages(org, body, field):
    body = {**body}
    if body.get("team") == 1:
        body["team"] = org.team_a.pk
    if body.get("assignee") == "me":
        body["assignee"] = org.rep_a.pk
    response = api_client_for(org.admin).post(API, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not AssignmentRule.objects.exists()


def test_api_refuses_an_inactive_assignee(org):
    gone = UserFactory(username="gone", role="rep", is_active=False)
    response = api_client_for(org.admin).post(API, {"name": "x", "assignee": gone.pk}, format="json")
    assert response.status_code == 400 and "assignee" in response.json()


@pytest.mark.parametrize("body", [{}, {"direction": "left"}, {"direction": "up", "priority": 3}, {"priority": -5}])
def test_api_refuses_bad_moves(org, body):
    rule = create_assignment_rule(actor=org.admin, name="a", assignee=org.rep_a)
    response = api_client_for(org.admin).post(f"{API}{rule.pk}/move/", body, format="json")
    assert response.status_code == 400
    rule.refresh_from_db()
    assert rule.priority == 10


def test_manager_reads_rules_but_cannot_change_them(org):
    rule = create_assignment_rule(actor=org.admin, name="a", assignee=org.rep_a)
    client = api_client_for(org.manager_a)
    assert client.get(f"{API}{rule.pk}/").status_code == 200
    assert client.patch(f"{API}{rule.pk}/", {"name": "b"}, format="json").status_code == 403
    assert api_client_for(org.rep_a).get(API).status_code == 403
    rule.refresh_from_db()
    assert rule.name == "a"


def test_api_rule_list_takes_a_fixed_number_of_queries(org, django_assert_max_num_queries):
    client = api_client_for(org.admin)
    client.get(API)
    for n in range(30):
        create_assignment_rule(actor=org.admin, name=f"r{n}", team=org.team_a, territory=TerritoryFactory())
    with django_assert_max_num_queries(4):
        response = client.get(API)
    assert response.json()["count"] == 30


def test_schema_documents_the_assignment_rule_endpoints(org):
    response = api_client_for(org.admin).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"] if response["content-type"].startswith("application/json") else None
    text = response.content.decode()
    assert "/api/v1/assignment-rules/{id}/move/" in (paths or text)
    assert "AssignmentRuleMove" in text


# --- pages ---------------------------------------------------------------------------------------------


def test_admin_manages_rules_on_the_pages(org, page_for):
    client = page_for(org.admin)
    response = client.post(
        "/customers/assignment-rules/new/", {"name": "Shanghai", "city": "上海", "team": org.team_a.pk, "active": "on"}
    )
    assert response.status_code == 302
    client.post("/customers/assignment-rules/new/", {"name": "Beijing", "city": "北京", "assignee": org.rep_c.pk})
    shanghai, beijing = AssignmentRule.objects.order_by("priority")
    assert (shanghai.name, beijing.name, beijing.active) == ("Shanghai", "Beijing", False)
    client.post(f"/customers/assignment-rules/{beijing.pk}/move/", {"direction": "up"})
    assert names(org.admin) == ["Beijing", "Shanghai"]
    html = client.get("/customers/assignment-rules/").content.decode()
    assert html.index("Beijing") < html.index("Shanghai")
    response = client.post(
        f"/customers/assignment-rules/{shanghai.pk}/edit/",
        {"name": "Shanghai retail", "city": "上海", "industry": "零售", "team": org.team_a.pk, "priority": "7"},
    )
    assert response.status_code == 302
    shanghai.refresh_from_db()
    assert (shanghai.name, shanghai.industry, shanghai.priority) == ("Shanghai retail", "零售", 7)
    client.post(f"/customers/assignment-rules/{beijing.pk}/delete/")
    assert names(org.admin) == ["Shanghai retail"]


def test_rule_form_shows_errors_and_stores_nothing(org, page_for):
    gone = UserFactory(username="gone", role="rep", is_active=False)
    client = page_for(org.admin)
    response = client.post("/customers/assignment-rules/new/", {"name": "nobody", "city": "上海"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    response = client.post("/customers/assignment-rules/new/", {"name": "gone", "assignee": gone.pk})
    assert response.status_code == 200 and response.context["form"].errors["assignee"]
    response = client.post("/customers/assignment-rules/new/", {"name": "", "priority": "-3", "team": org.team_a.pk})
    assert response.status_code == 200 and {"name", "priority"} <= set(response.context["form"].errors)
    assert not AssignmentRule.objects.exists()


def test_manager_sees_the_rules_without_management_buttons(org, page_for):
    create_assignment_rule(actor=org.admin, name="Shanghai", city="上海", assignee=org.rep_a)
    html = page_for(org.manager_a).get("/customers/assignment-rules/").content.decode()
    assert "Shanghai" in html
    assert "/customers/assignment-rules/new/" not in html and "/move/" not in html and "/delete/" not in html
    assert page_for(org.manager_a).get("/customers/assignment-rules/new/").status_code == 403


def test_rule_list_page_takes_a_fixed_number_of_queries(org, page_for, django_assert_max_num_queries):
    client = page_for(org.admin)
    client.get("/")
    for n in range(30):
        create_assignment_rule(
            actor=org.admin, name=f"r{n}", team=org.team_a, territory=TerritoryFactory(), assignee=org.rep_a
        )
    with django_assert_max_num_queries(6):
        response = client.get("/customers/assignment-rules/")
    assert response.status_code == 200 and response.content.decode().count("/move/") == 30
