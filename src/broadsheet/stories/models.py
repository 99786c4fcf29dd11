"""A story: one event, every outlet's coverage of it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Story(models.Model):
    headline = models.CharField(max_length=1000, blank=True)
    language = models.CharField(max_length=16, blank=True, db_index=True)
    section = models.CharField(max_length=100, blank=True, db_index=True,
                               help_text="The section most of its articles are in")
    first_published_at = models.DateTimeField(db_index=True)
    last_published_at = models.DateTimeField(db_index=True)
    first_publisher = models.ForeignKey("sources.Publisher", on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+")
    article_count = models.PositiveIntegerField(default=0)
    publisher_count = models.PositiveIntegerField(default=0)
    score = models.FloatField(default=0.0, db_index=True, help_text="Top-stories rank")
    scored_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+",
                                    help_text="The story this one was merged into")
    # The editors' desk: what an editor decided stands over what clustering computes.
    edited_headline = models.CharField(max_length=1000, blank=True,
                                       help_text="An editor's title; empty: the automatic one")
    lead_article = models.ForeignKey("articles.Article", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+",
                                     help_text="An editor's choice of the article to lead with")
    hidden_at = models.DateTimeField(null=True, blank=True,
                                     help_text="Hidden from listings by an editor")
    kept_by_desk = models.BooleanField(
        default=False, help_text="Shaped by an editor (merged or split): never absorbed by "
                                 "later clustering")

    class Meta:
        ordering = ["-last_published_at"]
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.title or f"Story {self.pk}"

    @property
    def title(self) -> str:
        """The editor's title, else the automatic one."""
        return self.edited_headline or self.headline


class Topic(models.Model):
    """A person, organisation, place or subject that stories are about."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"
        PLACE = "place", "Place"
        SUBJECT = "subject", "Subject"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    hidden = models.BooleanField(default=False, help_text="Hidden by an editor: not shown or "
                                                          "assigned")
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TopicAlias(models.Model):
    """A normalised name under which a topic is found (``topics.topic_key``)."""

    key = models.CharField(max_length=200, unique=True)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="aliases")

    def __str__(self) -> str:
        return f"{self.key} -> {self.topic}"


class StoryTopic(models.Model):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="story_topics")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="story_topics")
    weight = models.FloatField(default=0.0)
    # Copied from the story so that a topic's page reads its newest stories from one index.
    last_published_at = models.DateTimeField()

    class Meta:
        ordering = ["-weight"]
        constraints = [models.UniqueConstraint(fields=["story", "topic"], name="story_topic_once")]
        indexes = [models.Index("topic", models.F("last_published_at").desc(),
                                name="topic_latest_stories")]
