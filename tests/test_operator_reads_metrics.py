"""An operator's Prometheus scrapes /metrics: fetches and their errors, fetch, extraction and
page times, articles stored, stories assigned and the queue, added up over every process.
Open to this machine; elsewhere only with the bearer token. Real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from polite_support import publish
from prometheus_client.parser import text_string_to_metric_families

from broadsheet.cli import main

SRC = Path(__file__).resolve().parent.parent / "src"
TOKEN = "s3cret-scrape-token"


@pytest.fixture(autouse=True)
def local_fetching(settings):
    settings.FETCH = {**settings.FETCH, "allow_private": True, "host_delay": 0.0,
                      "total_timeout": 5.0}
    settings.EXTRACT_WORKERS = 1


def scrape(client: Client | None = None, **headers) -> dict[tuple[str, tuple], float]:
    answer = (client or Client()).get("/metrics", **headers)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("text/plain")
    assert answer["Cache-Control"] == "no-store"
    figures = {}
    for family in text_string_to_metric_families(answer.content.decode()):
        for sample in family.samples:
            figures[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return figures


def figure(figures, name: str, **labels) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_a_fetch_run_is_counted(http_server):
    url = publish(http_server, ["harbour-wall", "tram-line"])
    http_server.route("/gone.xml", status=404)
    before = scrape()
    assert main(["sources", "add", url, "--publisher", "Gazette"]) == 0
    assert main(["sources", "add", http_server.url("/gone.xml"), "--publisher", "Gone"]) in {0, 1}
    assert main(["fetch"]) == 0
    after = scrape()

    def grew(name, **labels):
        return figure(after, name, **labels) - figure(before, name, **labels)

    assert grew("broadsheet_fetches_total", result="ok") >= 3  # the feed and two pages
    assert grew("broadsheet_fetch_errors_total", kind="http_status") >= 1
    assert grew("broadsheet_fetches_total", result="error") >= 1
    assert grew("broadsheet_fetch_duration_seconds_count", result="ok") >= 3
    assert grew("broadsheet_extraction_duration_seconds_count") == 2
    assert grew("broadsheet_articles_stored_total", result="new") == 2
    assert grew("broadsheet_stories_assigned_total") == 2
    assert grew("broadsheet_stories_created_total") >= 1
    assert figure(after, "broadsheet_articles") == 2
    assert figure(after, "broadsheet_articles_without_story") == 0
    assert figure(after, "broadsheet_stories") >= 1
    assert ("broadsheet_queue_pending_tasks", ()) in after


@pytest.mark.django_db
def test_page_times_are_labelled_by_view_not_path():
    client = Client()
    client.get("/")
    client.get("/no-such-page/12345")
    figures = scrape(client)
    assert figure(figures, "broadsheet_page_duration_seconds_count", view="home") >= 1
    assert figure(figures, "broadsheet_page_duration_seconds_count", view="unmatched") >= 1
    views = {dict(labels).get("view") for (name, labels) in figures
             if name == "broadsheet_page_duration_seconds_count"}
    assert not any(view and view.startswith("/") for view in views), views


@pytest.mark.django_db
def test_counts_of_other_processes_are_added_up():
    # Like the worker: another process stores articles; this web process reports them.
    before = figure(scrape(), "broadsheet_articles_stored_total", result="updated")
    code = "from broadsheet import metrics\nfor _ in range(3): metrics.article_stored('updated')"
    environ = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, "-c", code], env=environ, check=True, timeout=60)
    after = figure(scrape(), "broadsheet_articles_stored_total", result="updated")
    assert after - before == 3


@pytest.mark.django_db
def test_other_machines_get_nothing_without_a_token(settings):
    settings.METRICS_TOKEN = ""
    answer = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert answer.status_code == 404
    assert "broadsheet_" not in answer.content.decode()


@pytest.mark.django_db
def test_other_machines_read_them_with_the_token(settings):
    settings.METRICS_TOKEN = TOKEN
    remote = Client(REMOTE_ADDR="203.0.113.9")
    missing = remote.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization" in missing.json()["error"]
    wrong = remote.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401
    assert scrape(remote, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


@pytest.mark.django_db
def test_a_local_proxy_does_not_open_them_to_the_world(settings):
    settings.BEHIND_PROXY = True
    settings.METRICS_TOKEN = ""
    through_proxy = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert through_proxy.get("/metrics").status_code == 404
    assert scrape(Client(REMOTE_ADDR="127.0.0.1"))


def test_metric_files_default_to_ram_named_after_the_home(tmp_path):
    """A full disk under the home must not stop counting: the files live in /dev/shm, one folder
    per home; a machine without /dev/shm keeps them under the home."""
    import hashlib

    from broadsheet.metrics import default_directory

    home = tmp_path / "home"
    ram = tmp_path / "shm"
    ram.mkdir()
    digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
    assert default_directory(home, ram) == ram / f"broadsheet-metrics-{digest}"
    assert default_directory(tmp_path / "other", ram) != default_directory(home, ram)
    assert default_directory(home, tmp_path / "no-shm") == home / "metrics"
