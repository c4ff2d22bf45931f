from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('deconfliction', '0004_person_keys_v2'),
    ]

    operations = [
        migrations.AddField(
            model_name='flag',
            name='possible',
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name='flag',
            name='status',
            field=models.CharField(choices=[('open', 'Open'), ('linked', 'Linked'), ('dismissed', 'Dismissed'), ('already_linked', 'Already linked'), ('common', 'Folded into a common-value notice')], db_index=True, default='open', max_length=16),
        ),
    ]
