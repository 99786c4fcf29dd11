"""The full-text search index: SQLite FTS5 or PostgreSQL tsvector, whichever engine is in use.

The statements live in ``broadsheet.articles.search_index``, which the search itself uses to
repair the index; this migration runs them once.
"""

from django.db import migrations

from broadsheet.articles.search_index import run_backward, run_forward


def forward(apps, schema_editor) -> None:
    run_forward(schema_editor)


def backward(apps, schema_editor) -> None:
    run_backward(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
