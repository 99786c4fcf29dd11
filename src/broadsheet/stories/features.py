"""Text features for story clustering: words, names, numbers, headline words.

Pure functions, no models: an article becomes a bag of namespaced features with raw counts.
Weighting (sublinear tf times an idf that the clusterer learns as articles arrive) happens in
``idf.py``, so these counts stay valid however the idf table moves.

Feature namespaces (the prefix keeps the same word in different roles apart):

- ``w:<stem>``  a content word of the headline or body (stop words dropped, light stemming);
- ``t:<stem>``  a content word of the headline: headlines name the event most precisely;
- ``e:<name>``  a capitalised phrase (people, places, organisations) such as ``e:joe_biden``,
                and its last word alone (``e:biden``) so "Joe Biden" meets "Biden";
- ``n:<num>``   a number with two or more digits ("1.2", "2024", "350"), a strong event marker;
- ``u:<stem>``  a content word of the address's slug (``/2021/10/18/qualified-immunity-court``):
                outlets put their own short headline there, and it names the event tersely.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

_STOP_TEXT = """
    a about above after again against ago all almost also although always am among an and another
    any anyone anything are around as at away back be became because become becomes been before
    being below between both but by can cannot could did do does doing done down during each
    either else enough even ever every few for from further get gets getting given go goes going
    got had has have having he her here hers herself him himself his how however i if in into is
    it its itself just last least less let like made make makes many may me might more most much
    must my myself near need needs never new next no nor not now of off often on once one only or
    other others our ours ourselves out over own per perhaps put rather really said same say
    saying says see seen she should since so some still such take than that the their theirs them
    themselves then there these they thing things this those though through thus to too told
    toward towards under until up upon us use used very via was way we well were what whatever
    when where whether which while who whole whom whose why will with within without would yet
    you your yours yourself yourselves mr mrs ms dr according including told tell tells week weeks
    year years day days time times monday tuesday wednesday thursday friday saturday sunday
    today tonight yesterday tomorrow people percent
"""
STOPWORDS = frozenset(_STOP_TEXT.split())

# Capitalised words that start sentences or headlines without naming anything.
_NOT_NAMES_TEXT = """
    breaking update updated opinion analysis exclusive watch video live report reports new
    former top senior federal state national president house senate
"""
_NOT_NAMES = STOPWORDS | frozenset(_NOT_NAMES_TEXT.split())

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]|\d[\d,.]*\d|\d")
_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}")
# Every acronym ("U.S.") contains this; searching for it first is several times faster than
# the full pattern, whose word boundary defeats the regex engine's prefix scan.
_MAYBE_ACRONYM = re.compile(r"[A-Z]\.[A-Z]\.")


def stem(word: str) -> str:
    """A light English stemmer: folds plurals and possessives, keeps words recognisable."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'-")
    n = len(w)
    if n > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if n > 4 and w.endswith(("sses", "xes", "zes", "ches", "shes")):
        return w[:-2]
    if n > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _number(token: str) -> str | None:
    digits = token.replace(",", "")
    if sum(c.isdigit() for c in digits) < 2:
        return None
    return digits.rstrip(".")


def _title_case(text: str) -> bool:
    """True for Headline Case, where capitals say nothing about names."""
    words = [w for w in _WORD.findall(text) if w[0].isalpha() and w.lower() not in STOPWORDS]
    if len(words) < 4:
        return False
    return sum(w[0].isupper() for w in words) >= 0.8 * len(words)


_TOKEN = re.compile(
    r"([A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z])|(\d[\d,.]*\d|\d)|([.!?:;\"“”,()\[\]—–]+)"
)

# token -> (feature stem or "" when it is not a content word, capitalised-name stem or "")
_token_cache: dict[str, tuple[str, str]] = {}
_NOTHING = ("", "")  # what punctuation and numbers are as words and names


def _analyse(token: str) -> tuple[str, str]:
    """(content-word stem, name stem) of a word; either is "" when the word is not one."""
    got = _token_cache.get(token)
    if got is not None:
        return got
    lower = token.lower()
    acronym = len(token) > 1 and token.isupper()
    s = lower if acronym else stem(token)
    word = "" if (lower in STOPWORDS and not acronym) or len(s) < 2 else s
    name = s if acronym or (token[0].isupper() and lower not in _NOT_NAMES and len(s) > 1) else ""
    if len(_token_cache) > 500_000:
        _token_cache.clear()
    _token_cache[token] = (word, name)
    return word, name


def _close(phrase: list[str], counts: Counter[str]) -> None:
    """Count a run of capitalised words as ``e:`` features: its last word, and the whole run."""
    counts["e:" + phrase[-1]] += 1
    if len(phrase) > 1:
        counts["e:" + "_".join(phrase)] += 1


def _count_number(digits: str, counts: Counter[str]) -> None:
    """Count a number token as an ``n:`` feature when it has two digits or more."""
    num = _number(digits)
    if num:
        counts["n:" + num] += 1


def _scan(text: str, counts: Counter[str], *, title: bool) -> None:
    """Add one text's words, names and numbers to ``counts``.

    The hottest code of story assignment, so each token is looked up once, in a list
    comprehension, and only names and numbers are then walked one by one: a run of
    capitalised words is counted where the next name or number finds it ended (by
    punctuation, a number or an ordinary word, "Biden, Harris"), which keeps the features in
    the order of the text.
    """
    if "." in text and _MAYBE_ACRONYM.search(text):
        text = _ACRONYM.sub(lambda m: m.group().replace(".", "") + " ", text)
    names = not (title and _title_case(text))
    cache = _token_cache
    tokens = _TOKEN.findall(text)
    seen = [(cache.get(t) or _analyse(t)) if t else _NOTHING for t, _, _ in tokens]
    marks = [j for j, (t, digits, _) in enumerate(tokens)
             if digits or (seen[j][1] and (names or t.isupper()))]
    phrase: list[str] = []
    last = -2
    for j in marks:
        digits = tokens[j][1]
        if phrase and (digits or j != last + 1):
            _close(phrase, counts)
            phrase = []
        if digits:
            _count_number(digits, counts)
        else:
            phrase.append(seen[j][1])
            last = j
    if phrase:
        _close(phrase, counts)
    words = ["w:" + w for w, _ in seen if w]
    counts.update(words)
    if title:
        counts.update(["t:" + w[2:] for w in words])


def lead(text: str, words: int) -> str:
    """The first ``words`` words of a body (all of it when shorter).

    News is written as an inverted pyramid: the event (who, where, how many) is in the first
    paragraphs, while the rest is background and quotes that differ from outlet to outlet.
    """
    parts = text.split(None, words)
    if len(parts) <= words:
        return text
    return " ".join(parts[:words])


def _content_words(text: str) -> list[str]:
    """The content-word stems of a text, in order."""
    return [w for token, _, _ in _TOKEN.findall(text) if token and (w := _analyse(token)[0])]


def slug_words(url: str) -> list[str]:
    """Content words of an address's slug (``u:<stem>``): often the outlet's own headline."""
    try:
        path = urlsplit(url).path
    except ValueError:  # a malformed address ("http://[::1") says nothing; the rest still counts
        return []
    parts = [p for p in path.split("/") if "-" in p or "_" in p]
    if not parts:
        return []
    slug = max(parts, key=len).rsplit(".", 1)[0].replace("_", " ").replace("-", " ")
    return ["u:" + w for w in _content_words(slug) if not w.isdigit()]


def extract_features(title: str | None, text: str | None, lead_words: int | None = None,
                     url: str | None = None) -> Counter[str]:
    """Raw feature counts of one article: headline, body (only its lead, when given), and
    the words of its address's slug."""
    counts: Counter[str] = Counter()
    if title:
        _scan(title, counts, title=True)
    if text:
        _scan(lead(text, lead_words) if lead_words else text, counts, title=False)
    if url:
        counts.update(slug_words(url))
    return counts
