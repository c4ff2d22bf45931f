"""TipNotice's tip index goes: tipnotice_unique (tip, type, value) leads with tip (issue 16).

Only the index is dropped (as in tips 0008): Django's AlterField would rebuild the
table on SQLite and drop and re-validate the foreign key on PostgreSQL.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "deconfliction_tipnotice_tip_id_db169706"


class Migration(migrations.Migration):
    dependencies = [
        ("deconfliction", "0006_close_undecidable_pairs"),
        ("tips", "0008_drop_covered_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "deconfliction_tipnotice" ("tip_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="tipnotice",
                    name="tip",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tips.tip",
                    ),
                ),
            ],
        ),
    ]
