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

    class Meta:
        ordering = ["-last_published_at"]
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.headline or f"Story {self.pk}"
