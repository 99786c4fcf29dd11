"""Long commands show a progress bar on a terminal and draw nothing when their output is piped:
`broadsheet sources load-catalog` and the store maker of the benchmarks (backup, restore and
copy-to use the same bar, ``broadsheet.ops.progress``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from backup_support import broadsheet, home_env
from shared_data import shared_data
from terminal import Terminal

pytestmark = pytest.mark.slow  # each test runs the command-line program in a process of its own

ROOT = Path(__file__).resolve().parent.parent
MAKE_STORE = [sys.executable, str(ROOT / "bench" / "make_store.py"), "--articles", "400",
              "--readers", "5", "--corpus", str(shared_data("stories/dev.jsonl"))]
ESCAPE = "\x1b["


@pytest.fixture
def home(tmp_path) -> dict[str, str]:
    """A new installation's environment (its own SQLite home), migrated."""
    env = home_env(tmp_path / "home")
    assert broadsheet(env, "migrate").returncode == 0
    return env


def on_a_terminal(argv: list[str], env: dict[str, str], done: str) -> str:
    """Run ``argv`` on a pseudo-terminal until it prints ``done`` and exits; what it drew."""
    with Terminal(argv, env=env) as term:
        term.wait_for(done, timeout=240)
        assert term.wait_exit(timeout=120) == 0, term.screen_text()[-2000:]
        return term.screen_text() + bytes(term.output).decode("utf-8", "replace")


def test_load_catalog_draws_a_bar_on_a_terminal(home):
    drawn = on_a_terminal([sys.executable, "-m", "broadsheet.cli", "sources", "load-catalog"],
                          home, "sources were already present")
    assert "Loading publishers" in drawn
    assert ESCAPE in drawn  # drawn, then taken away (the bar is transient)
    assert "publishers and" in drawn  # the summary stays


def test_load_catalog_piped_prints_only_its_summary(home):
    run = broadsheet(home, "sources", "load-catalog")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert ESCAPE not in run.stdout and "Loading publishers" not in run.stdout
    assert run.stdout.startswith(tuple("123456789")) and "sources added" in run.stdout
    again = broadsheet(home, "sources", "load-catalog")
    assert again.stdout.startswith("0 publishers and 0 sources added")


def test_the_store_maker_draws_a_bar_on_a_terminal_and_nothing_piped(tmp_path):
    terminal_env = home_env(tmp_path / "on-terminal")
    drawn = on_a_terminal(MAKE_STORE, terminal_env, "in all")
    assert "Writing articles" in drawn and "/400" in drawn
    assert "Ranking stories" in drawn

    piped = subprocess.run(MAKE_STORE, env=home_env(tmp_path / "piped"), capture_output=True,
                           text=True, timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert "in all" in piped.stdout
    for stream in (piped.stdout, piped.stderr):
        assert ESCAPE not in stream and "Writing articles" not in stream
