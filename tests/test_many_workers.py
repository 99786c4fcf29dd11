"""Three `broadsheet worker` processes share one PostgreSQL and one Redis: no source is fetched
twice at once, no article is stored twice, stories stay whole, and each periodic task runs once
per period however many workers' schedulers enqueue it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
from many_workers_support import (
    Installation,
    PrivateRedis,
    database_from,
    migrated_template,  # noqa: F401 - a fixture, used by name
    news_site,
    story_problems,
    wait_for,
)

POLL = ("from broadsheet.sources.tasks import poll_due_sources\n"
        "print(poll_due_sources.call_local())")


def poll_at_once(installation: Installation, pollers: int) -> None:
    """Several schedulers poll at the same moment, as on several machines."""
    script = ("import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
              "'broadsheet.config.settings'); import django; django.setup()\n" + POLL)
    running = [subprocess.Popen([sys.executable, "-c", script], env=installation.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(pollers)]
    for process in running:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]


def settled(installation: Installation, expected: int, checked_after=None):
    """The state once every source was checked (after ``checked_after``) and every article
    placed in a story; None before."""
    state = installation.state()
    checked = all(s["last_checked_at"] and (checked_after is None
                                            or s["last_checked_at"] > checked_after)
                  for s in state["sources"])
    placed = all(a["story_id"] for a in state["articles"])
    return state if checked and placed and len(state["articles"]) >= expected else None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_share_sources_articles_stories_and_periods(workers, tmp_path, private_redis,
                                                            migrated_template):  # noqa: F811
    name = f"bs_many_{workers}_{os.getpid()}"
    with database_from(migrated_template, name) as url, news_site() as site:
        installation = Installation(tmp_path / "home", url, private_redis.url)
        installation.add_sources(site.feed_urls())
        try:
            for _ in range(workers):
                installation.start_worker()
            poll_at_once(installation, 3)
            first = wait_for(lambda: settled(installation, site.expected_articles()), 60,
                             "every source checked and every article in a story")
            # Due again at once: three schedulers claim them together a second time.
            since = max(s["last_checked_at"] for s in first["sources"])
            installation.python("from django.utils import timezone\n"
                                "from broadsheet.sources.models import Source\n"
                                "Source.objects.update(next_check_at=timezone.now())")
            poll_at_once(installation, 3)
            state = wait_for(lambda: settled(installation, site.expected_articles(), since), 60,
                             "every source checked a second time")
        finally:
            installation.stop_workers()

    assert not site.overlapping_fetches(), "a source was fetched twice at once"
    assert Counter(path for path, _, _ in site.visits) == {
        f"/feed/{n}.xml": 2 for n in range(site.sources)}, "each feed once per round"
    urls = [a["url"] for a in state["articles"]]
    assert len(urls) == site.expected_articles() and len(set(urls)) == len(urls)
    assert story_problems(state) == []
    runs = installation.periodic_runs()
    assert ("broadsheet.sources.tasks.poll_due_sources" in {task for task, _ in runs}), \
        "the workers' schedulers ran no poll"
    twice = [run for run, count in Counter(runs).items() if count > 1]
    assert not twice, f"periodic tasks ran more than once in a period: {twice}"
    assert not [line for line in installation.log_lines() if line.get("level") == "ERROR"]
