"""The poll's orchestrator: the one place that knows the order of the stages.

    fetch feed -> parse entries -> (fetch page -> extract) -> sanitize -> normalise -> place
    -> store -> record the check -> cluster and rank

The stages are ``broadsheet.ingest`` (which knows nothing of the database); this module calls
them, then the store (``articles.store``), the schedule (``sources.state``) and the cluster stage
(``stories``), handing one ``ArticleRecord`` per article from the prepare stage to the store.

Sources are processed in batches. A batch's feeds are fetched concurrently, and each source goes
on alone as soon as its own feed arrives: it is parsed and compared with the store, so that only
new or changed entries cost a page fetch (at most ``max_items`` new ones, see :mod:`.turns`); its
pages are fetched concurrently and prepared (extracted, sanitised, canonicalised) in worker
processes on every core; its articles are stored in the calling thread, and its schedule is
updated, while slower sources are still answering. Re-running a batch after a crash stores nothing
twice: the store upserts by canonical URL and (source, guid).

This module imports nothing from Django at module level, so worker processes can import it cheaply.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING

from broadsheet import metrics
from broadsheet.ingest import extract as extract_stage
from broadsheet.ingest import outline as outline_stage
from broadsheet.ingest import parse as parse_stage
from broadsheet.ingest import turns
from broadsheet.ingest.fetch import Fetcher, FetchError, FetchPolicy, FetchResult
from broadsheet.ingest.hosts import THROTTLE_STATUSES, HostBook
from broadsheet.ingest.polite import (
    FEED_ONLY_NOTICE,
    Politeness,
    SharedHosts,
    Verdict,
    pause_notice,
)
from broadsheet.ingest.prepare import prepare_entry, prepare_from_feed, prepare_page
from broadsheet.ingest.record import ArticleRecord, SourceJob, place
from broadsheet.ingest.robots import origin_of

if TYPE_CHECKING:
    from broadsheet.sources.state import CheckOutcome

__all__ = ["Pipeline", "RunSummary", "SourceReport", "run_sources"]

log = logging.getLogger("broadsheet.ingest")

MAX_CHILD_SITEMAPS = 3


# --------------------------------------------------------------------------------------------
# Plain data passed between stages


@dataclass
class PageJob:
    source: SourceJob
    entry: parse_stage.Entry
    url: str  # normalised link of a page to fetch; "" when the entry itself is complete
    from_feed: bool = False  # the page is not fetched: the feed's text is the article


@dataclass
class SourceReport:
    source_id: int
    url: str
    status: str = "ok"  # "ok", "not_modified", "error" or "deferred" (its host asked to wait)
    error: str = ""
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0  # entries of articles an editor took down: never stored again
    failed: list[tuple[str, str]] = field(default_factory=list)  # (article URL, reason)
    deferred: list[tuple[str, str]] = field(default_factory=list)  # pages left for later
    kept_from_feed: int = 0  # articles stored from the feed because their page was not fetched
    left: int = 0  # new items over the per-fetch cap, taken on the next fetches
    notices: list[str] = field(default_factory=list)  # politeness, for the source's status
    wait_until: datetime | None = None  # no use checking again before this

    def notice(self, text: str, until: datetime | None = None) -> None:
        if text and text not in self.notices:
            self.notices.append(text)
        if until is not None and (self.wait_until is None or until > self.wait_until):
            self.wait_until = until


@dataclass
class _Source:
    """One source on its way through a batch: its check, and its chunks of work not yet stored."""

    job: SourceJob
    report: SourceReport
    now: datetime = field(default_factory=lambda: datetime.now(UTC))  # its feed arrived
    outcome: CheckOutcome | None = None  # the check to record
    work: list[PageJob] = field(default_factory=list)
    asked: bool = False  # it had pages to fetch (its notice is then set anew)
    pending: int = 0  # chunks of its work not stored yet


class _Checks:
    """Finished sources' checks, recorded together within a second of the first (one
    transaction for many sources that answered 304 at about the same time)."""

    WITHIN = 1.0  # seconds

    def __init__(self) -> None:
        self.outcomes: list = []
        self.since = 0.0

    def add(self, outcome) -> None:
        if not self.outcomes:
            self.since = time.monotonic()
        self.outcomes.append(outcome)

    def due_in(self) -> float | None:
        return max(0.0, self.since + self.WITHIN - time.monotonic()) if self.outcomes else None

    def record(self, everything: bool = False) -> None:
        from broadsheet.sources import state

        if self.outcomes and (everything or self.due_in() == 0.0 or len(self.outcomes) >= 500):
            state.record_checks(self.outcomes, datetime.now(UTC))
            self.outcomes = []


@dataclass
class RunSummary:
    reports: list[SourceReport] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(report, name) for report in self.reports)

    @property
    def failed_sources(self) -> list[SourceReport]:
        return [report for report in self.reports if report.status == "error"]

    @property
    def deferred_sources(self) -> list[SourceReport]:
        return [report for report in self.reports if report.status == "deferred"]

    @property
    def failed_articles(self) -> list[tuple[str, str]]:
        return [failure for report in self.reports for failure in report.failed]

    @property
    def deferred_articles(self) -> list[tuple[str, str]]:
        return [page for report in self.reports for page in report.deferred]


# --------------------------------------------------------------------------------------------
# The orchestrator


ProgressCallback = Callable[[int], None]


class Pipeline:
    """Runs batches of sources through every stage; use as a context manager.

    ``workers`` processes prepare pages (0 = one per core; 1 = in this process, for tests and
    small runs).
    """

    def __init__(self, policy: FetchPolicy | None = None, workers: int = 0,
                 batch_size: int = 500, chunk_size: int = 64, cluster: bool = True,
                 shared: SharedHosts | None = None) -> None:
        self.policy = policy or FetchPolicy.from_settings()
        self.workers = workers or os.cpu_count() or 1
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self.cluster = cluster
        self.shared = shared
        self._runner: asyncio.Runner | None = None
        self._fetcher: Fetcher | None = None
        self._polite: Politeness | None = None
        self._pool: Executor | None = None
        self._pages: dict[str, asyncio.Future] = {}  # pages being prepared in this batch

    def __enter__(self) -> Pipeline:
        if self.workers > 1:
            self._pool = _start_pool(self.workers)
        self._runner = asyncio.Runner()
        self._fetcher = Fetcher(self.policy, hosts=HostBook())
        self._runner.run(self._fetcher.__aenter__())
        if self.shared is None:
            from broadsheet.sources.hosts import DatabaseHosts

            self.shared = DatabaseHosts()
        self._polite = Politeness(self._fetcher, self._runner.run, self.shared)
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
        """Each source is parsed, its pages prepared and stored, and its check recorded as soon
        as its own feed arrives: a slow source holds back no other source in the batch."""
        assert self._runner is not None and self._polite is not None
        self._polite.before_feeds(job.url for job in batch)
        loop = self._runner.get_loop()
        reports = {job.id: SourceReport(job.id, job.url) for job in batch}
        waiting: dict[asyncio.Future, SourceJob | tuple[_Source, int]] = {
            loop.create_task(self._fetch_feed(job)): job for job in batch}
        queued: deque[tuple[_Source, list[PageJob]]] = deque()
        checks = _Checks()
        in_flight = 0
        self._pages = {}
        while waiting or queued:
            while queued and (in_flight < 4 * self.chunk_size or not in_flight):
                source, chunk = queued.popleft()
                waiting[loop.create_task(self._prepare_all(chunk))] = (source, len(chunk))
                in_flight += len(chunk)
            done = self._runner.run(_first_done(waiting, checks.due_in()))
            self._polite.save()  # a host that answered 429/503 now waits for every worker
            for task in done:
                owner = waiting.pop(task)
                if isinstance(owner, SourceJob):
                    source = self._feed_arrived(owner, reports[owner.id], task.result())
                    if progress:
                        progress(1)
                    for start in range(0, len(source.work), self.chunk_size):
                        # Stored chunk by chunk: a crash loses at most one chunk's work.
                        queued.append((source, source.work[start:start + self.chunk_size]))
                        source.pending += 1
                else:
                    source, size = owner
                    in_flight -= size
                    self._store(task.result(), reports, source.now)
                    source.pending -= 1
                if not source.pending:
                    checks.add(self._finish(source))
            checks.record(everything=not (waiting or queued))
        return [reports[job.id] for job in batch]

    def _feed_arrived(self, job: SourceJob, report: SourceReport,
                      result: FetchResult | FetchError) -> _Source:
        """Read a fetched feed and choose its work: the pages to fetch, the entries to keep."""
        from broadsheet.sources import state

        source = _Source(job, report)
        if isinstance(result, FetchError):
            source.outcome = self._feed_failed(job, result, report)
            return source
        if result.not_modified:
            report.status = "not_modified"
            source.outcome = state.CheckOutcome.succeeded(job.id, result, [], True)
            return source
        try:
            parsed, left = self._read_feed(job, result)
            found = self._triage(job, parsed.entries)
        except parse_stage.ParseError as error:
            report.status, report.error = "error", str(error)
            source.outcome = state.CheckOutcome.failed(job.id, str(error), None)
            return source
        except Exception as error:  # noqa: BLE001 - one source's failure must not stop a batch
            log.exception("source %s could not be processed", job.url)
            report.status, report.error = "error", f"could not be processed: {error}"
            source.outcome = state.CheckOutcome.failed(job.id, report.error, None)
            return source
        published = [e.published_at for e in parsed.entries if e.published_at]
        source.outcome = state.CheckOutcome.succeeded(
            job.id, result, published, False, feed_title=parsed.title, feed_ttl=parsed.ttl_seconds)
        report.unchanged += found.unchanged
        report.removed += found.removed
        report.failed.extend(found.failed)
        report.left = left + found.left
        if report.left:
            report.notice(turns.left_notice(report.left))
        pages = [PageJob(job, entry, link) for entry, link in found.pages]
        source.asked = bool(pages)
        source.work = self._politely(pages, {job.id: report}) + [
            PageJob(job, entry, "") for entry in found.full]
        return source

    @staticmethod
    def _finish(source: _Source) -> CheckOutcome:
        """One source's check: its notice, its next-check floor and its validators."""
        outcome, report, job = source.outcome, source.report, source.job
        assert outcome is not None  # set when its feed arrived, before any of its work
        if outcome.ok:
            if source.asked or report.notices:
                outcome.notice = "; ".join(report.notices)
            outcome.not_before = report.wait_until
            outcome.more_left = report.left > 0
            if report.failed or report.deferred or report.left:
                # Keep the old validators: a 304 next time would hide the articles that failed,
                # waited or were left for later now, so the next check must see the whole feed.
                outcome.etag, outcome.last_modified = job.etag, job.last_modified
        return outcome

    def _feed_failed(self, job: SourceJob, error: FetchError, report: SourceReport):
        """A feed not fetched: an error, or a wait when its host asked everyone to wait."""
        from broadsheet.sources import state

        origin = origin_of(error.url or job.url)
        paused = self._fetcher.gates.book.get(origin) if self._fetcher else None
        if error.kind == "paused":
            report.status, report.error = "deferred", error.message
            until = paused.paused_until if paused else None
            notice = pause_notice(paused) if paused is not None else error.message
            return state.CheckOutcome.deferred_until(job.id, notice, until or datetime.now(UTC))
        report.status, report.error = "error", error.message
        outcome = state.CheckOutcome.failed(job.id, error.message, error.retry_after)
        if error.status in THROTTLE_STATUSES and paused is not None and paused.paused_until:
            outcome.notice = pause_notice(paused)
        return outcome

    def _politely(self, pages: list[PageJob], reports: dict[int, SourceReport]) -> list[PageJob]:
        """Pages to fetch, and pages kept from their feed; the ones that must wait are noted."""
        assert self._polite is not None
        for page in pages:
            if page.source.feed_only:
                page.from_feed = True
                reports[page.source.id].notice(FEED_ONLY_NOTICE)
        asked = [page for page in pages if not page.from_feed]
        verdicts = self._polite.judge(page.entry.url for page in asked)
        fetch: list[PageJob] = []
        for page in asked:
            verdict: Verdict = verdicts[page.entry.url]
            report = reports[page.source.id]
            report.notice(verdict.notice, verdict.until)
            if verdict.action == "fetch":
                fetch.append(page)
            elif verdict.action == "feed":
                page.from_feed = True
            else:
                report.deferred.append((page.entry.url, verdict.notice))
        by_origin: dict[str, list[PageJob]] = {}
        for page in fetch:
            by_origin.setdefault(origin_of(page.entry.url), []).append(page)
        granted = self._polite.reserve({o: len(group) for o, group in by_origin.items()})
        allowed: list[PageJob] = []
        for origin, group in by_origin.items():
            allowed.extend(group[:granted[origin]])
            if len(group) > granted[origin]:
                notice = self._polite.delay_notice(origin, len(group) - granted[origin])
                for page in group[granted[origin]:]:
                    reports[page.source.id].notice(notice)
                    reports[page.source.id].deferred.append((page.entry.url, notice))
        return allowed + [page for page in pages if page.from_feed]

    # -- stages -----------------------------------------------------------------------------

    async def _fetch_feed(self, job: SourceJob) -> FetchResult | FetchError:
        assert self._fetcher is not None
        try:
            return await self._fetcher.fetch(job.url, etag=job.etag,
                                             last_modified=job.last_modified)
        except FetchError as error:
            return error

    def _read_feed(self, job: SourceJob, result: FetchResult,
                   ) -> tuple[parse_stage.ParsedFeed, int]:
        """The parsed feed, and how many new items a huge feed leaves for later fetches."""
        assert self._runner is not None
        try:
            if job.kind == "sitemap":
                parsed = parse_stage.parse_sitemap(result.body, result.final_url)
                return self._runner.run(self._expand_sitemap_index(parsed)), 0
            outline = outline_stage.read(result.body, result.final_url)
            if outline is None:
                return parse_stage.parse_feed(result.body, result.final_url,
                                              result.content_type, result.charset), 0
            from broadsheet.articles.store import source_keys

            keep, left = turns.pick(outline, self.policy.max_items, source_keys(job.id))
            return parse_stage.parse_feed(outline.cut(keep), result.final_url,
                                          result.content_type, "utf-8"), left
        except parse_stage.NotAFeed as error:
            found = ", ".join(error.feeds[:3]) or "none"
            raise parse_stage.ParseError(
                f"{job.url} is a web page, not a feed (feeds it links to: {found})") from None

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

    def _triage(self, job: SourceJob, entries: list[parse_stage.Entry]) -> turns.Triage:
        """Pages to fetch, entries complete in the feed, known ones; new ones capped."""
        from broadsheet.articles.store import TAKEN_DOWN

        return turns.triage(entries, job.url, self.policy.max_items, self._lookup(job),
                            TAKEN_DOWN)

    @staticmethod
    def _lookup(job: SourceJob) -> turns.KnownLookup:
        from broadsheet.articles.store import known_articles

        return lambda guids, urls: known_articles(job.id, guids, urls)

    async def _prepare_all(self, work: list[PageJob]) -> list[tuple[PageJob, object]]:
        """Fetch and prepare pages (``url`` set) or prepare complete entries; keeps the order."""
        seen = self._pages  # the same article in two feeds is fetched once per batch
        tasks = []
        for item in work:
            if not item.url or item.from_feed:
                prepare = prepare_from_feed if item.from_feed else prepare_entry
                tasks.append(asyncio.ensure_future(
                    self._in_worker(prepare, item.entry, item.entry.url or item.source.url)))
                continue
            if item.url not in seen:
                seen[item.url] = asyncio.ensure_future(self._prepare_page(item))
            tasks.append(seen[item.url])
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return list(zip(work, results, strict=True))

    async def _prepare_page(self, page: PageJob) -> ArticleRecord:
        assert self._fetcher is not None
        result: FetchResult = await self._fetcher.fetch(page.entry.url)
        if "html" not in result.content_type and result.content_type not in {"", "text/plain"}:
            raise extract_stage.ExtractionError(
                f"expected an HTML page, got {result.content_type}")
        seconds, prepared = await self._in_worker(metrics.timed, prepare_page, result.body,
                                                  result.final_url, result.charset,
                                                  page.source.extraction)
        metrics.extracted(seconds)
        return prepared

    async def _in_worker(self, function, *args):
        if self._pool is None:
            return function(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, function, *args)

    def _store(self, prepared: list, reports: dict[int, SourceReport], now: datetime) -> None:
        from broadsheet.articles.store import upsert_article
        from broadsheet.publishers import site_templates
        from broadsheet.sources import state

        for item, outcome in prepared:
            job, entry = item.source, item.entry
            report = reports[job.id]
            link = entry.url or job.url
            if isinstance(outcome, FetchError) and self._host_asked_to_wait(outcome, report):
                report.deferred.append((link, outcome.message))
                continue
            if isinstance(outcome, BaseException):
                report.failed.append((link, _reason(outcome)))
                continue
            page_html = outcome.html
            record = place(site_templates.clean(job.publisher_id, outcome), job, entry, now)
            if record is None:
                report.failed.append((link, "no headline in the feed or on the page"))
                continue
            try:
                result, _ = upsert_article(record)
                if result == "new":
                    site_templates.learn(job.publisher_id, record.canonical_url, page_html)
                if record.publisher:
                    state.learn_publisher_name(job.publisher_id, job.url, record.publisher)
            except Exception as error:  # noqa: BLE001 - one bad article must not stop the batch
                log.exception("storing %s failed", link)
                report.failed.append((link, f"could not be stored: {error}"))
                continue
            setattr(report, result, getattr(report, result) + 1)
            report.kept_from_feed += item.from_feed

    def _host_asked_to_wait(self, error: FetchError, report: SourceReport) -> bool:
        """A page refused (429, 503) or not sent because its host is paused: it waits."""
        if error.kind != "paused" and error.status not in THROTTLE_STATUSES:
            return False
        assert self._fetcher is not None
        paused = self._fetcher.gates.book.get(origin_of(error.url))
        if paused is not None and paused.paused_until is not None:
            report.notice(pause_notice(paused), paused.paused_until)
        return True


async def _first_done(waiting: Iterable[asyncio.Future],
                      timeout: float | None) -> set[asyncio.Future]:
    """What finished first; nothing when ``timeout`` (seconds) passes first."""
    done, _ = await asyncio.wait(list(waiting), timeout=timeout,
                                 return_when=asyncio.FIRST_COMPLETED)
    return done


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for page preparation, started now so they are ready by the first page.

    Forked from a single-threaded process they inherit the imported extractor and start in
    milliseconds; with other threads about (a worker's consumer threads), a fork server that
    imported this module once starts them safely instead.
    """
    context: BaseContext
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


def _reason(error: BaseException) -> str:
    if isinstance(error, FetchError):
        return error.message
    if isinstance(error, extract_stage.ExtractionError):
        return f"no article found on the page: {error}"
    return f"{type(error).__name__}: {error}"


def run_sources(jobs: list[SourceJob], *, policy: FetchPolicy | None = None, workers: int = 0,
                progress: ProgressCallback | None = None) -> RunSummary:
    """Fetch and process these sources now; the convenience entry point."""
    with Pipeline(policy, workers=workers) as pipeline:
        return pipeline.run(jobs, progress)
