"""Every environment setting is documented, and bad values fail clearly."""

import re
from pathlib import Path

import pytest

from broadsheet.config.database import database_config
from broadsheet.config.env import SETTINGS, SettingError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def test_every_setting_is_in_docs_settings_md():
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", DOCS.read_text()))
    missing = [s.name for s in SETTINGS if s.name not in documented]
    assert not missing, f"add these to docs/settings.md: {missing}"


def test_docs_name_no_setting_that_does_not_exist():
    table = [line for line in DOCS.read_text().splitlines() if line.startswith("| `")]
    named = {re.match(r"\| `([A-Z0-9_]+)`", line).group(1) for line in table}
    assert named == {s.name for s in SETTINGS}


def test_source_code_reads_only_declared_settings():
    """A setting read straight from os.environ somewhere would escape the table and the docs."""
    src = Path(__file__).resolve().parent.parent / "src" / "broadsheet"
    declared = {s.name for s in SETTINGS}
    for path in src.rglob("*.py"):
        pattern = r"environ(?:\.get)?\(?\[?[\"'](BROADSHEET_[A-Z0-9_]+)"
        for name in re.findall(pattern, path.read_text()):
            assert name in declared, f"{path} reads undeclared {name}"


def test_bad_boolean_names_the_variable():
    setting = next(s for s in SETTINGS if s.name == "BROADSHEET_DEBUG")
    with pytest.raises(SettingError, match="BROADSHEET_DEBUG"):
        setting.read({"BROADSHEET_DEBUG": "maybe"})


def test_bad_number_names_the_variable():
    setting = next(s for s in SETTINGS if s.name == "BROADSHEET_FETCH_MAX_BYTES")
    with pytest.raises(SettingError, match="BROADSHEET_FETCH_MAX_BYTES"):
        setting.read({"BROADSHEET_FETCH_MAX_BYTES": "ten megabytes"})


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("", "django.db.backends.sqlite3", "/home/broadsheet.sqlite3"),
        ("sqlite:////data/news.db", "django.db.backends.sqlite3", "/data/news.db"),
        ("postgres://u:p%40ss@db:5433/news", "django.db.backends.postgresql", "news"),
        ("postgresql://postgres@127.0.0.1/test", "django.db.backends.postgresql", "test"),
    ],
)
def test_database_url(url, engine, name):
    config = database_config(url, Path("/home"))
    assert config["ENGINE"] == engine
    assert config["NAME"] == name
    if "p%40ss" in url:
        assert config["PASSWORD"] == "p@ss" and config["PORT"] == "5433"


def test_sqlite_is_shared_safely_by_web_and_worker():
    options = database_config("", Path("/home"))["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "sqlite://"])
def test_unusable_database_url_is_refused(url):
    with pytest.raises(SettingError, match="DATABASE_URL"):
        database_config(url, Path("/home"))
