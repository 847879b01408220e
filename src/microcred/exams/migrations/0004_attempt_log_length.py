"""Attempts record their log's length, so appending an event needs no read of the log."""

from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def backfill(apps, schema_editor):
    Attempt = apps.get_model("exams", "Attempt")
    AttemptEvent = apps.get_model("exams", "AttemptEvent")
    last = (
        AttemptEvent.objects.filter(attempt=OuterRef("pk"))
        .values("attempt")
        .annotate(last=Max("sequence"))
        .values("last")
    )
    Attempt.objects.exclude(log_head="").update(log_length=Subquery(last))


class Migration(migrations.Migration):
    dependencies = [("exams", "0003_marking")]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="log_length",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
