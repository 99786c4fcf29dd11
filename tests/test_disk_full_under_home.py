"""The disk under the SQLite home fills up (a small tmpfs): a fetch stops with one clear line
saying what to do, nothing stored is lost, the metric files (in RAM) are unharmed, and the same
command after space is freed stores everything once."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from many_workers_support import Installation, need, news_site

pytestmark = pytest.mark.slow  # a mounted filesystem and a fetch process


@pytest.fixture
def small_disk(tmp_path):
    """A 32 MB tmpfs; mounting needs root (the suite runs as root in CI, where a refusal fails)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    need(done.returncode == 0, f"cannot mount a tmpfs: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(disk: Path) -> Path:
    """Write zeros until the disk is full; the file to remove to free the space."""
    filler = disk / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)
    assert shutil.disk_usage(disk).free < 1024 * 1024
    return filler


def articles(home: Path) -> list[str]:
    with sqlite3.connect(home / "broadsheet.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return [url for (url,) in connection.execute("SELECT url FROM articles_article")]


def fetch(installation: Installation) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "broadsheet.cli", "fetch"],
                          env=installation.env, capture_output=True, text=True, timeout=300)


def test_a_full_disk_stops_a_fetch_clearly_and_loses_nothing(small_disk, seeded_home):
    home = small_disk / "home"
    shutil.copytree(seeded_home, home)
    with news_site(delay=0.0) as site:
        installation = Installation(home, "", "", BROADSHEET_LOG_FORMAT="plain")
        del installation.env["PROMETHEUS_MULTIPROC_DIR"]  # the default: a folder in RAM
        installation.python("from broadsheet.sources.models import Source\n"
                            "Source.objects.update(enabled=False)")
        installation.add_sources(site.feed_urls())
        before = articles(home)

        filler = fill(small_disk)
        stopped = fetch(installation)
        assert stopped.returncode == 75, stopped.stderr[-2000:]
        assert "disk under BROADSHEET_HOME is full" in stopped.stderr
        assert "Traceback" not in stopped.stderr
        filler.unlink()
        assert articles(home) == before, "a stored article was lost"

        done = fetch(installation)
        assert done.returncode == 0, done.stderr[-2000:]
        again = fetch(installation)
        assert again.returncode == 0, again.stderr[-2000:]
    after = articles(home)
    new = [url for url in after if url not in before]
    assert len(new) == site.expected_articles() and len(set(after)) == len(after)
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:12]
    metrics = Path(f"/dev/shm/broadsheet-metrics-{digest}")
    try:
        assert list(metrics.glob("*.db")), "no metric files in RAM"
        assert not (home / "metrics").exists()
    finally:
        shutil.rmtree(metrics, ignore_errors=True)
