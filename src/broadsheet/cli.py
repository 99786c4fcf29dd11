"""The `broadsheet` command: serve, work, and manage sources and articles from the shell.

Every command reads BROADSHEET_HOME and DATABASE_URL. Without a subcommand it serves (`run`).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(function: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = function
        return function

    return register


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.config.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="broadsheet", description="Broadsheet news aggregator")
    sub = parser.add_subparsers(dest="command")

    sub.add_parser("migrate", help="create or update the database tables")

    run = sub.add_parser("run", help="serve the web app and run the worker (one machine)")
    _add_web_options(run)

    web = sub.add_parser("web", help="serve the web app only (gunicorn)")
    _add_web_options(web)
    web.add_argument("--workers", type=int, default=0,
                     help="gunicorn worker processes (default: BROADSHEET_WEB_WORKERS)")

    sub.add_parser("worker", help="run the background worker only (Huey consumer)")

    sources = sub.add_parser("sources", help="publishers' feeds and sitemaps")
    sources_sub = sources.add_subparsers(dest="sources_command", required=True)
    add = sources_sub.add_parser("add", help="add a feed, a news sitemap, or a page with a feed")
    add.add_argument("url")
    add.add_argument("--publisher", default="", help="publisher name (default: from the site)")
    add.add_argument("--section", default="", help="section for its articles, e.g. World")
    add.add_argument("--feed-only", action="store_true",
                     help="never fetch the publisher's article pages: keep what its feeds carry")
    listing = sources_sub.add_parser("list", help="every source with its state")
    listing.add_argument("--failing", action="store_true", help="only sources with errors")
    feed_only = sources_sub.add_parser(
        "feed-only", help="mark a publisher feed only: its article pages are never fetched")
    feed_only.add_argument("publisher", help="publisher name or slug")
    feed_only.add_argument("--off", action="store_true",
                           help="fetch its article pages again (robots.txt permitting)")
    importing = sources_sub.add_parser("import-opml", help="add every feed in an OPML file")
    importing.add_argument("file", type=Path)
    sources_sub.add_parser("export-opml", help="write every source as OPML to standard output")
    sources_sub.add_parser("load-catalog", help="add the bundled list of publishers' feeds")

    fetch = sub.add_parser("fetch", help="fetch and process sources now, then print a summary")
    fetch.add_argument("--source", type=int, action="append", help="only this source id")
    fetch.add_argument("--due", action="store_true", help="only sources that are due")

    articles = sub.add_parser("articles", help="the article store")
    articles_sub = articles.add_subparsers(dest="articles_command", required=True)
    export = articles_sub.add_parser("export", help="every article, one JSON object per line")
    export.add_argument("--format", choices=["jsonl"], default="jsonl")
    trim = articles_sub.add_parser(
        "trim-text", help="cut bodies older than the retention to their teaser, now")
    trim.add_argument("--days", type=int, default=None,
                      help="keep full text this many days (default: BROADSHEET_KEEP_TEXT_DAYS)")

    extract = sub.add_parser("extract", help="extract articles from pages given on stdin")
    extract.add_argument("--jsonl", action="store_true", required=True,
                         help='read {"id","url","html"} lines, write extracted lines')
    extract.add_argument("--no-site-templates", action="store_true",
                         help="prepare every page on its own (by default each host's repeated "
                              "blocks, learnt from its earlier pages in the input, leave its "
                              "later pages, as the pipeline stores them)")

    stories = sub.add_parser("stories", help="story clustering")
    stories_sub = stories.add_subparsers(dest="stories_command", required=True)
    cluster = stories_sub.add_parser(
        "cluster", help="group articles given as JSON lines into stories, offline")
    cluster.add_argument("--input", type=Path, required=True,
                         help='lines {"id", "outlet", "date", "title", "text", "url"}')
    cluster.add_argument("--output", type=Path, required=True, help='lines {"id", "story"}')

    briefing = sub.add_parser("briefing", help="the daily briefing email")
    briefing_sub = briefing.add_subparsers(dest="briefing_command", required=True)
    send = briefing_sub.add_parser("send", help="send the briefings due now (the periodic "
                                                "task does this every 5 minutes)")
    send.add_argument("--force", action="store_true",
                      help="ignore the readers' hours (still never two in one local day)")

    demo = sub.add_parser("demo", help="serve a sample publisher network, ingest it, serve the app")
    _add_web_options(demo)
    demo.add_argument("--network-port", type=int, default=8089,
                      help="port of the sample publisher network on 127.0.0.1")
    demo.add_argument("--no-serve", action="store_true",
                      help="ingest the sample network, then exit")
    from broadsheet.ops import commands as ops_commands
    from broadsheet.publishers import commands as publisher_commands
    from broadsheet.readers import commands as reader_commands

    reader_commands.add_parser(sub)
    publisher_commands.add_parser(sub)
    ops_commands.add_parser(sub)
    return parser


def _add_web_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = args.command or "run"
    if name == "run" and args.command is None:
        args.host, args.port = "127.0.0.1", 8000
    if os.environ.get("BROADSHEET_LOG_FORMAT", "").strip().lower() == "json":
        from broadsheet.logs import json_stderr

        json_stderr()
    try:
        return _run(name, args)
    except Exception as error:
        from broadsheet.outages import describe

        advice = describe(error)
        if advice is None:
            raise
        print(f"broadsheet: {advice}", file=sys.stderr)  # not a traceback: what to do
        return 75  # EX_TEMPFAIL: the same command works once the database or disk is back


def _run(name: str, args: argparse.Namespace) -> int:
    """Set Django up and run the command (an unreachable database or full disk may stop it)."""
    setup_django()
    if name in {"run", "web", "worker"}:
        from broadsheet.metrics import forget_finished_processes

        forget_finished_processes()
    from broadsheet.config.env import SettingError

    try:
        return COMMANDS[name](args)
    except SettingError as error:
        print(f"broadsheet: bad setting: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# ------------------------------------------------------------------------------------------


@command("migrate")
def migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    return 0


@command("run")
def run(args: argparse.Namespace) -> int:
    """One machine: migrate, load the bundled publishers on first start, then web + worker."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if settings.LOAD_PUBLISHERS:
        _load_catalog_once()
    return serve_with_worker(args.host, args.port)


def _load_catalog_once() -> None:
    from broadsheet.sources.catalog import install_catalog
    from broadsheet.sources.models import Source

    if not Source.objects.exists():
        result = install_catalog()
        print(f"Loaded the bundled publisher list: {result}")


def serve_with_worker(host: str, port: int, extra_env: dict[str, str] | None = None) -> int:
    """Start the web server and the worker as child processes; stop both when either stops."""
    env = {**os.environ, **(extra_env or {})}
    children = [
        subprocess.Popen(_gunicorn_command(host, port), env=env),
        subprocess.Popen([sys.executable, "-m", "broadsheet.cli", "worker"], env=env),
    ]
    print(f"Broadsheet is serving at http://{host}:{port}/ (Ctrl+C to stop)", flush=True)

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    first_code = 0
    try:
        pid, status = os.wait()  # returns when the first child exits
        first_code = os.waitstatus_to_exitcode(status)
        name = "web server" if pid == children[0].pid else "worker"
        if first_code:
            print(f"broadsheet: the {name} stopped with exit code {first_code}", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
    return max(first_code, 0)


def _gunicorn_command(host: str, port: int, workers: int = 0) -> list[str]:
    """gunicorn with two processes per core (BROADSHEET_WEB_WORKERS), one request each.

    Each request comes on a connection of its own, taken by whichever process is free, so the
    work spreads over every core (kept-alive connections stay with one process and leave the
    others idle, measured in docs/performance.md). A process busy for BROADSHEET_WEB_TIMEOUT
    seconds with one request is restarted, so a stuck request cannot hold its place for good.
    """
    from django.conf import settings

    workers = workers or settings.WEB["workers"] or 2 * (os.cpu_count() or 1)
    command = [sys.executable, "-m", "gunicorn", "broadsheet.config.wsgi:application",
               "--bind", f"{host}:{port}", "--workers", str(workers),
               "--timeout", str(settings.WEB["timeout"]),
               "--access-logfile", "-", "--graceful-timeout", "5"]
    if settings.LOG_FORMAT == "json":  # gunicorn's own lines as JSON on stderr too
        command += ["--logger-class", "broadsheet.ops.weblog.JsonLogger"]
    return command


@command("web")
def web(args: argparse.Namespace) -> int:
    os.execv(sys.executable, _gunicorn_command(args.host, args.port, args.workers))
    return 0  # pragma: no cover - execv does not return


@command("worker")
def worker(args: argparse.Namespace) -> int:
    from broadsheet.ops.worker import run_worker

    run_worker()
    return 0


# ------------------------------------------------------------------------------------------


@command("sources")
def sources(args: argparse.Namespace) -> int:
    from broadsheet.sources import opml
    from broadsheet.sources.models import Source
    from broadsheet.sources.subscribe import SubscribeError, add_source

    if args.sources_command == "add":
        try:
            source, created = add_source(args.url, publisher=args.publisher, section=args.section,
                                         feed_only=args.feed_only)
        except SubscribeError as error:
            print(f"broadsheet: {error}", file=sys.stderr)
            return 1
        verb = "Added" if created else "Already have"
        only = " (feed only: article pages are not fetched)" if source.publisher.feed_only else ""
        print(f"{verb} source {source.pk}: {source.url} ({source.kind}) "
              f"for {source.publisher.name}{only}")
        return 0
    if args.sources_command == "feed-only":
        return _set_feed_only(args.publisher, not args.off)
    if args.sources_command == "list":
        return _list_sources(Source.objects.select_related("publisher"), args.failing)
    if args.sources_command == "import-opml":
        try:
            added, existing = opml.import_opml(args.file.read_bytes())
        except (OSError, opml.OpmlError) as error:
            print(f"broadsheet: cannot import {args.file}: {error}", file=sys.stderr)
            return 1
        print(f"Added {added} sources ({existing} were already there).")
        return 0
    if args.sources_command == "export-opml":
        sys.stdout.write(opml.write_opml())
        return 0
    if args.sources_command == "load-catalog":
        return _load_catalog_with_progress()
    return 2


def _load_catalog_with_progress() -> int:
    """`sources load-catalog`: a bar of publishers on a terminal, the summary on stdout."""
    from broadsheet.ops.progress import Terminal
    from broadsheet.sources.catalog import CatalogError, install_catalog, load_catalog

    try:
        entries = load_catalog()
    except CatalogError as error:
        print(f"broadsheet: {error}", file=sys.stderr)
        return 1
    with Terminal() as progress:
        progress.start("Loading publishers", len(entries))
        result = install_catalog(entries, on_each=lambda: progress.advance(1))
        progress.done()
    print(result)
    return 0


def _list_sources(queryset, failing_only: bool) -> int:
    from rich.console import Console
    from rich.table import Table

    from broadsheet.sources.models import Source

    if failing_only:
        queryset = queryset.filter(status__in=[Source.Status.ERROR, Source.Status.FAILING])
    table = Table("id", "publisher", "section", "kind", "status", "next check", "url", "last error",
                  box=None)
    notices = []
    for source in queryset.order_by("id"):
        publisher = source.publisher.name + (" (feed only)" if source.publisher.feed_only else "")
        table.add_row(str(source.pk), publisher, source.section, source.kind,
                      source.status + (" *" if source.notice else ""),
                      f"{source.next_check_at:%Y-%m-%d %H:%M}", source.url, source.last_error[:80])
        if source.notice:
            notices.append(f"  * source {source.pk}: {source.notice}")
    Console(width=200).print(table)
    if notices:  # on lines of their own, never cut or wrapped by the table
        print("Notices from the last checks:", *notices, sep="\n")
    return 0


def _set_feed_only(name: str, feed_only: bool) -> int:
    from django.db.models import Q

    from broadsheet.sources.models import Publisher

    publisher = Publisher.objects.filter(Q(name=name) | Q(slug=name)).first()
    if publisher is None:
        print(f"broadsheet: no publisher named {name!r} (see `broadsheet sources list`)",
              file=sys.stderr)
        return 1
    Publisher.objects.filter(pk=publisher.pk).update(feed_only=feed_only)
    if feed_only:
        print(f"{publisher.name} is feed only: its article pages are not fetched; "
              "articles come from its feeds.")
    else:
        print(f"{publisher.name}'s article pages are fetched again (robots.txt permitting).")
    return 0


@command("fetch")
def fetch(args: argparse.Namespace) -> int:
    from broadsheet.sources import state
    from broadsheet.sources.models import Source

    queryset = Source.objects.filter(enabled=True)
    if args.source:
        queryset = Source.objects.filter(id__in=args.source)
        missing = set(args.source) - set(queryset.values_list("id", flat=True))
        if missing:
            print(f"broadsheet: no source with id {', '.join(map(str, sorted(missing)))}",
                  file=sys.stderr)
            return 1
    jobs = state.claim_due(10**9) if args.due else state.jobs(queryset.order_by("id"))
    summary = run_jobs_with_progress(jobs)
    print_summary(summary)
    return 0


def run_jobs_with_progress(jobs, policy=None):
    from django.conf import settings
    from rich.progress import Progress

    from broadsheet.poll.pipeline import Pipeline

    # The pipeline starts its worker processes before the progress bar starts its thread.
    with Pipeline(policy, workers=settings.EXTRACT_WORKERS) as pipeline, \
            Progress(transient=True, disable=not sys.stdout.isatty()) as progress:
        bar = progress.add_task("Fetching sources", total=len(jobs))
        return pipeline.run(jobs, progress=lambda n: progress.advance(bar, n))


def print_summary(summary) -> None:
    print(f"{len(summary.reports)} sources checked: "
          f"{summary.total('new')} new, {summary.total('updated')} updated, "
          f"{summary.total('unchanged')} unchanged articles; "
          f"{sum(r.status == 'not_modified' for r in summary.reports)} sources not modified; "
          f"{len(summary.failed_sources)} sources failed; "
          f"{len(summary.failed_articles)} articles failed.")
    if summary.deferred_sources or summary.deferred_articles or summary.total("kept_from_feed"):
        print(f"Politeness: {len(summary.deferred_sources)} sources and "
              f"{len(summary.deferred_articles)} article pages wait for their hosts; "
              f"{summary.total('kept_from_feed')} articles kept from their feeds.")
    for report in summary.reports:
        for notice in report.notices:
            print(f"  source {report.source_id}: {notice}")
    for report in summary.deferred_sources:
        print(f"  source {report.source_id} waits: {report.url}: {report.error}")
    for report in summary.failed_sources:
        print(f"  source {report.source_id} failed: {report.url}: {report.error}")
    for url, reason in summary.failed_articles[:50]:
        print(f"  article failed: {url}: {reason}")
    if len(summary.failed_articles) > 50:
        print(f"  … and {len(summary.failed_articles) - 50} more failed articles")


# ------------------------------------------------------------------------------------------


@command("users")
def users(args: argparse.Namespace) -> int:
    from broadsheet.readers.commands import run as run_users

    return run_users(args)


@command("statements")
def statements(args: argparse.Namespace) -> int:
    from broadsheet.publishers.commands import run as run_statements

    return run_statements(args)


@command("backup")
@command("restore")
@command("copy-to")
def operations(args: argparse.Namespace) -> int:
    """Backups, restores and the move to PostgreSQL (broadsheet/ops/)."""
    from broadsheet.ops.commands import run as run_operations

    return run_operations(args)


@command("briefing")
def briefing(args: argparse.Namespace) -> int:
    """Send the daily briefings due now; exit 1 when some could not be sent."""
    from broadsheet.web.briefing import send_due

    report = send_due(force=args.force)
    for error in report.errors:
        print(f"broadsheet: briefing for {error}", file=sys.stderr)
    print(f"Daily briefing: {report.sent} sent, {report.skipped} skipped, "
          f"{report.failed} failed.")
    return 1 if report.failed else 0


@command("articles")
def articles(args: argparse.Namespace) -> int:
    if args.articles_command == "trim-text":
        return trim_text(args.days)
    from broadsheet.articles.export import export_jsonl

    export_jsonl(sys.stdout)
    return 0


def trim_text(days: int | None) -> int:
    """What the daily task does, now: for operators who shorten the retention."""
    from django.conf import settings

    from broadsheet.articles.retention import trim_old_text

    if days is not None and days <= 0:
        print("broadsheet: --days must be 1 or more.", file=sys.stderr)
        return 2
    days = settings.KEEP_TEXT_DAYS if days is None else days
    if days <= 0:
        print("broadsheet: full text is kept forever (BROADSHEET_KEEP_TEXT_DAYS=0); "
              "give --days N to trim articles older than N days.", file=sys.stderr)
        return 2
    print(f"Trimmed the text of {trim_old_text(days=days):,} articles older than {days} days.")
    return 0


@command("extract")
def extract(args: argparse.Namespace) -> int:
    from broadsheet.ingest.offline import extract_lines
    from broadsheet.sources.catalog import extraction_options_for_page

    extract_lines(sys.stdin, sys.stdout, site_templates=not args.no_site_templates,
                  options_for=extraction_options_for_page)
    return 0


@command("stories")
def stories(args: argparse.Namespace) -> int:
    """The pipeline's story clustering, on a file (the output has no field for copies)."""
    from broadsheet.stories.offline import cluster_jsonl

    try:
        run = cluster_jsonl(args.input, args.output)
    except (OSError, UnicodeDecodeError) as error:
        print(f"broadsheet: {error}", file=sys.stderr)
        return 1
    print(f"Clustered {run.clustered} articles into {args.output}", file=sys.stderr)
    if run.errors:
        print(f"broadsheet: unreadable lines in {args.input}: {len(run.errors)}, each answered "
              f'with an "error" in the output; the first: {run.errors[0]}', file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------------------


@command("demo")
def demo(args: argparse.Namespace) -> int:
    """Serve the sample publisher network on 127.0.0.1 and ingest it; then serve the app."""
    from django.core.management import call_command

    from broadsheet.demo.network import DemoNetwork
    from broadsheet.ingest.fetch import FetchPolicy
    from broadsheet.sources import state

    call_command("migrate", interactive=False, verbosity=0)
    with DemoNetwork(port=args.network_port) as network:
        print(f"Sample publisher network at {network.base_url}")
        sources = _subscribe_demo(network)
        policy = FetchPolicy.from_settings(allow_private=True, host_delay=0.0, per_host=8)
        summary = run_jobs_with_progress(state.jobs(sources), policy=policy)
        print_summary(summary)
        if args.no_serve:
            return 0
        return serve_with_worker(args.host, args.port,
                                 extra_env={"BROADSHEET_FETCH_ALLOW_PRIVATE": "1",
                                            "BROADSHEET_IMAGE_ALLOW_LOOPBACK": "1",
                                            "BROADSHEET_LOAD_PUBLISHERS": "0"})


def _subscribe_demo(network):
    """A source for every feed of the sample network (idempotent: the demo can run again)."""
    from broadsheet.sources.models import Source

    network.install()
    return Source.objects.filter(url__in=[feed.url for feed in network.feeds()]).order_by("id")


if __name__ == "__main__":
    sys.exit(main())
