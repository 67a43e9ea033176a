"""Demo field-sales data for `manage.py seed_demo`: four weeks of street visits, survey answers, plans,
appointments, daily reports and weekly summaries. Safe to run twice: every visit has a fixed client_uuid, so
submitting it again changes nothing."""

import datetime as dt
import random
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Customer
from customers.services.customer import create_customer
from salesforce_auto import services
from salesforce_auto.models import Appointment, SurveyQuestion, VisitPlan

DEMO_NAMESPACE = uuid.UUID("6f1c2a4e-0d55-4c1e-9a0b-5e7f3c2d1b90")
REPS = ["li.rep", "chen.rep", "liu.rep"]
SHOPS = ["建材城", "五金店", "装饰公司", "家居广场", "涂料批发部", "工程公司"]
BRANDS = ["立邦", "多乐士", "三棵树", "嘉宝莉"]
QUESTIONS = [
    ("market", "当地同类产品的月销量大约多少？", True),
    ("market", "主要客群在哪些小区或工地？", False),
    ("channel", "目前从哪些经销商进货？", True),
    ("channel", "账期和付款方式是怎样的？", True),
    ("competitor", "主推哪些竞争品牌？", True),
    ("competitor", "竞争品牌最近有什么促销？", False),
    ("consumer", "顾客最关心价格、环保还是服务？", True),
    ("consumer", "顾客的主要投诉是什么？", False),
]
OUTCOMES = ["留下样品和价目表", "约好下周再谈", "老板不在，与店长沟通", "对新品感兴趣", "暂无需求"]
FINDINGS = ["价格竞争激烈", "旺季将到，备货意愿强", "库存偏高", "工程单增加"]


def _questions() -> list[SurveyQuestion]:
    result = []
    for position, (aspect, text, required) in enumerate(QUESTIONS):
        question, _created = SurveyQuestion.objects.get_or_create(
            text=text, defaults={"aspect": aspect, "required": required, "position": position}
        )
        result.append(question)
    return result


def _customers(rep, rng: random.Random) -> list[Customer]:
    customers = list(Customer.objects.filter(owner=rep).order_by("id")[:8])
    city = {"liu.rep": "广州"}.get(rep.username, "上海")
    for i, shop in enumerate(SHOPS):
        if len(customers) >= 6:
            break
        name = f"{city}{rep.last_name or rep.username}{shop}"
        if not Customer.objects.filter(name=name, owner=rep).exists():
            customers.append(
                create_customer(
                    actor=rep, name=name, stage="target" if i % 2 else "potential", city=city, reason="demo"
                )
            )
    return customers


def seed(stdout) -> None:
    User = get_user_model()
    questions = _questions()
    today = timezone.localdate()
    tz = timezone.get_default_timezone()
    visits = 0
    for username in REPS:
        rep = User.objects.filter(username=username).first()
        if rep is None:
            continue
        rng = random.Random(username)  # noqa: S311 - demo data, reproducible on purpose
        customers = _customers(rep, rng)
        for back in range(28, -1, -1):
            day = today - dt.timedelta(days=back)
            if day.weekday() >= 5:
                continue
            for i in range(rng.randint(2, 4)):
                visited_at = dt.datetime.combine(day, dt.time(9 + 2 * i, rng.randint(0, 59)), tzinfo=tz)
                if visited_at > timezone.now():
                    continue
                customer = rng.choice(customers)
                answers = {}
                if rng.random() < 0.4:
                    q = rng.choice(questions)
                    answers[q.pk] = f"{rng.choice(FINDINGS)}（{day:%m-%d}）"
                failed = rng.random() < 0.25
                data = services.VisitInput(
                    client_uuid=uuid.uuid5(DEMO_NAMESPACE, f"{username}:{day.isoformat()}:{i}"),
                    visited_at=visited_at,
                    customer=customer,
                    method=rng.choice(["visit", "visit", "visit", "phone"]),
                    findings_market=rng.choice(FINDINGS),
                    findings_competitor=f"{rng.choice(BRANDS)}在做买赠活动" if rng.random() < 0.3 else "",
                    outcome=rng.choice(OUTCOMES),
                    failure_reason=rng.choice(["lacks_funds", "tied_to_competitor", "product_mismatch"])
                    if failed
                    else "",
                    buying_signals=rng.sample(["asks_delivery", "asks_payment_terms", "compares_brands"], 2)
                    if rng.random() < 0.15
                    else [],
                    step_reached=rng.randint(1, 3),
                    next_step="回访，带样品" if not failed else "",
                    next_visit_on=day + dt.timedelta(days=rng.randint(3, 10)) if not failed else None,
                    competitor_brands=[rng.choice(BRANDS)] if rng.random() < 0.3 else [],
                    survey_answers=answers,
                )
                _report, created = services.submit_visit(actor=rep, data=data)
                visits += created
            if back > 0:
                services.submit_daily_report(actor=rep, day=day, summary=f"{day:%m-%d}：扫街顺利，重点跟进有意向客户。")
        for offset, customer in enumerate(customers[:3]):
            when = dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(10 + offset, 0), tzinfo=tz)
            if not VisitPlan.objects.filter(rep=rep, customer=customer, planned_at=when).exists():
                services.create_visit_plan(
                    actor=rep,
                    customer=customer,
                    planned_at=when,
                    participants="销售代表；区域经理（陪访）",
                    information_to_collect="月销量、主推品牌、账期",
                    materials="样品、色卡、价目表",
                    expected_questions="问：能否月结？答：首单现款，三单后可申请月结。",
                )
            starts = when + dt.timedelta(hours=4)
            if not Appointment.objects.filter(rep=rep, customer=customer, starts_at=starts).exists():
                services.create_appointment(
                    actor=rep, customer=customer, starts_at=starts, place=f"{customer.name}门店", objectives="谈首单"
                )
    for weeks_back in range(1, 5):
        services.build_weekly_summaries(
            week_start=services.previous_week_start(today - dt.timedelta(weeks=weeks_back - 1))
        )
    stdout.write(f"Field sales: {visits} new visit reports, survey form with {len(questions)} questions.")
