from django.db import migrations

# Kotler's five levels; admins may edit or replace the ladder (e.g. intermediary/preferred/partner/alliance).
DEFAULT_LADDER = [
    ("basic", "基本", 1),
    ("reactive", "被动", 2),
    ("accountable", "负责", 3),
    ("proactive", "能动", 4),
    ("partnership", "伙伴", 5),
]


def add_ladder(apps, schema_editor):
    RelationshipLevel = apps.get_model("customers", "RelationshipLevel")
    for code, name, rank in DEFAULT_LADDER:
        RelationshipLevel.objects.get_or_create(code=code, defaults={"name": name, "rank": rank})


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(add_ladder, migrations.RunPython.noop)]
