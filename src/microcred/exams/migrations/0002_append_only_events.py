"""The attempt log refuses UPDATE (and, on PostgreSQL, DELETE) in the database itself, not only
in the model."""

from django.db import migrations

_SQLITE = [
    """CREATE TRIGGER exams_attemptevent_no_update BEFORE UPDATE ON exams_attemptevent
       BEGIN SELECT RAISE(ABORT, 'attempt events are append-only'); END""",
    # No DELETE trigger on SQLite: a test database's flush deletes rows in no fixed order and
    # SQLite has no session setting to tell it from tampering. Deleting is refused by the
    # model and its queryset there, and a deleted event breaks the verified chain.
]
_POSTGRESQL = [
    """CREATE FUNCTION exams_attemptevent_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'attempt events are append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER exams_attemptevent_append_only BEFORE UPDATE OR DELETE
       ON exams_attemptevent FOR EACH ROW EXECUTE FUNCTION exams_attemptevent_append_only()""",
]


def create_triggers(apps, schema_editor):
    statements = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(schema_editor.connection.vendor)
    for statement in statements or []:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS exams_attemptevent_no_update")
    elif vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS exams_attemptevent_append_only ON exams_attemptevent"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS exams_attemptevent_append_only()")


class Migration(migrations.Migration):
    dependencies = [("exams", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
