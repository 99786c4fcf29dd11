"""Shared fixtures: the real HTTP server on 127.0.0.1 (``http_server``) comes from netfixture;
a seeded installation in a folder of its own (``installation``) from backup_support."""

from pathlib import Path

import pytest
from backup_support import installation, seeded_home  # noqa: F401 - fixtures, used by name
from netfixture import http_server  # noqa: F401 - a fixture, used by name

# Fixtures that make a test slow by nature: a second process or a server of Django's own, a
# whole installation on disk, a transactional database flushed after the test.
SLOW_FIXTURES = {"live_server", "installation", "seeded_home", "transactional_db"}
E2E_DIR = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests `make test-fast` leaves out: those with a database ("database"), and
    browser tests, tests on a transactional database or a live server, and those marked slow
    by hand (several processes, long runs) ("slow")."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        databases = list(item.iter_markers("django_db"))
        transactional = any(m.kwargs.get("transaction") for m in databases)
        in_browser = E2E_DIR in Path(str(item.fspath)).resolve().parents
        if in_browser or transactional or fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if databases or fixtures & {"db", "transactional_db"}:
            item.add_marker(pytest.mark.database)


@pytest.fixture(autouse=True)
def fresh_story_engines():
    """Each test's database starts empty, so no test may inherit another's in-memory stories."""
    from broadsheet.stories.assign import forget_engines

    forget_engines()
    yield
    forget_engines()


@pytest.fixture(autouse=True)
def quick_hashing(request):
    """A fast hasher keeps the suite quick; tests that check Argon2 restore the real setting.

    In the browser tests it also makes signing in finish while the service worker is still
    installing, the moment a page can be left unclaimed (web/pwa.js asks the worker to claim it).
    """
    request.getfixturevalue("settings").PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Cached pages and counters never carry over from one test to the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_robots_memory():
    """robots.txt files kept in memory never carry over to a test whose server reuses a port."""
    from broadsheet.ingest import robots

    robots.memory.forget()
    yield
    robots.memory.forget()
