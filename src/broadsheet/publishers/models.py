"""The read ledger: one row per reader, article and day."""

from __future__ import annotations

from django.db import models


class Read(models.Model):
    """A reader's reading of one article on one UTC day; repeats keep the most seconds.

    The ledger outlives what it counts: the article may be taken down (its number stays, without a
    database constraint) and the account deleted (the row stays, anonymous), so a month's
    statement can always be built again from the same rows. ``publisher`` is who is paid for it:
    the outlet of the article the reader opened (see docs/decisions/0004-who-is-paid.md).
    """

    user = models.ForeignKey("readers.User", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    article = models.ForeignKey("articles.Article", on_delete=models.DO_NOTHING,
                                db_constraint=False, related_name="+")
    publisher = models.ForeignKey("sources.Publisher", on_delete=models.PROTECT,
                                  related_name="reads")
    day = models.DateField(help_text="UTC day of the reading")
    seconds = models.PositiveIntegerField(default=0, help_text="Most seconds reported that day")
    finished = models.BooleanField(default=False, help_text="Reached the end of the article")
    member = models.BooleanField(
        default=False, help_text="The reader could read full text (member or trial) when reading")
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "article", "day"],
                                               name="read_once_a_day")]
        indexes = [models.Index(fields=["day", "publisher"], name="read_day_publisher"),
                   models.Index(fields=["user", "day"], name="read_user_day")]

    def __str__(self) -> str:
        return f"read of article {self.article_id} on {self.day}"
