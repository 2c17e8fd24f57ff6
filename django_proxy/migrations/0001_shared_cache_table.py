"""The table of the shared cache (rate limits, login throttle): made by `migrate`, so that
`make run` and every deployment need no separate `createcachetable` step."""

from __future__ import annotations

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:  # noqa: ANN001
    # Idempotent: an existing table is kept. Without a database cache configured (Redis), a no-op.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
