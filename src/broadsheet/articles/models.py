"""The article store: one row per article however often it is seen."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone

from broadsheet.freshness import bump_generation

from .cleaning import clean_article, clean_fields


class ArticleQuerySet(models.QuerySet):
    """Bulk writes clean what they store, as ``Article.save`` does (``articles.cleaning``)."""

    def update(self, **kwargs):
        return super().update(**clean_fields(kwargs))

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for article in objs:
            clean_article(article)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        extra: set[str] = set()
        for article in objs:
            extra |= clean_article(article, set(fields))
        return super().bulk_update(objs, [*fields, *(extra - set(fields))], *args, **kwargs)


class Article(models.Model):
    publisher = models.ForeignKey("sources.Publisher", on_delete=models.CASCADE,
                                  related_name="articles")
    source = models.ForeignKey("sources.Source", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="articles")
    url = models.URLField(max_length=2000, db_index=True,
                          help_text="The link as the source gave it")
    canonical_url = models.URLField(max_length=2000, unique=True)
    guid = models.CharField(max_length=2000, blank=True)
    title = models.CharField(max_length=1000)
    author = models.CharField(max_length=500, blank=True)
    section = models.CharField(max_length=100, blank=True)  # indexed by LOWER(section) below
    published_at = models.DateTimeField(db_index=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=16, blank=True)
    summary = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="Sanitised body HTML")
    text = models.TextField(blank=True, help_text="Plain-text body")
    image_url = models.URLField(max_length=2000, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    content_hash = models.CharField(max_length=64, blank=True)
    story = models.ForeignKey("stories.Story", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="articles")
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="copies", db_index=False,
                                     help_text="The original this syndicated copy repeats")
    story_assigned_at = models.DateTimeField(null=True, blank=True, db_index=True)
    text_trimmed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the body was cut to its teaser (BROADSHEET_KEEP_TEXT_DAYS)")
    hidden_at = models.DateTimeField(null=True, blank=True,
                                     help_text="Hidden from listings by an editor")
    story_pinned_at = models.DateTimeField(
        null=True, blank=True, help_text="Put in its story by an editor: clustering never moves it")

    # Not columns: set on fetched rows by the story queries for cards, pages and the API.
    # Stories sit above articles, so the two story-typed ones are declared without the type.
    also_in: list[Article]  # its syndicated copies, earliest first (``attach_carriers``)
    original: Article | None  # the original this copy repeats (``attach_originals``)
    coverage: Any  # the stories.Story this card leads (``top_entries``, ``topic_latest``)
    topics: list[Any]  # its story's first stories.Topic rows (``attach_topics``)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "guid"], name="article_source_guid",
                                    condition=~models.Q(guid="")),
        ]
        indexes = [
            # Lists read newest first and stop at a page: these indexes hold exactly the rows
            # each kind of list may show, in that order (originals only where copies fold).
            models.Index(F("published_at").desc(), F("id").desc(), name="article_latest_original",
                         condition=models.Q(duplicate_of__isnull=True)),
            models.Index(Lower("section"), F("published_at").desc(), F("id").desc(),
                         name="article_section_original",
                         condition=models.Q(duplicate_of__isnull=True)),
            models.Index(Lower("section"), F("published_at").desc(), name="article_section_copy",
                         condition=models.Q(duplicate_of__isnull=False)),
            # Copies of an original; an index of every row would also hold the originals' NULLs,
            # and SQLite's planner would take it for "originals only" and sort every original.
            models.Index(fields=["duplicate_of"], name="article_copies",
                         condition=models.Q(duplicate_of__isnull=False)),
            models.Index("publisher", F("published_at").desc(), F("id").desc(),
                         name="article_publisher_latest"),
            # Articles still whole, by age: the daily trim finds its work without reading the
            # rows it trimmed before (a column after the bodies is slow to reach in SQLite).
            models.Index(fields=["published_at"], name="article_text_whole",
                         condition=models.Q(text_trimmed_at__isnull=True)),
            # The few articles editors hid (see ``not_hidden``).
            models.Index(fields=["hidden_at"], name="article_hidden",
                         condition=models.Q(hidden_at__isnull=False)),
        ]

    objects = ArticleQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Store only sanitised HTML and clean headlines, whoever writes (admin, API, imports)."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            clean_article(self)
        else:
            fields = set(update_fields)
            also = clean_article(self, fields) - fields
            if also:
                kwargs["update_fields"] = [*update_fields, *also]
        super().save(*args, **kwargs)
        bump_generation()  # pages showing it are stale

    def delete(self, *args, **kwargs) -> tuple[int, dict[str, int]]:
        """Delete the row; pages that listed it are stale."""
        deleted = super().delete(*args, **kwargs)
        bump_generation()
        return deleted

    @property
    def text_trimmed(self) -> bool:
        """Whether only the teaser of the body is kept (the rest is at the publisher)."""
        return self.text_trimmed_at is not None


@receiver(pre_save, sender=Article, dispatch_uid="articles.clean_raw_save")
def _clean_raw_save(sender, instance: Article, raw: bool, **kwargs) -> None:
    """Fixtures (``loaddata``) save rows without calling ``Article.save``: clean them here."""
    if raw:
        clean_article(instance)


HIDDEN_SQL = ("articles_article.id NOT IN (SELECT id FROM articles_article"
              " WHERE hidden_at IS NOT NULL)")


def not_hidden() -> models.Q:
    """Articles no editor hid from listings, as a condition that lists can afford.

    Not ``hidden_at IS NULL`` on each row: in SQLite a column stored after the bodies is slow
    to reach, and lists never read the bodies. The few hidden ids come from their own index,
    once per query.
    """
    hidden = Article.objects.filter(hidden_at__isnull=False).values("pk")
    return ~models.Q(pk__in=hidden)


class Takedown(models.Model):
    """An article an editor removed: its addresses answer 410 Gone and are never fetched again.

    The article's row is deleted; this record keeps what is needed to refuse it later (its
    canonical address, its source and guid) and to answer its old page.
    """

    article_id = models.BigIntegerField(unique=True, help_text="The removed article's number")
    canonical_url = models.URLField(max_length=2000, unique=True)
    url = models.URLField(max_length=2000, blank=True)
    source = models.ForeignKey("sources.Source", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    guid = models.CharField(max_length=2000, blank=True)
    publisher = models.ForeignKey("sources.Publisher", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+")
    title = models.CharField(max_length=1000)
    reason = models.CharField(max_length=1000)
    removed_at = models.DateTimeField(default=timezone.now, db_index=True)
    removed_by = models.ForeignKey("readers.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")

    class Meta:
        ordering = ["-removed_at"]
        indexes = [models.Index(fields=["source", "guid"], name="takedown_source_guid")]

    def __str__(self) -> str:
        return f"Removed: {self.title}"
