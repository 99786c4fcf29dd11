"""Story clustering and syndicated-copy detection on small invented articles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np

from broadsheet.cli import main
from broadsheet.stories.candidates import CandidateIndex
from broadsheet.stories.cluster import ClusterConfig, StoryClusterer, StoryDoc
from broadsheet.stories.dedupe import NearDuplicateIndex
from broadsheet.stories.features import extract_features, slug_words
from broadsheet.stories.offline import cluster_jsonl

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)

BRIDGE = [
    ("Harbour bridge in Port Elsmere closes after cracks found in main span",
     "Engineers closed the Port Elsmere harbour bridge on Tuesday after inspectors found cracks "
     "in the main steel span. Mayor Ilona Varga said the crossing would stay shut for weeks."),
    ("Cracked span shuts Port Elsmere's harbour crossing for weeks",
     "The harbour bridge in Port Elsmere was shut on Tuesday when cracks were found in its main "
     "span, Mayor Ilona Varga told reporters; engineers expect repairs to take weeks."),
    ("Commuters face long detours as Elsmere bridge stays closed",
     "Drivers in Port Elsmere faced long detours on Wednesday after the harbour bridge was "
     "closed because of cracks in the main span. Mayor Ilona Varga asked for patience."),
]
ORCHESTRA = [
    ("Valdoria national orchestra names Teodor Brenn as new conductor",
     "The Valdoria National Orchestra appointed Teodor Brenn as its principal conductor on "
     "Monday, ending a two-year search. Brenn, 41, will lead his first concert in September."),
    ("Teodor Brenn to lead Valdoria's national orchestra",
     "Conductor Teodor Brenn, 41, has been named principal conductor of the Valdoria National "
     "Orchestra after a two-year search, and will open the season in September."),
]
VACCINE = [
    ("Health agency approves new measles vaccine for infants",
     "The national health agency on Thursday approved a new measles vaccine for infants after "
     "trials in 12,000 children showed strong protection and few side effects."),
    ("Regulator clears infant measles shot after large trial",
     "Regulators cleared a new measles vaccine for babies on Thursday, citing a trial of 12,000 "
     "children that found strong protection and mild side effects."),
]


def doc(i: str, title: str, text: str, when: datetime | None = T0, outlet: str | None = None
        ) -> StoryDoc:
    return StoryDoc(id=i, outlet=outlet, published_at=when, title=title, text=text)


def feed(engine: StoryClusterer, groups: dict[str, list[tuple[str, str]]],
         when: datetime | None = T0) -> dict[str, str]:
    """Interleave the groups' articles (as a stream would) and return article id -> story."""
    out = {}
    longest = max(len(g) for g in groups.values())
    for k in range(longest):
        for name, arts in groups.items():
            if k < len(arts):
                title, text = arts[k]
                out[f"{name}{k}"] = engine.assign(
                    doc(f"{name}{k}", title, text, when, outlet=f"outlet-{k}"))
    return out


def test_paraphrased_headlines_join_their_story_and_stay_apart_from_others() -> None:
    got = feed(StoryClusterer(), {"bridge": BRIDGE, "orch": ORCHESTRA, "vacc": VACCINE})
    assert got["bridge0"] == got["bridge1"] == got["bridge2"]
    assert got["orch0"] == got["orch1"]
    assert got["vacc0"] == got["vacc1"]
    assert len({got["bridge0"], got["orch0"], got["vacc0"]}) == 3


def _letters(n: int) -> str:
    return "".join(chr(97 + (n // 26**p) % 26) for p in range(3))


def test_a_storys_own_members_do_not_count_as_its_crowd() -> None:
    # Without related stories around, the closest neighbours of a story's articles are each
    # other; a fourth article on the event must still join rather than be pushed away.
    engine = StoryClusterer()
    first = [engine.assign(doc(f"b{k}", *BRIDGE[k], outlet=f"o{k}")) for k in range(3)]
    assert len(set(first)) == 1
    late = engine.assign(doc("b3", "Port Elsmere harbour bridge cracks: repairs to take weeks",
                             "Mayor Ilona Varga said the Port Elsmere harbour bridge, closed "
                             "after cracks were found in its main span, will reopen in weeks.",
                             outlet="o3"))
    assert late == first[0]


def test_only_the_lead_of_a_long_body_is_read() -> None:
    body = "Veltrix picks Redwater. " + " ".join("q" + _letters(k) for k in range(500))
    lead = extract_features(None, body, lead_words=50)
    assert lead["e:veltrix"] == 1 and lead["w:q" + _letters(10)] == 1
    assert "w:q" + _letters(100) not in lead
    assert extract_features(None, body)["w:q" + _letters(100)] == 1


def test_an_unrelated_article_starts_a_new_story() -> None:
    engine = StoryClusterer()
    first = engine.assign(doc("a", *BRIDGE[0]))
    other = engine.assign(doc("b", *ORCHESTRA[0]))
    assert other != first
    assert engine.story_of("a") == first


def test_articles_outside_the_active_window_start_a_new_story() -> None:
    engine = StoryClusterer(ClusterConfig(window_days=7))
    first = engine.assign(doc("a", *BRIDGE[0], when=T0))
    later = engine.assign(doc("b", *BRIDGE[1], when=T0 + timedelta(days=10)))
    assert later != first
    assert engine.story_of("a") is None  # retired from the window
    assert engine.active_articles == 1


def test_a_backfill_clusters_by_publication_time_not_arrival_time() -> None:
    engine = StoryClusterer(ClusterConfig(window_days=7))
    # Ingested a month apart, published a day apart: still one story.
    a = engine.assign(doc("a", *BRIDGE[0], when=T0 - timedelta(days=30)))
    b = engine.assign(doc("b", *BRIDGE[1], when=T0 - timedelta(days=29)))
    assert a == b


def test_undated_articles_cluster_with_each_other_and_with_dated_ones() -> None:
    engine = StoryClusterer()
    a = engine.assign(doc("a", *BRIDGE[0], when=None))
    b = engine.assign(doc("b", *BRIDGE[1], when=T0))
    c = engine.assign(doc("c", *BRIDGE[2], when=None))
    d = engine.assign(doc("d", *ORCHESTRA[0], when=None))
    assert a == b == c
    assert d != a


def test_empty_and_missing_fields_are_accepted() -> None:
    engine = StoryClusterer()
    s1 = engine.assign(StoryDoc(id="x"))
    s2 = engine.assign(StoryDoc(id="y", title="", text=None))
    assert s1 != s2  # nothing to compare: each is its own story
    assert engine.assign(doc("z", *VACCINE[0], when=None))


def test_refine_merges_a_story_that_online_assignment_split() -> None:
    # A strict online threshold splits the story; refine joins it with later knowledge.
    engine = StoryClusterer(ClusterConfig(threshold=0.9, merge_threshold=0.0))
    got = feed(engine, {"bridge": BRIDGE, "orch": ORCHESTRA})
    assert len(set(got.values())) > 2
    change = engine.refine()

    stories = {k: engine.story_of(k) for k in got}
    assert stories["bridge0"] == stories["bridge1"] == stories["bridge2"]
    assert stories["orch0"] == stories["orch1"]
    assert stories["bridge0"] != stories["orch0"]
    assert change.moved == {k: s for k, s in stories.items() if s != got[k]}
    # The survivor is the older story, and new articles filed under an absorbed id follow it.
    assert stories["bridge0"] == got["bridge0"]
    gone = got["bridge1"]
    assert change.absorbed[gone] == stories["bridge0"]
    engine.add(doc("late", *BRIDGE[0]), gone)
    assert engine.story_of("late") == stories["bridge0"]


def test_refine_undoes_a_hasty_join() -> None:
    # Two events filed as one story (as a worker restores a wrong decision from the database).
    engine = StoryClusterer()
    got = {}
    for k, (title, text) in enumerate(BRIDGE + ORCHESTRA):
        name = f"bridge{k}" if k < len(BRIDGE) else f"orch{k - len(BRIDGE)}"
        engine.add(doc(name, title, text, outlet=f"outlet-{k}"), "s1")
        got[name] = "s1"
    change = engine.refine()

    stories = {k: engine.story_of(k) for k in got}
    assert stories["bridge0"] == stories["bridge1"] == stories["bridge2"]
    assert stories["orch0"] == stories["orch1"] != stories["bridge0"]
    # The older event keeps the story's id; the other moves to a new story.
    assert stories["bridge0"] == got["bridge0"]
    assert set(change.moved) == {"orch0", "orch1"} and not change.absorbed


def test_refine_of_the_newest_articles_leaves_older_stories_whole() -> None:
    engine = StoryClusterer()
    older = feed(engine, {"bridge": BRIDGE})
    for k, (title, text) in enumerate(ORCHESTRA):  # filed in the bridge story by mistake
        engine.add(doc(f"orch{k}", title, text, T0 + timedelta(hours=2)), older["bridge0"])
    change = engine.refine(recent=len(ORCHESTRA))
    assert {engine.story_of(k) for k in older} == set(older.values())
    assert engine.story_of("orch0") == engine.story_of("orch1") not in set(older.values())
    assert set(change.moved) == {"orch0", "orch1"}


def test_state_rebuilds_from_the_active_articles_and_the_idf_table() -> None:
    engine = StoryClusterer()
    got = feed(engine, {"bridge": BRIDGE, "orch": ORCHESTRA})
    snap = json.loads(json.dumps(engine.snapshot()))
    texts = {f"bridge{k}": a for k, a in enumerate(BRIDGE)}
    texts.update({f"orch{k}": a for k, a in enumerate(ORCHESTRA)})

    rebuilt = StoryClusterer()
    rebuilt.load_frequencies(snap["n_docs"], snap["df"])
    for row in snap["active"]:
        rebuilt.add(doc(row["id"], *texts[row["id"]]), row["story"])
    assert {a: rebuilt.story_of(a) for a in got} == got
    assert rebuilt.assign(doc("new", *VACCINE[0])) not in set(got.values())


def test_features_keep_names_and_numbers() -> None:
    f = extract_features("Ilona Varga closes bridge", "The U.S. agency tested 12,000 kids.")
    assert f["e:ilona_varga"] == 1 and f["e:varga"] == 1
    assert f["n:12000"] == 1
    assert f["e:us"] == 1
    assert "w:the" not in f


def test_features_come_in_the_order_of_the_text() -> None:
    # Feature ids are handed out in this order, and ties between equal weights go by id, so
    # the order is part of the result: names and numbers as the text has them, then words.
    f = extract_features("Biden And Harris Meet 12 Senate Democrats",
                         "Joe Biden, Kamala Harris met 12 Senate Democrats in 2024 at Camp "
                         "David. The U.S. team, NATO said.")
    assert list(f.items()) == [
        ("n:12", 2), ("w:biden", 2), ("w:harris", 2), ("w:meet", 1), ("w:senate", 2),
        ("w:democrat", 2), ("t:biden", 1), ("t:harris", 1), ("t:meet", 1), ("t:senate", 1),
        ("t:democrat", 1), ("e:biden", 1), ("e:joe_biden", 1), ("e:harris", 1),
        ("e:kamala_harris", 1), ("e:democrat", 1), ("n:2024", 1), ("e:david", 1),
        ("e:camp_david", 1), ("e:us", 1), ("e:nato", 1), ("w:joe", 1), ("w:kamala", 1),
        ("w:met", 1), ("w:camp", 1), ("w:david", 1), ("w:us", 1), ("w:team", 1), ("w:nato", 1)]


def test_a_late_backfill_does_not_meet_active_articles_beyond_its_own_window() -> None:
    # Both reports are active (the clock is at day 6), but the backfill was published 7.5
    # days before the first: it must not join it, although the rest of the window holds it.
    engine = StoryClusterer(ClusterConfig(window_days=7))
    first = engine.assign(doc("a", *BRIDGE[0], when=T0 + timedelta(days=6)))
    engine.assign(doc("o", *ORCHESTRA[0], when=T0))
    late = engine.assign(doc("b", *BRIDGE[1], when=T0 - timedelta(days=1.5)))
    assert late != first
    # The same report inside the window joins as usual.
    assert engine.assign(doc("c", *BRIDGE[2], when=T0 + timedelta(days=5))) == first


def test_the_candidate_index_keeps_weights_when_it_drops_retired_articles() -> None:
    index = CandidateIndex(ClusterConfig(max_candidates=1))
    vectors = [([1, 2, 3], [0.8, 0.5, 0.3]), ([1, 2], [0.3, 0.9]), ([2, 3], [0.1, 0.95]),
               ([1, 3], [0.6, 0.6])]
    for slot, (fids, ws) in enumerate(vectors):
        index.add(slot, np.array(fids, dtype=np.int32), np.array(ws, dtype=np.float32))
    query = np.array([3, 1], dtype=np.int32), np.array([0.8, 0.6], dtype=np.float32)
    alive, times = np.ones(4, dtype=bool), np.full(4, np.nan)
    # Scores 0.72, 0.18, 0.76 and 0.84: the last wins.
    assert index.candidates(*query, None, alive, times).tolist() == [3]
    alive[3] = False  # slot 3 retires; the others are renumbered 0, 1, 2 in one pass
    index.remap(np.array([0, 1, 2, -1]))
    assert index.candidates(*query, None, alive[:3], times[:3]).tolist() == [2]
    index.remap(np.array([-1, 0, 1]))
    assert index.candidates(*query, None, alive[:2], times[:2]).tolist() == [1]


def test_features_read_the_words_of_an_address_slug() -> None:
    url = "https://news.example/2030/03/04/port-elsmere-bridge-closes-cracks/index.html"
    assert slug_words(url) == ["u:port", "u:elsmere", "u:bridge", "u:close", "u:crack"]
    f = extract_features("Bridge shut", None, url=url)
    assert f["u:elsmere"] == 1 and f["w:bridge"] == 1
    assert slug_words("https://news.example/article?id=5") == []
    assert slug_words("http://[::1") == []  # malformed: no slug, and no error
    assert slug_words("") == []


def test_a_shared_address_slug_brings_two_reports_closer() -> None:
    first = StoryDoc(id="a", title="Harbour crossing shut", text="Engineers found cracks.",
                     published_at=T0, url="https://one.example/port-elsmere-bridge-cracks")
    second = StoryDoc(id="b", title="Span closed for weeks", text="Repairs will take weeks.",
                      published_at=T0, url="https://two.example/news/elsmere-bridge-cracks-span")
    scores = {}
    for weight in (0.0, ClusterConfig().url_weight):
        engine = StoryClusterer(ClusterConfig(url_weight=weight))
        engine.seed_frequencies([(t, x) for group in (BRIDGE, ORCHESTRA, VACCINE)
                                 for t, x in group])
        engine.assign(first)
        scores[weight] = dict(engine.score(second)).get("s1", -1.0)
    assert ClusterConfig().url_weight > 0
    assert scores[ClusterConfig().url_weight] > scores[0.0] + 0.05


WIRE = (
    "Officials in the coastal province of Merrow ordered the evacuation of four villages on "
    "Sunday as the river Tal rose above its banks after three days of heavy rain. Emergency "
    "crews moved about 2,300 residents to schools and sports halls in the provincial capital, "
    "and the regional governor said the army would help reinforce levees overnight. "
    "Forecasters expect the rain to ease by Tuesday, but warned that water levels downstream "
    "could keep rising for another two days as the flood wave moves toward the sea."
)


def test_near_duplicate_index_finds_a_syndicated_copy() -> None:
    index = NearDuplicateIndex()
    assert index.add("wire", WIRE, T0)
    assert index.add("unrelated", " ".join(b for _, b in BRIDGE + ORCHESTRA), T0)
    copy = ("By Staff Reporter | Updated 3 hours ago\n\n" + WIRE
            + "\n\nRead more: sign up for our morning newsletter.")
    assert index.find_original(copy) == "wire"
    own_report = (
        "Thousands of people left their homes in Merrow province on Sunday as the Tal river "
        "flooded after days of rain; the governor asked the army to help shore up levees, and "
        "forecasters said the water could keep rising downstream until the middle of the week."
    )
    assert index.find_original(own_report) is None
    assert index.find_original(BRIDGE[0][1]) is None  # too short to call a copy


def test_near_duplicate_index_points_at_the_earliest_original() -> None:
    index = NearDuplicateIndex()
    index.add("late-copy", WIRE + " Reporting by staff.", T0 + timedelta(hours=2))
    index.add("original", WIRE, T0)
    assert index.find_original(WIRE) == "original"
    index.remove("original")
    assert index.find_original(WIRE) == "late-copy"


def test_cluster_jsonl_round_trip(tmp_path) -> None:
    rows = []
    for k, (title, text) in enumerate(BRIDGE):
        rows.append({"id": f"b{k}", "outlet": f"o{k}", "date": "2030-03-04", "title": title,
                     "text": text, "url": f"https://example.org/b{k}"})
    for k, (title, text) in enumerate(ORCHESTRA):
        rows.append({"id": f"o{k}", "outlet": None, "date": None, "title": title, "text": text,
                     "url": None})
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert cluster_jsonl(src, out).clustered == len(rows)
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in got] == [r["id"] for r in rows]
    story = {g["id"]: g["story"] for g in got}
    assert story["b0"] == story["b1"] == story["b2"]
    assert story["o0"] == story["o1"] != story["b0"]


def test_stories_cluster_answers_every_line_and_says_what_is_wrong_with_a_bad_one(
        tmp_path, capsys) -> None:
    good = [{"id": f"b{k}", "date": "2030-03-04", "title": title, "text": text}
            for k, (title, text) in enumerate(BRIDGE)]
    lines = [json.dumps(good[0]), "not json", "[1, 2]", json.dumps({"title": "no id"}),
             json.dumps({"id": "x", "title": 5}), "", json.dumps({**good[1], "id": "b0"}),
             json.dumps(good[1]), json.dumps(good[2])]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["stories", "cluster", "--input", str(src), "--output", str(out)]) == 0
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in got] == ["b0", None, None, None, "x", "b0", "b1", "b2"]
    assert [g.get("error") for g in got] == [
        None, "line 2: not JSON: Expecting value: line 1 column 1 (char 0)",
        "line 3: expected a JSON object", 'line 4: missing "id" (a string or a number)',
        'line 5: "title" must be a string or null', "line 7: \"id\" 'b0' was given on line 1",
        None, None]
    assert got[0]["story"] == got[6]["story"] == got[7]["story"]  # the good ones, clustered
    assert all(g["story"] is None for g in got[1:6])
    assert f"unreadable lines in {src}: 5," in capsys.readouterr().err


def test_near_duplicate_index_forgets_what_left_its_window():
    index = NearDuplicateIndex(window_days=3)
    wire = " ".join(f"word{i}" for i in range(60))
    other = " ".join(f"other{i}" for i in range(60))
    assert index.add("a", wire, "2026-11-01T08:00:00+00:00")
    assert index.find_original(wire) == "a"
    assert index.add("b", other, "2026-11-03T08:00:00+00:00")
    assert "a" in index  # two days later: still a possible original
    assert index.add("c", other + " more", "2026-11-04T09:00:00+00:00")
    assert "a" not in index and len(index) == 2
    assert index.find_original(wire) is None
