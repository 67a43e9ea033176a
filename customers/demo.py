"""Demo customers for `manage.py seed_demo`: a few hundred across stages and levels for the demo reps, with
profile cards, contacts, MAN qualifications, a scorecard and evaluations. Safe to run twice (keyed by
external_ref DEMO-C-NNNN; only missing customers are created) and quick (bulk inserts)."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from crm.models import Territory
from customers.models import (
    Authority,
    CompetitorBrand,
    Contact,
    Customer,
    ManAnswer,
    Qualification,
    RelationshipLevel,
    RelationshipLevelChange,
    Scorecard,
    Stage,
    StageChange,
)
from customers.services.customer import define_scorecard, evaluate

CUSTOMERS_PER_REP = 100
REPS = {"li.rep": ["SH", "HZ"], "chen.rep": ["SH", "HZ"], "liu.rep": ["GZ", "SZ"]}
CITY_OF = {"SH": "上海", "HZ": "杭州", "GZ": "广州", "SZ": "深圳"}
PREFIXES = [
    "华联",
    "永辉",
    "百佳",
    "新华",
    "联华",
    "大润",
    "家乐",
    "恒信",
    "宏达",
    "金桥",
    "东方",
    "和美",
    "万家",
    "鑫源",
]
KINDS = ["超市", "便利店", "建材行", "五金店", "批发部", "商贸有限公司", "连锁药房", "家居馆", "电器城", "副食店"]
INDUSTRIES = ["零售", "批发", "建材", "医药", "家电", "餐饮"]
BRANDS = ["海尔", "美的", "格力", "立白", "蓝月亮", "伊利", "蒙牛", "康师傅"]
STREETS = ["南京路", "解放路", "中山路", "人民路", "建设路", "和平路"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
TITLES = [("总经理", Authority.DECISION_MAKER), ("采购经理", Authority.INFLUENCER), ("店长", Authority.USER)]
# Stage mix of a rep's book: many prospects, a solid base of current customers, some dormant.
STAGE_WEIGHTS = [(Stage.POTENTIAL, 35), (Stage.TARGET, 25), (Stage.CURRENT, 30), (Stage.DORMANT, 10)]
SCORECARD_NAME = "经销商评价表"


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}"


def seed(stdout) -> None:
    User = get_user_model()
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    reps = {u.username: u for u in User.objects.filter(username__in=REPS)}
    if not reps:
        stdout.write("customers: no demo reps (run crm.demo first); skipped.")
        return
    levels = list(RelationshipLevel.objects.order_by("rank"))
    territories = {t.code: t for t in Territory.objects.filter(code__in=CITY_OF)}
    brands = [CompetitorBrand.objects.get_or_create(name=name)[0] for name in BRANDS]
    existing_refs = set(
        Customer.objects.filter(external_ref__startswith="DEMO-C-").values_list("external_ref", flat=True)
    )
    now = timezone.now()
    new_customers: list[Customer] = []
    number = 0
    for username, codes in REPS.items():
        rep = reps.get(username)
        for _i in range(CUSTOMERS_PER_REP):
            number += 1
            ref = f"DEMO-C-{number:04d}"
            # Draw every value whether or not the customer exists, so reruns produce the same data.
            code = rng.choice(codes)
            stage = rng.choices([s for s, _w in STAGE_WEIGHTS], weights=[w for _s, w in STAGE_WEIGHTS])[0]
            level_index = min(len(levels) - 1, max(0, int(rng.gauss(1.5, 1.1)))) if levels else None
            card = rng.random()
            name = f"{rng.choice(PREFIXES)}{rng.choice(KINDS)}({CITY_OF[code]}{number})"
            phone = _phone(rng)
            street = rng.choice(STREETS)
            industry = rng.choice(INDUSTRIES)
            area = Decimal(rng.randrange(30, 3000))
            years = rng.randint(1, 30)
            staff = rng.randint(2, 200)
            volume = Decimal(rng.randrange(5, 500) * 1000)
            if rep is None or ref in existing_refs:
                continue
            new_customers.append(
                Customer(
                    external_ref=ref,
                    name=name,
                    stage=stage,
                    relationship_level=levels[level_index] if levels and stage != Stage.POTENTIAL else None,
                    owner=rep,
                    territory=territories.get(code),
                    city=CITY_OF[code],
                    address=f"{CITY_OF[code]}市{street}{rng.randint(1, 999)}号",
                    phone=phone,
                    industry=industry,
                    source="demo",
                    business_area_m2=area if card > 0.2 else None,
                    years_in_business=years if card > 0.3 else None,
                    staff_count=staff if card > 0.4 else None,
                    monthly_purchase_volume=volume if card > 0.25 else None,
                    distribution_reach=f"{CITY_OF[code]}及周边" if card > 0.5 else "",
                    credit_notes="按时回款" if card > 0.7 else "",
                )
            )
    if new_customers:
        created = bulk_create_with_history(new_customers, Customer, default_change_reason="demo")
        created = list(Customer.objects.filter(external_ref__in=[c.external_ref for c in created]).order_by("pk"))
        _history(created, rng, now)
        _cards_and_contacts(created, brands, rng)
    _scorecard_and_evaluations(rng)
    stdout.write(
        f"Demo customers: {Customer.objects.filter(external_ref__startswith='DEMO-C-').count()} "
        f"({len(new_customers)} new)."
    )


def _history(customers: list[Customer], rng: random.Random, now) -> None:
    path = [Stage.POTENTIAL, Stage.TARGET, Stage.CURRENT, Stage.DORMANT]
    stage_changes, level_changes = [], []
    for customer in customers:
        steps = path[: path.index(customer.stage) + 1]
        start = now - timedelta(days=rng.randint(60, 700))
        previous = ""
        for index, stage in enumerate(steps):
            stage_changes.append(
                StageChange(
                    customer=customer,
                    from_stage=previous,
                    to_stage=stage,
                    changed_by=customer.owner,
                    changed_at=start + timedelta(days=20 * index),
                    reason="",
                )
            )
            previous = stage
        if customer.relationship_level_id:
            level_changes.append(
                RelationshipLevelChange(
                    customer=customer,
                    to_level_id=customer.relationship_level_id,
                    changed_by=customer.owner,
                    changed_at=start + timedelta(days=10),
                    reason="",
                )
            )
    StageChange.objects.bulk_create(stage_changes)
    RelationshipLevelChange.objects.bulk_create(level_changes)


def _cards_and_contacts(customers: list[Customer], brands, rng: random.Random) -> None:
    through = Customer.brands_carried.through
    links, contacts, qualifications = [], [], []
    now = timezone.now()
    for customer in customers:
        if customer.business_area_m2 is not None:
            for brand in rng.sample(brands, rng.randint(1, 3)):
                links.append(through(customer_id=customer.pk, competitorbrand_id=brand.pk))
        for title, authority in rng.sample(TITLES, rng.randint(1, 3)):
            contacts.append(
                Contact(
                    customer=customer,
                    name=f"{rng.choice(SURNAMES)}{rng.choice(['先生', '女士', '经理', '总'])}",
                    title=title,
                    phone=_phone(rng),
                    authority=authority,
                )
            )
        if customer.stage in (Stage.POTENTIAL, Stage.TARGET):
            answers = [ManAnswer.YES, ManAnswer.NO, ManAnswer.UNKNOWN]
            weights = [6, 1, 3] if customer.stage == Stage.TARGET else [3, 2, 5]
            qualifications.append(
                Qualification(
                    customer=customer,
                    money=rng.choices(answers, weights)[0],
                    authority=rng.choices(answers, weights)[0],
                    need=rng.choices(answers, weights)[0],
                    updated_by=customer.owner,
                    updated_at=now,
                )
            )
    through.objects.bulk_create(links, ignore_conflicts=True)
    bulk_create_with_history(contacts, Contact, default_change_reason="demo")
    bulk_create_with_history(qualifications, Qualification, default_change_reason="demo")


def _scorecard_and_evaluations(rng: random.Random) -> None:
    User = get_user_model()
    admin = User.objects.filter(username="admin").first()
    scorecard = Scorecard.objects.filter(name=SCORECARD_NAME).first()
    if scorecard is None and admin is not None:
        scorecard = define_scorecard(
            actor=admin,
            name=SCORECARD_NAME,
            indicators=[
                {"name": "市场地位", "weight": Decimal("0.25"), "standard_ratio": Decimal("1.00")},
                {"name": "财务状况", "weight": Decimal("0.25"), "standard_ratio": Decimal("1.20")},
                {"name": "经营管理", "weight": Decimal("0.20"), "standard_ratio": Decimal("1.00")},
                {"name": "技术服务", "weight": Decimal("0.15"), "standard_ratio": Decimal("0.80")},
                {"name": "市场营销", "weight": Decimal("0.15"), "standard_ratio": Decimal("1.00")},
            ],
        )
    if scorecard is None or scorecard.evaluations.exists():
        return
    indicators = list(scorecard.indicators.all())
    targets = Customer.objects.filter(external_ref__startswith="DEMO-C-", stage=Stage.TARGET).select_related("owner")
    for customer in targets[:40]:
        ratios = {i.pk: Decimal(rng.randrange(40, 180)) / 100 for i in indicators}
        evaluate(actor=customer.owner, customer=customer, scorecard=scorecard, actual_ratios=ratios)
