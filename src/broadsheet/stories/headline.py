"""The story's headline: the plainest of its articles' headlines that best represents them all.

Each candidate headline gets two numbers:

- *centrality*: how much of its content (its words, less stop words) the story's other articles
  share, in their headlines first and in their summaries or opening text when those are loaded;
- a *form penalty*, the sum of general cues that a headline is not a plain statement of the event:
  a short label before a colon or bar ("Player ratings:", "Live |") or after one ("- as it
  happened", ": report"), a question, a quotation making up most of it, words in capitals that
  the rest of the story never writes that way ("LIVE", "WATCH"), a small leading number the rest
  of the story never mentions ("5 things to know"), talk to the reader ("what it means for
  you"), an exclamation, a trailing ellipsis or a second sentence, and a length far from a
  headline's usual one.

The headline with the highest centrality, less the share of it its penalty takes off, wins; ties
go to the earliest (the story's first report). A prefix before a colon counts as a label only if
it is short and is not a name the rest of the story also uses ("Vestria: ...", "CDC: ..."), so
the cues need no list of kickers. The work is linear in the number of words considered, at most
``HEADLINE_SAMPLE`` headlines and the first ``CONTEXT_CHARS`` characters of each summary.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

HEADLINE_SAMPLE = 50  # articles considered, in the order given (the story's earliest first)
CONTEXT_CHARS = 400  # of each article's summary (or text) read as context

# A content word found in another article's summary or text counts this much of one found in
# that article's headline.
CONTEXT_WEIGHT = 0.6
PRIOR_WORDS = 3

# Form penalties: each takes that share off a headline's centrality, down to MIN_PLAINNESS of
# it, so a labelled headline wins only if it is much more central than every plain one.
MIN_PLAINNESS = 0.05
LABEL = 0.5  # a short label before a colon or bar (or a whole short kicker in capitals)
TRAILING_LABEL = 0.3  # a short label or attribution after the last colon, dash or bar
QUESTION = 0.5
QUOTATION = 0.5  # at full strength when quotation makes up QUOTE_FULL of the letters
QUOTE_FREE, QUOTE_FULL = 0.15, 0.6
SHOUTING = 0.35  # capitals the rest of the story never uses, or a headline mostly in capitals
LISTICLE = 0.4  # half as much for a leading count with no "to", "about", "why"... after it
ADDRESS = 0.35  # first or second person outside quotation: "you", "we", "our", "here's"
TEASER = 0.25  # an exclamation, a headline trailing off ("The winner is..."), or two sentences
INTERROGATIVE = 0.3  # "Why ...", "How ...", "What ..." without a question mark: an explainer
LENGTH = 0.3  # per unit of length penalty: 1 for two content words short of SHORT_WORDS, 1 six
# words over LONG_WORDS, growing to 3 for a paragraph given as a headline
SHORT_WORDS, LONG_WORDS = 4, 18  # content words; words
LABEL_WORDS = 3  # a prefix of up to this many words may be a label; one more word halves it

STOP_WORDS = frozenset(re.findall(r"\S+", """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just me more most my
no nor not now of off on once only or other our out over own s same she should so some such t
than that the their them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours new says
said say amid via vs
"""))

PRONOUNS = frozenset({"i", "we", "our", "us", "you", "your", "my", "me"})
_HERES = re.compile(r"\bhere'?s\b", re.I)  # "Here's what...", talking to the reader too
# What follows "<count> <things>" in a list's headline, where a report has a verb.
LIST_LEADS = frozenset({"to", "from", "about", "that", "which", "why", "how", "we", "you", "i",
                        "for", "every", "worth", "behind"})
INTERROGATIVES = frozenset({"why", "how", "what", "who", "when", "where", "which"})
NUMBER_WORDS = {word: str(n) for n, word in enumerate(re.findall(r"\S+", """
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty"""))}

_WORD = re.compile(r"[^\W_]+(?:['.\-&][^\W_]+)*")
_TOKEN = re.compile(r"[^\W_]+")
_CONTENT = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|\d+")
_INITIALS = re.compile(r"(?<![^\W_])((?:[^\W\d_]\.){2,})")  # "U.S." is "US"
# Quoted spans: double quotes of either kind, or single quotes that are not apostrophes
# (an opening quote follows no letter, a closing one is followed by none).
_QUOTED = re.compile(r"[\"\u201c\u201d\u201e](.+?)[\"\u201c\u201d\u201e]"
                     r"|(?<![^\W_])['\u2018\u2019](.+?)['\u2018\u2019](?![^\W_])")
_QUOTE_MARKS = re.compile("[\"'\u2018\u2019\u201c\u201d\u201e]")
# A separator between a label and the headline: a colon, a bar, or a dash between spaces.
_SEPARATOR = re.compile(r"\s*:\s+|\s+[|\u2022]\s+|\s+(?:-{1,2}|\u2013|\u2014)\s+")


def representative_headline(articles: Sequence[Any]) -> str:
    """The story's headline: the most central of its articles' plainest headlines.

    ``articles`` have a ``title``; a loaded ``summary`` (or ``text``) gives context too. Fields a
    Django query left deferred are not read, so choosing costs no queries.
    """
    sample = list(articles[:HEADLINE_SAMPLE])
    if not sample:
        return ""
    candidates = [c for c in map(Candidate.of, sample) if c.words]
    if not candidates:
        return sample[0].title
    if len(candidates) == 1:
        return candidates[0].title
    scores = headline_scores(candidates)
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    return candidates[best].title


@dataclass(frozen=True)
class Candidate:
    """One article's headline, with what its article says around it."""

    title: str
    words: tuple[str, ...]  # distinct content words of the headline, in order
    context: frozenset[str]  # content words of the summary or text, if loaded
    written: frozenset[str]  # words as written, in context and headline less any kicker

    @classmethod
    def of(cls, article: Any) -> Candidate:
        title = " ".join(str(article.title or "").split())
        context = (_loaded(article, "summary") or _loaded(article, "text"))[:CONTEXT_CHARS]
        return cls(title, tuple(dict.fromkeys(content_words(title))),
                   frozenset(content_words(context)), _written(f"{_unlabelled(title)} {context}"))


def _straight(text: str) -> str:
    """Curly apostrophes and single quotes made straight."""
    if text.isascii():
        return text.replace("`", "'")
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'") \
        .replace("`", "'")


def _written(text: str) -> frozenset[str]:
    return frozenset(_TOKEN.findall(_straight(text)))


def _unlabelled(title: str) -> str:
    """The headline less a short prefix before a colon or bar, which may be a kicker."""
    text = " ".join(_straight(title).split())
    head, _ = _label_parts(text)
    if head is None or len(_WORD.findall(head)) > LABEL_WORDS + 1:
        return text
    return text[len(head):]


def _loaded(article: Any, name: str) -> str:
    """The field's value if it is at hand: never a query for a deferred model field."""
    deferred = getattr(article, "get_deferred_fields", None)
    if deferred is not None and name in deferred():
        return ""
    value = getattr(article, name, "")
    return value if isinstance(value, str) else ""


@dataclass
class Elsewhere:
    """What the rest of the story says: its content words, and its words as written.

    Counts are per article; ``own_*`` are the candidate's own, taken off the counts.
    """

    words: dict[str, int]
    written: dict[str, int]
    own_words: frozenset[str] = frozenset()
    own_written: frozenset[str] = frozenset()

    @classmethod
    def of_texts(cls, texts: Sequence[str]) -> Elsewhere:
        """The rest of a story given as plain texts (its other headlines and summaries)."""
        words: dict[str, int] = defaultdict(int)
        written: dict[str, int] = defaultdict(int)
        for text in texts:
            for word in set(content_words(text)):
                words[word] += 1
            for word in _written(_unlabelled(text)):
                written[word] += 1
        return cls(words, written)

    def has_word(self, word: str) -> bool:
        return self.words.get(word, 0) > (word in self.own_words)

    def has_written(self, word: str) -> bool:
        return self.count_written(word) > 0

    def count_written(self, word: str) -> int:
        """How many other articles write ``word`` exactly so (kickers not counted)."""
        return self.written.get(word, 0) - (word in self.own_written)


def headline_scores(candidates: Sequence[Candidate]) -> list[float]:
    """Each headline's centrality, discounted by its form penalty (at least two candidates)."""
    carried: dict[str, float] = defaultdict(float)  # 1 per headline, less per context only
    words: dict[str, int] = defaultdict(int)
    written: dict[str, int] = defaultdict(int)
    for c in candidates:
        for word in c.words:
            carried[word] += 1.0
        for word in c.context.difference(c.words):
            carried[word] += CONTEXT_WEIGHT
        for word in c.context.union(c.words):
            words[word] += 1
        for word in c.written:
            written[word] += 1
    others = len(candidates) - 1
    # The share of its words the others carry, as if every headline began with PRIOR_WORDS
    # words nobody shares: long headlines are not favoured for saying more, nor very short ones
    # for saying little.
    central = [sum(carried[w] - 1.0 for w in c.words) / others / (len(c.words) + PRIOR_WORDS)
               for c in candidates]
    scores = []
    for c, centrality in zip(candidates, central, strict=True):
        rest = Elsewhere(words, written, c.context.union(c.words), c.written)
        plainness = max(MIN_PLAINNESS, 1.0 - form_penalty(c.title, rest))
        scores.append(round(centrality * plainness, 9))
    return scores


def content_words(text: str) -> list[str]:
    """Lower-case word stems of ``text`` less stop words: "Rovers'" and "rover" match."""
    words = []
    text = _INITIALS.sub(lambda m: m.group(1).replace(".", ""), _straight(text))
    for token in _CONTENT.findall(text.lower().replace("'s", "")):
        token = token.replace(",", "")
        if token in STOP_WORDS or (len(token) < 2 and not token.isdigit()):
            continue
        words.append(_stem(token))
    return words


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    """A light stem, so that "breaches", "breached" and "breach" match, as do "vote" and "votes"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("eed"):
        word = word[:-1]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    return word[:-1] if word.endswith("e") and not word.endswith("ee") and len(word) > 3 else word


def form_penalty(title: str, elsewhere: Elsewhere | Sequence[str] = ()) -> float:
    """How far ``title`` is from a plain statement of the event: 0 for a plain one.

    ``elsewhere`` is the rest of the story (an ``Elsewhere``, or its other headlines and
    summaries as texts): a prefix or a word in capitals found there is a name the story uses,
    not a label or shouting.
    """
    rest = elsewhere if isinstance(elsewhere, Elsewhere) else Elsewhere.of_texts(elsewhere)
    text = " ".join(_straight(title).split())
    penalty = 0.0
    body = text
    head, tail = _label_parts(text)
    strength = _label_strength(head, rest) if head is not None else 0.0
    if strength and head is not None:
        penalty += LABEL * strength
        body = text[len(head):].lstrip(_SEPARATOR_CHARS)
    elif tail is not None:
        penalty += TRAILING_LABEL
        body = text[:len(text) - len(tail)].rstrip(_SEPARATOR_CHARS)
    if "?" in text:
        penalty += QUESTION
    penalty += QUOTATION * _ramp(_quoted_share(text), QUOTE_FREE, QUOTE_FULL)
    penalty += SHOUTING * _shouting(text, rest)
    penalty += LISTICLE * _listicle(body, rest)
    unquoted = _QUOTED.sub(" ", text) if _QUOTE_MARKS.search(text) else text
    if _addresses_reader(unquoted):
        penalty += ADDRESS
    if "!" in unquoted or _TRAILING_OFF.search(text) or _SECOND_SENTENCE.search(text):
        penalty += TEASER
    first = _WORD.findall(body)[:1]
    if first and first[0].lower() in INTERROGATIVES and not first[0].isupper() \
            and "?" not in text:
        penalty += INTERROGATIVE
    return penalty + LENGTH * _length_penalty(len(content_words(text)), len(_WORD.findall(text)))


_TRAILING_OFF = re.compile(r"(\.\.\.|\u2026)\W*$")
# A full stop after a lower-case word (not "Sen." or "U.S.") and before a capital.
_SECOND_SENTENCE = re.compile(
    r"(?<![^\W_])[a-z]{3,}[.!?][\"'\u2019\u201d]?\s+[\"'\u2018\u201c]?[A-Z]")
_SEPARATOR_CHARS = " :|-\u2013\u2014\u2022"


def _label_parts(text: str) -> tuple[str | None, str | None]:
    """(the text before the first separator, a short unquoted text after the last one)."""
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    cuts = [m for m in _SEPARATOR.finditer(text)
            if not any(start < m.start() < end - 1 for start, end in quoted)]
    if not cuts:
        return None, None
    head, tail = text[:cuts[0].start()], text[cuts[-1].end():]
    if not 0 < len(_WORD.findall(tail)) <= LABEL_WORDS or _QUOTED.fullmatch(tail.strip(" .")):
        return head, None
    return head, tail


def _label_strength(head: str, rest: Elsewhere) -> float:
    """1 for a label, 0.5 for a borderline one, 0 for a name or a statement of its own."""
    words = _WORD.findall(head)
    if not words:
        return 0.0
    if _QUOTED.fullmatch(head.strip()):
        return 1.0  # a quotation as the kicker: "'Pure insanity': emails show..."
    if len(words) > LABEL_WORDS + 1:
        return 0.0  # "Rovers bring the Cup home: ..." is a statement, not a label
    if _named(head, rest):
        return 0.0  # "Vestria: ...", "CDC: ...": a place, person or body the story is about
    return 1.0 if len(words) <= LABEL_WORDS else 0.5


def _named(head: str, rest: Elsewhere) -> bool:
    """Whether ``head`` is a name the rest of the story writes the same way.

    Each word must appear elsewhere outside a kicker, capitalised at least as often as not
    ("Pandora Papers" is a name, "Poll" and "Player ratings" are not); an acronym in capitals.
    """
    tokens = [t for t in _TOKEN.findall(head) if not (t.islower() and t in STOP_WORDS)]
    if not tokens:
        return False
    for token in tokens:
        if token.isdigit() or token.isupper():
            if not rest.has_written(token):
                return False
        elif not token[0].isupper() or \
                rest.count_written(token) < max(1, rest.count_written(token.lower())):
            return False
    return True


def _quoted_share(text: str) -> float:
    if not _QUOTE_MARKS.search(text):
        return 0.0
    letters = sum(map(str.isalnum, text))
    quoted = sum(sum(map(str.isalnum, m.group(1) or m.group(2))) for m in _QUOTED.finditer(text))
    return quoted / letters if letters else 0.0


def _shouting(text: str, rest: Elsewhere) -> float:
    """1 if mostly in capitals, or for a word of 4+ capitals the rest of the story never uses."""
    words = [w for w in _TOKEN.findall(text) if not w.isdigit()]
    caps = [w for w in words if w.isupper() and len(w) >= 2]
    if len(words) >= 4 and len(caps) >= 0.6 * len(words):
        return 1.0
    if any(len(w) >= 4 and not rest.has_written(w) for w in caps):
        return 1.0
    return 0.0


def _listicle(body: str, rest: Elsewhere) -> float:
    """A small leading count the rest of the story never mentions: 1 for a count of things about
    the topic ("5 things to know", "Ten ways to", "Three takeaways from"), else 0.5."""
    first = _WORD.findall(body)[:3]
    if len(first) < 3:
        return 0.0
    number = NUMBER_WORDS.get(first[0].lower(), first[0])
    if not (number.isdigit() and int(number) <= 20) or first[1][:1].isdigit():
        return 0.0
    spelled = [word for word, digits in NUMBER_WORDS.items() if digits == number]
    if any(rest.has_word(_stem(form)) for form in [number, *spelled]):
        return 0.0
    return 1.0 if first[2].lower() in LIST_LEADS else 0.5


def _addresses_reader(text: str) -> bool:
    # "US" in capitals is a country; "I" is the only pronoun written so.
    words = {w.lower() for w in _TOKEN.findall(text) if w == "I" or not w.isupper()}
    return not PRONOUNS.isdisjoint(words) or _HERES.search(text) is not None


def _ramp(value: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (value - low) / (high - low)))


def _length_penalty(content: int, words: int) -> float:
    if content < SHORT_WORDS:
        return min(1.0, (SHORT_WORDS - content) / 2)
    if words > LONG_WORDS:
        return min(3.0, (words - LONG_WORDS) / 6)
    return 0.0
