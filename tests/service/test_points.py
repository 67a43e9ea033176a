"""The lifetime customer club: points ledger arithmetic, audit trail, redemption limits and concurrency."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from service.models import LoyaltyAccount, PointsEntry, PointsRule, Reward
from service.services import (
    adjust_points,
    award_pending_order_points,
    award_points,
    enroll,
    points_for_amount,
    redeem,
)
from service.tasks import award_order_points
from tests.factories import CustomerFactory, OrderFactory, RewardFactory


def _member(org, *, days_ago: int = 30):
    customer = CustomerFactory(owner=org.rep_a)
    account, created = enroll(actor=org.rep_a, customer=customer, enrolled_at=timezone.now() - timedelta(days=days_ago))
    assert created
    return customer, account


def _assert_ledger_consistent(account):
    account.refresh_from_db()
    total = account.entries.aggregate(total=Sum("points"))["total"] or 0
    assert account.balance == total >= 0
    latest = account.entries.order_by("-created_at", "-id").first()
    assert latest is None or latest.balance_after == account.balance


@pytest.mark.django_db
def test_default_rule_earns_one_point_per_ten_and_drops_fractions(org):
    rule = PointsRule.objects.get(active=True)
    assert points_for_amount(rule=rule, amount=Decimal("1234.56")) == 123
    assert points_for_amount(rule=rule, amount=Decimal("9.99")) == 0
    assert points_for_amount(rule=rule, amount=Decimal("10.00")) == 1


@pytest.mark.django_db
def test_enrolling_twice_returns_the_same_account(org):
    customer, account = _member(org)
    again, created = enroll(actor=org.rep_a, customer=customer)
    assert again.pk == account.pk and not created
    with pytest.raises(PermissionDenied):
        enroll(actor=org.rep_b, customer=CustomerFactory(owner=org.rep_a))


@pytest.mark.django_db
def test_an_order_earns_points_once_with_an_audit_trail(org):
    customer, account = _member(org)
    order = OrderFactory(customer=customer, amount=Decimal("1999.90"), external_ref="ERP-1")
    entry = award_points(actor=org.admin, order=order)
    assert (entry.kind, entry.points, entry.balance_after) == ("earned", 199, 199)
    assert entry.created_by == org.admin and entry.created_at and "ERP-1" in entry.reason
    assert entry.rule == PointsRule.objects.get(active=True)
    assert award_points(actor=org.admin, order=order).pk == entry.pk
    assert PointsEntry.objects.count() == 1
    _assert_ledger_consistent(account)


@pytest.mark.django_db
def test_the_newest_active_rule_applies_and_minimum_amount_holds(org):
    customer, account = _member(org)
    PointsRule.objects.create(name="双倍", points_per_unit=Decimal("0.2"), minimum_order_amount=Decimal("100"))
    assert award_points(actor=org.admin, order=OrderFactory(customer=customer, amount=Decimal("99.99"))) is None
    assert award_points(actor=org.admin, order=OrderFactory(customer=customer, amount=Decimal("100"))).points == 20


@pytest.mark.django_db
def test_non_members_and_orders_before_enrolment_earn_nothing(org):
    outsider = CustomerFactory(owner=org.rep_a)
    assert award_points(actor=org.admin, order=OrderFactory(customer=outsider, amount=Decimal("500"))) is None
    customer, account = _member(org, days_ago=1)
    old = OrderFactory(customer=customer, amount=Decimal("500"), ordered_at=timezone.now() - timedelta(days=10))
    assert award_points(actor=org.admin, order=old) is None


@pytest.mark.django_db
def test_the_periodic_sweep_awards_pending_orders_once(org):
    customer, account = _member(org)
    OrderFactory(customer=customer, amount=Decimal("100"))
    OrderFactory(customer=customer, amount=Decimal("250"))
    OrderFactory(customer=CustomerFactory(owner=org.rep_a), amount=Decimal("999"))  # not a member
    assert award_order_points.apply().get() == 2
    assert award_pending_order_points(actor=org.admin) == 0
    account.refresh_from_db()
    assert account.balance == 35
    _assert_ledger_consistent(account)


@pytest.mark.django_db
def test_adjustments_need_a_manager_and_a_reason_and_never_go_negative(org):
    customer, account = _member(org)
    with pytest.raises(PermissionDenied):
        adjust_points(actor=org.rep_a, account=account, points=10, reason="gift")
    with pytest.raises(PermissionDenied):
        adjust_points(actor=org.manager_b, account=account, points=10, reason="gift")
    with pytest.raises(ValidationError) as info:
        adjust_points(actor=org.manager_a, account=account, points=10, reason=" ")
    assert "reason" in info.value.message_dict
    with pytest.raises(ValidationError):
        adjust_points(actor=org.manager_a, account=account, points=0, reason="nothing")
    entry = adjust_points(actor=org.manager_a, account=account, points=50, reason="开业礼")
    assert (entry.kind, entry.created_by, entry.reason) == ("adjusted", org.manager_a, "开业礼")
    with pytest.raises(ValidationError) as info:
        adjust_points(actor=org.manager_a, account=account, points=-51, reason="too much")
    assert "points" in info.value.message_dict
    adjust_points(actor=org.manager_a, account=account, points=-50, reason="correction")
    _assert_ledger_consistent(account)
    assert account.balance == 0


@pytest.mark.django_db
def test_redemption_arithmetic_stock_and_limits(org):
    customer, account = _member(org)
    adjust_points(actor=org.admin, account=account, points=1000, reason="seed")
    cup = RewardFactory(name="保温杯", points_cost=200, stock=3)
    entry = redeem(actor=org.rep_a, account=account, reward=cup, quantity=2)
    assert (entry.kind, entry.points, entry.balance_after, entry.quantity, entry.reward) == (
        "redeemed",
        -400,
        600,
        2,
        cup,
    )
    cup.refresh_from_db()
    assert cup.stock == 1
    with pytest.raises(ValidationError) as info:
        redeem(actor=org.rep_a, account=account, reward=cup, quantity=2)
    assert "quantity" in info.value.message_dict
    big = RewardFactory(points_cost=601)
    with pytest.raises(ValidationError) as info:
        redeem(actor=org.rep_a, account=account, reward=big)
    assert "points" in info.value.message_dict
    retired = RewardFactory(points_cost=1, active=False)
    with pytest.raises(ValidationError):
        redeem(actor=org.rep_a, account=account, reward=retired)
    with pytest.raises(PermissionDenied):
        redeem(actor=org.rep_c, account=account, reward=cup)
    _assert_ledger_consistent(account)
    assert account.balance == 600 and cup.redemptions.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_negative_balance_even_behind_the_services_back(org):
    _customer, account = _member(org)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoyaltyAccount.objects.filter(pk=account.pk).update(balance=-1)


@pytest.mark.django_db
def test_api_enrol_redeem_overdraw_and_ledger(org, api_for):
    customer = CustomerFactory(owner=org.rep_a)
    client = api_for(org.rep_a)
    created = client.post("/api/v1/loyalty-accounts/", {"customer": customer.pk}, format="json")
    assert created.status_code == 201
    again = client.post("/api/v1/loyalty-accounts/", {"customer": customer.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    account_id = created.json()["id"]
    adjust = api_for(org.manager_a).post(
        f"/api/v1/loyalty-accounts/{account_id}/adjust/", {"points": 300, "reason": "welcome"}, format="json"
    )
    assert adjust.status_code == 201 and adjust.json()["balance_after"] == 300
    assert (
        client.post(
            f"/api/v1/loyalty-accounts/{account_id}/adjust/", {"points": 1, "reason": "x"}, format="json"
        ).status_code
        == 403
    )
    reward = RewardFactory(points_cost=200)
    url = f"/api/v1/loyalty-accounts/{account_id}/redeem/"
    assert client.post(url, {"reward": reward.pk}, format="json").status_code == 201
    overdraw = client.post(url, {"reward": reward.pk}, format="json")
    assert overdraw.status_code == 400 and "points" in overdraw.json()
    assert client.post(url, {"reward": reward.pk, "quantity": 0}, format="json").status_code == 400
    assert client.get(f"/api/v1/loyalty-accounts/{account_id}/").json()["balance"] == 100
    ledger = client.get(f"/api/v1/points-entries/?account={account_id}").json()
    assert [(e["kind"], e["points"], e["balance_after"]) for e in ledger["results"]] == [
        ("redeemed", -200, 100),
        ("adjusted", 300, 300),
    ]
    assert ledger["results"][1]["created_by"] == str(org.manager_a) and ledger["results"][1]["reason"] == "welcome"


@pytest.mark.django_db
def test_points_lists_query_counts(org, api_for, django_assert_max_num_queries):
    for _ in range(10):
        _customer, account = _member(org)
        adjust_points(actor=org.admin, account=account, points=10, reason="seed")
    client = api_for(org.manager_a)
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/points-entries/?page_size=100").json()["count"] == 10
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/loyalty-accounts/?page_size=100").json()["count"] == 10


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row locks: run with a PostgreSQL DATABASE_URL"
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_never_overdraw(org):
    """Balance 100, two threads each redeem 60 at the same moment: one wins, the other is refused."""
    _customer, account = _member(org)
    adjust_points(actor=org.admin, account=account, points=100, reason="seed")
    reward = RewardFactory(points_cost=60)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt():
        try:
            barrier.wait(timeout=10)
            redeem(actor=org.rep_a, account=account, reward=reward)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    account.refresh_from_db()
    assert account.balance == 40
    assert account.entries.filter(kind="redeemed").count() == 1
    _assert_ledger_consistent(account)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row locks: run with a PostgreSQL DATABASE_URL"
)
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_redemptions_spend_exactly_the_balance(org):
    _customer, account = _member(org)
    adjust_points(actor=org.admin, account=account, points=250, reason="seed")
    reward = Reward.objects.create(name="券", points_cost=50)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def attempt():
        try:
            barrier.wait(timeout=10)
            redeem(actor=org.rep_a, account=account, reward=reward)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("ok") == 5 and outcomes.count("refused") == 3
    _assert_ledger_consistent(account)
    assert account.balance == 0
