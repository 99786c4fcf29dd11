"""A publisher's page (/publisher/): its statements and its articles' qualified reads, for the
accounts linked to it (``broadsheet users publisher EMAIL SLUG``) and staff, nobody else; and
never anything about an individual reader."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.publishers.ledger import record_read
from broadsheet.publishers.models import PublisherAccount, Read
from broadsheet.publishers.statements import build
from broadsheet.readers import commands
from broadsheet.readers.models import Membership, User
from broadsheet.sources.models import Publisher

pytestmark = pytest.mark.django_db

NOV = datetime(2026, 11, 10, 12, tzinfo=UTC)
READER_EMAILS = ("alice.reader@example.org", "bob.reader@example.org")


def users_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="broadsheet")
    commands.add_parser(parser.add_subparsers(dest="command"))
    return commands.run(parser.parse_args(["users", *argv]))


def story(outlet: Publisher, title: str) -> Article:
    slug = re.sub(r"\W+", "-", title.lower())
    return Article.objects.create(publisher=outlet, url=f"https://{outlet.slug}.example/{slug}",
                                  canonical_url=f"https://{outlet.slug}.example/{slug}",
                                  title=title, text="Body", published_at=NOV)


@pytest.fixture
def world():
    """Two publishers, two members who read both in November, and a built statement."""
    gazette = Publisher.objects.create(name="The Harbour Gazette", slug="harbour-gazette")
    herald = Publisher.objects.create(name="Northmoor Herald", slug="northmoor-herald")
    harbour = story(gazette, "Harbour dredging begins")
    ferry = story(gazette, "Ferry timetable cut")
    secret = story(herald, "Herald exclusive on the mayor")
    readers = []
    for email in READER_EMAILS:
        user = User.objects.create_user(email, "a long enough passphrase")
        Membership.objects.create(user=user, state=Membership.State.ACTIVE)
        readers.append(user)
    for user in readers:
        record_read(user, harbour, 120, True, now=NOV)
        record_read(user, secret, 300, True, now=NOV)
    record_read(readers[0], ferry, 45, False, now=NOV)
    build(date(2026, 11, 1), pool=1000_00)  # 5 reads: gazette 3 (600.00), herald 2 (400.00)
    staff_of_gazette = User.objects.create_user("desk@harbour.example", "a long passphrase!")
    PublisherAccount.objects.create(user=staff_of_gazette, publisher=gazette)
    return {"gazette": gazette, "herald": herald, "account": staff_of_gazette,
            "harbour": harbour, "ferry": ferry, "secret": secret}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_linked_account_sees_its_statement_and_reads_by_article(world):
    response = signed_in(world["account"]).get("/publisher/?month=2026-11")
    assert response.status_code == 200
    page = response.content.decode()
    assert "The Harbour Gazette" in page
    row = re.search(r"November 2026</a></td>\s*<td>(\d+)</td><td>(\d+)</td>\s*<td>([\d.]+%)"
                    r"</td><td>([\d.]+ \w+)</td>", page)
    assert row is not None and row.groups() == ("3", "2", "60.00%", "600.00 GBP")
    table = page[page.index('class="log article-reads"'):]
    reads = dict(re.findall(r'">([^<]+)</a></td>\s*<td>(\d+)</td>', table))
    assert reads == {"Harbour dredging begins": "2", "Ferry timetable cut": "1"}
    assert "3 qualified reads from 2 readers, as in the month&#x27;s statement" in page \
        or "3 qualified reads from 2 readers, as in the month's statement" in page
    assert "private" in response["Cache-Control"]


def test_it_shows_nothing_of_other_publishers(world):
    page = signed_in(world["account"]).get("/publisher/?month=2026-11").content.decode()
    assert "Northmoor Herald" not in page
    assert "Herald exclusive on the mayor" not in page
    assert "400.00" not in page


def test_another_publishers_page_is_not_found_like_one_that_does_not_exist(world):
    client = signed_in(world["account"])
    assert client.get("/publisher/northmoor-herald/").status_code == 404
    assert client.get("/publisher/no-such-outlet/").status_code == 404
    assert client.get("/publisher/harbour-gazette/").status_code == 200


def test_an_account_linked_to_nothing_finds_no_publisher_page(world):
    reader = User.objects.get(email=READER_EMAILS[0])
    client = signed_in(reader)
    assert client.get("/publisher/").status_code == 404
    assert client.get("/publisher/harbour-gazette/").status_code == 404


def test_visitors_are_sent_to_sign_in(world, client):
    for path in ("/publisher/", "/publisher/harbour-gazette/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/signin/?next=")
        assert path in response["Location"].replace("%2F", "/")


def test_no_reader_is_identified_anywhere_on_the_page(world):
    page = signed_in(world["account"]).get("/publisher/?month=2026-11").content.decode()
    for email in READER_EMAILS:
        assert email not in page
        assert email.split("@")[0] not in page
    for user in User.objects.filter(email__in=READER_EMAILS):
        assert f"user={user.pk}" not in page and f"/users/{user.pk}" not in page


def test_staff_see_any_publisher(world):
    editor = User.objects.create_user("editor@example.org", "a long passphrase!", is_staff=True)
    client = signed_in(editor)
    page = client.get("/publisher/northmoor-herald/?month=2026-11").content.decode()
    assert "Herald exclusive on the mayor" in page and "400.00 GBP" in page
    listing = client.get("/publisher/").content.decode()
    assert "/publisher/harbour-gazette/" in listing and "/publisher/northmoor-herald/" in listing


def test_an_account_of_two_publishers_chooses_between_them(world):
    PublisherAccount.objects.create(user=world["account"], publisher=world["herald"])
    client = signed_in(world["account"])
    listing = client.get("/publisher/").content.decode()
    assert "/publisher/harbour-gazette/" in listing and "/publisher/northmoor-herald/" in listing
    assert client.get("/publisher/northmoor-herald/").status_code == 200


def test_this_month_so_far_is_shown_by_default(world):
    member = User.objects.get(email=READER_EMAILS[1])
    record_read(member, world["ferry"], 50, False)  # today
    page = signed_in(world["account"]).get("/publisher/").content.decode()
    month = timezone.now().strftime("%B %Y")
    assert f"Qualified reads by article, {month} so far" in page
    assert re.search(r"Ferry timetable cut</a></td>\s*<td>1</td>", page)
    assert "Harbour dredging begins" not in page  # read in November, not this month


def test_a_taken_down_articles_reads_stay_counted(world):
    number = world["harbour"].pk
    world["harbour"].delete()
    assert Read.objects.filter(article_id=number).count() == 2
    page = signed_in(world["account"]).get("/publisher/?month=2026-11").content.decode()
    assert re.search(rf"Article {number} \(taken down\)</td>\s*<td>2</td>", page)


def test_the_account_page_links_to_the_publisher_page(world):
    page = signed_in(world["account"]).get("/account/").content.decode()
    assert 'href="/publisher/harbour-gazette/"' in page
    reader = User.objects.get(email=READER_EMAILS[0])
    assert "/publisher/" not in signed_in(reader).get("/account/").content.decode()


def test_accounts_are_linked_and_unlinked_from_the_command_line(world, capsys):
    reader = User.objects.get(email=READER_EMAILS[0])
    assert users_command("publisher", reader.email, "northmoor-herald") == 0
    assert "now sees Northmoor Herald" in capsys.readouterr().out
    assert users_command("publisher", reader.email, "northmoor-herald") == 0  # again: no change
    assert "already sees" in capsys.readouterr().out
    assert PublisherAccount.objects.filter(user=reader).count() == 1
    assert signed_in(reader).get("/publisher/").status_code == 200
    assert users_command("publisher", reader.email, "northmoor-herald", "--remove") == 0
    assert not PublisherAccount.objects.filter(user=reader).exists()
    assert signed_in(reader).get("/publisher/").status_code == 404
    assert users_command("publisher", reader.email, "no-such-outlet") == 1
    assert "no publisher with the slug 'no-such-outlet'" in capsys.readouterr().err
    assert users_command("publisher", "nobody@example.org", "northmoor-herald") == 1


def test_the_statement_lines_on_the_page_follow_the_built_statement_not_later_reads(world):
    late = User.objects.create_user("late@example.org", "a long enough passphrase")
    Membership.objects.create(user=late, state=Membership.State.ACTIVE)
    record_read(late, world["ferry"], 100, True, now=NOV + timedelta(days=5))
    page = signed_in(world["account"]).get("/publisher/?month=2026-11").content.decode()
    assert "600.00 GBP" in page  # the statement as built
    assert re.search(r"Ferry timetable cut</a></td>\s*<td>2</td>", page)  # reads as they are


def test_statements_are_read_only_and_links_editable_in_the_admin(world):
    admin = User.objects.create_superuser("admin@example.org", "a long passphrase!")
    client = signed_in(admin)
    statement = world["gazette"].statement_lines.get().statement
    assert client.get("/admin/publishers/statement/").status_code == 200
    change = client.get(f"/admin/publishers/statement/{statement.pk}/change/")
    assert change.status_code == 200
    assert "harbour-gazette" in change.content.decode()
    assert 'name="_save"' not in change.content.decode()
    assert client.get("/admin/publishers/statement/add/").status_code == 403
    response = client.post("/admin/publishers/publisheraccount/add/", {
        "user": User.objects.get(email=READER_EMAILS[1]).pk, "publisher": world["herald"].pk})
    assert response.status_code == 302
    assert PublisherAccount.objects.filter(user__email=READER_EMAILS[1],
                                           publisher=world["herald"]).exists()
