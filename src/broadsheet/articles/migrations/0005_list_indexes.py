"""Indexes that hold exactly the rows each kind of list shows, newest first."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0004_text_retention'),
        ('sources', '0003_publisher_weight_not_negative'),
        ('stories', '0002_merged_into'),
    ]

    operations = [
        # The plain indexes of section and duplicate_of give way to the ones below. Dropped by
        # name, so that SQLite does not copy the whole table to change a field's index.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='article',
                    name='section',
                    field=models.CharField(blank=True, max_length=100),
                ),
                migrations.AlterField(
                    model_name='article',
                    name='duplicate_of',
                    field=models.ForeignKey(blank=True, db_index=False, help_text='The original this syndicated copy repeats', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='copies', to='articles.article'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    ["DROP INDEX IF EXISTS articles_article_section_1dac6087",
                     "DROP INDEX IF EXISTS articles_article_section_1dac6087_like",
                     "DROP INDEX IF EXISTS articles_article_duplicate_of_id_fa231b57"],
                    ["CREATE INDEX articles_article_section_1dac6087 ON articles_article (section)",
                     "CREATE INDEX articles_article_duplicate_of_id_fa231b57"
                     " ON articles_article (duplicate_of_id)"]),
            ],
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='articles_ar_publish_f5cb48_idx',
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(models.OrderBy(models.F('published_at'), descending=True), models.OrderBy(models.F('id'), descending=True), condition=models.Q(('duplicate_of__isnull', True)), name='article_latest_original'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(django.db.models.functions.text.Lower('section'), models.OrderBy(models.F('published_at'), descending=True), models.OrderBy(models.F('id'), descending=True), condition=models.Q(('duplicate_of__isnull', True)), name='article_section_original'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(django.db.models.functions.text.Lower('section'), models.OrderBy(models.F('published_at'), descending=True), condition=models.Q(('duplicate_of__isnull', False)), name='article_section_copy'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(models.F('publisher'), models.OrderBy(models.F('published_at'), descending=True), models.OrderBy(models.F('id'), descending=True), name='article_publisher_latest'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('duplicate_of__isnull', False)), fields=['duplicate_of'], name='article_copies'),
        ),
    ]
