"""Story topics: one topic per entity, honorifics dropped, no sentence-initial or generic words,
kinds, subjects, other languages, determinism, and a floor on precision and recall over the
labelled stories (tests/fixtures/topics/labelled.jsonl, scored as bench/topics.py scores them)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils.text import slugify

from broadsheet.stories.topics import TopicDoc, story_topics, topic_key

REPO = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_topics", REPO / "bench" / "topics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _by_name(topics):
    return {t.name: t for t in topics}


TRUMP_STORY = [
    TopicDoc("Trump to lift steel tariffs on Canada and Mexico",
             "President Donald Trump said on Friday that the United States would lift tariffs on "
             "steel imported from Canada and Mexico. Mr Trump told reporters at the White House "
             "that the move would help farmers. Officials said the tariffs would end within days."),
    TopicDoc("US lifts steel tariffs on neighbours",
             "Washington will remove its duty on steel from Canada, the governments said. Trump "
             "had imposed the tariffs a year ago. The U.S. economy has slowed since."),
    TopicDoc("Canada welcomes end of steel tariffs",
             "Canadian officials said the lifting of American tariffs on steel was good news. "
             "President Trump spoke to Prime Minister Justin Trudeau by phone on Thursday. "
             "Trudeau said Canada would drop its own tariffs on goods from America."),
]


def test_one_topic_per_person_named_in_full():
    topics = story_topics(TRUMP_STORY)
    trumps = [t for t in topics if "trump" in topic_key(t.name)]
    assert [t.name for t in trumps] == ["Donald Trump"]
    assert trumps[0].kind == "person"
    assert {"Trump", "President Trump", "Mr Trump"} <= set(trumps[0].aliases)
    assert _by_name(topics)["Justin Trudeau"].kind == "person"


def test_united_states_and_its_other_names_are_one_topic():
    places = [t for t in story_topics(TRUMP_STORY) if t.kind == "place"]
    names = [t.name for t in places]
    assert names.count("United States") == 1
    assert not {"US", "U.S.", "America", "American"} & set(names)
    assert {"US", "U.S."} <= set(_by_name(places)["United States"].aliases)
    assert "Canada" in names and "Mexico" in names


def test_united_kingdom_and_its_other_names_are_one_topic():
    docs = [
        TopicDoc("UK inflation falls to lowest in two years",
                 "Inflation in the UK fell to 3.9% in November, official figures showed. The fall "
                 "makes a cut in interest rates in the U.K. more likely next year."),
        TopicDoc("Britain's inflation slows sharply",
                 "Britain's rate of inflation slowed last month. Economists said the United "
                 "Kingdom was now on course for lower borrowing costs."),
    ]
    topics = story_topics(docs)
    uk = [t for t in topics if topic_key(t.name) == topic_key("United Kingdom")]
    assert len(uk) == 1
    assert uk[0].name == "United Kingdom" and uk[0].kind == "place"
    assert {"UK", "Britain"} <= set(uk[0].aliases)


@pytest.mark.parametrize("names", [
    ("U.K.", "UK", "Britain", "United Kingdom", "Great Britain"),
    ("U.S.", "US", "United States", "America", "USA"),
    ("President Trump", "Trump", "Mr Trump", "Mr. Trump", "President-elect Trump"),
    ("Former President Donald J. Trump", "Donald Trump", "Donald J. Trump"),
    ("Prime Minister Alma Reyes", "Alma Reyes", "Ms Alma Reyes"),
    ("Apple Inc.", "Apple", "Apple Inc"),
    ("The Lanterns", "Lanterns"),
    ("Sen. Mitch McConnell", "Mitch McConnell", "Senate Majority Leader Mitch McConnell"),
    ("Holiday lets", "holiday let"),
])
def test_topic_key_matches_one_entity_written_several_ways(names):
    assert len({topic_key(n) for n in names}) == 1


@pytest.mark.parametrize("a, b", [
    ("General Motors", "Motors"),  # "General" is a title only before a person's name
    ("Justice Department", "Department"),
    ("United States", "United Kingdom"),
    ("Donald Trump", "Melania Trump"),
    ("Port Alder", "Port Alder Rovers"),
])
def test_topic_key_keeps_different_entities_apart(a, b):
    assert topic_key(a) != topic_key(b)


def test_sentence_initial_words_days_and_generic_words_are_not_topics():
    docs = [
        TopicDoc("Seagrass meadows spread across the bay, survey finds",
                 "Officials said on Monday that seagrass planted by volunteers in Port Alder "
                 "bay had spread. Seagrass traps carbon faster than forests. Residents welcomed "
                 "the news. Despite the storms, the seagrass survived the winter. In January, "
                 "divers from the University of Northmoor counted cuttlefish eggs. Volunteers "
                 "will plant more."),
        TopicDoc("Bay's seagrass is back",
                 "The seagrass in Port Alder bay now covers six hectares. Scientists said the "
                 "meadow could look after itself. However, boats still damage the seagrass. "
                 "Monday's survey was the third. Divers from the University of Northmoor led it."),
    ]
    names = {t.name for t in story_topics(docs)}
    assert not names & {"Officials", "Monday", "January", "Residents", "Despite", "However",
                        "The", "In", "Scientists", "Volunteers", "Divers"}
    assert "Port Alder" in names and "University of Northmoor" in names
    assert "Seagrass" in names  # as a subject: the story writes it in lower case
    assert _by_name(story_topics(docs))["Seagrass"].kind == "subject"


def test_title_case_headline_capitals_are_not_names():
    docs = [
        TopicDoc("Trump Says U.S. Will Lift Steel Tariffs On Canada And Mexico",
                 "President Donald Trump said the United States would lift tariffs on steel from "
                 "Canada and Mexico."),
        TopicDoc("Trump Lifts Tariffs On Neighbours As Trade Deal Nears",
                 "Trump said the tariffs on Canada and Mexico would end within days."),
    ]
    names = {t.name for t in story_topics(docs)}
    assert not names & {"Says", "Will", "Lift", "Lifts", "Steel Tariffs", "On", "As", "Nears",
                        "Neighbours", "Trade Deal"}
    assert {"Donald Trump", "United States", "Canada", "Mexico"} <= names


def test_kinds_from_titles_suffixes_and_place_cues():
    docs = [
        TopicDoc("Veltrix Semiconductors picks Redwater for chip plant",
                 "Chipmaker Veltrix Semiconductors is to build a factory in Redwater, creating "
                 "1,800 jobs. Finance Minister Helena Varga welcomed the plan. Veltrix chief "
                 "executive Anja Kowalczyk said Redwater College would train technicians. The "
                 "Bank of England was not involved."),
        TopicDoc("Veltrix plant brings jobs to Redwater",
                 "Veltrix will open the plant in Redwater in 2028. Helena Varga said the grant was "
                 "good value. Anja Kowalczyk, who runs Veltrix, said the site won on skills. The "
                 "Bank of England said the investment was welcome."),
    ]
    kinds = {t.name: t.kind for t in story_topics(docs, limit=10)}
    assert kinds["Veltrix Semiconductors"] == "organisation"
    assert kinds["Redwater"] == "place"
    assert kinds["Helena Varga"] == "person"
    assert kinds["Anja Kowalczyk"] == "person"
    assert kinds["Bank of England"] == "organisation"
    assert "Veltrix" not in kinds  # the short form joins the full name


def test_subjects_are_recurring_noun_phrases_not_reporting_verbs():
    docs = [
        TopicDoc("Coastal housing bill caps holiday lets",
                 "The Assembly passed the bill, which caps holiday lets at one home in five in "
                 "coastal towns. Members said the cap on holiday lets would free homes."),
        TopicDoc("Holiday let crackdown: what the new housing law means",
                 "Holiday lets will be capped in designated towns. Owners who already have holiday "
                 "lets will not be forced to stop, the minister said."),
    ]
    subjects = [t for t in story_topics(docs) if t.kind == "subject"]
    assert "Holiday lets" in [t.name for t in subjects]
    assert not {"Said", "Says", "Members", "Owners"} & {t.name for t in subjects}


def test_a_topic_must_be_in_a_headline_or_repeated():
    docs = [
        TopicDoc("Reserve Bank holds interest rates",
                 "The Reserve Bank kept rates unchanged. Estate agent Raj Bhatt said buyers were "
                 "waiting. The Reserve Bank meets again in six weeks."),
        TopicDoc("Borrowers wait as Reserve Bank holds",
                 "Borrowers in Port Alder hoped for a cut. The Reserve Bank said it needed more "
                 "evidence."),
    ]
    names = {t.name for t in story_topics(docs)}
    assert "Reserve Bank" in names
    assert "Raj Bhatt" not in names and "Port Alder" not in names  # named once, in one article


def test_other_latin_languages_get_names_and_no_subjects():
    docs = [
        TopicDoc("Le président Emmanuel Macron reçoit Olaf Scholz à Paris",
                 "Le président Emmanuel Macron a reçu lundi le chancelier Olaf Scholz à Paris. "
                 "Les deux dirigeants ont parlé de l'Ukraine et de l'Union européenne.", "fr"),
        TopicDoc("Macron et Scholz veulent renforcer l'Europe",
                 "Emmanuel Macron et Olaf Scholz ont signé une déclaration commune. Macron a "
                 "demandé plus d'investissements pour la défense de l'Ukraine.", "fr"),
    ]
    topics = story_topics(docs)
    kinds = {t.name: t.kind for t in topics}
    assert kinds.get("Emmanuel Macron") == "person"
    assert kinds.get("Olaf Scholz") == "person"
    assert kinds.get("Paris") == "place"
    assert kinds.get("Ukraine") == "place"
    assert "subject" not in kinds.values()
    assert not {"Le", "Les", "Macron et Scholz"} & set(kinds)


def test_scripts_without_capitals_get_no_topics():
    docs = [TopicDoc("东京股市周一上涨", "日本央行维持利率不变。分析人士说，市场预期加息。", "zh")]
    assert story_topics(docs) == []


def test_limits_empty_input_and_fields():
    assert story_topics([]) == []
    assert story_topics(TRUMP_STORY, limit=0) == []
    topics = story_topics(TRUMP_STORY, limit=3)
    assert len(topics) == 3
    weights = [t.weight for t in story_topics(TRUMP_STORY)]
    assert weights == sorted(weights, reverse=True)
    for t in story_topics(TRUMP_STORY):
        assert t.slug == slugify(t.name)
        assert t.kind in ("person", "organisation", "place", "subject")
        assert t.name not in t.aliases


def test_deterministic_in_one_process_and_across_hash_seeds():
    first = story_topics(TRUMP_STORY)
    assert story_topics(list(TRUMP_STORY)) == first
    code = ("import json; from broadsheet.stories.topics import TopicDoc, story_topics; "
            "import sys; docs = [TopicDoc(*d) for d in json.loads(sys.argv[1])]; "
            "print(json.dumps([[t.name, t.kind, t.weight, list(t.aliases)] "
            "for t in story_topics(docs)]))")
    arg = json.dumps([[d.title, d.text, d.language] for d in TRUMP_STORY])
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", code, arg], env=env, capture_output=True,
                             text=True, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1
    expected = [[t.name, t.kind, t.weight, list(t.aliases)] for t in first]
    assert json.loads(outputs.pop()) == expected


@pytest.fixture(scope="module")
def labelled():
    return _bench().load_labelled()


# Measured with bench/topics.py (see docs/decisions/0003-topics-without-a-model.md); the floors
# sit a little under the measured figures so that a real regression fails and noise does not.
FLOORS = {  # split: (precision, recall); measured 0.88 / 0.78, 0.87 / 0.72, 0.70 / 0.54
    "dev": (0.84, 0.74),
    "holdout": (0.83, 0.68),
    "demo": (0.65, 0.50),
}


@pytest.mark.parametrize("split", sorted(FLOORS))
def test_precision_and_recall_floor_on_labelled_stories(labelled, split):
    result = _bench().score([s for s in labelled if s["split"] == split])["all"]
    precision, recall = FLOORS[split]
    assert result["precision"] >= precision, result
    assert result["recall"] >= recall, result


def test_labelled_set_is_well_formed(labelled):
    own = [s for s in labelled if s["source"] == "own"]
    demo = [s for s in labelled if s["source"] == "demo"]
    assert len(own) >= 40 and len(demo) >= 25
    assert sum(s["split"] == "dev" for s in own) == sum(s["split"] == "holdout" for s in own)
    for s in labelled:
        assert s["docs"], s["id"]
        assert {t["kind"] for t in s["topics"]} <= {"person", "organisation", "place", "subject"}


def test_fast_enough_for_every_story_change(labelled):
    stories = [s["docs"] for s in labelled]
    for docs in stories:
        story_topics(docs)
    start = time.process_time()
    for docs in stories:
        story_topics(docs)
    per_story = (time.process_time() - start) / len(stories)
    assert per_story < 0.02  # measured about 1 ms; this only catches a pathological slowdown
