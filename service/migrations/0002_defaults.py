from decimal import Decimal

from django.db import migrations

# DESIGN §3 defaults; admins edit them in the admin site.
DEFAULT_SLA_HOURS = [("critical", 4), ("high", 24), ("medium", 72), ("low", 168)]

# Indicator classes and indicators of the satisfaction survey (满意度), admin-editable.
DEFAULT_INDICATORS = [
    ("product", "产品", [("product_quality", "产品质量"), ("product_range", "品种齐全"), ("product_price", "价格合理")]),
    ("delivery", "交付", [("delivery_on_time", "按时交货"), ("delivery_complete", "交货准确完整")]),
    ("service", "服务", [("service_response", "响应速度"), ("service_attitude", "服务态度"), ("service_expertise", "专业能力")]),
    ("complaint_handling", "投诉处理", [("complaint_speed", "处理及时"), ("complaint_outcome", "处理结果")]),
    ("billing", "结算", [("billing_accuracy", "账单准确"), ("billing_terms", "付款条件")]),
    ("image", "企业形象", [("image_reputation", "品牌信誉"), ("image_trust", "值得信赖")]),
]

# Beat schedules, stored in the database so admins can edit or pause them.
SCHEDULES = [
    ("service: escalate overdue complaints", "service.escalate_overdue", 15),
    ("service: award points for new orders", "service.award_order_points", 60),
]


def add_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    IndicatorClass = apps.get_model("service", "IndicatorClass")
    SatisfactionIndicator = apps.get_model("service", "SatisfactionIndicator")
    PointsRule = apps.get_model("service", "PointsRule")
    for severity, hours in DEFAULT_SLA_HOURS:
        SlaPolicy.objects.get_or_create(severity=severity, defaults={"resolution_hours": hours})
    for class_rank, (class_code, class_name, indicators) in enumerate(DEFAULT_INDICATORS, start=1):
        indicator_class, _created = IndicatorClass.objects.get_or_create(
            code=class_code, defaults={"name": class_name, "rank": class_rank}
        )
        for rank, (code, name) in enumerate(indicators, start=1):
            SatisfactionIndicator.objects.get_or_create(
                code=code, defaults={"name": name, "rank": rank, "indicator_class": indicator_class}
            )
    if not PointsRule.objects.exists():
        PointsRule.objects.create(name="每消费 10 元积 1 分", points_per_unit=Decimal("0.1000"))


def add_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in SCHEDULES:
        interval, _created = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval, "enabled": True})


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task, _minutes in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0001_complaints_satisfaction_loyalty"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
        migrations.RunPython(add_schedules, remove_schedules),
    ]
