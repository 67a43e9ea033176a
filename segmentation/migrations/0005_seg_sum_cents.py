"""PostgreSQL only: the bigint-cents aggregate the run's grouped pass uses, and a small statistics sample for
TierAssignment.run_id (the run analyses that column after writing a million rows; a small sample is enough to
see how many rows a run has, and keeps ANALYZE to milliseconds)."""

from django.db import migrations

CREATE = """
CREATE AGGREGATE segmentation_sum_cents(bigint) (
    SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, PARALLEL = SAFE
);
ALTER TABLE segmentation_tierassignment ALTER COLUMN run_id SET STATISTICS 10;
"""

DROP = """
ALTER TABLE segmentation_tierassignment ALTER COLUMN run_id SET STATISTICS -1;
DROP AGGREGATE IF EXISTS segmentation_sum_cents(bigint);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("segmentation", "0004_lean_assignments"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
