"""Publishers and the sources (feeds, news sitemaps) Broadsheet checks for their articles.

Scheduling state lives on the source row itself, so any worker on any machine can pick up where
another left off.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from broadsheet.freshness import bump_generation


class Publisher(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    homepage_url = models.URLField(max_length=2000, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 country code")
    language = models.CharField(max_length=16, blank=True)
    weight = models.FloatField(
        default=1.0, validators=[MinValueValidator(0.0)],
        help_text="How much this publisher's coverage counts in Top stories: 1 is normal, "
                  "2 counts it twice, 0 not at all")
    feed_only = models.BooleanField(
        default=False,
        help_text="Never fetch this publisher's article pages: its articles are kept as its "
                  "feeds carry them (headline, summary or full text)")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Give a new publisher its slug; pages showing the publisher are stale after a change."""
        if not self.slug:
            self.slug = unique_slug(self.name)
        super().save(*args, **kwargs)
        bump_generation()

    def delete(self, *args, **kwargs) -> tuple[int, dict[str, int]]:
        """Delete the publisher (and its articles); pages that showed them are stale."""
        deleted = super().delete(*args, **kwargs)
        bump_generation()
        return deleted


def unique_slug(name: str) -> str:
    base = slugify(name)[:180] or "publisher"
    slug, n = base, 2
    while Publisher.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class Source(models.Model):
    class Kind(models.TextChoices):
        FEED = "feed", "Feed (RSS, Atom, JSON Feed)"
        SITEMAP = "sitemap", "News sitemap"

    class Status(models.TextChoices):
        NEW = "new", "Not checked yet"
        OK = "ok", "OK"
        ERROR = "error", "Last check failed"
        FAILING = "failing", "Failing"

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FEED)
    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=500, blank=True)
    section = models.CharField(max_length=100, blank=True,
                               help_text="Section given to this source's articles")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Scheduling state.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    next_check_at = models.DateTimeField(default=timezone.now, db_index=True)
    interval_seconds = models.PositiveIntegerField(default=3600)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    consecutive_errors = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    notice = models.CharField(
        max_length=1000, blank=True,
        help_text="What politeness changed in the last check: robots.txt rules, a host that "
                  "asked us to wait, a feed-only publisher")

    class Meta:
        ordering = ["publisher__name", "url"]
        indexes = [models.Index(fields=["enabled", "next_check_at"])]

    def __str__(self) -> str:
        return f"{self.publisher.name}: {self.url}"


class Host(models.Model):
    """What every worker knows about one web host: its robots.txt and whether it asked us to wait.

    One row per origin (``https://example.com:443``). Workers read it before fetching article
    pages and write back what they learnt, so a robots.txt is fetched once a day for all of them,
    a 429 or 503 pauses the host for all of them, and Crawl-delay windows are handed out in turn.
    """

    origin = models.CharField(max_length=300, unique=True)
    robots_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="HTTP status of the last robots.txt fetch; 0: no answer")
    robots_txt = models.TextField(blank=True)
    robots_error = models.CharField(max_length=1000, blank=True)
    robots_fetched_at = models.DateTimeField(null=True, blank=True)
    robots_good_at = models.DateTimeField(
        null=True, blank=True, help_text="When the rules kept here were last read")
    robots_expires_at = models.DateTimeField(null=True, blank=True)
    crawl_delay = models.FloatField(default=0.0, help_text="Seconds, from robots.txt")
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=200, blank=True)
    throttles = models.PositiveIntegerField(
        default=0, help_text="429 or 503 answers in a row (the backoff doubles with each)")
    next_request_at = models.DateTimeField(
        null=True, blank=True,
        help_text="First free start after the Crawl-delay windows handed out")

    class Meta:
        ordering = ["origin"]

    def __str__(self) -> str:
        return self.origin
