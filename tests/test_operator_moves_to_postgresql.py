"""`broadsheet copy-to DATABASE_URL`: a SQLite installation moved to PostgreSQL, rows checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from backup_support import broadsheet, fresh_postgres, helper, helper_json, home_env, server_url

WORDS = ["lighthouse", "harbour", "résumé", "tide number 3", '"sea wall" -café', "東京"]


@pytest.fixture
def target():
    with fresh_postgres(f"h_backup_copy_{os.getpid()}") as url:
        yield url


def _copied(home: Path, target: str, *extra: str):
    run = broadsheet(home_env(home), "copy-to", target, *extra)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def test_every_row_arrives_checked_and_search_finds_the_same(installation, target):
    source_env, target_env = home_env(installation), home_env(installation, target)
    run = _copied(installation, target)

    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.endswith("ok")}
    for table in ("articles_article", "stories_story", "stories_storytopic", "curation_pick",
                  "readers_follow", "readers_savedarticle", "readers_readinghistory",
                  "publishers_read", "api_apitoken", "audit_editorialaction", "django_session",
                  "auth_permission"):
        assert table in lines, run.stdout
    assert "MISMATCH" not in run.stdout and "Copied and checked" in run.stdout
    source, copied = helper_json(source_env, "digest"), helper_json(target_env, "digest")
    assert copied == source
    assert source["articles_article"][0] == 13 and source["readers_follow"][0] == 3
    assert source["curation_pick"][0] == 2 and source["api_apitoken"][0] == 1
    for words in WORDS:
        found = helper_json(source_env, "search", words)
        assert found and helper_json(target_env, "search", words) == found, words
    new_id = helper_json(target_env, "add-article")  # the sequences moved past the copied ids
    assert new_id > 13


def test_a_target_with_data_is_refused_unless_replaced(installation, target):
    _copied(installation, target)
    target_env = home_env(installation, target)
    helper(target_env, "add-article")
    before = helper_json(target_env, "digest")

    refused = broadsheet(home_env(installation), "copy-to", target)

    assert refused.returncode == 1
    assert "the target database is not empty" in refused.stderr
    assert "articles_article" in refused.stderr and "--replace" in refused.stderr
    assert helper_json(target_env, "digest") == before
    _copied(installation, target, "--replace")
    assert helper_json(target_env, "digest") == helper_json(home_env(installation), "digest")


def test_a_database_only_migrated_counts_as_empty(installation, target):
    migrated = broadsheet(home_env(installation, target), "migrate")
    assert migrated.returncode == 0, migrated.stderr
    _copied(installation, target)


def test_a_row_changed_on_the_way_is_reported(installation, target):
    run = helper(home_env(installation), "copy-corrupting", target, "--replace",
                 expect_failure=True)
    assert run.returncode == 1
    [line] = [line for line in run.stdout.splitlines() if "MISMATCH" in line]
    assert line.startswith("articles_article")
    assert "1 rows differ, first keys: 4" in run.stdout
    assert "the target does not match: articles_article" in run.stderr


def test_wrong_addresses_get_clear_errors(installation, tmp_path):
    env = home_env(installation)
    for url, message in [("sqlite:///elsewhere.sqlite3", "needs a PostgreSQL address"),
                         (server_url("h_backup_no_such_database"), "cannot connect to")]:
        run = broadsheet(env, "copy-to", url)
        assert run.returncode == 1 and message in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
    from_postgres = broadsheet(home_env(tmp_path, server_url("postgres")), "copy-to",
                               server_url("other"))
    assert from_postgres.returncode == 1 and "already uses PostgreSQL" in from_postgres.stderr
