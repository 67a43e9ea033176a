"""PostgreSQL only: tier assignments become a table partitioned by run (LIST on run_id).

A run writes its million rows into a table of its own with no index, then attaches it as the run's partition,
which builds the (run, customer) and top-rank indexes in one sorted pass each: several times cheaper than
keeping them up to date row by row, and a failed run's rows are dropped with their table. Rows inserted through
the ORM (tests, fixtures) land in the default partition.

A partitioned table's primary key must contain the partition key, so the table has none; rows are addressed by
(run, customer), which stays unique. A run numbers its rows run id × 2³² + revenue rank; rows inserted through the
ORM draw ids from the identity sequence, capped below 2³² so the two never meet. The Django state is unchanged.
SQLite keeps the plain table.
"""

from django.db import migrations

TABLE = "segmentation_tierassignment"
PLAIN = "segmentation_tierassignment_plain"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute(f"ALTER TABLE {TABLE} RENAME TO {PLAIN}")
    # index and constraint names are per schema: free them for the partitioned table
    execute(f"ALTER TABLE {PLAIN} RENAME CONSTRAINT {TABLE}_pkey TO {PLAIN}_pkey")
    execute(f"ALTER TABLE {PLAIN} RENAME CONSTRAINT tier_assignment_unique_per_run TO {PLAIN}_unique")
    execute(f"ALTER INDEX segmentation_top_rank RENAME TO {PLAIN}_top_rank")
    execute(
        f"CREATE TABLE {TABLE} (LIKE {PLAIN} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
        " PARTITION BY LIST (run_id)"
    )
    execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id FROM segmentation_segmentationrun r WHERE EXISTS (SELECT 1 FROM {PLAIN} t WHERE t.run_id = r.id)"
        )
        runs = [row[0] for row in cursor.fetchall()]
    for run in runs:
        execute(f"CREATE TABLE {TABLE}_r{int(run)} PARTITION OF {TABLE} FOR VALUES IN ({int(run)})")
    execute(f"INSERT INTO {TABLE} SELECT * FROM {PLAIN}")  # the same columns in the same order (LIKE)
    # the sequence goes on after the ids it drew (runs number theirs from 2³² up, see the docstring)
    execute(
        f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'),"
        f" COALESCE((SELECT MAX(id) FROM {PLAIN} WHERE id < {2**32}), 0) + 1, false)"
    )
    execute(f"DROP TABLE {PLAIN}")
    execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET MAXVALUE {2**32 - 1}")
    execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT tier_assignment_unique_per_run UNIQUE (run_id, customer_id)")
    execute(f"CREATE INDEX segmentation_top_rank ON {TABLE} (run_id, revenue_rank) WHERE revenue_rank <= 5000")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute(f"CREATE TABLE {PLAIN} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)")
    execute(f"ALTER TABLE {PLAIN} ALTER COLUMN id SET NO MAXVALUE")  # runs' ids reach past 2³²
    execute(f"INSERT INTO {PLAIN} SELECT * FROM {TABLE}")
    execute(
        f"SELECT setval(pg_get_serial_sequence('{PLAIN}', 'id'), COALESCE((SELECT MAX(id) FROM {TABLE}), 0) + 1, false)"
    )
    execute(f"DROP TABLE {TABLE} CASCADE")  # its partitions with it
    execute(f"ALTER TABLE {PLAIN} RENAME TO {TABLE}")
    execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id)")
    execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT tier_assignment_unique_per_run UNIQUE (run_id, customer_id)")
    execute(f"CREATE INDEX segmentation_top_rank ON {TABLE} (run_id, revenue_rank) WHERE revenue_rank <= 5000")
    execute(f"ALTER TABLE {TABLE} ALTER COLUMN run_id SET STATISTICS 10")


class Migration(migrations.Migration):
    dependencies = [
        ("segmentation", "0008_assignments_without_customer_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
