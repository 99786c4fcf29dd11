"""The read ledger (one row per reader, article and day), the monthly statements built from it,
and the accounts that see a publisher's statements."""

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


class Statement(models.Model):
    """A month's pay-per-read statement: the pool and how it was worked out.

    Built once from the ledger and then kept as built; only ``broadsheet statements build
    --rebuild`` replaces it (and says so in the audit log). What went into it is stored with it
    (the minimum seconds, the publishers' share, the revenue), so it can be explained later.
    """

    month = models.DateField(unique=True, help_text="First day of the month (UTC)")
    currency = models.CharField(max_length=3, help_text="ISO 4217, upper case")
    pool = models.PositiveBigIntegerField(help_text="Amount shared out, in minor units")
    pool_given = models.BooleanField(
        default=False, help_text="The pool was given with --pool, not worked out from revenue")
    revenue = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The month's paid invoices in this currency (minor "
                                         "units); empty when the pool was given")
    publisher_share = models.DecimalField(
        max_digits=5, decimal_places=4, null=True, blank=True,
        help_text="BROADSHEET_PUBLISHER_SHARE used on the revenue; empty when the pool was given")
    min_seconds = models.PositiveIntegerField(help_text="BROADSHEET_READ_MIN_SECONDS used")
    qualified_reads = models.PositiveIntegerField()
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"statement for {self.label}"

    @property
    def label(self) -> str:
        """The month as the command line writes it: YYYY-MM."""
        return f"{self.month:%Y-%m}"


class StatementLine(models.Model):
    """One publisher's part of a statement; counts only, never who read."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    publisher = models.ForeignKey("sources.Publisher", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="statement_lines")
    publisher_slug = models.SlugField(max_length=200, help_text="As it was when built")
    publisher_name = models.CharField(max_length=200, help_text="As it was when built")
    qualified_reads = models.PositiveIntegerField()
    unique_readers = models.PositiveIntegerField()
    share = models.DecimalField(max_digits=12, decimal_places=10,
                                help_text="Of the month's qualified reads")
    amount = models.PositiveBigIntegerField(help_text="In minor units")

    class Meta:
        ordering = ["-amount", "publisher_slug"]
        constraints = [models.UniqueConstraint(fields=["statement", "publisher_slug"],
                                               name="statement_line_once")]

    def __str__(self) -> str:
        return f"{self.publisher_slug}: {self.amount}"


class PublisherAccount(models.Model):
    """An account that sees one publisher's statements and reads (a publisher's staff)."""

    user = models.ForeignKey("readers.User", on_delete=models.CASCADE,
                             related_name="publisher_accounts")
    publisher = models.ForeignKey("sources.Publisher", on_delete=models.CASCADE,
                                  related_name="accounts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "publisher"],
                                               name="publisher_account_once")]

    def __str__(self) -> str:
        return f"{self.user} for {self.publisher}"


class SiteTemplate(models.Model):
    """One publisher's page template on one host: how many of its pages have been learnt
    (``ingest.templates`` explains the idea; ``publishers.site_templates`` keeps it). Per
    publisher, so that outlets sharing a host (a network, a wire's copies) never share one."""

    publisher = models.ForeignKey("sources.Publisher", on_delete=models.CASCADE,
                                  related_name="+")
    host = models.CharField(max_length=255)
    pages = models.PositiveIntegerField(default=0, help_text="Distinct pages learnt")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["publisher", "host"],
                                               name="site_template_once")]

    def __str__(self) -> str:
        return f"template of {self.host} ({self.pages} pages)"


class SiteBlock(models.Model):
    """A block fingerprint of one host and on how many of its learnt pages it appeared."""

    template = models.ForeignKey(SiteTemplate, on_delete=models.CASCADE, related_name="blocks")
    fingerprint = models.CharField(max_length=16)
    pages = models.PositiveIntegerField(default=1)
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["template", "fingerprint"],
                                               name="site_block_once")]

    def __str__(self) -> str:
        return f"{self.fingerprint} on {self.pages} pages"
