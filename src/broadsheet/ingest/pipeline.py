"""The ingest orchestrator: the one place that knows the order of the stages.

    fetch feed -> parse entries -> (fetch page -> extract) -> sanitize -> normalise -> store

Sources are processed in batches. For each batch the feeds are fetched concurrently, parsed, and
compared with the store, so that only new or changed entries cost a page fetch; pages are fetched
concurrently and prepared (extracted, sanitised, canonicalised) in worker processes on every core;
then the batch is stored in the calling thread, and each source's schedule is updated. Re-running a
batch after a crash stores nothing twice: the store upserts by canonical URL and (source, guid).

This module imports nothing from Django at module level, so worker processes can import it cheaply.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from . import extract as extract_stage
from . import parse as parse_stage
from . import plaintext
from . import sanitize as sanitize_stage
from . import urls as url_stage
from .fetch import Fetcher, FetchError, FetchPolicy, FetchResult

log = logging.getLogger("broadsheet.ingest")

MAX_PAGES_PER_SOURCE = 200  # per run; a huge sitemap is worked through over several runs
MAX_CHILD_SITEMAPS = 3
SUMMARY_CHARS = 300


# --------------------------------------------------------------------------------------------
# Plain data passed between stages


@dataclass
class SourceJob:
    id: int
    url: str
    kind: str  # "feed" or "sitemap"
    publisher_id: int
    publisher_name: str
    section: str = ""
    language: str = ""
    etag: str = ""
    last_modified: str = ""
    interval_seconds: int = 3600
    consecutive_errors: int = 0


@dataclass
class PreparedArticle:
    """An article ready to store: sanitised HTML, plain text and metadata."""

    title: str
    html: str
    text: str
    canonical_url: str
    author: str = ""
    publisher: str = ""
    section: str = ""
    published_at: datetime | None = None
    image_url: str = ""
    language: str = ""
    summary: str = ""
    word_count: int = 0


@dataclass
class PageJob:
    source: SourceJob
    entry: parse_stage.Entry
    url: str  # normalised link of a page to fetch; "" when the entry itself is complete


@dataclass
class SourceReport:
    source_id: int
    url: str
    status: str = "ok"  # "ok", "not_modified" or "error"
    error: str = ""
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0  # entries of articles an editor took down: never stored again
    failed: list[tuple[str, str]] = field(default_factory=list)  # (article URL, reason)


@dataclass
class RunSummary:
    reports: list[SourceReport] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(report, name) for report in self.reports)

    @property
    def failed_sources(self) -> list[SourceReport]:
        return [report for report in self.reports if report.status == "error"]

    @property
    def failed_articles(self) -> list[tuple[str, str]]:
        return [failure for report in self.reports for failure in report.failed]


# --------------------------------------------------------------------------------------------
# Page preparation: runs in worker processes, pure functions of their input


def prepare_page(body: bytes, url: str, charset: str = "") -> PreparedArticle:
    """Extract, sanitise and canonicalise one article page."""
    html: bytes | str = body
    if charset:
        try:
            html = body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            html = body
    extracted = extract_stage.extract(html, url)
    return _prepared(
        title=extracted.title, body_html=extracted.html, fallback_text=extracted.text, url=url,
        declared_canonical=extracted.canonical_url, author=extracted.author,
        publisher=extracted.publisher, section=extracted.section,
        published_at=extracted.published_at, image_url=extracted.image_url,
        language=extracted.language, summary=extracted.description,
    )


def prepare_entry(entry: parse_stage.Entry, base_url: str) -> PreparedArticle:
    """Prepare an entry whose feed carries the whole article (no page fetch needed)."""
    return _prepared(
        title=entry.title, body_html=entry.content_html, fallback_text="",
        url=entry.url or base_url,
        declared_canonical="", author=entry.author, publisher="", section="",
        published_at=entry.published_at, image_url=entry.image_url, language=entry.language,
        summary=entry.summary,
    )


def _prepared(*, title: str, body_html: str, fallback_text: str, url: str,
              declared_canonical: str, author: str, publisher: str, section: str,
              published_at: datetime | None, image_url: str, language: str,
              summary: str) -> PreparedArticle:
    safe_html = sanitize_stage.sanitize_html(body_html, url) if body_html else ""
    text = sanitize_stage.html_to_text(safe_html) if safe_html else fallback_text.strip()
    if not safe_html and text:
        safe_html = "".join(f"<p>{_escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    summary_text = sanitize_stage.html_to_text(summary) if summary else ""
    return PreparedArticle(
        title=plaintext.one_line(title),
        html=safe_html,
        text=text,
        canonical_url=url_stage.canonical_url(url, declared_canonical),
        author=plaintext.plain_text(author),
        publisher=publisher.strip(),
        section=section.strip()[:100],
        published_at=published_at,
        image_url=image_url if image_url.startswith(("https://", "http://")) else "",
        language=language.strip()[:16],
        summary=_shorten(_first_paragraph(summary_text) or _first_paragraph(text), SUMMARY_CHARS),
        word_count=sanitize_stage.word_count(text),
    )


def _first_paragraph(text: str) -> str:
    """Summaries never run past the first paragraph, so they reveal no more than a teaser."""
    for paragraph in text.split("\n\n"):
        if paragraph.strip():
            return paragraph
    return ""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


# --------------------------------------------------------------------------------------------
# The orchestrator


ProgressCallback = Callable[[int], None]


class Pipeline:
    """Runs batches of sources through every stage; use as a context manager.

    ``workers`` processes prepare pages (0 = one per core; 1 = in this process, for tests and
    small runs).
    """

    def __init__(self, policy: FetchPolicy | None = None, workers: int = 0,
                 batch_size: int = 500, chunk_size: int = 64, cluster: bool = True) -> None:
        self.policy = policy or FetchPolicy.from_settings()
        self.workers = workers or os.cpu_count() or 1
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self.cluster = cluster
        self._runner: asyncio.Runner | None = None
        self._fetcher: Fetcher | None = None
        self._pool: Executor | None = None

    def __enter__(self) -> Pipeline:
        if self.workers > 1:
            self._pool = _start_pool(self.workers)
        self._runner = asyncio.Runner()
        self._fetcher = Fetcher(self.policy)
        self._runner.run(self._fetcher.__aenter__())
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        if self._runner is not None and self._fetcher is not None:
            self._runner.run(self._fetcher.__aexit__(None, None, None))
        if self._runner is not None:
            self._runner.close()

    # -- public ---------------------------------------------------------------------------

    def run(self, jobs: list[SourceJob], progress: ProgressCallback | None = None) -> RunSummary:
        summary = RunSummary()
        for start in range(0, len(jobs), self.batch_size):
            batch = jobs[start:start + self.batch_size]
            summary.reports.extend(self.run_batch(batch, progress))
        if self.cluster and (summary.total("new") or summary.total("updated")):
            self.cluster_and_rank()
        return summary

    @staticmethod
    def cluster_and_rank() -> None:
        """The last stages: new articles join their stories, then Top stories are ranked anew."""
        from broadsheet.stories.assign import assign_pending
        from broadsheet.stories.ranking import rank_stories

        if assign_pending():
            rank_stories()

    def run_batch(self, batch: list[SourceJob], progress: ProgressCallback | None = None,
                  ) -> list[SourceReport]:
        from broadsheet.sources import state

        assert self._runner is not None
        now = datetime.now(UTC)
        fetched = self._runner.run(self._fetch_feeds(batch, progress))
        reports: dict[int, SourceReport] = {}
        outcomes: list[state.CheckOutcome] = []
        page_jobs: list[PageJob] = []
        ready: list[tuple[SourceJob, parse_stage.Entry]] = []
        for job, result in zip(batch, fetched, strict=True):
            report = reports[job.id] = SourceReport(job.id, job.url)
            if isinstance(result, FetchError):
                report.status, report.error = "error", result.message
                outcomes.append(
                    state.CheckOutcome.failed(job.id, result.message, result.retry_after))
                continue
            feed_result, parsed = result
            if feed_result.not_modified:
                report.status = "not_modified"
                outcomes.append(state.CheckOutcome.succeeded(job.id, feed_result, [], True))
                continue
            if isinstance(parsed, parse_stage.ParseError):
                report.status, report.error = "error", str(parsed)
                outcomes.append(state.CheckOutcome.failed(job.id, str(parsed), None))
                continue
            published = [e.published_at for e in parsed.entries if e.published_at]
            outcomes.append(state.CheckOutcome.succeeded(
                job.id, feed_result, published, False, feed_title=parsed.title,
                feed_ttl=parsed.ttl_seconds))
            new_pages, full, unchanged = self._triage(job, parsed.entries, report)
            report.unchanged += unchanged
            page_jobs.extend(new_pages)
            ready.extend((job, entry) for entry in full)

        work: list[PageJob] = page_jobs + [PageJob(job, entry, "") for job, entry in ready]
        for start in range(0, len(work), self.chunk_size):
            # Stored chunk by chunk: a crash loses at most one chunk's work, never the batch's.
            prepared = self._runner.run(self._prepare_all(work[start:start + self.chunk_size]))
            self._store(prepared, reports, now)
        jobs_by_id = {job.id: job for job in batch}
        for outcome in outcomes:
            if outcome.ok and reports[outcome.source_id].failed:
                # Keep the old validators: a 304 next time would hide the articles that failed
                # now, so the next check must see the whole feed again and retry them.
                job = jobs_by_id[outcome.source_id]
                outcome.etag, outcome.last_modified = job.etag, job.last_modified
        state.record_checks(outcomes, now)
        return list(reports.values())

    # -- stages -----------------------------------------------------------------------------

    async def _fetch_feeds(self, batch: list[SourceJob],
                           progress: ProgressCallback | None) -> list:
        async def fetch_one(job: SourceJob):
            result = await self._fetch_feed(job)
            if progress:
                progress(1)
            return result

        return await asyncio.gather(*(fetch_one(job) for job in batch))

    async def _fetch_feed(self, job: SourceJob):
        """Returns (FetchResult, ParsedFeed | ParseError) or a FetchError."""
        assert self._fetcher is not None
        try:
            result = await self._fetcher.fetch(job.url, etag=job.etag,
                                               last_modified=job.last_modified)
        except FetchError as error:
            return error
        if result.not_modified:
            return result, None
        try:
            if job.kind == "sitemap":
                parsed = parse_stage.parse_sitemap(result.body, result.final_url)
                parsed = await self._expand_sitemap_index(parsed)
            else:
                parsed = parse_stage.parse_feed(result.body, result.final_url,
                                                result.content_type, result.charset)
        except parse_stage.NotAFeed as error:
            found = ", ".join(error.feeds[:3]) or "none"
            return result, parse_stage.ParseError(
                f"{job.url} is a web page, not a feed (feeds it links to: {found})")
        except parse_stage.ParseError as error:
            return result, error
        return result, parsed

    async def _expand_sitemap_index(self, parsed: parse_stage.ParsedFeed) -> parse_stage.ParsedFeed:
        """A sitemap index lists sitemaps; read the first few (the newest, by convention)."""
        assert self._fetcher is not None
        for child_url in parsed.sitemaps[:MAX_CHILD_SITEMAPS]:
            try:
                child = await self._fetcher.fetch(child_url)
                child_map = parse_stage.parse_sitemap(child.body, child.final_url)
                parsed.entries.extend(child_map.entries)
            except (FetchError, parse_stage.ParseError) as error:
                log.info("child sitemap %s skipped: %s", child_url, error)
        return parsed

    def _triage(self, job: SourceJob, entries: list[parse_stage.Entry], report: SourceReport,
                ) -> tuple[list[PageJob], list[parse_stage.Entry], int]:
        """Split entries into pages to fetch, entries complete in the feed, and known ones."""
        from broadsheet.articles.store import TAKEN_DOWN, known_articles

        links = {}
        for entry in entries:
            if entry.url:
                try:
                    links[id(entry)] = url_stage.normalize_url(entry.url)
                except ValueError:
                    report.failed.append((entry.url, "unusable link"))
        known = known_articles(job.id, [e.guid for e in entries],
                               list(links.values()) + [e.url for e in entries if e.url])
        pages: list[PageJob] = []
        full: list[parse_stage.Entry] = []
        unchanged = 0
        for entry in entries:
            link = links.get(id(entry), "")
            hit = known.get(f"guid:{entry.guid}") if entry.guid else None
            hit = hit or (known.get(f"url:{link}") if link else None)
            hit = hit or (known.get(f"url:{entry.url}") if entry.url else None)
            if hit and hit[0] == TAKEN_DOWN:
                report.removed += 1
            elif entry.has_full_content:
                full.append(entry)  # cheap to prepare again; the store tells if it changed
            elif hit and not _changed_since(entry, *hit[1:]):
                unchanged += 1
            elif link:
                pages.append(PageJob(job, entry, link))
            elif entry.url:
                continue  # already reported as an unusable link
            elif entry.content_html or entry.summary:
                full.append(entry)  # no page to fetch: what the feed gives is all there is
            else:
                report.failed.append((entry.guid or entry.title or job.url,
                                      "entry has no link and no content"))
        if len(pages) > MAX_PAGES_PER_SOURCE:
            pages = sorted(pages, key=lambda p: p.entry.published_at or datetime.min.replace(
                tzinfo=UTC), reverse=True)[:MAX_PAGES_PER_SOURCE]
        return pages, full, unchanged

    async def _prepare_all(self, work: list[PageJob]) -> list:
        """Fetch and prepare pages (``url`` set) or prepare complete entries; keeps the order."""
        seen: dict[str, asyncio.Future] = {}
        tasks = []
        for item in work:
            if not item.url:
                tasks.append(asyncio.ensure_future(
                    self._in_worker(prepare_entry, item.entry, item.entry.url or item.source.url)))
                continue
            if item.url not in seen:  # the same article in two feeds is fetched once per run
                seen[item.url] = asyncio.ensure_future(self._prepare_page(item))
            tasks.append(seen[item.url])
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return [((item.source, item.entry), result)
                for item, result in zip(work, results, strict=True)]

    async def _prepare_page(self, page: PageJob) -> PreparedArticle:
        assert self._fetcher is not None
        result: FetchResult = await self._fetcher.fetch(page.entry.url)
        if "html" not in result.content_type and result.content_type not in {"", "text/plain"}:
            raise extract_stage.ExtractionError(
                f"expected an HTML page, got {result.content_type}")
        return await self._in_worker(prepare_page, result.body, result.final_url, result.charset)

    async def _in_worker(self, function, *args):
        if self._pool is None:
            return function(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, function, *args)

    def _store(self, prepared: list, reports: dict[int, SourceReport], now: datetime) -> None:
        from broadsheet.articles.store import upsert_article
        from broadsheet.sources import state

        for (job, entry), outcome in prepared:
            report = reports[job.id]
            link = entry.url or job.url
            if isinstance(outcome, BaseException):
                report.failed.append((link, _reason(outcome)))
                continue
            data = _article_data(job, entry, outcome, now)
            if data is None:
                report.failed.append((link, "no headline in the feed or on the page"))
                continue
            try:
                result, _ = upsert_article(data)
                if outcome.publisher:
                    state.learn_publisher_name(job.publisher_id, job.url, outcome.publisher)
            except Exception as error:  # noqa: BLE001 - one bad article must not stop the batch
                log.exception("storing %s failed", link)
                report.failed.append((link, f"could not be stored: {error}"))
                continue
            setattr(report, result, getattr(report, result) + 1)


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for page preparation, started now so they are ready by the first page.

    Forked from a single-threaded process they inherit the imported extractor and start in
    milliseconds; with other threads about (a worker's consumer threads), a fork server that
    imported this module once starts them safely instead.
    """
    if threading.active_count() == 1:
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(workers, mp_context=context)
    for _ in range(workers):
        pool.submit(_ready)
    return pool


def _ready() -> None:
    """Nothing: submitted once per worker so that the processes start at once."""


def _changed_since(entry: parse_stage.Entry, fetched_at: datetime, title: str) -> bool:
    """A stored article needs its page again when the feed dates or retitles it anew."""
    if entry.updated_at and entry.updated_at > fetched_at:
        return True
    return bool(entry.title) and _one_line(entry.title)[:1000] != title


def _reason(error: BaseException) -> str:
    if isinstance(error, FetchError):
        return error.message
    if isinstance(error, extract_stage.ExtractionError):
        return f"no article found on the page: {error}"
    return f"{type(error).__name__}: {error}"


def _article_data(job: SourceJob, entry: parse_stage.Entry, prepared: PreparedArticle,
                  now: datetime):
    from broadsheet.articles.store import ArticleData

    title = _one_line(entry.title or prepared.title)
    if not title:
        return None
    canonical = prepared.canonical_url
    if not entry.url:
        # No page of its own: the article is identified by its source and guid.
        canonical = f"{job.url}#{entry.guid or prepared.canonical_url}"
    published = entry.published_at or prepared.published_at or entry.updated_at or now
    if published > now + timedelta(days=1):
        published = now  # a clock far in the future would pin the article to the top
    return ArticleData(
        publisher_id=job.publisher_id,
        source_id=job.id,
        url=entry.url or canonical,
        canonical_url=canonical,
        guid=entry.guid,
        title=title[:1000],
        author=(entry.author or prepared.author)[:500],
        section=(job.section or prepared.section or _first(entry.categories))[:100],
        published_at=published,
        language=(entry.language or prepared.language or job.language)[:16],
        summary=prepared.summary,
        html=prepared.html,
        text=prepared.text,
        image_url=(entry.image_url or prepared.image_url)[:2000],
        word_count=prepared.word_count,
    )


def _one_line(text: str) -> str:
    """A headline as it is stored (``plaintext.one_line``), so a comparison sees no change."""
    return plaintext.one_line(text)


def _first(values: Iterable[str]) -> str:
    for value in values:
        if value.strip():
            return value.strip()
    return ""


def run_sources(jobs: list[SourceJob], *, policy: FetchPolicy | None = None, workers: int = 0,
                progress: ProgressCallback | None = None) -> RunSummary:
    """Fetch and process these sources now; the convenience entry point."""
    with Pipeline(policy, workers=workers) as pipeline:
        return pipeline.run(jobs, progress)
