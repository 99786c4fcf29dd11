"""Clean the articles stored before every write was cleaned.

Bodies edited in the admin were stored as typed (a ``<script>`` included); headlines, authors and
summaries kept bidirectional overrides and zero-width characters. Each row is passed through
``broadsheet.articles.cleaning`` once, in batches; only rows that change are written.
"""

from types import SimpleNamespace

from django.db import migrations

BATCH = 500
FIELDS = ("url", "title", "author", "summary", "html", "text", "word_count", "text_trimmed_at")
WRITTEN = ("title", "author", "summary", "html", "text", "word_count")


def clean_rows(apps, schema_editor) -> None:
    from broadsheet.articles.cleaning import clean_article

    Article = apps.get_model("articles", "Article")
    last = 0
    while True:
        rows = list(Article.objects.filter(pk__gt=last).order_by("pk")
                    .values("pk", *FIELDS)[:BATCH])
        if not rows:
            return
        for row in rows:
            article = SimpleNamespace(**row)
            clean_article(article)
            changed = {name: getattr(article, name) for name in WRITTEN
                       if getattr(article, name) != row[name]}
            if changed:
                Article.objects.filter(pk=row["pk"]).update(**changed)
        last = rows[-1]["pk"]


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0006_desk_and_takedowns"),
    ]

    operations = [migrations.RunPython(clean_rows, migrations.RunPython.noop, elidable=True)]
