"""The editorial audit log: every pick, story edit, takedown and topic edit, as it happened.

Entries are written once and never changed: the model refuses updates and deletes, and the
database refuses updates (a trigger), so the log stays a faithful record even for staff who
can reach the admin. The editor is kept by id and address without a foreign key, so that
closing an editor's account leaves their entries intact.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ImmutableError(RuntimeError):
    """Raised on an attempt to change or delete an audit entry."""


class EntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableError("audit entries cannot be changed")

    def delete(self):
        raise ImmutableError("audit entries cannot be deleted")


class EditorialAction(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    editor_id = models.IntegerField(null=True, blank=True, db_index=True)
    editor = models.CharField(max_length=254, blank=True, help_text="The editor's address")
    action = models.CharField(max_length=40, db_index=True, help_text='e.g. "pick.create"')
    target = models.CharField(max_length=100, db_index=True, help_text='e.g. "story:12"')
    summary = models.CharField(max_length=500, help_text="What happened, in words")
    reason = models.CharField(max_length=1000, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.editor}: {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("audit entries cannot be deleted")
