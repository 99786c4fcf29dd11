"""Shared fixtures: the real HTTP server on 127.0.0.1 (``http_server``) comes from netfixture."""

import pytest
from netfixture import http_server  # noqa: F401 - a fixture, used by name


@pytest.fixture(autouse=True)
def fresh_story_engines():
    """Each test's database starts empty, so no test may inherit another's in-memory stories."""
    from broadsheet.stories.assign import forget_engines

    forget_engines()
    yield
    forget_engines()
