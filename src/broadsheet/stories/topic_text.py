"""Words for story topics: the bundled word lists, name normalisation and tokenising.

The lists live in ``data/topics_*.txt`` as plain text, one section per cue, so that an editor can
read and extend them; they are read once per process. Tokenising keeps what name-finding needs:
each token, whether it is written as a name, and whether it opens a sentence (where a capital says
nothing about names).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import compress

TEXT_CHARS = 1500  # of each body: leads name the story's actors; the rest adds time, not topics
KINDS = ("person", "organisation", "place", "subject")
PERSON, ORG, PLACE, SUBJECT = range(4)


@dataclass(frozen=True)
class Known:
    name: str
    kind: str  # a KINDS entry, or "media"
    weak: bool  # a demonym or adjective ("British"): the same topic, weaker evidence
    acronym: bool  # written in capitals ("US"): matches only text in capitals


class Lexicon:
    """The bundled word lists, read once per process."""

    def __init__(self) -> None:
        sec: dict[str, list[str]] = {}
        for name in ("topics_stopwords.txt", "topics_cues.txt", "topics_given_names.txt"):
            current = "given_names"
            for line in _data_lines(name):
                if line.startswith("[") and line.endswith("]"):
                    current = line[1:-1]
                else:
                    sec.setdefault(current, []).append(line)
        words = {k: frozenset(w for line in v for w in line.split()) for k, v in sec.items()}
        self.stop = words["stop"]
        self.stop_by_lang = {k[5:]: self.stop | v for k, v in words.items() if k[:5] == "stop:"}
        self.generic, self.generic_nouns = words["generic"], words["generic_nouns"]
        self.calendar, self.not_names = words["calendar"], words["not_names"]
        self.never = self.stop | self.calendar | self.not_names
        self.titles = frozenset(norm_phrase(line) for line in sec["titles"])
        self.title_words = words["title_modifiers"]
        self.person_roles, self.person_after = words["person_roles"], words["person_after"]
        self.org_roles, self.legal = words["org_roles"], words["legal_suffixes"]
        self.org_suffixes, self.of_heads = words["org_suffixes"], words["of_heads"]
        self.place_suffixes, self.place_prefixes = words["place_suffixes"], words["place_prefixes"]
        self.place_before, self.place_after = words["place_before"], words["place_after"]
        self.event_suffixes, self.connectors = words["event_suffixes"], words["connectors"]
        self.event_prefixes = words["event_prefixes"]
        articles = {"der", "den", "dem", "des", "die", "das"}  # German articles, not particles
        self.connectors_by_lang = {"de": self.connectors - articles}
        self.given = words["given_names"]
        self.known: dict[str, Known] = {}
        self._read_known("topics_places.txt", "place")
        self._read_known("topics_names.txt", "")
        self.known_len = max(len(k.split()) for k in self.known)

    def _read_known(self, name: str, kind: str) -> None:
        for line in _data_lines(name):
            line_kind, _, rest = line.partition(": ") if not kind else ("", "", line)
            names = [n.strip() for n in rest.split("|")]
            canonical = names[0]
            for alias in names:
                weak = alias.startswith("~")
                alias = alias.lstrip("~")
                acronym = alias.replace(".", "").isupper() and len(alias.replace(".", "")) <= 5
                entry = Known(canonical, kind or line_kind, weak, acronym)
                self.known.setdefault(norm_phrase(alias), entry)

    def is_generic(self, word: str, nouns: bool = False) -> bool:
        """True for a word (or an inflected form of one) that never makes a subject alone."""
        lists = (self.generic, self.generic_nouns) if nouns else (self.generic,)
        return any(form in words for form in _forms(word) for words in lists)


def _data_lines(name: str) -> list[str]:
    text = resources.files("broadsheet.stories").joinpath("data", name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@cache
def lexicon() -> Lexicon:
    return Lexicon()


@lru_cache(maxsize=65536)
def _forms(word: str) -> tuple[str, ...]:
    """The word and the lemmas it may be an inflection of: plural, -ed, -ing, -er."""
    forms = [word]
    for end, repl in (("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"),
                      ("ing", ""), ("ing", "e"), ("d", ""), ("er", ""), ("ers", "")):
        if word.endswith(end) and len(word) - len(end) >= 3:
            stem = word[: -len(end)] + repl
            forms.append(stem)
            if len(stem) > 3 and stem[-1] == stem[-2]:  # "capping" -> "capp" -> "cap"
                forms.append(stem[:-1])
    return tuple(forms)


@lru_cache(maxsize=65536)
def norm_word(token: str) -> str:
    """A token as names are compared: lower case, no accents, dots or possessive."""
    w = token.replace("’", "'").lower()
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace(".", "").replace("-", " ").strip("'")
    if not w.isascii():
        w = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
    return w


_PUNCTUATION = re.compile(r"[,;:&/()\"“”]|[-‐–—](?=\w)")


def norm_phrase(text: str) -> str:
    """A whole name as names are compared ("U.S." -> "us", "Côte d'Ivoire" -> "cote d'ivoire")."""
    words = _PUNCTUATION.sub(" ", text).split()
    return " ".join(w for w in map(norm_word, words) if w)


def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def strip_titles(words: list[str], lex: Lexicon) -> list[str]:
    """Drop the honorifics and titles before a name ("former president", "mr", "senate majority
    leader"), unless what follows is no person's name ("General Motors", "Justice Department")."""
    cut = 0
    for start in range(len(words) - 1):
        for n in range(min(4, len(words) - 1 - start), 0, -1):
            if " ".join(words[start:start + n]) in lex.titles:
                rest = words[start + n:]
                if not (rest[-1] in lex.org_suffixes or rest[-1] in lex.event_suffixes
                        or rest[0] in lex.connectors or rest[0] in ("of", "for")):
                    cut = start + n
                break
    return words[cut:]


_TOKEN = re.compile(
    r"(?:[^\W\d_]\.){2,}"  # U.S., U.K., E.U.
    r"|\d[\d.,]*\d[^\W\d_]*|\d[^\W\d_]*"  # 4.25, 2,000, 7.14pm, 3rd
    r"|[^\W_][\w&]*(?:['’\-][^\W_][\w&]*)*"  # words, with inner apostrophes and hyphens
    r"|\S|\n"  # any other mark; a line break ends a paragraph
)
_SENTENCE_END = frozenset(".!?:;\n")
_OPENERS = frozenset("\"“‘'(«[—–-")
_ABBREVIATIONS_TEXT = """mr mrs ms dr st sen rep gov gen lt col sgt capt cpl adm prof rev jr sr
    inc corp co ltd mt ft no vs jan feb mar apr aug sep sept oct nov dec est al"""
ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())


@lru_cache(maxsize=65536)
def is_cap(tok: str) -> bool:
    """A word written as a name: Capitalised, an acronym, "iPhone", "al-Assad"."""
    c = tok[0]
    if c.isupper():
        return True
    if not c.isalpha():
        return False
    if "-" in tok:
        head, _, tail = tok.partition("-")
        return tail[:1].isupper() and head in ("al", "el", "bin", "ibn", "de", "van", "von")
    return len(tok) > 2 and tok[1].isupper()


@dataclass
class Segment:
    """One headline or body of one article, tokenised."""

    doc: int
    title: bool
    tokens: list[str]
    caps: list[bool]  # token is written as a name
    starts: set[int]  # capitalised tokens that start a sentence (their capital says nothing)
    title_case: bool = False


def is_word(tok: str) -> bool:
    return tok[0].isalpha()


def _title_case(tokens: list[str], stop: frozenset[str]) -> bool:
    """True for a Headline In Title Case (or capitals), whose capitals say nothing of names."""
    words = [t for t in tokens if is_word(t) and t.lower() not in stop]
    if len(words) < 2:
        return False
    return sum(is_cap(w) for w in words) >= 0.8 * len(words)


def segments(index: int, title: str, text: str, stop: frozenset[str]) -> list[Segment]:
    """An article's headline and the start of its body, tokenised."""
    if len(text) > TEXT_CHARS:
        cut = text.rfind(" ", 0, TEXT_CHARS)
        text = text[: cut if cut > 0 else TEXT_CHARS]
    parts = [_tokenise(index, title, True), _tokenise(index, text, False)]
    parts[0].title_case = _title_case(parts[0].tokens, stop)
    return parts


def _tokenise(doc: int, text: str, title: bool) -> Segment:
    tokens = _TOKEN.findall(text)
    caps = list(map(is_cap, tokens))
    starts = {i for i in compress(range(len(tokens)), caps) if _starts_sentence(tokens, i)}
    return Segment(doc, title, tokens, caps, starts)


def _starts_sentence(tokens: list[str], i: int) -> bool:
    """True when token ``i`` opens a sentence, a quotation or a bracket."""
    k = i - 1
    if k >= 0 and tokens[k] in _OPENERS:
        return True
    if k < 0:
        return True
    tok = tokens[k]
    if tok not in _SENTENCE_END:
        return False
    if tok != "." or k == 0:
        return True
    prev = tokens[k - 1]
    return not (prev.lower() in ABBREVIATIONS or (len(prev) == 1 and prev.isupper()))
