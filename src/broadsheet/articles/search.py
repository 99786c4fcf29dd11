"""Full-text search over articles: one small interface over SQLite FTS5 and PostgreSQL.

The index itself is made from ``search_index`` (its SQL, used by migration 0002_search_index,
and ``ensure_index``, which re-makes it if a table rebuild ever drops SQLite's triggers). Readers
type anything into the search box, so the query is first reduced to plain words and quoted
phrases (``parse_query``); nothing a reader types reaches either engine's query syntax unquoted,
so hostile input can never raise.

Snippets come only from what the searcher may read: the paywall's ``visible_body`` decides, so a
visitor's snippet is cut from the title, the start of the summary and the teaser, never from the
rest of the body, even when the match was found deep inside it.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db import DatabaseError, connection
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

from broadsheet import markup
from broadsheet.articles.models import HIDDEN_SQL, Article, not_hidden
from broadsheet.articles.newest import RECENT_WINDOWS
from broadsheet.articles.teaser import TEASER_MAX_WORDS
from broadsheet.readers.paywall import visible_body
from broadsheet.sources.models import Publisher

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 400
MAX_ITEMS = 12
MAX_PHRASE_WORDS = 8
MAX_WORD_CHARS = 60
SNIPPET_WORDS = 36
MAX_PER_PAGE = 100

# Letters and digits; underscores and punctuation separate words, as in both engines' tokenisers.
_WORD = re.compile(r"[^\W_]+")
# A quoted phrase (closed or running to the end), or a bare run of non-space characters.
_TOKEN = re.compile(r'(-?)"([^"]*)(?:"|$)|(-?)([^\s"]+)')

_OPERATOR_WORDS = frozenset({"and", "or", "not", "near"})
# bm25 column weights for title, summary, text, author (the FTS5 table's column order).
SQLITE_WEIGHTS = "10.0, 3.0, 1.0, 2.0"


# --- Queries ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedQuery:
    """A reader's query reduced to words and phrases that every result must contain."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases

    @property
    def highlight_words(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for word in (*self.words, *(w for phrase in self.phrases for w in phrase)):
            seen.setdefault(word, None)
        return tuple(seen)

    def fts5(self) -> str:
        """An FTS5 MATCH expression made only of quoted strings and AND/NOT."""
        required = [f'"{w}"' for w in self.words] + [f'"{" ".join(p)}"' for p in self.phrases]
        expression = " AND ".join(required)
        for word in self.excluded:
            expression += f' NOT "{word}"'
        return expression

    def websearch(self) -> str:
        """Input for PostgreSQL's websearch_to_tsquery, every item quoted."""
        items = [f'"{w}"' for w in self.words] + [f'"{" ".join(p)}"' for p in self.phrases]
        items += [f'-"{w}"' for w in self.excluded]
        return " ".join(items)

    def __str__(self) -> str:
        items = list(self.words) + [f'"{" ".join(p)}"' for p in self.phrases]
        items += [f"-{w}" for w in self.excluded]
        return " ".join(items)


def parse_query(raw: str) -> ParsedQuery:
    """Reduce anything typed into the search box to plain words, phrases and exclusions.

    ``"exact phrase"`` keeps its words together, ``-word`` leaves out articles with that word,
    ``foo-bar`` is the phrase "foo bar"; every other operator or symbol is dropped.
    """
    text = unicodedata.normalize("NFKC", raw or "")[:MAX_QUERY_CHARS].lower()
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    for match in _TOKEN.finditer(text):
        negated = bool(match.group(1) or match.group(3))
        quoted = match.group(2) is not None
        parts = tuple(w[:MAX_WORD_CHARS] for w in _WORD.findall(match.group(2) if quoted
                                                                 else match.group(4)))
        if not parts:
            continue
        if negated and len(parts) == 1:
            if parts[0] not in excluded:
                excluded.append(parts[0])
        elif negated:
            continue  # leaving out a whole phrase is rare; ignoring it is the safe reading
        elif len(parts) == 1 and not quoted and parts[0] in _OPERATOR_WORDS:
            continue  # "this OR that", "NEAR(...)": operators of other engines, not words
        elif len(parts) == 1:
            if parts[0] not in words:
                words.append(parts[0])
        else:
            phrase = parts[:MAX_PHRASE_WORDS]
            if phrase not in phrases:
                phrases.append(phrase)
        if len(words) + len(phrases) + len(excluded) >= MAX_ITEMS:
            break
    if not words and not phrases:
        excluded = []  # "everything except x" is not a search
    return ParsedQuery(tuple(words), tuple(phrases), tuple(excluded))


# --- Results ---------------------------------------------------------------------------------

@dataclass
class SearchResult:
    article: Article
    rank: float  # higher is better
    snippet: SafeString  # escaped text with <mark> around matches; only what the reader may read
    title_html: SafeString  # the escaped headline with <mark> around matches


@dataclass
class SearchPage:
    query: ParsedQuery
    results: list[SearchResult] = field(default_factory=list)
    total: int = 0  # matches; with ``more`` a lower bound (at most MAX_CANDIDATES)
    page: int = 1
    per_page: int = 20
    more: bool = False  # more than ``total`` articles match; only the newest were ranked

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return max(1, self.page - 1)

    @property
    def next_page_number(self) -> int:
        return min(self.num_pages, self.page + 1)

    @property
    def start_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.results else 0


def search(query: str | ParsedQuery, *, publisher=None, section=None, since=None, until=None,
           page: int = 1, per_page: int = 20, user=None, order: str = "rank",
           snippets: bool = True, fold_copies: bool = False) -> SearchPage:
    """Articles matching ``query``, best first (``order="newest"``: latest first).

    ``fold_copies``: a syndicated copy is one piece of reporting with its original, so a match
    on either lists the original once, ranked by the family's best match (and counted once),
    on whatever page it falls.

    ``publisher``: a Publisher, its id or slug. ``section``: a Section or a section name.
    ``since``/``until``: datetimes, or dates taken as whole days in the current time zone.
    ``user``: the searcher; snippets are cut from what the paywall lets them read (None: a
    visitor). ``snippets=False`` skips snippets and highlighting (for lists of headlines).
    """
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    page = max(1, int(page))
    result = SearchPage(parsed, page=page, per_page=per_page)
    if parsed.empty:
        return result
    filtered = _filters(publisher, section, since, until)
    offset = (page - 1) * per_page
    vendor = connection.vendor
    if vendor in ("sqlite", "postgresql"):
        # Newest first needs only the newest matches; a ranking, the newest MAX_CANDIDATES.
        wanted = MAX_CANDIDATES if order != "newest" else min(MAX_CANDIDATES,
                                                              (offset + per_page) * 3)
        # Enough to rank the requested page: the newest RANKED_MATCHES, or more for a deep page.
        need = min(wanted, max(RANKED_MATCHES, (offset + per_page) * 3))
        found, unread = _candidates(parsed, filtered, need, order != "newest")
        ranked, total = _ranked(found[:wanted], per_page, offset, order, fold_copies)
        result.more = len(found) > wanted or unread
    else:
        ranked, total = _fallback(parsed, filtered, per_page, offset, fold_copies)
    articles = Article.objects.select_related("publisher").in_bulk([pk for pk, _ in ranked])
    for pk, rank in ranked:
        article = articles.get(pk)
        if article is None or article.hidden_at is not None:
            continue  # deleted between the two queries, or an editor hid its original
        result.results.append(SearchResult(
            article=article, rank=rank,
            snippet=snippet(user, article, parsed) if snippets else mark_safe(""),
            title_html=(highlight(article.title, parsed) if snippets
                        else mark_safe(markup.escape_attr(article.title)))))  # noqa: S308
    result.total = total
    return result


def _filters(publisher, section, since, until) -> QuerySet | None:
    conditions = Q()
    if publisher is not None and publisher != "":
        if isinstance(publisher, int) or hasattr(publisher, "pk"):
            conditions &= Q(publisher=publisher)
        else:
            # By id, so that the conditions stay on the article table (no join in the search).
            found = Publisher.objects.filter(slug=str(publisher)).values_list("id", flat=True)
            conditions &= Q(publisher_id=found.first() or 0)
    if section:
        conditions &= Q(section__iexact=getattr(section, "name", section))
    if since:
        conditions &= Q(published_at__gte=_moment(since))
    if until:
        end = _moment(until)
        conditions &= (Q(published_at__lt=end + timedelta(days=1))
                       if _is_date(until) else Q(published_at__lte=end))
    if not conditions:
        return None
    return Article.objects.filter(conditions).order_by().values("id")


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _moment(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):  # a date: its first moment
        return timezone.make_aware(datetime.combine(value, time.min))
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _conditions(filtered: QuerySet | None) -> tuple[str, tuple]:
    """The filters as SQL on the ``articles_article`` table, to AND into a search query."""
    if filtered is None:
        return "", ()
    compiler = filtered.query.get_compiler(connection=connection)
    sql, params = compiler.compile(filtered.query.where)
    return f" AND ({sql})", tuple(params)


# Matches read per search, newest first: the newest RANKED_MATCHES for a first page, more for a
# deeper one, at most MAX_CANDIDATES. Ranking, folding copies and counting happen among these
# alone, so a word found in most articles costs no more than a rare one; a query that matches
# more is said to ("201+ results") and ranks its newest matches. Both engines read the same
# number, so a search counts and ranks alike on either.
MAX_CANDIDATES = 1000
RANKED_MATCHES = 200


@dataclass(frozen=True)
class Candidate:
    id: int
    family: int  # the original's id: a match on a copy counts for its original
    score: float  # higher is better
    published_at: datetime


def _candidates(parsed: ParsedQuery, filtered, need: int, ranked: bool,
                ) -> tuple[list[Candidate], bool]:
    """Up to ``need`` + 1 newest matches, each with its relevance when ``ranked``, and whether
    more were left unread."""
    where, params = _conditions(filtered)
    if connection.vendor != "sqlite":
        return _postgres_candidates(parsed, where, params, ranked, need)
    # FTS5 reads its index newest row first and stops at the limit; bm25() is worked out for
    # the rows returned only.
    sql = ("SELECT articles_article.id, articles_article.duplicate_of_id,"
           f" bm25(articles_article_fts, {SQLITE_WEIGHTS}),"
           " articles_article.published_at"
           " FROM articles_article_fts JOIN articles_article"
           " ON articles_article.id = articles_article_fts.rowid"
           " WHERE articles_article_fts MATCH %s"
           " AND " + HIDDEN_SQL + where +
           " ORDER BY articles_article_fts.rowid DESC LIMIT %s")
    query = parsed.fts5()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, (query, *params, need + 1))
            rows = cursor.fetchall()
    except DatabaseError:
        # The query is built only from quoted words, so this means a damaged index, not a
        # hostile query: say so in the log and show no results rather than an error page.
        log.exception("search failed for %r", query)
        return [], False
    return _as_candidates(rows, -1.0), len(rows) > need  # bm25: lower is better


def _as_candidates(rows: list[tuple], sign: float) -> list[Candidate]:
    published = Article._meta.get_field("published_at")
    return [Candidate(pk, original or pk, sign * float(score),
                      published.to_python(moment) if isinstance(moment, str) else moment)
            for pk, original, score, moment in rows]


# PostgreSQL reads matches in windows of time ending now, widening until one holds the page's
# need: its GIN index keeps no time order, so without a window the newest of a word found in one
# article in a hundred are sorted out of every matching row, each fetched from the table. In a
# window the rows come from the table's published_at index or its intersection with the GIN
# index, whichever the planner finds cheaper.
# querytree() is 'T' when nothing is left to look for but exclusions (every word asked for was a
# stop word, "or -near"): "everything except" is not a search, as parse_query says.
_PG_MATCHES = (" FROM articles_article, websearch_to_tsquery('english'::regconfig, %s) query"
               " WHERE articles_article.search_vector @@ query AND querytree(query) <> 'T'"
               " AND " + HIDDEN_SQL)


def _postgres_candidates(parsed: ParsedQuery, where: str, params: tuple, ranked: bool,
                         need: int) -> tuple[list[Candidate], bool]:
    """The newest ``need`` + 1 matches at most, from the first window of time holding that
    many, and whether more may match (then the count is a lower bound).

    The newest ``need`` matches are the same whichever window holds them, so the page's ranking
    is exact; reading no further than them keeps a common word as cheap as a rare one.
    """
    query = parsed.websearch()
    select = ("SELECT articles_article.id, articles_article.duplicate_of_id, 0,"
              " articles_article.published_at" + _PG_MATCHES + where)
    order = " ORDER BY articles_article.published_at DESC, articles_article.id DESC LIMIT %s"
    now = timezone.now()
    since = " AND articles_article.published_at >= %s"
    with connection.cursor() as cursor:
        for number, span in enumerate(RECENT_WINDOWS):
            # Past the first window, too few matches were found to be worth a walk back in time.
            statement = select + since + order if number == 0 else _matches_first(select + since)
            cursor.execute(statement, (query, *params, now - span, need + 1))
            rows = cursor.fetchall()
            if len(rows) > need:
                break
        else:
            cursor.execute(_matches_first(select), (query, *params, need + 1))
            rows = cursor.fetchall()
    found = _as_candidates(rows, 1.0)
    # Relevance is worked out afterwards, for the newest RANKED_MATCHES only (_ts_rank).
    return (_ts_rank(found, query) if ranked else found), len(rows) > need


def _matches_first(select: str) -> str:
    """``select``'s newest rows, from every match the search index gives, sorted afterwards.

    PostgreSQL cannot tell from its statistics how rare a word is, so for a wide window it
    may walk the published_at index backwards and test each article's vector on the way: tens
    of seconds at a million articles for a word in sixty of them. Only a word with few recent
    matches gets this far, so gathering all its matches first is the cheap way.
    """
    return (f"WITH found AS MATERIALIZED ({select}) SELECT * FROM found"
            " ORDER BY published_at DESC, id DESC LIMIT %s")


def _ts_rank(found: list[Candidate], query: str) -> list[Candidate]:
    """PostgreSQL's relevance for the newest RANKED_MATCHES matches; the older rank after them.

    ts_rank reads an article's whole stored vector, a few pages for a long article, so ranking
    a thousand matches would read thousands of pages.
    """
    ranked = found[:RANKED_MATCHES]
    with connection.cursor() as cursor:
        cursor.execute("SELECT articles_article.id, ts_rank(articles_article.search_vector, query)"
                       " FROM articles_article, websearch_to_tsquery('english'::regconfig, %s)"
                       " query WHERE articles_article.id = ANY(%s)",
                       (query, [c.id for c in ranked]))
        scores = dict(cursor.fetchall())
    return [replace(c, score=float(scores.get(c.id, 0.0))) for c in ranked] + [
        replace(c, score=-1.0) for c in found[RANKED_MATCHES:]]


def _ranked(found: list[Candidate], limit: int, offset: int, order: str, fold_copies: bool,
            ) -> tuple[list[tuple[int, float]], int]:
    """The page of ``found`` (best or newest first) and how many there are to page through."""
    if fold_copies:
        families: dict[int, Candidate] = {}
        for candidate in found:
            best = families.get(candidate.family)
            families[candidate.family] = Candidate(
                candidate.family, candidate.family,
                max(candidate.score, best.score) if best else candidate.score,
                max(candidate.published_at, best.published_at) if best
                else candidate.published_at)
        found = list(families.values())
    if order == "newest":
        found.sort(key=lambda c: (c.published_at, c.id), reverse=True)
    else:
        found.sort(key=lambda c: (-c.score, -c.published_at.timestamp(), -c.id))
    return [(c.id, c.score) for c in found[offset:offset + limit]], len(found)


def _fallback(parsed: ParsedQuery, filtered, limit: int, offset: int, fold_copies: bool,
              ) -> tuple[list[tuple[int, float]], int]:
    """Other databases: every word somewhere in the article, latest first, unranked."""
    articles = Article.objects.filter(not_hidden())
    if filtered is not None:
        articles = articles.filter(id__in=filtered)
    for item in (*parsed.words, *(" ".join(p) for p in parsed.phrases)):
        articles = articles.filter(Q(title__icontains=item) | Q(summary__icontains=item)
                                   | Q(text__icontains=item) | Q(author__icontains=item))
    if fold_copies:
        families = (articles.annotate(family=Coalesce("duplicate_of_id", "id"))
                    .values("family").annotate(latest=Max("published_at")).order_by())
        total = families.count()
        ids = families.order_by("-latest", "-family").values_list("family", flat=True)
    else:
        total = articles.count()
        ids = articles.order_by("-published_at", "-id").values_list("id", flat=True)
    return [(pk, 0.0) for pk in ids[offset:offset + limit]], total


# --- Snippets and highlighting -----------------------------------------------------------------

def _stem(word: str) -> str:
    """A crude stem so that "elections" highlights "election" (the engines stem properly)."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _pattern(parsed: ParsedQuery) -> re.Pattern[str] | None:
    stems = sorted({_stem(w) for w in parsed.highlight_words}, key=len, reverse=True)
    if not stems:
        return None
    alternatives = "|".join(re.escape(s) for s in stems)
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


def highlight(text: str, parsed: ParsedQuery) -> SafeString:
    """``text`` escaped, with each word that matches the query wrapped in <mark>."""
    pattern = _pattern(parsed)
    if pattern is None:
        return mark_safe(markup.escape_attr(text))  # noqa: S308 - escaped
    out: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        out.append(markup.escape_attr(text[position:match.start()]))
        out.append(f"<mark>{markup.escape_attr(match.group())}</mark>")
        position = match.end()
    out.append(markup.escape_attr(text[position:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped


def _clip(text: str, words: int) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def snippet(user, article: Article, parsed: ParsedQuery, words: int = SNIPPET_WORDS,
            ) -> SafeString:
    """A highlighted passage from the part of ``article`` that ``user`` may read."""
    body = visible_body(user, article)
    summary = strip_tags(article.summary or "")
    if not body.full:
        summary = _clip(summary, TEASER_MAX_WORDS)
    return best_passage([summary, body.text], parsed, words)


def _hits(text: str, pattern: re.Pattern[str], stems: list[str], limit: int = 200,
          ) -> list[tuple[int, str]]:
    """(word number, stem) of the first ``limit`` words of ``text`` that match the query.

    ``text`` has its words separated by single spaces, so a word's number is the count of
    spaces before it.
    """
    hits: list[tuple[int, str]] = []
    n, counted_to = 0, 0
    for found in pattern.finditer(text):
        n += text.count(" ", counted_to, found.start())
        counted_to = found.start()
        if hits and hits[-1][0] == n:
            continue  # one hit per word, as "(Trump's" holds one
        lowered = found.group().lower()
        hits.append((n, next((s for s in stems if lowered.startswith(s)), lowered)))
        if len(hits) >= limit:
            break
    return hits


def _windows(hits: list[tuple[int, str]], words: int) -> Iterator[tuple[int, int]]:
    """For each hit, the window of ``words`` words starting 6 before it: (first word, distinct
    query words in it). One pass: both ends of the window only move forward."""
    inside: Counter[str] = Counter()
    left = right = 0
    for n, _ in hits:
        first = max(0, n - 6)
        while right < len(hits) and hits[right][0] < first + words:
            inside[hits[right][1]] += 1
            right += 1
        while hits[left][0] < first:
            inside[hits[left][1]] -= 1
            if not inside[hits[left][1]]:
                del inside[hits[left][1]]
            left += 1
        yield first, len(inside)


def best_passage(sources: list[str], parsed: ParsedQuery, words: int = SNIPPET_WORDS,
                 ) -> SafeString:
    """The window of ``words`` words, from any of ``sources``, holding most query words."""
    pattern = _pattern(parsed)
    stems = [_stem(w) for w in parsed.highlight_words]
    best: tuple[int, int, int, int] | None = None  # (score, -source, start word, source)
    tokenised = [(source or "").split() for source in sources]
    for index, tokens in enumerate(tokenised):
        if pattern is None or not tokens:
            continue
        for first, distinct in _windows(_hits(" ".join(tokens), pattern, stems), words):
            candidate = (distinct, -index, -first, index)
            if best is None or candidate > best:
                best = candidate
    if best is None:
        for index, tokens in enumerate(tokenised):
            if tokens:
                best = (0, -index, 0, index)
                break
    if best is None:
        return mark_safe("")
    index, first = best[3], -best[2]
    tokens = tokenised[index]
    last = min(len(tokens), first + words)
    passage = " ".join(tokens[first:last])
    html = highlight(passage, parsed)
    prefix = "… " if first > 0 else ""
    suffix = " …" if last < len(tokens) and not passage.endswith("…") else ""
    return mark_safe(f"{prefix}{html}{suffix}")  # noqa: S308 - highlight() escaped the text
