"""Sections readers browse by; editors manage them in the admin."""

from __future__ import annotations

from django.db import models

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
