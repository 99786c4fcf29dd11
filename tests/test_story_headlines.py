"""A story is titled by the most representative of its articles' plain headlines."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from api_support import make_article, make_publisher

from broadsheet.articles.models import Article
from broadsheet.demo.content import load_articles
from broadsheet.demo.network import DemoNetwork
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.ingest.urls import normalize_url
from broadsheet.poll.pipeline import run_sources
from broadsheet.sources import state
from broadsheet.sources.models import Source
from broadsheet.stories import assign
from broadsheet.stories.headline import HEADLINE_SAMPLE, form_penalty, representative_headline
from broadsheet.stories.models import Story


@dataclass
class Piece:
    title: str
    summary: str = ""


def choose(*titles: str) -> str:
    return representative_headline([Piece(t) for t in titles])


# The rest of one story, as another outlet and a summary would put it.
STORY = [
    "Record storm breaches Port Alder harbour wall, flooding the market square",
    "Port Alder's harbour wall gave way at high tide on Tuesday night as a record storm drove the "
    "sea into the market square. Harbour master Ines Ruiz said the wall would be rebuilt.",
]
PLAIN = "Harbour wall breached as record storm floods Port Alder market square"


def test_a_plain_statement_of_the_event_has_no_penalty():
    assert form_penalty(PLAIN, STORY) == 0
    assert form_penalty("Ministers agree 18 per cent cut in Northern Sea cod quota") == 0
    # A clause before the colon is part of the statement, not a label.
    assert form_penalty("Rovers bring the Cup home: Ferreira's extra-time winner ends "
                        "37-year wait") == 0


@pytest.mark.parametrize("title", [
    "Player ratings: Wrona and Ferreira the heroes as Rovers stun City",
    "Live: harbour wall breached as record storm floods Port Alder",
    "Watch: harbour wall breached as record storm floods Port Alder",
    "Opinion: the harbour wall was always going to fail in a storm",
    "Analysis: harbour wall breach exposes years of missed repairs",
    "Explainer: why the harbour wall failed in the record storm",
    "Factbox: the Port Alder harbour wall and the record storm",
    "In pictures: record storm floods Port Alder market square",
    "Letters: the harbour wall and the storm that broke it",
    "Q&A: the harbour wall breach and the Port Alder flood",
    "Politics | Harbour wall breached as record storm floods Port Alder",
    "Harbour wall breached as record storm floods Port Alder - as it happened",
    "Harbour wall breached as record storm floods Port Alder market: report",
])
def test_a_labelled_form_is_penalised(title):
    assert form_penalty(title, STORY) >= 0.3


@pytest.mark.parametrize("title", [
    "LIVE Harbour wall breached as record storm floods Port Alder",
    "What we know about the harbour wall breach in Port Alder",
    "Everything you need to know about the Port Alder harbour wall breach",
    "Will Port Alder's harbour wall survive another record storm?",
    "'We will rebuild every metre of this wall,' harbour master says",
    "HARBOUR WALL BREACHED AS RECORD STORM FLOODS PORT ALDER",
    "5 things to know about the Port Alder harbour wall breach",
    "Why the Port Alder harbour wall gave way in the record storm",
    "Sea wins! Port Alder harbour wall gives way in record storm",
    "And the storm that broke the harbour wall was...",
    "Wall breached",
    "Harbour wall breached as a record storm, the worst since the harbour master began keeping "
    "records in 1921, drives the sea over the defences and floods the market square in Port "
    "Alder, where traders had only just reopened",
])
def test_other_forms_that_are_not_a_plain_statement_are_penalised(title):
    assert form_penalty(title, STORY) >= 0.2


def test_a_prefix_is_a_name_only_if_the_story_uses_it_as_one():
    titled = "Port Alder: harbour wall breached as record storm floods market square"
    assert form_penalty(titled, STORY) == 0
    assert form_penalty(titled, ["Harbour wall breached in storm"]) > 0
    assert form_penalty("Harbour wall: council to pay for repairs", STORY) > 0
    # An acronym counts as a name only written in capitals elsewhere; a shout does not.
    assert form_penalty("NATO: allies agree to rebuild harbour wall", ["NATO allies meet"]) == 0
    assert form_penalty("BREAKING: allies agree to rebuild harbour wall",
                        ["BREAKING: allies meet", "Allies meet on harbour"]) > 0


def test_a_scare_quote_costs_less_than_a_headline_that_is_mostly_quotation():
    scare = form_penalty("Council blames 'cuts' for harbour wall failure in record storm", STORY)
    mostly = form_penalty("'The cuts broke this wall, not the storm,' says council", STORY)
    assert scare < mostly
    assert form_penalty("Council blames cuts for harbour wall failure in record storm",
                        STORY) <= scare


def test_a_leading_count_the_story_does_not_report_reads_as_a_list():
    reported = [*STORY, "Five people died when the storm hit Port Alder"]
    assert form_penalty("Five killed as storm breaches Port Alder harbour wall", reported) == 0
    assert form_penalty("1,800 jobs as chipmaker Veltrix picks Redwater for new plant") == 0
    unreported = form_penalty("Five killed as storm breaches Port Alder harbour wall", STORY)
    listed = form_penalty("Five things to know about the Port Alder harbour wall", STORY)
    assert 0 < unreported < listed


def test_the_most_shared_plain_headline_wins():
    assert choose(
        "Ferry timetable changes for the winter season",
        "Storm hits Port Alder",
        "Record storm breaches Port Alder harbour wall",
        "Harbour wall gives way as record storm floods Port Alder",
        "Record storm leaves Port Alder harbour wall in ruins",
    ) == "Record storm breaches Port Alder harbour wall"


def test_a_plain_central_headline_wins_over_a_labelled_one():
    labelled = "Analysis: harbour wall breached as record storm floods Port Alder"
    plain = "Harbour wall breached as record storm floods Port Alder"
    other = "Record storm floods Port Alder after harbour wall gives way"
    assert choose(labelled, plain, other) == plain
    assert choose(labelled, other) == other
    # Even when the labelled one is the first and shares the most words.
    assert choose("Live: record storm floods Port Alder as harbour wall breached",
                  other, "Port Alder storm: council to rebuild wall") == other


def test_summaries_count_towards_what_a_story_shares():
    pieces = [
        Piece("Port Alder traders count the cost of the storm",
              "The harbour wall at Port Alder was breached by the sea overnight."),
        Piece("Sea breaches harbour wall in Port Alder",
              "Engineers said the breach was ten metres wide."),
        Piece("Traders count the cost as storm hits Port Alder",
              "The sea broke through the harbour wall, a breach engineers will repair."),
    ]
    # By their headlines alone, the traders are what the story shares; its reports say it is
    # the breach of the wall.
    assert choose(*[p.title for p in pieces]) == pieces[0].title
    assert representative_headline(pieces) == pieces[1].title


def test_the_choice_is_deterministic_and_ties_go_to_the_earliest():
    titles = ["Harbour wall breached in Port Alder storm", "Port Alder storm breaches harbour wall"]
    assert choose(*titles) == titles[0]
    assert choose(*reversed(titles)) == titles[1]
    assert {choose(*titles) for _ in range(5)} == {titles[0]}


def test_edge_cases():
    assert representative_headline([]) == ""
    assert choose("Harbour wall breached") == "Harbour wall breached"
    assert choose("", "Harbour wall breached in storm") == "Harbour wall breached in storm"
    assert choose("", "") == ""
    many = [Piece(f"Ferry timetable {n} changes") for n in range(HEADLINE_SAMPLE)]
    many.append(Piece("Harbour wall breached in storm"))  # beyond the sample: never read
    assert representative_headline(many) != "Harbour wall breached in storm"


def test_stories_still_use_it():
    assert assign.representative_headline is representative_headline


@pytest.mark.django_db
def test_reads_only_loaded_fields_and_uses_a_loaded_summary(django_assert_num_queries):
    publisher = make_publisher("Harbour Gazette 7")
    first = make_article(publisher, 701, title="Port Alder counts the cost of record storm")
    second = make_article(publisher, 702, title="Storm breaches harbour wall in Port Alder")
    Article.objects.filter(pk=first.pk).update(
        summary="A record storm breached the harbour wall in Port Alder overnight.")
    Article.objects.filter(pk=second.pk).update(summary="Traders counted the cost of the storm.")
    deferred = list(Article.objects.filter(pk__in=[first.pk, second.pk]).order_by("id")
                    .only("title"))
    with django_assert_num_queries(0):
        assert representative_headline(deferred)
    loaded = list(Article.objects.filter(pk__in=[first.pk, second.pk]).order_by("id")
                  .only("title", "summary"))
    with django_assert_num_queries(0):
        assert representative_headline(loaded) == second.title


# --------------------------------------------------------------------------- the demo network

LABELLED = "Player ratings: Wrona and Ferreira the heroes as Rovers stun City"


def cup_final() -> list:
    pieces = [a for a in load_articles() if a.story == "cup-final"]
    return sorted(pieces, key=lambda a: -a.hours)  # earliest first, as stories order them


def test_the_demo_cup_final_is_titled_by_a_plain_report_not_the_player_ratings():
    pieces = cup_final()
    assert LABELLED in [a.headline for a in pieces]
    reports = {a.headline for a in pieces} - {LABELLED}
    assert choose(*[a.headline for a in pieces]) in reports
    with_summaries = [Piece(a.headline, a.summary) for a in pieces]
    assert representative_headline(with_summaries) in reports
    # The choice does not depend on which outlet published first.
    assert choose(*[a.headline for a in reversed(pieces)]) in reports


def test_every_demo_story_is_titled_by_a_headline_without_a_label():
    for story in {a.story for a in load_articles()}:
        pieces = sorted((a for a in load_articles() if a.story == story), key=lambda a: -a.hours)
        chosen = choose(*[a.headline for a in pieces])
        plain = [a.headline for a in pieces if form_penalty(a.headline) == 0]
        if plain:
            assert chosen in plain, (story, chosen)


@pytest.mark.django_db
def test_the_ingested_demo_cup_final_story_gets_a_plain_headline():
    with DemoNetwork() as network:
        network.install()
        policy = FetchPolicy(allow_private=True, host_delay=0.0, per_host=8)
        run_sources(state.jobs(Source.objects.order_by("id")), policy=policy, workers=1)
        group = network.stories()["cup-final"]
    articles = Article.objects.filter(canonical_url__in=[normalize_url(d.url) for d in group])
    story = Story.objects.get(pk__in=articles.values("story_id"))
    assert story.headline in {d.headline for d in group} - {LABELLED}
