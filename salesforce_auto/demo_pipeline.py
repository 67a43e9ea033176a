"""Demo pipeline for `manage.py seed_demo`: open opportunities across the stages for the coming months, a
won one with its order, and two quotes (one still waiting for its internal cost). Safe to run twice."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from customers.models import Customer, Stage
from salesforce_auto.models import STAGE_PROBABILITY, Opportunity, OpportunityStage, Quote, QuoteLine, QuoteStatus

TITLES = ["新店货架", "年度框架协议", "冷柜更新", "门店翻新", "节日促销备货", "仓储系统", "第二门店开业", "收银设备"]
STAGES = [
    OpportunityStage.PROSPECTING,
    OpportunityStage.QUALIFICATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.QUALIFICATION,
    OpportunityStage.WON,
    OpportunityStage.LOST,
]


def seed(stdout) -> None:
    customers = list(
        Customer.objects.filter(stage__in=[Stage.TARGET, Stage.CURRENT]).select_related("owner").order_by("id")[:24]
    )
    if not customers:
        stdout.write("Demo pipeline: no target or current customers yet; none created.")
        return
    if Opportunity.objects.filter(title__startswith="[demo]").exists():
        stdout.write("Demo pipeline: already there.")
        return
    today = timezone.localdate()
    now = timezone.now()
    opportunities = []
    for n, customer in enumerate(customers):
        stage = STAGES[n % len(STAGES)]
        closed = stage in (OpportunityStage.WON, OpportunityStage.LOST)
        opportunities.append(
            Opportunity(
                customer=customer,
                title=f"[demo] {TITLES[n % len(TITLES)]}",
                amount=Decimal(20000 + (n * 7919) % 180000),
                stage=stage,
                probability=STAGE_PROBABILITY[stage],
                expected_close_on=today + timedelta(days=15 + (n * 23) % 170),
                owner=customer.owner,
                lost_reason="价格高于竞争品牌" if stage == OpportunityStage.LOST else "",
                closed_at=now if closed else None,
            )
        )
    Opportunity.objects.bulk_create(opportunities)
    quotes = 0
    for opportunity in opportunities[2:4]:
        issued = opportunity.stage == OpportunityStage.NEGOTIATION
        total = opportunity.amount
        cost = (total * Decimal("0.72")).quantize(Decimal("0.01"))
        quote = Quote.objects.create(
            customer=opportunity.customer,
            opportunity=opportunity,
            title=f"[demo] {opportunity.title[7:]} 报价",
            status=QuoteStatus.ISSUED if issued else QuoteStatus.DRAFT,
            total=total,
            internal_cost=cost if issued else None,
            margin=total - cost if issued else None,
            margin_rate=((total - cost) / total).quantize(Decimal("0.0001")) if issued else None,
            issued_at=now if issued else None,
            created_by=opportunity.owner,
        )
        QuoteLine.objects.create(
            quote=quote, description=opportunity.title[7:], quantity=Decimal("1"), unit_price=total, amount=total
        )
        quotes += 1
    stdout.write(f"Demo pipeline: {len(opportunities)} opportunities, {quotes} quotes.")
