"""Names for story topics: capitalised phrases, what kind of name each is, one entity each.

A name is a run of capitalised words (with the particles and "of"-phrases names carry), less its
titles ("President"), its possessive and the capitals that say nothing (a sentence's first word,
a Headline In Title Case). Each occurrence is a mention; mentions of one name form a group; short
forms join the full name they stand for ("Trump" -> "Donald Trump", "FBI" -> "Federal Bureau of
Investigation"); the cues around a group's mentions and its shape decide its kind.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from typing import NamedTuple

from .topic_text import (
    ABBREVIATIONS,
    KINDS,
    ORG,
    PERSON,
    PLACE,
    SUBJECT,
    Known,
    Lexicon,
    Segment,
    is_cap,
    is_word,
    lexicon,
    norm_phrase,
    norm_word,
)

_POSSESSIVE = re.compile(r"['’]s?$")
_ROMAN = re.compile(r"[ivx]{2,5}")
_PLACE_NOUNS = frozenset(("city", "town", "village", "capital", "province", "region", "state",
                          "county", "suburb"))
_RANGE = frozenset(("-", "–", "—", ":", "/"))
_OF = frozenset(("of", "for", "de", "du", "des", "del", "della", "di", "da", "do"))


class _Mention(NamedTuple):
    """One occurrence of a name."""

    words: tuple[str, ...]  # the name as written, possessive and titles dropped
    surface: str  # as written, titles included: an alias
    doc: int
    title: bool
    sure: bool  # capitalised where capitals mean a name
    cues: tuple[float, ...] | None = None  # evidence per kind (PERSON, ORG, PLACE, SUBJECT)
    weak: bool = False
    loose: bool = False  # starts a sentence with an ordinary word: "Split Reserve Bank"
    pos: int = -1  # token index in the body; -1 in a headline


@dataclass
class Group:
    """Everything a story says about one name."""

    key: str
    words: tuple[str, ...]  # normalised words of the name
    known: Known | None
    surfaces: Counter[str] = field(default_factory=Counter)
    aliases: Counter[str] = field(default_factory=Counter)
    docs: set[int] = field(default_factory=set)
    title_docs: set[int] = field(default_factory=set)
    mentions: float = 0.0
    sure: int = 0
    cues: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    first: dict[int, int] = field(default_factory=dict)  # article -> first token in its body

    def absorb(self, other: Group) -> None:
        """Take in a short form's mentions ("Trump" into "Donald Trump")."""
        self.surfaces.update(other.surfaces)
        self.aliases.update(other.aliases)
        self.docs |= other.docs
        self.title_docs |= other.title_docs
        self.mentions += other.mentions
        self.sure += other.sure
        self.cues = [a + b for a, b in zip(self.cues, other.cues, strict=True)]
        for doc, pos in other.first.items():
            self.first[doc] = min(pos, self.first.get(doc, pos))


def _possessive_end(tokens: list[str], j: int) -> bool:
    tok = tokens[j]
    if tok.endswith(("'s", "’s")):
        return True
    return tok.endswith("s") and j + 1 < len(tokens) and tokens[j + 1] in ("'", "’")


def _with_dots(tokens: list[str]) -> tuple[str, ...]:
    """A phrase's words, the dot of an initial or abbreviation kept on it ("Susan B. Anthony")."""
    words: list[str] = []
    for tok in tokens:
        if tok == "." and words:
            words[-1] += "."
        else:
            words.append(tok)
    return tuple(words)


def _cue_suffix(tok: str) -> bool:
    """True for a name with a lower-case ending: "Northmoor-based", "Trump-backed"."""
    return "-" in tok and tok[-1].islower() and not tok.rpartition("-")[2][0].isupper()


def _run(tokens: list[str], i: int, lex: Lexicon, connectors: frozenset[str]) -> int:
    """The end (exclusive) of the capitalised phrase starting at ``i``."""
    n = len(tokens)
    j = i + 1
    if _possessive_end(tokens, i) or _cue_suffix(tokens[i]):  # "Saltmarsh-born Nadia Farouk"
        return j
    while j < n:
        tok, nxt = tokens[j], tokens[j + 1] if j + 1 < n else ""
        if is_cap(tok):
            j += 1
            if _possessive_end(tokens, j - 1) or _cue_suffix(tok):
                break
            continue
        if tok[0].isdigit() and j - i >= 2 and len(tok) <= 4 and nxt not in _RANGE \
                and tokens[i].lower() not in lex.given:  # "Nimbus Fold 3", not "Lucie Marek 4-6"
            return j + 1
        low = tok.lower()
        if low in connectors and nxt.lower() in connectors and j + 2 < n and is_cap(
                tokens[j + 2]):
            j += 2  # "Ursula von der Leyen", "Lopez de la Torre"
            continue
        if not nxt or not (is_cap(nxt) or (low == "of" and nxt == "the")):
            break
        prev = norm_word(tokens[j - 1])
        initial_dot = tok == "." and (prev in ABBREVIATIONS or len(prev) == 1)
        if initial_dot or low in connectors or low in ("and", "&"):
            j += 1
        elif low in ("of", "for") and prev in lex.of_heads:
            j += 2 if nxt == "the" else 1
        else:
            break
    return j


def _mentions(seg: Segment, vocab: set[str], lex: Lexicon, lang: str):
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
        words = (tokens[i],) if j == i + 1 else _with_dots(tokens[i:j])
        initial = i in seg.starts  # only a sentence's first words need the lower-case check
        in_vocab = tuple([w.lower() in vocab for w in words]) if initial else ()
        parsed = _parse_run(words, initial, in_vocab, lang)
        if not parsed:
            continue
        after = words[-1].rpartition("-")[2] if "-" in words[-1] else ""
        context = _context(seg, i, j, after, lex)
        pos = -1 if seg.title else i
        for name, surface, sure, weak, loose, titled in parsed:
            cues = context
            if titled:
                cues = (3.0, 0.0, 0.0, 0.0) if cues is None else (cues[0] + 3, *cues[1:])
            yield _Mention(name, surface, seg.doc, seg.title, sure, cues, weak, loose, pos)


# (name words, surface with titles, sure, weak, loose, follows a title)
_Parsed = tuple[tuple[str, ...], str, bool, bool, bool, bool]


@lru_cache(maxsize=32768)
def _parse_run(words: tuple[str, ...], initial: bool, in_vocab: tuple[bool, ...],
               lang: str) -> tuple[_Parsed, ...]:
    """The names one capitalised phrase holds, once its non-name words are dropped. Depends on
    the phrase alone (and which of its words the story also writes in lower case), so a name
    seen again costs a lookup."""
    lex = lexicon()
    stop = lex.stop_by_lang.get(lang, lex.stop)
    in_vocab = in_vocab or (False,) * len(words)
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


def _parse_name(words: list[str], in_vocab: list[bool], initial: bool, lex: Lexicon,
                stop: frozenset[str]) -> list[_Parsed]:
    """One part of a phrase: its ordinary first words, calendar words and possessive dropped,
    split at a title ("President Trump") or between two listed names ("Tesla Autopilot")."""
    if not words:
        return []
    last = words[-1]
    if "-" in last and last.rpartition("-")[2][:1].islower():  # "Northmoor-based"
        words[-1] = last.rpartition("-")[0]
    words[-1] = _POSSESSIVE.sub("", words[-1])
    norms = [norm_word(w) for w in words]
    while norms and (norms[0] in lex.calendar or _stray(words[0], norms[0], lex, stop)
                     or (initial and _common(norms, in_vocab[0], lex, stop))):
        words, norms, in_vocab = words[1:], norms[1:], in_vocab[1:]
        initial = False  # "The Lanterns": once "The" goes, the capital that is left is a name's
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
    if known is None and " ".join(norms) in lex.titles:
        return []  # "Secretary of State" with no name after it
    if known is None and len(norms) > 1:
        title = _title_at(norms, lex)
        if title is not None:
            start, end = title
            before = _parse_name(words[:start], in_vocab[:start], initial, lex, stop)
            titled = " ".join(words[start:])  # "President Trump", not "Despite President Trump"
            return [*before, (tuple(words[end:]), titled, True, False, False, True)]
        last = norms[-1]
        head = lex.known.get(norms[0])
        both = head is not None and " ".join(norms[1:]) in lex.known  # "Virginia Democrats"
        if head is not None and (head.weak or head.kind == "organisation" or both) and not (
                last in lex.org_suffixes or last in lex.event_suffixes
                or last in lex.place_suffixes or last in lex.legal):
            # "Tesla Autopilot", "Canadian Jeremy Hansen": two names ("Manchester City": one)
            rest = _parse_name(words[1:], in_vocab[1:], False, lex, stop)
            return [((words[0],), words[0], True, head.weak, False, False), *rest]
    sure = not initial or len(norms) > 1 or known is not None
    loose = initial and len(norms) > 1 and (in_vocab[0] or lex.is_generic(norms[0], True))
    return [(tuple(words), surface, sure, known is not None and known.weak, loose, False)]


def _stray(word: str, norm: str, lex: Lexicon, stop: frozenset[str]) -> bool:
    """A function word capitalised mid-phrase ("Despite President Trump"): never a name's own;
    "The" ("The Lanterns"), titles ("Mr") and capitals ("US") are kept."""
    return norm in stop and norm != "the" and norm not in lex.titles and not word.isupper()


def _common(norms: list[str], in_vocab: bool, lex: Lexicon, stop: frozenset[str]) -> bool:
    """True when a sentence's first word is an ordinary word, not the start of a name."""
    for n in range(min(len(norms), lex.known_len), 0, -1):
        if " ".join(norms[:n]) in lex.known:
            return False
    w = norms[0]
    if len(norms) > 1 and (w in lex.titles or w in lex.person_roles):
        return False  # "Mr Trump told ...": the title goes, the name stays
    if w in stop or w in lex.calendar or lex.is_generic(w):
        return True
    if len(norms) > 1:  # "Northern Sea", "National Space Office": a name's own first word
        return w in lex.title_words
    return w in lex.not_names or in_vocab or lex.is_generic(w, True)


def _title_at(norms: list[str], lex: Lexicon) -> tuple[int, int] | None:
    """(start, end) of the last title in a phrase that a name follows ("Senate Majority Leader
    Mitch McConnell" -> the span of "Majority Leader"), or None."""
    found = (0, 1) if norms[0] in lex.person_roles else None  # "Diplomat Bill Taylor"
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


def _context(seg: Segment, i: int, j: int, after: str,
             lex: Lexicon) -> tuple[float, ...] | None:
    """Evidence of kind from the words just around a phrase (None: no evidence)."""
    tokens = seg.tokens
    cues = [0.0, 0.0, 0.0, 0.0]
    before = tokens[i - 1].lower() if i > 0 else ""
    if before in lex.titles or before in lex.person_roles:
        cues[PERSON] += 2
    elif before in lex.org_roles:
        cues[ORG] += 2
    elif before in lex.place_before:
        cues[PLACE] += 1
    elif before == "of" and i > 1 and (tokens[i - 2].lower() in lex.place_suffixes
                                       or tokens[i - 2].lower() in _PLACE_NOUNS):
        cues[PLACE] += 2  # "the port city of Havnby"
    if after in lex.place_after:
        cues[PLACE] += 2
    nxt = tokens[j] if j < len(tokens) else ""
    if nxt in lex.place_suffixes:  # "the Brahmaputra river", "Nagaon district"
        cues[PLACE] += 2
    if j + 1 < len(tokens) and tokens[j] == "," and tokens[j + 1].lower() in lex.person_after:
        cues[PERSON] += 2
    return tuple(cues) if any(cues) else None


def _title_lookups(seg: Segment, groups: dict[str, Group], lex: Lexicon):
    """Names in a Title Case headline: only those the story or the lists already know."""
    tokens, n = seg.tokens, len(seg.tokens)
    capitals = all(not t.isalpha() or t.isupper() for t in tokens)
    ends = {w for g in groups.values() if g.sure and g.known is None and len(g.words) > 1
            for w in (g.words[0], g.words[-1])}  # "Tillerson" of "Rex Tillerson"
    i = 0
    while i < n:
        if not is_word(tokens[i]):
            i += 1
            continue
        for size in range(min(lex.known_len, n - i), 0, -1):
            words = tokens[i:i + size]
            if not all(is_word(w) for w in words):
                continue
            key = " ".join(norm_word(w) for w in words)
            known = lex.known.get(key)
            if known and known.acronym and (capitals or not words[0].isupper()):
                known = None
            group = groups.get(key)
            if known or (group and group.sure) or (size == 1 and key in ends):
                weak = known is not None and known.weak
                sure = known is not None or group is not None  # else it must join a full name
                words[-1] = _POSSESSIVE.sub("", words[-1]) or words[-1]
                yield _Mention(tuple(words), " ".join(words), seg.doc, True, sure, weak=weak)
                i += size
                break
        else:
            i += 1


@lru_cache(maxsize=32768)
def _group_key(words: tuple[str, ...]) -> tuple[str, tuple[str, ...], Known | None]:
    """(key, normalised words, list entry) of a name as written."""
    lex = lexicon()
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


def collect(segs: list[Segment], vocab: set[str], lex: Lexicon, lang: str) -> dict[str, Group]:
    """Every mention of a name in the story, grouped by name: bodies and sentence-case headlines
    first, then the names they found looked up in Title Case headlines."""
    groups: dict[str, Group] = {}
    found = [m for seg in segs if not seg.title_case for m in _mentions(seg, vocab, lex, lang)]
    keys = {_group_key(m.words)[0] for m in found if not m.loose}
    for m in found:
        if m.loose and _group_key(m.words[1:])[0] in keys:
            m = m._replace(words=m.words[1:], surface=" ".join(m.words[1:]))
        _add(groups, m)
    for seg in segs:
        if seg.title_case:
            for m in list(_title_lookups(seg, groups, lex)):
                _add(groups, m)
    return groups


def _add(groups: dict[str, Group], m: _Mention) -> None:
    key, norms, known = _group_key(m.words)
    g = groups.get(key)
    if g is None:
        g = groups[key] = Group(key, norms, known)
    g.surfaces[" ".join(m.words)] += 1
    g.aliases[m.surface] += 1
    g.docs.add(m.doc)
    if m.title:
        g.title_docs.add(m.doc)
    g.mentions += 0.5 if m.weak else 1.0
    g.sure += m.sure
    if m.cues is not None:
        g.cues = [a + b for a, b in zip(g.cues, m.cues, strict=True)]
    if m.pos >= 0 and m.pos < g.first.get(m.doc, 1 << 30):
        g.first[m.doc] = m.pos


# --------------------------------------------------------------------------- one entity, one topic


def _personish(g: Group, lex: Lexicon) -> bool:
    if g.known is not None or len(g.words) < 2:
        return False
    last = g.words[-1]
    if last in lex.org_suffixes or last in lex.place_suffixes or last in lex.event_suffixes:
        return False
    return g.cues[PERSON] > 0 or g.words[0] in lex.given


def _orgish(g: Group, lex: Lexicon) -> bool:
    return g.known is None and len(g.words) > 1 and (
        g.words[-1] in lex.org_suffixes or g.words[-1] in lex.legal or g.cues[ORG] > 0)


def _eventish(g: Group, lex: Lexicon) -> bool:
    joint = next((k for k, w in enumerate(g.words) if k and w in _OF), 0)
    head = g.words[joint - 1] if joint else g.words[-1]
    return g.known is None and (head in lex.event_suffixes or g.words[0] in lex.event_prefixes)


def _initials(words: tuple[str, ...]) -> str:
    return "".join(w[0] for w in words if w not in ("of", "for", "and", "the", "de", "des"))


@dataclass
class _Index:
    """Multi-word names by their first word, last word, initials and words."""

    by_first: dict[str, list[Group]]
    by_last: dict[str, list[Group]]
    by_initials: dict[str, list[Group]]
    by_words: dict[tuple[str, ...], Group]


def _index(ordered: list[Group]) -> _Index:
    """Index the multi-word names so a short form finds its candidates at once."""
    index = _Index({}, {}, {}, {p.words: p for p in ordered})
    for p in ordered:
        if len(p.words) > 1:
            index.by_first.setdefault(p.words[0], []).append(p)
            index.by_last.setdefault(p.words[-1], []).append(p)
            index.by_initials.setdefault(_initials(p.words), []).append(p)
    return index


def _single_word_target(g: Group, index: _Index, lex: Lexicon) -> Group | None:
    """The full name a one-word name stands for: a person's surname first, then (for names
    nothing else knows) the only acronym, first word or last word it matches."""
    w = g.words[0]
    target = next((p for p in index.by_last.get(w, ())
                   if _personish(p, lex) and not _before(g, p)), None)
    if target is not None:
        target.cues[PERSON] += 2  # a full name, then the surname alone: a person
        return target
    if g.known is not None:
        return None
    firsts = [p for p in index.by_first.get(w, ()) if g.cues[PLACE] < 2 and (
        _orgish(p, lex) or _personish(p, lex) or _eventish(p, lex))]  # "Veltrix", "Tour"
    lasts = [p for p in index.by_last.get(w, ()) if p.known is None]
    capitals = len(w) > 1 and all(s.isupper() for s in g.surfaces)
    acronyms = index.by_initials.get(w, []) if capitals else []
    return next((options[0] for options in (acronyms, firsts, lasts) if len(options) == 1),
                None)


def merge(groups: dict[str, Group], lex: Lexicon) -> list[Group]:
    """Join each short form to the full name it stands for: a surname to the person's full name,
    "Veltrix" to "Veltrix Semiconductors", "FBI" to "Federal Bureau of Investigation"."""
    ordered = sorted(groups.values(), key=lambda g: (-g.mentions, g.key))
    index = _index(ordered)
    merged: dict[str, Group] = {}
    for g in ordered:
        if len(g.words) > 1:
            target = _longer_person(g, index.by_words, index.by_last, lex)
            if target is not None and merged.get(target.key) is not g:
                merged[g.key] = target
            continue
        target = _single_word_target(g, index, lex)
        if target is not None:
            merged[g.key] = target
    _absorb(merged, groups)
    return [g for g in ordered if merged.get(g.key, g) is g]


def _absorb(merged: dict[str, Group], groups: dict[str, Group]) -> None:
    """Fold each short form into the end of its chain; a cycle keeps the name as it is."""
    for key, target in merged.items():
        seen = {key}
        while target.key in merged and target.key not in seen:  # "Vanek" -> "Tomas Vanek" -> ...
            seen.add(target.key)
            target = merged[target.key]
        if target.key not in seen:
            target.absorb(groups[key])
        else:
            merged[key] = groups[key]  # a cycle: keep the name as it is


def _before(short: Group, full: Group) -> bool:
    """True when a surname is used before the full name is given, in the article that first
    gives it: "President Trump ... Melania Trump" is not Melania's surname."""
    if not full.first:
        return False
    doc = min(full.first)
    return short.first.get(doc, 1 << 30) < full.first[doc]


def _longer_person(g: Group, by_words: dict[tuple[str, ...], Group],
                   by_last: dict[str, list[Group]], lex: Lexicon) -> Group | None:
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


def _kind(g: Group, lex: Lexicon, vocab: set[str], german: bool) -> str | None:
    """The kind of a name from its cues and shape; None when a name is too doubtful to keep."""
    if g.known is not None:
        return "organisation" if g.known.kind == "media" else g.known.kind
    scores = list(g.cues)
    words = g.words
    joint = next((k for k, w in enumerate(words) if k and w in _OF), 0)
    head = words[joint - 1] if joint else words[-1]  # "Bank of England", "Tour de France"
    if head in lex.event_suffixes or (len(words) > 1 and words[0] in lex.event_prefixes):
        scores[SUBJECT] += 3
    if head in lex.org_suffixes or words[-1] in lex.legal:
        scores[ORG] += 3
    if head in lex.place_suffixes or (len(words) > 1 and words[0] in lex.place_prefixes):
        scores[PLACE] += 2
    if len(words) > 1 and words[0] in lex.given:
        scores[PERSON] += 2
    last = lex.known.get(words[-1])
    if not joint and len(words) > 1 and last is not None and last.kind == "place" \
            and not last.weak:
        scores[PLACE] += 2  # "Nazi Germany", "Greater Manchester"
    if len(words) == 1 and len(g.surfaces) and all(s.isupper() for s in g.surfaces):
        scores[ORG] += 1
    best = max(range(4), key=lambda k: (scores[k], -k))
    if scores[best] > 0:
        return KINDS[best]
    if german and len(words) == 1:
        return None
    if len(words) > 1 and (words[-1][0].isdigit() or _ROMAN.fullmatch(words[-1])):
        return "subject"  # "Artemis II", "Nimbus Fold 3": a mission, a model, an edition
    if 2 <= len(words) <= 3 and not any(w in vocab or lex.is_generic(w, True) for w in words) \
            and not any(s.split()[-1].isupper() for s in g.surfaces):
        return "person"  # two or three words that are not English words: most often a name
    return "organisation"


def entity_topics(groups: list[Group], n_docs: int, lex: Lexicon, vocab: set[str],
                  german: bool) -> list[tuple[str, str, float, tuple[str, ...]]]:
    """(name, kind, weight, aliases) of each name that earns its place in the story."""
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
        found.append((name, kind, round(weight, 4), _aliases(g, name)))
    return found


def _display(g: Group) -> str:
    """The fullest form the story uses most: "Donald Trump" over "Trump", "The Lanterns"."""
    size = len(g.words)
    forms = [s for s in g.surfaces if len(s.split()) >= size]
    return min(forms or g.surfaces, key=lambda s: (-g.surfaces[s], s[:3] != "The", s))


def _aliases(g: Group, name: str) -> tuple[str, ...]:
    seen = Counter(g.surfaces)
    seen.update(g.aliases)
    return tuple(sorted((s for s in seen if s != name), key=lambda s: (-seen[s], s)))
