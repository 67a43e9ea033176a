"""Demo data for the service app: complaints in every state, surveys, referrals and club points for the demo
customers that exist (none is fine). Safe to run twice: it does nothing once demo complaints exist."""

from datetime import timedelta

from django.utils import timezone

from crm.services import get_system_user
from customers.models import Customer
from service import services
from service.models import Complaint, ComplaintStatus, LoyaltyAccount, Reward
from service.selectors import active_indicators

REWARDS = [
    ("品牌保温杯", "定制保温杯一个", 200, 100),
    ("免费送货一次", "下一单免运费", 500, None),
    ("陈列道具套装", "门店陈列架与海报", 1500, 20),
    ("年度经销商大会名额", "含两晚住宿", 5000, 5),
]

# (category, severity, channel, hours ago, final status, description, root cause, corrective, preventive)
COMPLAINTS = [
    ("late_delivery", "high", "phone", 30, "received", "上周订的货到现在还没到，门店缺货。", "", "", ""),
    ("product_quality", "critical", "visit", 2, "acknowledged", "一批产品外壳开裂，顾客退货。", "", "", ""),
    (
        "wrong_specification",
        "medium",
        "email",
        20,
        "investigating",
        "收到的规格与订单不符（500ml 发成 350ml）。",
        "仓库拣货按旧编码",
        "",
        "",
    ),
    (
        "packaging",
        "low",
        "visit",
        60,
        "resolved",
        "外箱破损，部分产品受潮。",
        "承运商装卸不当",
        "补发受损产品并赔付运费",
        "更换承运商并加厚外箱",
    ),
    (
        "billing",
        "medium",
        "phone",
        100,
        "closed",
        "发票金额与对账单不一致。",
        "返利未在开票时扣除",
        "重开发票",
        "开票前系统自动校验返利",
    ),
    (
        "service_attitude",
        "high",
        "api",
        12,
        "verified",
        "客服电话多次无人接听。",
        "高峰期排班不足",
        "增加午间值班",
        "按来电量排班",
    ),
]

PATH = [
    ComplaintStatus.ACKNOWLEDGED,
    ComplaintStatus.INVESTIGATING,
    ComplaintStatus.RESOLVED,
    ComplaintStatus.VERIFIED,
    ComplaintStatus.CLOSED,
]


def seed(stdout) -> None:
    for name, description, cost, stock in REWARDS:
        Reward.objects.get_or_create(
            name=name, defaults={"description": description, "points_cost": cost, "stock": stock}
        )
    customers = list(Customer.objects.select_related("owner__team").order_by("pk")[:12])
    if not customers:
        stdout.write("Service: no customers yet, only the reward catalogue was seeded.")
        return
    if Complaint.objects.filter(customer__in=customers).exists():
        stdout.write("Service: demo complaints already present, skipped.")
        return
    now = timezone.now()
    for index, spec in enumerate(COMPLAINTS):
        customer = customers[index % len(customers)]
        category, severity, channel, hours_ago, final, description, root, corrective, preventive = spec
        complaint = services.open_complaint(
            actor=customer.owner,
            customer=customer,
            category=category,
            severity=severity,
            channel=channel,
            description=description,
            received_at=now - timedelta(hours=hours_ago),
        )
        if root or corrective or preventive:
            services.update_complaint(
                actor=customer.owner,
                complaint=complaint,
                root_cause=root,
                corrective_action=corrective,
                preventive_action=preventive,
            )
        if final != ComplaintStatus.RECEIVED:
            for status in PATH[: PATH.index(final) + 1]:
                services.advance_complaint(actor=customer.owner, complaint=complaint, status=status)
    escalation = services.escalate_overdue()

    indicators = list(active_indicators())
    for index, customer in enumerate(customers[:8]):
        overall = [5, 4, 3, 5, 2, 4, 4, 5][index]
        scores = {ind.pk: max(1, min(5, overall + ((ind.pk + index) % 3) - 1)) for ind in indicators}
        services.record_survey(
            actor=customer.owner, customer=customer, overall_score=overall, scores=scores, comment="回访记录"
        )

    for index in range(min(4, len(customers) - 1)):
        referrer, referred = customers[index], customers[index + 1]
        if referrer.owner_id != referred.owner_id:
            referral = services.record_referral(actor=referrer.owner, referrer=referrer, referred_name=referred.name)
        else:
            referral = services.record_referral(actor=referrer.owner, referrer=referrer, referred=referred)
        if index % 2 == 0:
            services.convert_referral(actor=referrer.owner, referral=referral)

    system = get_system_user()
    for customer in customers[:6]:
        services.enroll(actor=customer.owner, customer=customer, enrolled_at=now - timedelta(days=400))
    earned = services.award_pending_order_points(actor=system)
    cup = Reward.objects.get(name=REWARDS[0][0])
    for customer in customers[:6]:
        account = LoyaltyAccount.objects.get(customer=customer)  # fresh balance after the sweep
        if account.balance >= cup.points_cost:
            services.redeem(actor=customer.owner, account=account, reward=cup)
    stdout.write(
        f"Service: {len(COMPLAINTS)} complaints ({len(escalation.escalated)} escalated), "
        f"{min(8, len(customers))} surveys, referrals, {earned} points entries from orders."
    )
