"""Monthly pay-per-read statements: the month's pool shared out by qualified reads.

A read qualifies when the reader was a member or in their trial (``Read.member``) and spent at
least ``BROADSHEET_READ_MIN_SECONDS`` on the article or finished it; the ledger already holds
one row per reader, article and UTC day. Each publisher's amount is the pool times its share of
the month's qualified reads, rounded by the largest remainder so that the amounts add up to the
pool exactly. The statement depends on nothing but the ledger, the pool and the minimum seconds,
so building it again from the same rows gives the same lines; once built it is kept as it is,
and only a rebuild (logged, and written to the audit log) replaces it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from broadsheet.audit.log import record
from broadsheet.readers.models import Payment
from broadsheet.sources.models import Publisher

from .models import Read, Statement, StatementLine

log = logging.getLogger("broadsheet.publishers.statements")

SHARE_PLACES = Decimal("0.0000000001")  # ten places: StatementLine.share
# Currencies whose minor unit is not a hundredth (Stripe's list): a statement writes amounts in
# major units with two decimals, which would be wrong for these.
NOT_TWO_DECIMALS = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF", "BHD", "JOD", "KWD", "OMR", "TND"})
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_POOL = re.compile(r"\d+(\.\d{1,2})?")


class StatementError(ValueError):
    """Input a statement cannot be built from (the message says what to give instead)."""


class AlreadyBuilt(Exception):
    """The month has a statement and no rebuild was asked for."""

    def __init__(self, statement: Statement) -> None:
        super().__init__(f"the statement for {statement.label} is already built")
        self.statement = statement


# -- input ------------------------------------------------------------------------------------

def parse_month(text: str) -> date:
    """``YYYY-MM`` to the first day of that month."""
    match = _MONTH.fullmatch(text.strip())
    if not match:
        raise StatementError(f"the month must be written YYYY-MM, e.g. 2026-11 (got {text!r})")
    return date(int(match[1]), int(match[2]), 1)


def parse_pool(text: str) -> int:
    """A pool in major units (``1000`` or ``1000.50``) to minor units."""
    cleaned = text.strip()
    if not _POOL.fullmatch(cleaned):
        raise StatementError("the pool must be an amount in major units, 0 or more, with at "
                             f"most two decimals, e.g. 1000 or 1000.50 (got {text!r})")
    return int(Decimal(cleaned) * 100)  # the pattern admits only plain decimal numbers


def parse_currency(text: str) -> str:
    """An ISO 4217 code with two decimals, upper case."""
    code = text.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise StatementError(f"the currency must be a three-letter ISO 4217 code such as GBP "
                             f"(got {text!r})")
    if code in NOT_TWO_DECIMALS:
        raise StatementError(f"{code} does not have two decimals; statements write amounts in "
                             "major units with two decimals")
    return code


def month_bounds(month: date) -> tuple[date, date]:
    """The first day of ``month`` and of the month after (UTC days)."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return month, following


# -- the ledger -------------------------------------------------------------------------------

def qualified_reads(start: date, end: date, min_seconds: int | None = None) -> QuerySet[Read]:
    """Reads of UTC days ``start`` to ``end`` (excluded) that are paid for."""
    min_seconds = settings.READ_MIN_SECONDS if min_seconds is None else min_seconds
    return Read.objects.filter(day__gte=start, day__lt=end, member=True).filter(
        Q(seconds__gte=min_seconds) | Q(finished=True))


def readers_by_publisher(reads: QuerySet[Read]) -> dict[int, tuple[int, int]]:
    """Qualified reads and unique readers of each publisher in ``reads``.

    Unique readers are distinct accounts. Rows of deleted accounts (no user) cannot be told
    apart: they count one reader for each day they fall on, since one person's reads of an
    outlet on one day are most likely one visit.
    """
    counts = {row["publisher_id"]: (row["reads"], row["readers"]) for row in
              reads.order_by().values("publisher_id").annotate(
                  reads=Count("id"), readers=Count("user", distinct=True))}
    anonymous = (reads.filter(user__isnull=True).order_by().values("publisher_id")
                 .annotate(days=Count("day", distinct=True)))
    for row in anonymous:
        total, readers = counts[row["publisher_id"]]
        counts[row["publisher_id"]] = (total, readers + row["days"])
    return counts


def month_revenue(month: date, currency: str) -> tuple[int, dict[str, int]]:
    """Paid invoices of ``month`` (UTC) in ``currency``, in minor units; and how many payments
    of that month were in other currencies (left out)."""
    start, end = (datetime.combine(day, time(), tzinfo=UTC) for day in month_bounds(month))
    paid = Payment.objects.filter(paid_at__gte=start, paid_at__lt=end)
    revenue = paid.filter(currency=currency).aggregate(total=Sum("amount_paid"))["total"] or 0
    others = dict(paid.exclude(currency=currency).order_by().values_list("currency")
                  .annotate(n=Count("id")).values_list("currency", "n"))
    return revenue, others


def pool_from_revenue(revenue: int, share: Decimal | float) -> int:
    """The publishers' share of ``revenue``, rounded down: never more than the share."""
    return int((Decimal(revenue) * Decimal(str(share))).to_integral_value(ROUND_DOWN))


def allocate(pool: int, reads: dict[str, int]) -> dict[str, int]:
    """Split ``pool`` by ``reads`` (keyed by slug) with the largest remainder method.

    Everyone gets the whole part of their exact amount; the minor units left over go one each
    to the largest fractions, ties to more reads and then by slug, so the amounts add up to the
    pool exactly and the same reads always give the same split.
    """
    total = sum(reads.values())
    if total == 0:
        return dict.fromkeys(reads, 0)
    amounts = {slug: pool * count // total for slug, count in reads.items()}
    left = pool - sum(amounts.values())
    order = sorted(reads, key=lambda slug: (-(pool * reads[slug] % total), -reads[slug], slug))
    for slug in order[:left]:
        amounts[slug] += 1
    return amounts


# -- building ---------------------------------------------------------------------------------

@dataclass
class Built:
    """What ``build`` did: the statement, what it replaced, and notes for the operator."""

    statement: Statement
    replaced: dict | None = None
    month_over: bool = True
    other_currencies: dict[str, int] = field(default_factory=dict)


def build(month: date, pool: int | None = None, currency: str | None = None,
          rebuild: bool = False, now: datetime | None = None) -> Built:
    """Build (or, with ``rebuild``, build again) the statement of ``month``.

    ``pool`` in minor units; without it, the month's revenue in ``currency`` times
    ``BROADSHEET_PUBLISHER_SHARE``. Raises ``AlreadyBuilt`` for a built month without
    ``rebuild``, ``StatementError`` for a month that has not begun or a negative pool. A month
    under way may be built (reads so far); the command says to rebuild it when it is over.
    """
    now = now or timezone.now()
    if datetime.combine(month, time(), tzinfo=UTC) > now:
        raise StatementError(f"{month:%Y-%m} has not begun: there is nothing to count yet")
    currency = parse_currency(currency or settings.CURRENCY)
    if pool is not None and pool < 0:
        raise StatementError("the pool cannot be negative")
    revenue: int | None = None
    others: dict[str, int] = {}
    share: Decimal | None = None
    if pool is None:
        share = Decimal(str(settings.PUBLISHER_SHARE)).quantize(Decimal("0.0001"))
        revenue, others = month_revenue(month, currency)
        pool = pool_from_revenue(revenue, share)
    min_seconds = settings.READ_MIN_SECONDS
    start, end = month_bounds(month)
    try:
        with transaction.atomic():
            existing = Statement.objects.select_for_update().filter(month=month).first()
            if existing is not None and not rebuild:
                raise AlreadyBuilt(existing)
            before = summary(existing) if existing is not None else None
            statement = existing or Statement(month=month)
            statement.currency = currency
            statement.pool = pool
            statement.pool_given = revenue is None
            statement.revenue = revenue
            statement.publisher_share = share
            statement.min_seconds = min_seconds
            statement.built_at = now
            lines = _lines(qualified_reads(start, end, min_seconds), pool)
            statement.qualified_reads = sum(line.qualified_reads for line in lines)
            statement.save()
            if existing is not None:
                existing.lines.all().delete()
            for line in lines:
                line.statement = statement
            StatementLine.objects.bulk_create(lines)
            after = summary(statement)
            _log(statement, before, after)
    except IntegrityError as error:  # another process built the same month a moment ago
        raise AlreadyBuilt(Statement.objects.get(month=month)) from error
    return Built(statement, before, month_over=now >= datetime.combine(end, time(), tzinfo=UTC),
                 other_currencies=others)


def _lines(reads: QuerySet[Read], pool: int) -> list[StatementLine]:
    counts = readers_by_publisher(reads)
    publishers = {p.pk: p for p in Publisher.objects.filter(pk__in=counts).only("slug", "name")}
    by_slug = {publishers[pk].slug: pk for pk in counts}
    amounts = allocate(pool, {slug: counts[pk][0] for slug, pk in by_slug.items()})
    total = sum(reads for reads, _ in counts.values())
    lines = []
    for slug, pk in sorted(by_slug.items()):
        qualified, readers = counts[pk]
        lines.append(StatementLine(
            publisher=publishers[pk], publisher_slug=slug, publisher_name=publishers[pk].name,
            qualified_reads=qualified, unique_readers=readers, amount=amounts[slug],
            share=(Decimal(qualified) / Decimal(total)).quantize(SHARE_PLACES, ROUND_HALF_EVEN)))
    return lines


def summary(statement: Statement) -> dict:
    """A statement's totals and each publisher's amount, for the audit log."""
    return {"currency": statement.currency, "pool": statement.pool,
            "qualified_reads": statement.qualified_reads,
            "min_seconds": statement.min_seconds,
            "amounts": {line.publisher_slug: line.amount
                        for line in statement.lines.order_by("publisher_slug")}}


def _log(statement: Statement, before: dict | None, after: dict) -> None:
    """Every build goes to the log; a rebuild also to the audit log, with what it replaced."""
    words = (f"pool {after['pool']} {after['currency']} (minor units), "
             f"{after['qualified_reads']} qualified reads, {len(after['amounts'])} publishers")
    if before is None:
        log.info("statement for %s built: %s", statement.label, words)
        action, summary_text = "statement.build", f"Statement for {statement.label} built"
    else:
        log.warning("statement for %s REBUILT: was pool %s %s, %s qualified reads; now %s",
                    statement.label, before["pool"], before["currency"],
                    before["qualified_reads"], words)
        action, summary_text = "statement.rebuild", f"Statement for {statement.label} rebuilt"
    record(None, action, f"statement:{statement.label}", f"{summary_text}: {words}",
           before=before, after=after, reason="broadsheet statements build"
           + (" --rebuild" if before is not None else ""))
