"""Three `broadsheet worker` processes share one PostgreSQL and one Redis: no source is fetched
twice at once, no article is stored twice, stories stay whole, and each periodic task runs once
per period however many workers' schedulers enqueue it."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from many_workers_support import (
    Installation,
    database_from,
    migrated_template,  # noqa: F401 - a fixture, used by name
    news_site,
    private_redis,  # noqa: F401 - a fixture, used by name
    story_problems,
    wait_for,
)

pytestmark = pytest.mark.slow  # several worker processes, PostgreSQL and Redis


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_share_sources_articles_stories_and_periods(workers, tmp_path,
                                                            private_redis,  # noqa: F811
                                                            migrated_template):  # noqa: F811
    name = f"bs_many_{workers}_{os.getpid()}"
    with database_from(migrated_template, name) as url, news_site() as site:
        installation = Installation(tmp_path / "home", url, private_redis.url)
        installation.add_sources(site.feed_urls())
        try:
            for _ in range(workers):
                installation.start_worker()
            installation.poll(3)
            first = wait_for(lambda: installation.settled(site.expected_articles()), 60,
                             "every source checked and every article in a story")
            # Due again at once: three schedulers claim them together a second time.
            since = max(s["last_checked_at"] for s in first["sources"])
            installation.python("from django.utils import timezone\n"
                                "from broadsheet.sources.models import Source\n"
                                "Source.objects.update(next_check_at=timezone.now())")
            installation.poll(3)
            state = wait_for(lambda: installation.settled(site.expected_articles(), since), 60,
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
    assert ("broadsheet.poll.tasks.poll_due_sources" in {task for task, _ in runs}), \
        "the workers' schedulers ran no poll"
    twice = [run for run, count in Counter(runs).items() if count > 1]
    assert not twice, f"periodic tasks ran more than once in a period: {twice}"
    assert not [line for line in installation.log_lines() if line.get("level") == "ERROR"]


def test_every_periodic_task_claims_its_period():
    """A task declared with Huey's own decorator would run once per worker each period."""
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "src" / "broadsheet"
    bypassing = [str(path.relative_to(src)) for path in src.rglob("*.py")
                 if path.name != "periodic.py" and "db_periodic_task" in path.read_text()]
    assert bypassing == [], "use broadsheet.periodic.periodic_task in these files"
