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
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from itertools import compress

from django.utils.text import slugify

TEXT_CHARS = 1500  # of each body: leads name the story's actors; the rest adds time, not topics
KINDS = ("person", "organisation", "place", "subject")
PERSON, ORG, PLACE, SUBJECT = range(4)
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


# --------------------------------------------------------------------------- word lists


@dataclass(frozen=True)
class _Known:
    name: str
    kind: str  # a KINDS entry, or "media"
    weak: bool  # a demonym or adjective ("British"): the same topic, weaker evidence
    acronym: bool  # written in capitals ("US"): matches only text in capitals


class _Lexicon:
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
        articles = {"der", "den", "dem", "des", "die", "das"}  # German articles, not particles
        self.connectors_by_lang = {"de": self.connectors - articles}
        self.given = words["given_names"]
        self.known: dict[str, _Known] = {}
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
                entry = _Known(canonical, kind or line_kind, weak, acronym)
                self.known.setdefault(norm_phrase(alias), entry)

    def is_generic(self, word: str, nouns: bool = False) -> bool:
        """True for a word (or an inflected form of one) that never makes a subject alone."""
        lists = (self.generic, self.generic_nouns) if nouns else (self.generic,)
        return any(form in words for form in _forms(word) for words in lists)


def _data_lines(name: str) -> list[str]:
    text = resources.files("broadsheet.stories").joinpath("data", name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@cache
def _lexicon() -> _Lexicon:
    return _Lexicon()


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
    w = w.replace(".", "").strip("'")
    if not w.isascii():
        w = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
    return w


def norm_phrase(text: str) -> str:
    """A whole name as names are compared ("U.S." -> "us", "Côte d'Ivoire" -> "cote d'ivoire")."""
    words = re.sub(r"[,;:&/()\"“”]|[-‐–—](?=\w)", " ", text).split()
    return " ".join(w for w in map(norm_word, words) if w)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _strip_titles(words: list[str], lex: _Lexicon) -> list[str]:
    """Drop leading honorifics and titles ("former president", "mr") when a name follows."""
    while len(words) > 1:
        cut = 0
        for n in range(min(4, len(words) - 1), 0, -1):
            if " ".join(words[:n]) in lex.titles or (n == 1 and words[0] in lex.title_words):
                cut = n
                break
        rest = words[cut:]
        if not cut or rest[-1] in lex.org_suffixes or rest[-1] in lex.event_suffixes:
            break
        if rest[0] in lex.connectors or rest[0] in ("of", "for"):
            break
        words = rest
    return words


def topic_key(name: str) -> str:
    """The key that matches one entity across stories: "UK", "U.K." and "Britain" share one, and
    "President Trump" has Trump's (honorifics and titles dropped, leading "the", company-form
    suffixes and middle initials too)."""
    lex = _lexicon()
    words = norm_phrase(name).split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    known = lex.known.get(" ".join(words))
    if known is None:
        words = _strip_titles(words, lex)
        while len(words) > 1 and words[-1] in lex.legal:
            words = words[:-1]
        if len(words) > 2:
            words = [words[0]] + [w for w in words[1:-1] if len(w) > 1] + [words[-1]]
        known = lex.known.get(" ".join(words))
    if known is not None:
        words = norm_phrase(known.name).split()
    if words:
        words[-1] = _singular(words[-1])
    return " ".join(words)


# --------------------------------------------------------------------------- reading text

_TOKEN = re.compile(
    r"(?:[^\W\d_]\.){2,}"  # U.S., U.K., E.U.
    r"|\d[\d.,]*\d[^\W\d_]*|\d[^\W\d_]*"  # 4.25, 2,000, 7.14pm, 3rd
    r"|[^\W_][\w&]*(?:['’\-][^\W_][\w&]*)*"  # words, with inner apostrophes and hyphens
    r"|\S|\n"  # any other mark; a line break ends a paragraph
)
_SENTENCE_END = frozenset(".!?:;\n")
_POSSESSIVE = re.compile(r"['’]s?$")
_ROMAN = re.compile(r"[ivx]{2,5}")
_OPENERS = frozenset("\"“‘'(«[—–-")
_ABBREVIATIONS_TEXT = """mr mrs ms dr st sen rep gov gen lt col sgt capt cpl adm prof rev jr sr
    inc corp co ltd mt ft no vs jan feb mar apr aug sep sept oct nov dec est al"""
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())


@lru_cache(maxsize=65536)
def _is_cap(tok: str) -> bool:
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
class _Segment:
    """One headline or body of one article, tokenised."""

    doc: int
    title: bool
    tokens: list[str]
    caps: list[bool]  # token is written as a name
    starts: set[int]  # capitalised tokens that start a sentence (their capital says nothing)
    title_case: bool = False


def _is_word(tok: str) -> bool:
    return tok[0].isalpha()


def _title_case(tokens: list[str], stop: frozenset[str]) -> bool:
    """True for a Headline In Title Case (or capitals), whose capitals say nothing of names."""
    words = [t for t in tokens if _is_word(t) and t.lower() not in stop]
    if len(words) < 2:
        return False
    return sum(_is_cap(w) for w in words) >= 0.8 * len(words)


def _segments(index: int, doc: TopicDoc, stop: frozenset[str]) -> list[_Segment]:
    text = doc.text or ""
    if len(text) > TEXT_CHARS:
        cut = text.rfind(" ", 0, TEXT_CHARS)
        text = text[: cut if cut > 0 else TEXT_CHARS]
    segments = [_tokenise(index, doc.title or "", True), _tokenise(index, text, False)]
    segments[0].title_case = _title_case(segments[0].tokens, stop)
    return segments


def _tokenise(doc: int, text: str, title: bool) -> _Segment:
    tokens = _TOKEN.findall(text)
    caps = list(map(_is_cap, tokens))
    starts = {i for i in compress(range(len(tokens)), caps) if _starts_sentence(tokens, i)}
    return _Segment(doc, title, tokens, caps, starts)


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
    return not (prev.lower() in _ABBREVIATIONS or (len(prev) == 1 and prev.isupper()))


# --------------------------------------------------------------------------- names


@dataclass
class _Mention:
    words: tuple[str, ...]  # the name as written, possessive and titles dropped
    surface: str  # as written, titles included: an alias
    doc: int
    title: bool
    sure: bool  # capitalised where capitals mean a name
    cues: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    weak: bool = False
    loose: bool = False  # starts a sentence with an ordinary word: "Split Reserve Bank"


@dataclass
class _Group:
    """Everything a story says about one name."""

    key: str
    words: tuple[str, ...]  # normalised words of the name
    known: _Known | None
    surfaces: Counter[str] = field(default_factory=Counter)
    aliases: Counter[str] = field(default_factory=Counter)
    docs: set[int] = field(default_factory=set)
    title_docs: set[int] = field(default_factory=set)
    mentions: float = 0.0
    sure: int = 0
    cues: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])

    def absorb(self, other: _Group) -> None:
        self.surfaces.update(other.surfaces)
        self.aliases.update(other.aliases)
        self.docs |= other.docs
        self.title_docs |= other.title_docs
        self.mentions += other.mentions
        self.sure += other.sure
        self.cues = [a + b for a, b in zip(self.cues, other.cues, strict=True)]


def _possessive_end(tokens: list[str], j: int) -> bool:
    tok = tokens[j]
    if tok.endswith(("'s", "’s")):
        return True
    return tok.endswith("s") and j + 1 < len(tokens) and tokens[j + 1] in ("'", "’")


def _run(tokens: list[str], i: int, lex: _Lexicon, connectors: frozenset[str]) -> int:
    """The end (exclusive) of the capitalised phrase starting at ``i``."""
    n = len(tokens)
    j = i + 1
    if _possessive_end(tokens, i):
        return j
    while j < n:
        tok, nxt = tokens[j], tokens[j + 1] if j + 1 < n else ""
        if _is_cap(tok):
            j += 1
            if _possessive_end(tokens, j - 1) or ("-" in tok and tok[-1].islower()
                                                  and not tok.rpartition("-")[2][0].isupper()):
                break
            continue
        if tok[0].isdigit() and j - i >= 2 and len(tok) <= 4:  # "Nimbus Fold 3"
            return j + 1
        low = tok.lower()
        if low in connectors and nxt.lower() in connectors and j + 2 < n and _is_cap(
                tokens[j + 2]):
            j += 2  # "Ursula von der Leyen", "Lopez de la Torre"
            continue
        if not nxt or not (_is_cap(nxt) or (low == "of" and nxt == "the")):
            break
        prev = norm_word(tokens[j - 1])
        initial_dot = tok == "." and (prev in _ABBREVIATIONS or len(prev) == 1)
        if initial_dot or low in connectors or low in ("and", "&"):
            j += 1
        elif low in ("of", "for") and prev in lex.of_heads:
            j += 2 if nxt == "the" else 1
        else:
            break
    return j


def _mentions(seg: _Segment, vocab: set[str], lex: _Lexicon, lang: str):
    """Every name in a segment written where capitals are meaningful."""
    tokens = seg.tokens
    connectors = lex.connectors_by_lang.get(lang, lex.connectors)
    j = 0
    for i in compress(range(len(tokens)), seg.caps):
        if i < j:
            continue
        j = _run(tokens, i, lex, connectors)
        if j == i + 1 and tokens[i].lower() in lex.never and not tokens[i].isupper():
            continue  # "The", "He", "Monday": the commonest capitals, never a name
        words = tuple(t for t in tokens[i:j] if t != ".")
        in_vocab = tuple(w.lower() in vocab for w in words)
        parsed = _parse_run(words, i in seg.starts, in_vocab, lang)
        if not parsed:
            continue
        after = words[-1].rpartition("-")[2] if "-" in words[-1] else ""
        context = _context(seg, i, j, after, lex)
        for name, surface, sure, weak, loose, titled in parsed:
            cues = list(context)
            if titled:
                cues[PERSON] += 3
            yield _Mention(name, surface, seg.doc, seg.title, sure, cues, weak, loose)


# (name words, surface with titles, sure, weak, loose, follows a title)
_Parsed = tuple[tuple[str, ...], str, bool, bool, bool, bool]


@lru_cache(maxsize=32768)
def _parse_run(words: tuple[str, ...], initial: bool, in_vocab: tuple[bool, ...],
               lang: str) -> tuple[_Parsed, ...]:
    """The names one capitalised phrase holds, once its non-name words are dropped. Depends on
    the phrase alone (and which of its words the story also writes in lower case), so a name
    seen again costs a lookup."""
    lex = _lexicon()
    stop = lex.stop_by_lang.get(lang, lex.stop)
    parts = [(list(words), list(in_vocab))]
    if (("and" in words or "&" in words) and norm_word(words[-1]) not in lex.org_suffixes
            and norm_phrase(" ".join(words)) not in lex.known):  # "Law and Justice" stays
        parts = [([], [])]
        for w, v in zip(words, in_vocab, strict=True):
            if w in ("and", "&"):
                parts.append(([], []))
            else:
                parts[-1][0].append(w)
                parts[-1][1].append(v)
    out: list[_Parsed] = []
    for k, (ws, vs) in enumerate(parts):
        if ws:
            out += _parse_name(ws, vs, initial and k == 0, lex, stop)
    return tuple(out)


def _parse_name(words: list[str], in_vocab: list[bool], initial: bool, lex: _Lexicon,
                stop: frozenset[str]) -> list[_Parsed]:
    if not words:
        return []
    last = words[-1]
    if "-" in last and last.rpartition("-")[2][:1].islower():  # "Northmoor-based"
        words[-1] = last.rpartition("-")[0]
    words[-1] = _POSSESSIVE.sub("", words[-1])
    norms = [norm_word(w) for w in words]
    while norms and (norms[0] in lex.calendar
                     or (initial and _common(norms, in_vocab[0], lex, stop))):
        words, norms, in_vocab = words[1:], norms[1:], in_vocab[1:]
    while norms and (norms[-1] in lex.calendar or norms[-1] in lex.connectors):
        words, norms = words[:-1], norms[:-1]
    if not norms:
        return []
    surface = " ".join(words)
    known = lex.known.get(" ".join(norms))
    if known is not None and known.acronym and not words[0].replace(".", "").isupper():
        known = None  # "Us" is not the US
    if len(norms) == 1 and known is None and (
            norms[0] in lex.not_names or norms[0] in stop or len(norms[0]) < 2):
        return []
    if known is None and len(norms) > 1:
        title = _title_at(norms, lex)
        if title is not None:
            start, end = title
            before = _parse_name(words[:start], in_vocab[:start], initial, lex, stop)
            return [*before, (tuple(words[end:]), surface, True, False, False, True)]
        last = norms[-1]
        head = lex.known.get(norms[0])
        if head is not None and (head.weak or head.kind == "organisation") and not (
                last in lex.org_suffixes or last in lex.event_suffixes
                or last in lex.place_suffixes or last in lex.legal):
            # "Tesla Autopilot", "Canadian Jeremy Hansen": two names ("Manchester City": one)
            rest = _parse_name(words[1:], in_vocab[1:], False, lex, stop)
            return [((words[0],), words[0], True, head.weak, False, False), *rest]
    sure = not initial or len(norms) > 1 or known is not None
    loose = initial and len(norms) > 1 and (in_vocab[0] or lex.is_generic(norms[0], True))
    return [(tuple(words), surface, sure, known is not None and known.weak, loose, False)]


def _common(norms: list[str], in_vocab: bool, lex: _Lexicon, stop: frozenset[str]) -> bool:
    """True when a sentence's first word is an ordinary word, not the start of a name."""
    for n in range(min(len(norms), lex.known_len), 0, -1):
        if " ".join(norms[:n]) in lex.known:
            return False
    w = norms[0]
    if w in stop or w in lex.calendar or lex.is_generic(w):
        return True
    if len(norms) > 1:  # "Northern Sea", "National Space Office": a name's own first word
        return w in lex.title_words
    return w in lex.not_names or in_vocab or lex.is_generic(w, True)


def _title_at(norms: list[str], lex: _Lexicon) -> tuple[int, int] | None:
    """(start, end) of the last title in a phrase that a name follows ("Senate Majority Leader
    Mitch McConnell" -> the span of "Majority Leader"), or None."""
    found = None
    k = 0
    while k < len(norms) - 1:
        for n in range(min(4, len(norms) - 1 - k), 0, -1):
            if " ".join(norms[k:k + n]) in lex.titles:
                start = k
                while start > 0 and norms[start - 1] in lex.title_words:
                    start -= 1
                found = (start, k + n)
                k += n
                break
        else:
            k += 1
    if found is None:
        return None
    rest = norms[found[1]:]
    if rest[-1] in lex.org_suffixes or rest[-1] in lex.event_suffixes or rest[0] in ("of", "for"):
        return None
    return found


def _context(seg: _Segment, i: int, j: int, after: str, lex: _Lexicon) -> list[float]:
    """Evidence of kind from the words just around a phrase."""
    tokens = seg.tokens
    cues = [0.0, 0.0, 0.0, 0.0]
    before = tokens[i - 1].lower() if i > 0 else ""
    if before in lex.titles or before in lex.person_roles:
        cues[PERSON] += 2
    elif before in lex.org_roles:
        cues[ORG] += 2
    elif before in lex.place_before:
        cues[PLACE] += 1
    elif before == "of" and i > 1 and tokens[i - 2].lower() in lex.place_suffixes:
        cues[PLACE] += 2  # "the port city of Havnby"
    if after in lex.place_after:
        cues[PLACE] += 2
    nxt = tokens[j] if j < len(tokens) else ""
    if nxt in lex.place_suffixes:  # "the Brahmaputra river", "Nagaon district"
        cues[PLACE] += 2
    if j + 1 < len(tokens) and tokens[j] == "," and tokens[j + 1].lower() in lex.person_after:
        cues[PERSON] += 2
    return cues


def _title_lookups(seg: _Segment, groups: dict[str, _Group], lex: _Lexicon):
    """Names in a Title Case headline: only those the story or the lists already know."""
    tokens, n = seg.tokens, len(seg.tokens)
    capitals = all(not t.isalpha() or t.isupper() for t in tokens)
    ends = {g.words[-1] for g in groups.values() if g.sure and len(g.words) > 1}
    ends |= {g.words[0] for g in groups.values() if g.sure and len(g.words) > 1}
    i = 0
    while i < n:
        if not _is_word(tokens[i]):
            i += 1
            continue
        for size in range(min(lex.known_len, n - i), 0, -1):
            words = tokens[i:i + size]
            if not all(_is_word(w) for w in words):
                continue
            key = " ".join(norm_word(w) for w in words)
            known = lex.known.get(key)
            if known and known.acronym and (capitals or not words[0].isupper()):
                known = None
            group = groups.get(key)
            if known or (group and group.sure) or (size == 1 and key in ends):
                weak = known is not None and known.weak
                yield _Mention(tuple(words), " ".join(words), seg.doc, True, True, weak=weak)
                i += size
                break
        else:
            i += 1


@lru_cache(maxsize=32768)
def _group_key(words: tuple[str, ...]) -> tuple[str, tuple[str, ...], _Known | None]:
    """(key, normalised words, list entry) of a name as written."""
    lex = _lexicon()
    norms = tuple(norm_word(w) for w in words)
    if norms[0] == "the" and len(norms) > 1:  # "The Lanterns" mid-sentence keeps its "The"
        norms = norms[1:]
    known = lex.known.get(" ".join(norms))
    if known is not None and known.acronym and not words[-1].replace(".", "").isupper():
        known = None
    if known is not None:
        return "=" + known.name, tuple(norm_phrase(known.name).split()), known
    if len(norms) > 2:  # "Donald J. Trump" is Donald Trump
        norms = (norms[0], *(w for w in norms[1:-1] if len(w) > 1), norms[-1])
    return " ".join(norms), norms, None


def _collect(segs: list[_Segment], vocab: set[str], lex: _Lexicon, lang: str) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    found = [m for seg in segs if not seg.title_case for m in _mentions(seg, vocab, lex, lang)]
    keys = {_group_key(m.words)[0] for m in found if not m.loose}
    for m in found:
        if m.loose and _group_key(m.words[1:])[0] in keys:
            m.words = m.words[1:]
        _add(groups, m, lex)
    for seg in segs:
        if seg.title_case:
            for m in list(_title_lookups(seg, groups, lex)):
                _add(groups, m, lex)
    return groups


def _add(groups: dict[str, _Group], m: _Mention, lex: _Lexicon) -> None:
    key, norms, known = _group_key(m.words)
    g = groups.get(key)
    if g is None:
        g = groups[key] = _Group(key, norms, known)
    g.surfaces[" ".join(m.words)] += 1
    g.aliases[m.surface] += 1
    g.docs.add(m.doc)
    if m.title:
        g.title_docs.add(m.doc)
    g.mentions += 0.5 if m.weak else 1.0
    g.sure += m.sure
    g.cues = [a + b for a, b in zip(g.cues, m.cues, strict=True)]


# --------------------------------------------------------------------------- one entity, one topic


def _personish(g: _Group, lex: _Lexicon) -> bool:
    if g.known is not None or len(g.words) < 2:
        return False
    last = g.words[-1]
    if last in lex.org_suffixes or last in lex.place_suffixes or last in lex.event_suffixes:
        return False
    return g.cues[PERSON] > 0 or g.words[0] in lex.given


def _orgish(g: _Group, lex: _Lexicon) -> bool:
    return g.known is None and len(g.words) > 1 and (
        g.words[-1] in lex.org_suffixes or g.words[-1] in lex.legal or g.cues[ORG] > 0)


def _initials(words: tuple[str, ...]) -> str:
    return "".join(w[0] for w in words if w not in ("of", "for", "and", "the", "de", "des"))


def _merge(groups: dict[str, _Group], lex: _Lexicon) -> list[_Group]:
    """Join each short form to the full name it stands for: a surname to the person's full name,
    "Veltrix" to "Veltrix Semiconductors", "FBI" to "Federal Bureau of Investigation"."""
    ordered = sorted(groups.values(), key=lambda g: (-g.mentions, g.key))
    by_first: dict[str, list[_Group]] = {}
    by_last: dict[str, list[_Group]] = {}
    by_initials: dict[str, list[_Group]] = {}
    for p in ordered:
        if len(p.words) > 1:
            by_first.setdefault(p.words[0], []).append(p)
            by_last.setdefault(p.words[-1], []).append(p)
            by_initials.setdefault(_initials(p.words), []).append(p)
    merged: dict[str, _Group] = {}
    by_words = {p.words: p for p in ordered}
    for g in ordered:
        if len(g.words) > 1:
            target = _longer_person(g, by_words, by_last, lex)
            if target is not None and merged.get(target.key) is not g:
                merged[g.key] = target
            continue
        w = g.words[0]
        target = next((p for p in by_last.get(w, ()) if _personish(p, lex)), None)
        if target is not None:
            target.cues[PERSON] += 2  # a full name, then the surname alone: a person
        elif g.known is None:
            firsts = [p for p in by_first.get(w, ()) if _orgish(p, lex) and g.cues[PLACE] < 2]
            lasts = [p for p in by_last.get(w, ()) if p.known is None]
            capitals = len(w) > 1 and all(s.isupper() for s in g.surfaces)
            acronyms = by_initials.get(w, []) if capitals else []
            for options in (acronyms, firsts, lasts):
                if len(options) == 1:
                    target = options[0]
                    break
        if target is not None:
            merged[g.key] = target
    for key, target in merged.items():
        seen = {key}
        while target.key in merged and target.key not in seen:  # "Vanek" -> "Tomas Vanek" -> ...
            seen.add(target.key)
            target = merged[target.key]
        if target.key not in seen:
            target.absorb(groups[key])
        else:
            merged[key] = groups[key]  # a cycle: keep the name as it is
    return [g for g in ordered if merged.get(g.key, g) is g]


def _longer_person(g: _Group, by_words: dict[tuple[str, ...], _Group],
                   by_last: dict[str, list[_Group]], lex: _Lexicon) -> _Group | None:
    """The person a multi-word name is part of: "Von der Leyen" of "Ursula von der Leyen";
    or the person a name is once written with a stray word before: "Administrator Bill Nelson"."""
    if g.known is not None:
        return None
    tail = by_words.get(g.words[1:])
    if len(g.words) > 2 and tail is not None and _personish(tail, lex):
        return tail
    n = len(g.words)
    return next((p for p in by_last.get(g.words[-1], ()) if len(p.words) > n
                 and p.words[-n:] == g.words and _personish(p, lex)), None)


def _kind(g: _Group, lex: _Lexicon, vocab: set[str], german: bool) -> str | None:
    """The kind of a name from its cues and shape; None when a name is too doubtful to keep."""
    if g.known is not None:
        return "organisation" if g.known.kind == "media" else g.known.kind
    scores = list(g.cues)
    words = g.words
    head = words[words.index("of") - 1] if "of" in words[1:] else words[-1]
    if head in lex.event_suffixes or (head == "prix"):
        scores[SUBJECT] += 3
    if head in lex.org_suffixes or words[-1] in lex.legal:
        scores[ORG] += 3
    if head in lex.place_suffixes or (len(words) > 1 and words[0] in lex.place_prefixes):
        scores[PLACE] += 2
    if len(words) > 1 and words[0] in lex.given:
        scores[PERSON] += 2
    if len(words) == 1 and len(g.surfaces) and all(s.isupper() for s in g.surfaces):
        scores[ORG] += 1
    best = max(range(4), key=lambda k: (scores[k], -k))
    if scores[best] > 0:
        return KINDS[best]
    if german and len(words) == 1:
        return None
    if len(words) > 1 and (words[-1][0].isdigit() or _ROMAN.fullmatch(words[-1])):
        return "subject"  # "Artemis II", "Nimbus Fold 3": a mission, a model, an edition
    if 2 <= len(words) <= 3 and not any(w in vocab or lex.is_generic(w, True) for w in words):
        return "person"  # two or three words that are not English words: most often a name
    return "organisation"


def _entity_topics(groups: list[_Group], n_docs: int, lex: _Lexicon, vocab: set[str],
                   german: bool) -> list[FoundTopic]:
    found = []
    for g in groups:
        if not g.sure and g.known is None:
            continue
        heads, docs = len(g.title_docs), len(g.docs)
        if g.known is not None and g.known.kind == "media" and not heads:
            continue
        m = g.mentions
        named_twice = len(g.words) > 1 and m >= 2 and len(g.surfaces) > 1  # "Tomas Vanek", "Vanek"
        if not (heads or (docs >= 2 and m >= 2) or m >= 3 or named_twice):
            continue
        kind = _kind(g, lex, vocab, german)
        if kind is None:
            continue
        weight = (3.0 * heads + 2.0 * docs + 0.5 * min(g.mentions, 12.0)) / n_docs
        name = g.known.name if g.known is not None else _display(g)
        found.append(FoundTopic(name, kind, slugify(name), round(weight, 4), _aliases(g, name)))
    return found


def _display(g: _Group) -> str:
    """The fullest form the story uses most: "Donald Trump" over "Trump", "The Lanterns"."""
    size = len(g.words)
    forms = [s for s in g.surfaces if len(s.split()) >= size]
    return min(forms or g.surfaces, key=lambda s: (-g.surfaces[s], s[:3] != "The", s))


def _aliases(g: _Group, name: str) -> tuple[str, ...]:
    seen = Counter(g.surfaces)
    seen.update(g.aliases)
    return tuple(sorted((s for s in seen if s != name), key=lambda s: (-seen[s], s)))


# --------------------------------------------------------------------------- subjects


@lru_cache(maxsize=65536)
def _content(low: str) -> tuple[str, str, bool] | None:
    """(stem, word, generic noun) of a lower-case word that may be part of a subject, else None."""
    lex = _lexicon()
    if not low[0].islower():
        return None
    if not low.isalpha() and not ("-" in low and low.replace("-", "").isalpha()):
        return None
    if low in lex.stop or len(low) < 3 or low.endswith("ly") or lex.is_generic(low):
        return None
    return _singular(low), low, lex.is_generic(low, True)


def _phrases(segs: list[_Segment], vocab: set[str],
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


def _subject_topics(segs: list[_Segment], vocab: set[str], names: set[str],
                    n_docs: int) -> list[FoundTopic]:
    """Recurring lower-case noun phrases: in a headline and again, or across articles. A word
    mostly seen inside a chosen pair ("holiday" in "holiday lets") gives way to the pair."""
    counts, surfaces, doc_bits, head_bits = _phrases(segs, vocab, names)
    ok: dict[str, tuple[float, int]] = {}
    for key, m in counts.items():
        if m < 2:
            continue
        heads, docs = head_bits.get(key, 0).bit_count(), doc_bits[key].bit_count()
        if " " in key:
            good = heads >= 1 or docs >= 2 or m >= 3
        elif n_docs > 1:
            good = heads >= 1 and docs >= 2 and m >= 3
        else:
            good = m >= 3
        if good:
            score = (3.0 * heads + 2.0 * docs + 0.5 * min(m, 12)) / n_docs
            ok[key] = (score * (1.2 if " " in key else 1.0), m)
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
    forms: dict[str, dict[str, int]] = {key: {} for key, _ in chosen}
    for (key, surface), n in surfaces.items():
        if key in forms:
            forms[key][surface] = n
    found = []
    for key, score in chosen:
        seen = forms[key]
        surface = min(seen, key=lambda s: (-seen[s], s))
        name = surface[0].upper() + surface[1:]
        found.append(FoundTopic(name, "subject", slugify(name), round(score * SUBJECT_WEIGHT, 4),
                                tuple(sorted(s for s in seen if s != surface))))
    return found


# --------------------------------------------------------------------------- the stage


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
    lex = _lexicon()
    language = (docs[0].language or "en").lower()[:2]
    stop = lex.stop_by_lang.get(language, lex.stop)
    segs = [seg for i, d in enumerate(docs) for seg in _segments(i, d, stop)]
    vocab: set[str] = set()
    for seg in segs:
        if not seg.title_case:
            vocab.update(filter(str.islower, seg.tokens))
    groups = _merge(_collect(segs, vocab, lex, language), lex)
    topics = _entity_topics(groups, len(docs), lex, vocab, language == "de")
    if language == "en":
        names = {w for g in groups for w in g.words}
        topics += _subject_topics(segs, vocab, names, len(docs))
    best: dict[str, FoundTopic] = {}
    for t in sorted(topics, key=lambda t: (-t.weight, t.name)):
        best.setdefault(topic_key(t.name), t)
    return list(best.values())[:limit]
