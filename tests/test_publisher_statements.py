"""Publishers' monthly statements: `broadsheet statements build` and `export`, run as the
`broadsheet` command runs them, on the read ledger of a real database."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.articles.models import Article
from broadsheet.audit.models import EditorialAction
from broadsheet.cli import main
from broadsheet.publishers.ledger import record_read
from broadsheet.publishers.models import Read, Statement
from broadsheet.publishers.statements import allocate
from broadsheet.readers.models import Membership, Payment, User
from broadsheet.sources.models import Publisher

pytestmark = pytest.mark.django_db

NOV = datetime(2026, 11, 10, 12, tzinfo=UTC)
CSV_HEADER = "publisher,publisher_name,qualified_reads,unique_readers,share,amount,currency"


def broadsheet(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def publisher(slug: str, name: str | None = None) -> Publisher:
    return Publisher.objects.create(name=name or slug.replace("-", " ").title(), slug=slug)


_article_numbers = iter(range(1, 10**6))


def article(outlet: Publisher) -> Article:
    n = next(_article_numbers)
    return Article.objects.create(publisher=outlet, url=f"https://{outlet.slug}.example/{n}",
                                  canonical_url=f"https://{outlet.slug}.example/{n}",
                                  title=f"Story {n}", text="Body", published_at=NOV)


def reader(email: str, state: str = Membership.State.ACTIVE, staff: bool = False) -> User:
    user = User.objects.create_user(email, "a long enough passphrase", is_staff=staff)
    Membership.objects.create(user=user, state=state,
                              trial_ends_at=NOV + timedelta(days=30)
                              if state == Membership.State.TRIALING else None)
    return user


def ledger_row(user: User | None, item: Article, day: date, seconds: int = 60,
               finished: bool = False, member: bool = True) -> Read:
    """A ledger row as record_read leaves it (for volumes the web would take long to make)."""
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return Read.objects.create(user=user, article=item, publisher_id=item.publisher_id, day=day,
                               seconds=seconds, finished=finished, member=member,
                               first_at=at, last_at=at)


def lines_of(month: str) -> dict[str, tuple[int, int, int]]:
    """slug -> (qualified reads, unique readers, amount in minor units)."""
    statement = Statement.objects.get(month=date.fromisoformat(f"{month}-01"))
    return {line.publisher_slug: (line.qualified_reads, line.unique_readers, line.amount)
            for line in statement.lines.all()}


# -- what qualifies ---------------------------------------------------------------------------

def test_members_and_trial_readers_reads_of_enough_seconds_or_finished_qualify(
        capsys, settings):
    settings.READ_MIN_SECONDS = 30
    gazette, herald = publisher("gazette"), publisher("herald")
    g1, g2, h1 = article(gazette), article(gazette), article(herald)
    member = reader("member@example.org")
    trial = reader("trial@example.org", Membership.State.TRIALING)
    expired = reader("expired@example.org", Membership.State.EXPIRED)
    editor = reader("editor@example.org", staff=True)  # staff with a membership: not paid for
    record_read(member, g1, 30, False, now=NOV)  # exactly the minimum: counts
    record_read(member, g2, 29, False, now=NOV)  # a second short: does not
    record_read(member, h1, 5, True, now=NOV)  # finished: counts
    record_read(trial, g1, 31, False, now=NOV)
    record_read(expired, g1, 600, True, now=NOV)
    record_read(editor, h1, 600, True, now=NOV)

    code, out, _ = broadsheet(capsys, "statements", "build", "--month", "2026-11",
                              "--pool", "30")
    assert code == 0
    assert "Built the statement for 2026-11: pool 30.00 GBP" in out
    assert "3 qualified reads, 2 publishers" in out
    assert lines_of("2026-11") == {"gazette": (2, 2, 2000), "herald": (1, 1, 1000)}


def test_the_minimum_seconds_come_from_the_setting_and_are_kept_with_the_statement(
        capsys, settings):
    gazette = publisher("gazette")
    member = reader("member@example.org")
    record_read(member, article(gazette), 12, False, now=NOV)
    settings.READ_MIN_SECONDS = 10
    assert broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "5")[0] == 0
    statement = Statement.objects.get()
    assert (statement.min_seconds, statement.qualified_reads) == (10, 1)
    settings.READ_MIN_SECONDS = 30
    assert broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "5",
                      "--rebuild")[0] == 0
    statement.refresh_from_db()
    assert (statement.min_seconds, statement.qualified_reads) == (30, 0)


def test_a_read_counts_once_per_reader_article_and_day(capsys):
    gazette = publisher("gazette")
    story = article(gazette)
    member = reader("member@example.org")
    for minute in range(3):  # the page reports three times that day
        record_read(member, story, 40 + minute, False, now=NOV + timedelta(minutes=minute))
    record_read(member, story, 40, False, now=NOV + timedelta(days=1))  # the next day: again
    broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "10")
    assert lines_of("2026-11") == {"gazette": (2, 1, 1000)}


def test_the_month_is_its_utc_days_and_a_month_without_reads_has_no_lines(capsys):
    gazette = publisher("gazette")
    member = reader("member@example.org")
    story = article(gazette)
    ledger_row(member, story, date(2026, 10, 31))
    ledger_row(member, story, date(2026, 12, 1))
    code, out, _ = broadsheet(capsys, "statements", "build", "--month", "2026-11",
                              "--pool", "100")
    assert code == 0
    assert "No qualified reads in 2026-11: the statement has no lines" in out
    statement = Statement.objects.get()
    assert (statement.qualified_reads, statement.pool, statement.lines.count()) == (0, 10000, 0)
    code, out, _ = broadsheet(capsys, "statements", "export", "--month", "2026-11")
    assert out == CSV_HEADER + "\n"


def test_unique_readers_count_accounts_and_deleted_accounts_once_a_day(capsys):
    gazette = publisher("gazette")
    a, b, c = article(gazette), article(gazette), article(gazette)
    one, two = reader("one@example.org"), reader("two@example.org")
    for item in (a, b, c):
        ledger_row(one, item, date(2026, 11, 3))
    ledger_row(two, a, date(2026, 11, 3))
    ledger_row(two, b, date(2026, 11, 4))
    two.delete()  # its rows stay, without a reader: one reader for each day they fall on
    assert Read.objects.filter(user__isnull=True).count() == 2
    broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "1")
    assert lines_of("2026-11") == {"gazette": (5, 1 + 2, 100)}


# -- money ------------------------------------------------------------------------------------

def test_amounts_add_up_exactly_to_the_pool_with_awkward_numbers(capsys):
    member = reader("member@example.org")
    outlets = [publisher(slug) for slug in ("charlie", "alpha", "bravo")]
    for outlet in outlets:
        ledger_row(member, article(outlet), date(2026, 11, 5))
    broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "1000")
    # 100000 pence in three equal parts: the one left over goes by slug, the same every time.
    assert lines_of("2026-11") == {"alpha": (1, 1, 33334), "bravo": (1, 1, 33333),
                                   "charlie": (1, 1, 33333)}


def test_the_largest_remainders_get_the_pennies_left_over(capsys):
    member = reader("member@example.org")
    reads = {"big": 7, "middle": 5, "small": 1}  # 13 reads for 0.10: exact 5.38, 3.85, 0.77
    for slug, count in reads.items():
        outlet = publisher(slug)
        for _ in range(count):
            ledger_row(member, article(outlet), date(2026, 11, 5))
    broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "0.10")
    amounts = {slug: amount for slug, (_, _, amount) in lines_of("2026-11").items()}
    assert amounts == {"big": 5, "middle": 4, "small": 1}
    assert sum(amounts.values()) == 10


@given(pool=st.integers(0, 10**12),
       reads=st.lists(st.integers(0, 10**6), min_size=1, max_size=30).filter(any))
def test_allocation_always_sums_to_the_pool_and_is_within_a_minor_unit(pool, reads):
    weights = {f"p{i:02d}": count for i, count in enumerate(reads)}
    amounts = allocate(pool, weights)
    assert sum(amounts.values()) == pool
    total = sum(reads)
    for slug, count in weights.items():
        assert abs(amounts[slug] * total - pool * count) < total  # less than one minor unit
    assert allocate(pool, dict(reversed(weights.items()))) == amounts


def test_pool_is_given_in_major_units(capsys):
    for text, minor in (("1000", 100000), ("12.5", 1250), ("0.07", 7), ("0", 0)):
        Statement.objects.all().delete()
        code, out, _ = broadsheet(capsys, "statements", "build", "--month", "2026-11",
                                  "--pool", text)
        assert code == 0, text
        assert Statement.objects.get().pool == minor
        assert Statement.objects.get().pool_given


def test_without_a_pool_it_is_the_months_revenue_times_the_publishers_share(capsys, settings):
    settings.PUBLISHER_SHARE = 0.7
    settings.CURRENCY = "GBP"

    def paid(invoice: str, amount: int, at: datetime, currency: str = "GBP") -> None:
        Payment.objects.create(stripe_invoice_id=invoice, amount_paid=amount, currency=currency,
                               paid_at=at)

    paid("in_1", 999, datetime(2026, 11, 1, 0, 0, tzinfo=UTC))
    paid("in_2", 999, datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    paid("in_3", 5, datetime(2026, 11, 15, tzinfo=UTC))
    paid("in_4", 999, datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # next month
    paid("in_5", 999, datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC))  # last month
    paid("in_6", 1500, datetime(2026, 11, 15, tzinfo=UTC), "EUR")  # another currency
    gazette = publisher("gazette")
    ledger_row(reader("member@example.org"), article(gazette), date(2026, 11, 2))

    code, out, err = broadsheet(capsys, "statements", "build", "--month", "2026-11")
    assert code == 0
    statement = Statement.objects.get()
    assert statement.revenue == 2003
    assert statement.pool == 1402  # 2003 * 0.7 = 1402.1, rounded down
    assert not statement.pool_given and str(statement.publisher_share) == "0.7000"
    assert "pool 14.02 GBP (70% of 20.03 GBP revenue)" in out
    assert "left out of the pool (1 in EUR)" in err
    assert lines_of("2026-11") == {"gazette": (1, 1, 1402)}

    code, out, err = broadsheet(capsys, "statements", "build", "--month", "2026-11",
                                "--currency", "eur", "--rebuild")
    assert code == 0
    statement.refresh_from_db()
    assert (statement.currency, statement.revenue, statement.pool) == ("EUR", 1500, 1050)


# -- built once; rebuilt on purpose -------------------------------------------------------------

def _ledger_of_three(member: User) -> None:
    for slug, count in (("gazette", 3), ("herald", 2), ("courier", 2)):
        outlet = publisher(slug, f"The {slug.title()}")
        for _ in range(count):
            ledger_row(member, article(outlet), date(2026, 11, 8))


def test_building_a_built_month_is_refused_and_changes_nothing(capsys):
    _ledger_of_three(reader("member@example.org"))
    assert broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "70")[0] == 0
    before = broadsheet(capsys, "statements", "export", "--month", "2026-11")[1]
    built_at = Statement.objects.get().built_at
    ledger_row(reader("late@example.org"), article(Publisher.objects.get(slug="herald")),
               date(2026, 11, 30))

    code, out, err = broadsheet(capsys, "statements", "build", "--month", "2026-11",
                                "--pool", "99")
    assert code == 2
    assert "the statement for 2026-11 is already built" in err
    assert "give --rebuild to replace it" in err and "Traceback" not in err
    assert out == ""
    assert Statement.objects.get().built_at == built_at
    assert broadsheet(capsys, "statements", "export", "--month", "2026-11")[1] == before
    assert not EditorialAction.objects.filter(action="statement.rebuild").exists()


def test_the_same_ledger_gives_the_same_statement_and_a_rebuild_is_in_the_audit_log(
        capsys, caplog, monkeypatch):
    # Django is set up already; setting it up again would reset the logging caplog listens to.
    monkeypatch.setattr("broadsheet.cli.setup_django", lambda: None)
    _ledger_of_three(reader("member@example.org"))
    broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "70")
    first = broadsheet(capsys, "statements", "export", "--month", "2026-11")[1]
    code, out, _ = broadsheet(capsys, "statements", "build", "--month", "2026-11",
                              "--pool", "70", "--rebuild")
    assert code == 0 and out.startswith("Rebuilt the statement for 2026-11")
    assert broadsheet(capsys, "statements", "export", "--month", "2026-11")[1] == first

    ledger_row(reader("late@example.org"), article(Publisher.objects.get(slug="herald")),
               date(2026, 11, 30))
    with caplog.at_level(logging.INFO, logger="broadsheet.publishers.statements"):
        assert broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "80",
                          "--rebuild")[0] == 0
    assert any(record.levelno == logging.WARNING and "REBUILT" in record.getMessage()
               and "2026-11" in record.getMessage() and "was pool 7000" in record.getMessage()
               for record in caplog.records)
    entry = EditorialAction.objects.filter(action="statement.rebuild").first()
    assert entry.target == "statement:2026-11" and entry.editor == ""
    assert entry.before == {"currency": "GBP", "pool": 7000, "qualified_reads": 7,
                            "min_seconds": 30,
                            "amounts": {"courier": 2000, "gazette": 3000, "herald": 2000}}
    assert entry.after == {"currency": "GBP", "pool": 8000, "qualified_reads": 8,
                           "min_seconds": 30,
                           "amounts": {"courier": 2000, "gazette": 3000, "herald": 3000}}
    assert EditorialAction.objects.filter(action="statement.rebuild").count() == 2
    assert Statement.objects.count() == 1


# -- export -------------------------------------------------------------------------------------

def test_csv_export_has_exactly_the_contract_columns_in_a_fixed_order(capsys):
    _ledger_of_three(reader("member@example.org"))
    broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "1000")
    code, out, err = broadsheet(capsys, "statements", "export", "--month", "2026-11",
                                "--format", "csv")
    assert code == 0 and err == ""
    # 1000.00 by 3:2:2 is 428.571…, 285.714…, 285.714…: the penny left over goes to the largest
    # remainder (the twos), between equals by slug.
    assert out.splitlines() == [
        CSV_HEADER,
        "gazette,The Gazette,3,1,0.4285714286,428.57,GBP",
        "courier,The Courier,2,1,0.2857142857,285.72,GBP",
        "herald,The Herald,2,1,0.2857142857,285.71,GBP",
    ]
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(int(row["amount"].replace(".", "")) for row in rows) == 100000
    # the default format is CSV
    assert broadsheet(capsys, "statements", "export", "--month", "2026-11")[1] == out


def test_csv_quotes_names_with_commas(capsys):
    outlet = publisher("smith-co", "Smith, Jones & Co")
    ledger_row(reader("member@example.org"), article(outlet), date(2026, 11, 8))
    broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "1")
    out = broadsheet(capsys, "statements", "export", "--month", "2026-11")[1]
    assert out.splitlines()[1] == 'smith-co,"Smith, Jones & Co",1,1,1.0000000000,1.00,GBP'


def test_json_export(capsys):
    _ledger_of_three(reader("member@example.org"))
    broadsheet(capsys, "statements", "build", "--month", "2026-11", "--pool", "1000")
    code, out, _ = broadsheet(capsys, "statements", "export", "--month", "2026-11",
                              "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"month", "currency", "pool", "qualified_reads", "lines"}
    assert (document["month"], document["currency"], document["pool"],
            document["qualified_reads"]) == ("2026-11", "GBP", "1000.00", 7)
    assert document["lines"][0] == {
        "publisher": "gazette", "publisher_name": "The Gazette", "qualified_reads": 3,
        "unique_readers": 1, "share": "0.4285714286", "amount": "428.57", "currency": "GBP"}
    assert [line["publisher"] for line in document["lines"]] == ["gazette", "courier", "herald"]


def test_exporting_a_month_not_built_is_a_clear_error(capsys):
    code, out, err = broadsheet(capsys, "statements", "export", "--month", "2026-09")
    assert code == 1 and out == ""
    assert "no statement for 2026-09 has been built" in err


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "message"), [
    (("--month", "2026-13"), "the month must be written YYYY-MM"),
    (("--month", "11-2026"), "the month must be written YYYY-MM"),
    (("--month", "2026-1"), "the month must be written YYYY-MM"),
    (("--month", "2026-11", "--pool", "-5"), "the pool must be an amount in major units, 0 or"),
    (("--month", "2026-11", "--pool", "ten"), "the pool must be an amount"),
    (("--month", "2026-11", "--pool", "1.005"), "at most two decimals"),
    (("--month", "2026-11", "--pool", "1,000"), "the pool must be an amount"),
    (("--month", "2026-11", "--currency", "pounds"), "three-letter ISO 4217 code"),
    (("--month", "2026-11", "--currency", "JPY"), "JPY does not have two decimals"),
])
def test_bad_input_is_a_clear_error_without_a_traceback(capsys, argv, message):
    code, out, err = broadsheet(capsys, "statements", "build", *argv)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert err.startswith("broadsheet statements: ")
    assert not Statement.objects.exists()


def test_a_month_that_has_not_begun_is_refused(capsys):
    code, _, err = broadsheet(capsys, "statements", "build", "--month", "2999-01", "--pool", "1")
    assert code == 2 and "2999-01 has not begun" in err
    assert not Statement.objects.exists()


def test_export_of_a_bad_month_is_refused(capsys):
    code, _, err = broadsheet(capsys, "statements", "export", "--month", "November")
    assert code == 2 and "YYYY-MM" in err
