"""Broadsheet reads a publisher's robots.txt before fetching article pages, and keeps to it:
disallowed pages are never requested (the article is kept from the feed), Crawl-delay spaces the
requests, and the file is read once a day for every worker. Real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from polite_support import (
    POLICY,
    as_another_worker,
    check,
    host_row,
    page_hits,
    publish,
    subscribe,
    teaser,
)

from broadsheet.articles.models import Article
from broadsheet.cli import main
from broadsheet.ingest import robots
from broadsheet.ingest.fetch import Fetcher, FetchPolicy
from broadsheet.ingest.hosts import HostBook
from broadsheet.ingest.polite import Politeness
from broadsheet.sources.hosts import DatabaseHosts
from broadsheet.sources.models import Host, Source

pytestmark = pytest.mark.django_db

TEXT = {"Content-Type": "text/plain"}


# --- the rules ---------------------------------------------------------------------------------


def rules(text: str) -> robots.RobotsFile:
    return robots.from_response("https://news.example:443", 200, text.encode(),
                                datetime.now(UTC))


def test_rules_for_broadsheet_win_over_the_wildcard_group_and_the_longest_match_wins():
    file = rules("User-agent: *\nDisallow: /\n\n"
                 "User-agent: Broadsheet\nDisallow: /news/\nAllow: /news/public/\n"
                 "Disallow: /*.pdf$\n")
    assert file.allows("https://news.example/about")
    assert not file.allows("https://news.example/news/story")
    assert file.allows("https://news.example/news/public/story")
    assert not file.allows("https://news.example/report.pdf")
    assert file.allows("https://news.example/report.pdf?page=2")


def test_a_missing_or_unreachable_file():
    now = datetime.now(UTC)
    missing = robots.from_response("https://news.example:443", 404, b"<html>", now)
    assert missing.allows("https://news.example/anything") and missing.crawl_delay == 0
    down = robots.unreachable("https://news.example:443", 500, "HTTP 500", now)
    assert not down.allows("https://news.example/anything")
    assert down.expires_at == now + robots.RETRY_UNREACHABLE
    # A copy read earlier still stands in while the file cannot be read.
    earlier = rules("User-agent: *\nDisallow: /private/\n")
    stand_in = robots.unreachable(earlier.origin, 0, "timed out", now, earlier)
    assert stand_in.allows("https://news.example/news") and \
        not stand_in.allows("https://news.example/private/x")


# --- pages -------------------------------------------------------------------------------------


def test_disallowed_pages_are_never_requested_and_articles_are_kept_from_the_feed(
        http_server, capsys):
    http_server.route("/robots.txt", body=b"User-agent: *\nDisallow: /news/\n", headers=TEXT)
    slugs = ["harbour-wall", "tram-line"]
    source = subscribe(publish(http_server, slugs))  # the feed itself is under /news/ too
    summary = check(source)

    assert http_server.hits("/news/feed.xml") == 1  # a feed the publisher lists is read
    assert page_hits(http_server, slugs) == 0, [r.path for r in http_server.requests]
    assert summary.total("new") == 2 and summary.total("kept_from_feed") == 2
    article = Article.objects.get(title="Story harbour-wall")
    assert article.text == teaser("harbour-wall")
    source.refresh_from_db()
    expected = (f"robots.txt disallows article pages on 127.0.0.1:{http_server.port}: "
                "articles kept from the feed")
    assert source.notice == expected and source.status == Source.Status.OK
    assert main(["sources", "list"]) == 0
    assert expected in capsys.readouterr().out


def test_allowed_pages_are_fetched_with_a_user_agent_naming_broadsheet(http_server):
    http_server.route("/robots.txt", headers=TEXT, body=(
        b"User-agent: *\nDisallow: /\n\nUser-agent: Broadsheet\nAllow: /news/\n"))
    source = subscribe(publish(http_server, ["harbour-wall"]))
    policy = FetchPolicy.from_settings(allow_private=True, host_delay=0.0)
    assert check(source, policy=policy).total("new") == 1

    assert http_server.hits("/news/harbour-wall") == 1
    assert "Paragraph 3 of the full" in Article.objects.get().text
    for path in ("/robots.txt", "/news/feed.xml", "/news/harbour-wall"):
        agent = http_server.last_request(path).headers["user-agent"]
        assert agent.startswith("Broadsheet/0.1 (+http") and "; contact: " in agent, agent
    source.refresh_from_db()
    assert source.notice == ""


def test_default_user_agent_names_the_site_and_a_contact(monkeypatch):
    from broadsheet.config import settings as config

    monkeypatch.setenv("BROADSHEET_SITE_URL", "https://news.example/")
    monkeypatch.setenv("BROADSHEET_FETCH_CONTACT", "ops@news.example")
    assert config._fetch_user_agent() == \
        "Broadsheet/0.1 (+https://news.example; contact: ops@news.example)"
    monkeypatch.delenv("BROADSHEET_FETCH_CONTACT")
    monkeypatch.setenv("BROADSHEET_EMAIL_FROM", "Broadsheet <desk@news.example>")
    assert config._fetch_user_agent().endswith("contact: desk@news.example)")
    monkeypatch.setenv("BROADSHEET_FETCH_USER_AGENT", "MyNews/2 (+https://my.example)")
    assert config._fetch_user_agent() == "MyNews/2 (+https://my.example)"


def test_no_robots_txt_means_everything_may_be_fetched(http_server):
    source = subscribe(publish(http_server, ["harbour-wall", "tram-line"]))
    assert check(source).total("new") == 2
    assert http_server.hits("/robots.txt") == 1
    assert page_hits(http_server, ["harbour-wall", "tram-line"]) == 2
    assert host_row(http_server).robots_status == 404


# --- read once, for every worker ---------------------------------------------------------------


def test_robots_txt_is_read_once_for_many_pages_runs_and_workers(http_server):
    http_server.route("/robots.txt", body=b"User-agent: *\nAllow: /\n", headers=TEXT)
    first = subscribe(publish(http_server, ["a1", "a2", "a3"], feed_path="/one.xml"))
    second = subscribe(publish(http_server, ["b1", "b2"], feed_path="/two.xml"), name="Ledger")
    assert check(first, second).total("new") == 5
    assert http_server.hits("/robots.txt") == 1

    publish(http_server, ["a1", "a2", "a3", "a4"], feed_path="/one.xml")
    assert check(first).total("new") == 1  # the same process, a later run
    as_another_worker()
    publish(http_server, ["b1", "b2", "b3"], feed_path="/two.xml")
    assert check(second).total("new") == 1  # another worker: the database has the file
    assert http_server.hits("/robots.txt") == 1

    # A day later the file is read again.
    Host.objects.update(robots_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    as_another_worker()
    publish(http_server, ["b1", "b2", "b3", "b4"], feed_path="/two.xml")
    assert check(second).total("new") == 1
    assert http_server.hits("/robots.txt") == 2
    row = host_row(http_server)
    assert row.robots_expires_at - row.robots_fetched_at == robots.KEEP


def test_unreachable_robots_txt_holds_pages_back_until_it_can_be_read(http_server):
    http_server.route("/robots.txt", status=500, body=b"oops")
    source = subscribe(publish(http_server, ["harbour-wall"]))
    summary = check(source)

    assert http_server.hits("/news/harbour-wall") == 0
    assert summary.total("new") == 0 and not summary.failed_articles
    assert [url for url, _ in summary.deferred_articles] == [http_server.url("/news/harbour-wall")]
    source.refresh_from_db()
    assert source.notice.startswith(f"robots.txt on 127.0.0.1:{http_server.port} could not be "
                                    "read (HTTP 500")
    assert source.notice.endswith("article pages wait until it can")
    row = host_row(http_server)
    assert source.next_check_at >= row.robots_expires_at  # no use coming back before
    assert row.robots_status == 500

    check(source)  # before the retry time: nothing asked again
    assert http_server.hits("/robots.txt") == 1

    http_server.route("/robots.txt", status=404)
    Host.objects.update(robots_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    as_another_worker()
    assert check(source).total("new") == 1  # the feed is read whole again: the page was waiting
    assert http_server.hits("/news/harbour-wall") == 1
    source.refresh_from_db()
    assert source.notice == ""


# --- Crawl-delay -------------------------------------------------------------------------------


def starts(server, slugs) -> list[float]:
    return sorted(r.started for slug in slugs for r in server.requests_for("/news/" + slug))


def test_crawl_delay_spaces_page_requests_within_and_across_workers(http_server):
    http_server.route("/robots.txt", body=b"User-agent: *\nCrawl-delay: 1\n", headers=TEXT)
    publish(http_server, ["p1", "p2", "p3"])
    # The feed is on another host name, so that only the pages share the Crawl-delay.
    source = subscribe(f"http://localhost:{http_server.port}/news/feed.xml")
    assert check(source).total("new") == 3
    first = starts(http_server, ["p1", "p2", "p3"])
    assert min(b - a for a, b in zip(first, first[1:], strict=False)) >= 0.9, first

    # Another worker straight after: it waits for the end of the window the first one took.
    as_another_worker()
    publish(http_server, ["p1", "p2", "p3", "p4"])
    assert check(source).total("new") == 1
    assert http_server.hits("/news/p4") == 1
    assert starts(http_server, ["p4"])[0] - first[-1] >= 0.9


def test_pages_past_a_long_crawl_delay_wait_for_a_later_check(http_server):
    http_server.route("/robots.txt", body=b"User-agent: *\nCrawl-delay: 1000\n", headers=TEXT)
    slugs = ["p1", "p2", "p3"]
    source = subscribe(publish(http_server, slugs))
    summary = check(source)
    assert summary.total("new") == 1 and len(summary.deferred_articles) == 2
    assert page_hits(http_server, slugs) == 1
    source.refresh_from_db()
    assert source.notice == (f"robots.txt asks for 1000 s between requests to "
                             f"127.0.0.1:{http_server.port}: 2 article pages wait for a later "
                             "check")
    assert source.etag == ""  # the whole feed is read again next time
    assert check(source).total("new") == 0  # the window is still taken
    assert page_hits(http_server, slugs) == 1


def test_a_policy_host_delay_larger_than_crawl_delay_still_applies(http_server):
    http_server.route("/robots.txt", body=b"User-agent: *\nCrawl-delay: 0.1\n", headers=TEXT)
    source = subscribe(publish(http_server, ["p1", "p2"]))
    policy = POLICY.__class__(**{**POLICY.__dict__, "host_delay": 0.5})
    check(source, policy=policy)
    gaps = starts(http_server, ["p1", "p2"])
    assert gaps[1] - gaps[0] >= 0.45



def test_two_workers_at_once_share_the_crawl_delay(http_server):
    """Two workers, each with its own fetcher and memory, take their windows for one host at the
    same moment and fetch at the same time: the host's pages still start a Crawl-delay apart."""
    http_server.route("/robots.txt", body=b"User-agent: *\nCrawl-delay: 0.5\n", headers=TEXT)
    publish(http_server, ["a1", "a2", "b1", "b2"])
    origin = robots.origin_of(http_server.url("/"))
    mine = {"a": [http_server.url("/news/a1"), http_server.url("/news/a2")],
            "b": [http_server.url("/news/b1"), http_server.url("/news/b2")]}
    with asyncio.Runner() as runner:
        workers = {}
        for name in mine:
            as_another_worker()
            fetcher = Fetcher(POLICY, hosts=HostBook())
            runner.run(fetcher.__aenter__())
            workers[name] = Politeness(fetcher, runner.run, DatabaseHosts())
            verdicts = workers[name].judge(mine[name])
            assert {v.action for v in verdicts.values()} == {"fetch"}
        for worker in workers.values():  # as a pipeline does, just before fetching its pages
            assert worker.reserve({origin: 2}) == {origin: 2}

        async def both() -> None:
            await asyncio.gather(*(workers[name].fetcher.fetch(url)
                                   for name in mine for url in mine[name]))
            for worker in workers.values():
                await worker.fetcher.aclose()

        runner.run(both())
    assert http_server.hits("/robots.txt") == 1
    times = starts(http_server, ["a1", "a2", "b1", "b2"])
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.45, times
