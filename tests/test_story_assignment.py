"""Articles join stories as they are ingested; syndicated copies fold under their original."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from broadsheet.articles.models import Article
from broadsheet.demo.network import DemoNetwork
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.ingest.urls import normalize_url
from broadsheet.poll.pipeline import run_sources
from broadsheet.sources import state
from broadsheet.sources.models import Source
from broadsheet.stories.assign import assign_pending, forget_engines, refresh_stories
from broadsheet.stories.models import Story
from broadsheet.stories.refine import apply_refinement, refine_recent
from broadsheet.stories.refining import Refinement

pytestmark = pytest.mark.django_db

POLICY = FetchPolicy(allow_private=True, host_delay=0.0, per_host=8)


@pytest.fixture
def demo():
    with DemoNetwork() as network:
        network.install()
        summary = run_sources(state.jobs(Source.objects.order_by("id")), policy=POLICY, workers=1)
        assert summary.total("new") >= 36
        yield network


def by_canonical(network) -> dict[str, Article]:
    """The stored article of each demo page, keyed by the page's own URL."""
    articles = {a.canonical_url: a for a in Article.objects.all()}
    return {demo.url: articles[normalize_url(demo.url)] for demo in network.articles()}


def test_every_article_gets_a_story(demo):
    assert not Article.objects.filter(story__isnull=True).exists()
    for story in Story.objects.all():
        members = list(story.articles.order_by("published_at"))
        assert story.article_count == len(members)
        assert story.first_published_at == members[0].published_at
        assert story.first_publisher_id == members[0].publisher_id
        assert story.headline


def test_wire_copies_point_at_the_earliest_original_in_the_same_story(demo):
    articles = by_canonical(demo)
    wire = [d for d in demo.articles() if d.wire]
    assert len(wire) >= 2
    stored = sorted((articles[d.url] for d in wire), key=lambda a: (a.published_at, a.pk))
    original, copies = stored[0], stored[1:]
    assert original.duplicate_of_id is None
    for copy in copies:
        assert copy.duplicate_of_id == original.pk
        assert copy.story_id == original.story_id
    assert Story.objects.get(pk=original.story_id).publisher_count == len(stored)


def test_every_outlets_coverage_of_one_event_is_one_story(demo):
    articles = by_canonical(demo)
    for name, group in demo.stories().items():
        stories = {articles[d.url].story_id for d in group}
        assert len(stories) == 1, (name, [(d.publisher, d.headline) for d in group])
    unrelated = {articles[group[0].url].story_id for group in demo.stories().values()}
    assert len(unrelated) == len(demo.stories())


def test_assignment_is_idempotent_and_survives_a_restart(demo):
    before = dict(Article.objects.values_list("id", "story_id"))
    assert assign_pending() == 0
    forget_engines()  # a new worker process: the engine is rebuilt from the database
    wire = next(d for d in demo.articles() if d.wire)
    original = Article.objects.get(canonical_url=normalize_url(wire.url))
    late = Article.objects.create(
        publisher=original.publisher, url=original.url + "-late",
        canonical_url=original.canonical_url + "-late", title="Late copy: " + original.title,
        text=original.text, language=original.language,
        published_at=original.published_at + timedelta(hours=5))
    assert assign_pending() == 1
    late.refresh_from_db()
    assert late.story_id == original.story_id
    assert late.duplicate_of_id in {original.pk, original.duplicate_of_id}
    assert dict(Article.objects.exclude(pk=late.pk).values_list("id", "story_id")) == before


def test_refine_puts_back_an_article_that_online_assignment_left_apart(demo):
    # As if the article had started a story of its own when it arrived.
    articles = by_canonical(demo)
    group = max(demo.stories().values(), key=len)
    stray = max((articles[d.url] for d in group if not d.wire), key=lambda a: a.published_at)
    home = stray.story_id
    apart = Story.objects.create(first_published_at=stray.published_at,
                                 last_published_at=stray.published_at)
    Article.objects.filter(pk=stray.pk).update(story=apart)
    refresh_stories([home, apart.pk])
    forget_engines()  # the worker restarts and learns the stories from the database
    assert assign_pending([stray.language]) == 0

    assert refine_recent() >= 1

    stray.refresh_from_db()
    assert stray.story_id == home
    apart.refresh_from_db()
    assert apart.merged_into_id == home and apart.article_count == 0
    story = Story.objects.get(pk=home)
    assert story.article_count == story.articles.count() == len(group)


def test_refine_after_a_restart_keeps_every_story_whole_and_apart(demo):
    # A small install: few articles, so every neighbourhood is sparse.
    articles = by_canonical(demo)
    before = dict(Article.objects.values_list("id", "story_id"))
    forget_engines()
    assert assign_pending([next(iter(articles.values())).language]) == 0

    refine_recent()

    assert dict(Article.objects.values_list("id", "story_id")) == before


def test_an_earlier_printing_that_arrives_late_becomes_the_original(demo):
    articles = by_canonical(demo)
    wire = sorted((articles[d.url] for d in demo.articles() if d.wire),
                  key=lambda a: (a.published_at, a.pk))
    original, copies = wire[0], wire[1:]
    forget_engines()  # the backfill is read by a freshly started worker
    earlier = Article.objects.create(
        publisher=copies[0].publisher, url=original.url + "-backfill",
        canonical_url=original.canonical_url + "-backfill", title="Wire: " + original.title,
        text=original.text, language=original.language,
        published_at=original.published_at - timedelta(hours=2))

    assert assign_pending() == 1

    earlier.refresh_from_db()
    assert earlier.duplicate_of_id is None
    assert earlier.story_id == original.story_id
    for article in wire:
        article.refresh_from_db()
        assert article.duplicate_of_id == earlier.pk
    story = Story.objects.get(pk=original.story_id)
    assert story.first_publisher_id == earlier.publisher_id
    assert story.first_published_at == earlier.published_at


def test_a_syndicated_copy_moves_with_its_original(demo):
    articles = by_canonical(demo)
    wire = sorted((articles[d.url] for d in demo.articles() if d.wire),
                  key=lambda a: (a.published_at, a.pk))
    original, copies = wire[0], wire[1:]
    home = original.story_id
    elsewhere = Story.objects.exclude(pk=home).first()

    # The engine moved only the original (it knows every article, copies included).
    apply_refinement(Refinement(moved={str(original.pk): str(elsewhere.pk)}))

    assert set(Article.objects.filter(pk__in=[a.pk for a in wire])
               .values_list("story_id", flat=True)) == {elsewhere.pk}
    elsewhere.refresh_from_db()
    assert elsewhere.article_count == elsewhere.articles.count()
    assert not Article.objects.filter(story_id=home, duplicate_of=original).exists()
    assert len(copies) >= 1


def test_export_carries_story_and_original(demo, capsys):
    from broadsheet.cli import main

    assert main(["articles", "export", "--format", "jsonl"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(r["story_id"] for r in records)
    copies = [r for r in records if r["duplicate_of"]]
    assert copies and all(isinstance(r["duplicate_of"], int) for r in copies)


def test_offline_clustering_command(tmp_path, capsys):
    from broadsheet.cli import main

    lines = [
        {"id": "a", "outlet": "Gazette", "date": "2026-11-25", "url": None,
         "title": "Harbour wall collapses in storm, flooding the old town",
         "text": "The harbour wall in Port Alder collapsed during Tuesday's storm, flooding "
                 "the old town and forcing two hundred residents from their homes."},
        {"id": "b", "outlet": "Ledger", "date": "2026-11-25", "url": None,
         "title": "Port Alder storm: harbour wall gives way and old town floods",
         "text": "Two hundred people left their homes in Port Alder's old town after the "
                 "harbour wall gave way in Tuesday's storm."},
        {"id": "c", "outlet": "Pitchside", "date": "2026-11-25", "url": None,
         "title": "Bhatia century seals one-day series for women's side",
         "text": "Meera Bhatia hit 124 from 118 balls as the home side won by 62 runs."},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines))
    out = tmp_path / "out.jsonl"
    assert main(["stories", "cluster", "--input", str(source), "--output", str(out)]) == 0
    result = {r["id"]: r["story"] for r in map(json.loads, out.read_text().splitlines())}
    assert result["a"] == result["b"] != result["c"]
    source.write_text("{not json")
    assert main(["stories", "cluster", "--input", str(source), "--output", str(out)]) == 0
    assert json.loads(out.read_text())["error"].startswith("line 1: not JSON")
    assert "unreadable lines in" in capsys.readouterr().err
    assert main(["stories", "cluster", "--input", str(tmp_path / "missing.jsonl"),
                 "--output", str(out)]) == 1
