"""Sections readers browse by; editors manage them in the admin."""

from __future__ import annotations

from django.db import models

from broadsheet.freshness import bump_generation

MAIN_SECTIONS = ("World", "Politics", "Business", "Technology", "Science", "Sport", "Culture")


class Section(models.Model):
    """A section of the app. Articles belong to it when their ``section`` matches its name."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=100, help_text="Order in navigation")
    in_navigation = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Store the section; navigation and section pages are stale after a change."""
        super().save(*args, **kwargs)
        bump_generation()

    def delete(self, *args, **kwargs) -> tuple[int, dict[str, int]]:
        """Delete the section; navigation and section pages are stale."""
        deleted = super().delete(*args, **kwargs)
        bump_generation()
        return deleted


class Pick(models.Model):
    """An editor's pick: a story or an article, on the home page or on one section's page.

    Live between ``starts_at`` and ``ends_at`` (either may be empty); shown in ``position`` order,
    1 first, among the picks of the same place.
    """

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, null=True, blank=True,
                              related_name="picks")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="picks")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="picks", help_text="Empty: the home page")
    note = models.CharField(max_length=300, blank=True,
                            help_text="One or two sentences shown with the pick")
    position = models.PositiveIntegerField(default=1)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("readers.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(story__isnull=False, article__isnull=True)
                           | models.Q(story__isnull=True, article__isnull=False)),
                name="pick_story_or_article"),
        ]
        indexes = [models.Index(fields=["section", "position"], name="pick_place_order")]

    def __str__(self) -> str:
        return f"Pick {self.position}: {self.story or self.article}"


class Interest(models.Model):
    """What For you has learned a reader likes: a topic, section or publisher, with a weight.

    The weight decays with time (``foryou.interests``): ``weight`` is its value at
    ``updated_at``. Learned from reads, saves and clicks from For you; the reader may remove any.
    """

    class Kind(models.TextChoices):
        TOPIC = "topic", "Topic"
        SECTION = "section", "Section"
        PUBLISHER = "publisher", "Publisher"

    user = models.ForeignKey("readers.User", on_delete=models.CASCADE, related_name="interests")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=200, help_text="The topic's, section's or publisher's slug")
    label = models.CharField(max_length=200, help_text="Its name, as the reader sees it")
    weight = models.FloatField(default=0.0)
    reads = models.PositiveIntegerField(default=0, help_text="Articles that taught it")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-weight"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"],
                                               name="interest_once")]

    def __str__(self) -> str:
        return f"{self.user} likes {self.kind} {self.label}"


class Fewer(models.Model):
    """"Show fewer like this": For you leaves out this topic, section or publisher."""

    user = models.ForeignKey("readers.User", on_delete=models.CASCADE, related_name="fewer")
    kind = models.CharField(max_length=16, choices=Interest.Kind.choices)
    key = models.CharField(max_length=200)
    label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"],
                                               name="fewer_once")]

    def __str__(self) -> str:
        return f"{self.user}: fewer {self.kind} {self.label}"


class ForYouReset(models.Model):
    """When a reader last reset For you: nothing they did before it counts any more."""

    user = models.OneToOneField("readers.User", on_delete=models.CASCADE,
                                related_name="for_you_reset")
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} reset For you at {self.at:%Y-%m-%d %H:%M}"


class Briefing(models.Model):
    """A reader's daily briefing email: whether they want it, and when (their local hour)."""

    user = models.OneToOneField("readers.User", on_delete=models.CASCADE,
                                related_name="briefing")
    enabled = models.BooleanField(default=False)
    hour = models.PositiveSmallIntegerField(
        default=7, help_text="Local hour (0-23) from which the day's briefing is sent")
    time_zone = models.CharField(max_length=64, help_text="IANA name, e.g. Europe/London")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(hour__gte=0, hour__lte=23),
                                              name="briefing_hour_0_23")]
        indexes = [models.Index(fields=["time_zone", "hour"], name="briefing_due",
                                condition=models.Q(enabled=True))]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"{self.user}: briefing {state} at {self.hour:02d}:00 {self.time_zone}"


class BriefingDelivery(models.Model):
    """One reader's briefing for one local date: the claim that makes it go out at most once.

    The row is written before anything is sent (the unique constraint lets one worker have it),
    ``handed_at`` just before the email goes to the mail server, ``sent_at`` once it took it.
    A claim never handed over is released when sending fails, or after a while when its worker
    died; one handed over is never sent again (see docs/operations.md, "Daily briefing").
    """

    user = models.ForeignKey("readers.User", on_delete=models.CASCADE,
                             related_name="briefing_deliveries")
    local_date = models.DateField(help_text="The reader's date, in their time zone")
    claimed_at = models.DateTimeField()
    handed_at = models.DateTimeField(null=True, blank=True,
                                     help_text="When the email was handed to the mail server")
    sent_at = models.DateTimeField(null=True, blank=True,
                                   help_text="When the mail server accepted it")
    items = models.PositiveSmallIntegerField(default=0, help_text="Articles in the email")
    error = models.CharField(max_length=300, blank=True,
                             help_text="Why it may not have arrived (never sent again)")

    class Meta:
        ordering = ["-local_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "local_date"],
                                               name="briefing_once_a_day")]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "claimed"
        return f"{self.user}: briefing of {self.local_date} {state}"
