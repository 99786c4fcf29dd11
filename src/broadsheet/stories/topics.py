"""Story topics: the people, organisations, places and subjects a story is about.

A story (articles from several outlets about one event) gets a short, ordered list of topics taken
from its own articles. No model is loaded: names are capitalised phrases, less the capitals that
say nothing (a sentence's first word, a Headline In Title Case, "Monday", "Officials"). The words
around a name give its kind (titles and honorifics, organisation suffixes, "in"/"near" before a
place), and small bundled lists (``data/topics_*.txt``: places with their other names and
demonyms, well-known organisations, given names, stop words, cues) settle the common cases and let
"U.K.", "Britain" and "United Kingdom" be one topic. One entity is one topic: "Trump", "President
Trump" and "Mr Trump" join "Donald Trump" when the story names him in full. Subjects are recurring
lower-case noun phrases ("holiday lets", "qualified immunity").

A topic must earn its place (precision before recall): named in a headline, or in two of the
story's articles, or several times. Headline mentions weigh most. Output is deterministic.

Languages: English gets everything above. Other Latin-script languages get names found by
capitalisation, with their own function words, honorifics and organisation suffixes (German,
French, Spanish, Italian, Portuguese, Dutch), places and organisations from the lists (native
names included), and no subjects. German capitalises every noun, so there a lone capitalised word
counts only with a cue or a list entry. Text without capital letters (most non-Latin scripts)
gets no topics.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from django.utils.text import slugify

from .topic_names import collect, entity_topics, merge
from .topic_text import (
    KINDS,
    TEXT_CHARS,
    Segment,
    lexicon,
    norm_phrase,
    segments,
    singular,
    strip_titles,
)

_slug = lru_cache(maxsize=65536)(slugify)  # topic names repeat from story to story

__all__ = ["KINDS", "TEXT_CHARS", "FoundTopic", "TopicDoc", "story_topics", "topic_key"]

MAX_SUBJECTS = 2  # editors list people, places and organisations first
SUBJECT_WEIGHT = 0.6  # a subject against a name mentioned as often


@dataclass(frozen=True)
class TopicDoc:
    """One article as the topic stage sees it."""

    title: str
    text: str  # plain-text body; only its first TEXT_CHARS characters are read
    language: str = "en"


@dataclass(frozen=True)
class FoundTopic:
    """One topic of a story: an entity or a subject, with its salience in the story."""

    name: str  # canonical display name: "Donald Trump", "United Kingdom", "Climate change"
    kind: str  # "person" | "organisation" | "place" | "subject"
    slug: str  # slug of the canonical name
    weight: float  # salience within the story, for ordering (higher first)
    aliases: tuple[str, ...]  # surface forms seen in the story ("Trump", "President Trump")


@lru_cache(maxsize=65536)
def topic_key(name: str) -> str:
    """The key that matches one entity across stories: "UK", "U.K." and "Britain" share one, and
    "President Trump" has Trump's (honorifics and titles dropped, leading "the", company-form
    suffixes and middle initials too)."""
    lex = lexicon()
    words = norm_phrase(name).split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    known = lex.known.get(" ".join(words))
    if known is None:
        words = strip_titles(words, lex)
        while len(words) > 1 and words[-1] in lex.legal:
            words = words[:-1]
        if len(words) > 2:
            words = [words[0]] + [w for w in words[1:-1] if len(w) > 1] + [words[-1]]
        known = lex.known.get(" ".join(words))
    if known is not None:
        words = norm_phrase(known.name).split()
    if words:
        words[-1] = singular(words[-1])
    return " ".join(words)


# --------------------------------------------------------------------------- subjects


@lru_cache(maxsize=65536)
def _content(low: str) -> tuple[str, str, bool] | None:
    """(stem, word, generic noun) of a lower-case word that may be part of a subject, else None."""
    lex = lexicon()
    if not low.islower():  # "iPhone" is a name, not a word
        return None
    if not low.isalpha() and not ("-" in low and low.replace("-", "").isalpha()):
        return None
    if low in lex.stop or len(low) < 3 or low.endswith("ly") or lex.is_generic(low):
        return None
    return singular(low), low, lex.is_generic(low, True)


def _phrases(segs: list[Segment], vocab: set[str],
             names: set[str]) -> tuple[Counter[str], Counter[tuple[str, str]], dict, dict]:
    """Content words and pairs of adjacent ones ("holiday lets"), keyed by stems: mentions,
    surface forms, and the articles (a bit mask) and headlines that have them."""
    counts: Counter[str] = Counter()
    surfaces: Counter[tuple[str, str]] = Counter()
    docs: dict[str, int] = {}
    heads: dict[str, int] = {}
    for seg in segs:
        infos = list(map(_content, seg.tokens))
        for i in (seg.starts if not seg.title_case else range(len(infos))):
            low = seg.tokens[i].lower()  # a capital that says nothing: maybe an ordinary word
            if seg.caps[i] and low in vocab and low not in names:
                infos[i] = _content(low)
        words = [x for x in infos if x is not None and not x[2]]
        pairs = [(a[0] + " " + b[0], a[1] + " " + b[1])
                 for a, b in zip(infos, infos[1:], strict=False)
                 if a is not None and b is not None and not (a[2] and b[2])]
        keys = [x[0] for x in words] + [p[0] for p in pairs]
        counts.update(keys)
        surfaces.update(zip(keys, [x[1] for x in words] + [p[1] for p in pairs], strict=True))
        bit = 1 << seg.doc
        for key in set(keys):
            docs[key] = docs.get(key, 0) | bit
            if seg.title:
                heads[key] = heads.get(key, 0) | bit
    return counts, surfaces, docs, heads


def _pair_for(word: str, m: int, ok: dict[str, tuple[float, int]],
              score: float) -> tuple[str, float]:
    """The two-word subject a word stands for, when most of its mentions are in it ("world
    record" for "record") or its other word is a subject too ("pension reform")."""
    for pair, (pair_score, pair_m) in ok.items():
        words = pair.split()
        if len(words) == 2 and word in words:
            other = words[1] if words[0] == word else words[0]
            if pair_m * 2 >= m or (other in ok and pair_m * 3 >= m):
                return pair, max(score, pair_score)
    return word, score


def _subject_score(key: str, m: int, heads: int, docs: int, n_docs: int) -> float | None:
    """A phrase's subject score, or None when it does not recur enough (or reads as a verb).

    A pair needs a headline, two articles or three mentions; a single word, with several
    articles, a headline and two articles and three mentions."""
    last = key.rpartition(" ")[2]
    if m < 2 or (last.endswith("ed") and not last.endswith("eed") and len(last) > 4):
        return None  # "arrested", "campaign conspired": verbs
    if " " in key:
        good = heads >= 1 or docs >= 2 or m >= 3
    elif n_docs > 1:
        good = heads >= 1 and docs >= 2 and m >= 3
    else:
        good = m >= 3
    if not good:
        return None
    score = (3.0 * heads + 2.0 * docs + 0.5 * min(m, 12)) / n_docs
    return score * (1.2 if " " in key else 1.0)


def _choose_subjects(ok: dict[str, tuple[float, int]]) -> list[tuple[str, float]]:
    """The best subjects, each word in one subject only, at most MAX_SUBJECTS."""
    chosen: list[tuple[str, float]] = []
    used: set[str] = set()
    for key, (score, m) in sorted(ok.items(), key=lambda kv: (-kv[1][0], kv[0])):
        if " " not in key:
            key, score = _pair_for(key, m, ok, score)
        if used.intersection(key.split()):
            continue  # "pension" and "pension reform" are one subject, whichever leads
        chosen.append((key, score))
        used.update(key.split())
        if len(chosen) == MAX_SUBJECTS:
            break
    return chosen


def _subject_topics(segs: list[Segment], vocab: set[str], names: set[str],
                    n_docs: int) -> list[FoundTopic]:
    """Recurring lower-case noun phrases: in a headline and again, or across articles. A word
    mostly seen inside a chosen pair ("holiday" in "holiday lets") gives way to the pair."""
    counts, surfaces, doc_bits, head_bits = _phrases(segs, vocab, names)
    ok: dict[str, tuple[float, int]] = {}
    for key, m in counts.items():
        heads, docs = head_bits.get(key, 0).bit_count(), doc_bits[key].bit_count()
        score = _subject_score(key, m, heads, docs, n_docs)
        if score is not None:
            ok[key] = (score, m)
    chosen = _choose_subjects(ok)
    forms: dict[str, dict[str, int]] = {key: {} for key, _ in chosen}
    for (key, surface), n in surfaces.items():
        if key in forms:
            forms[key][surface] = n
    found = []
    for key, score in chosen:
        seen = forms[key]
        surface = min(seen, key=lambda s: (-seen[s], s))
        name = surface[0].upper() + surface[1:]
        found.append(FoundTopic(name, "subject", _slug(name), round(score * SUBJECT_WEIGHT, 4),
                                tuple(sorted(s for s in seen if s != surface))))
    return found


# --------------------------------------------------------------------------- the stage


_ELISION = re.compile(r"\b([ldjnmtsc]|qu|dell|all|nell|sull|dall)['’](?=[^\W\d_])")
_LETTER = re.compile(r"[^\W\d_]")
_CASED = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]")  # Latin, Greek, Cyrillic


def _cased_script(docs: list[TopicDoc]) -> bool:
    """True when the articles are written in a script with capital letters."""
    sample = " ".join(d.title or (d.text or "")[:200] for d in docs)
    return len(_CASED.findall(sample)) >= 0.5 * max(1, len(_LETTER.findall(sample)))


def story_topics(docs: list[TopicDoc], limit: int = 8) -> list[FoundTopic]:
    """The story's topics, most salient first: entities named in a headline, across articles or
    several times, and recurring subjects (English). At most ``limit``; fewer when fewer qualify."""
    if not docs or limit <= 0 or not _cased_script(docs):
        return []
    lex = lexicon()
    language = (docs[0].language or "en").lower()[:2]
    stop = lex.stop_by_lang.get(language, lex.stop)
    texts = [(d.title or "", d.text or "") for d in docs]
    if language != "en":  # "l'Ukraine", "dell'Europa": the name after the elided article
        texts = [(_ELISION.sub(r"\1 ", t), _ELISION.sub(r"\1 ", x)) for t, x in texts]
    segs = [s for i, (t, x) in enumerate(texts) for s in segments(i, t, x, stop)]
    vocab: set[str] = set()
    for seg in segs:
        if not seg.title_case:
            vocab.update(filter(str.islower, seg.tokens))
    groups = merge(collect(segs, vocab, lex, language), lex)
    topics = [FoundTopic(name, kind, _slug(name), weight, aliases) for name, kind, weight, aliases
              in entity_topics(groups, len(docs), lex, vocab, language == "de")]
    if language == "en":
        names = {w for g in groups if g.sure or g.known for w in g.words}
        topics += _subject_topics(segs, vocab, names, len(docs))
    best: dict[str, FoundTopic] = {}
    for t in sorted(topics, key=lambda t: (-t.weight, t.name)):
        best.setdefault(topic_key(t.name), t)
    return list(best.values())[:limit]
