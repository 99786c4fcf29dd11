"""How fast one polling cycle goes when every source answers 304 Not Modified.

A separate process serves N sources on 127.0.0.1, each on its own port so that every source is a
distinct host to the fetcher (its own connection, politeness slot and per-host limit), and
answers every conditional GET with 304. The fetcher then polls them all once, as the worker does,
with the default fetch policy (loopback allowed).

    .venv/bin/python bench/poll_cycle.py                 # 10,000 sources, 10,000 hosts
    .venv/bin/python bench/poll_cycle.py -n 10000 --hosts 100 --per-host 8 --host-delay 0
    .venv/bin/python bench/poll_cycle.py --pipeline     # the whole cycle, database included

With ``--pipeline`` the sources are rows in a fresh SQLite database and the cycle is what the worker
runs: claim the due sources, fetch them through the poll (``broadsheet.poll``), and record every
check (status, next check time, ETag) back in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from broadsheet.ingest.fetch import Fetcher, FetchError, FetchPolicy  # noqa: E402

ETAG = '"cycle-1"'
NOT_MODIFIED = (b"HTTP/1.1 304 Not Modified\r\nETag: " + ETAG.encode() +
                b"\r\nCache-Control: max-age=300\r\nServer: poll-bench\r\n\r\n")


class _Answer304(asyncio.Protocol):
    """Answers each request on a kept-alive connection with 304 (no request bodies expected)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        ends = self.buffer.count(b"\r\n\r\n")
        if ends:
            self.buffer = self.buffer[self.buffer.rfind(b"\r\n\r\n") + 4:]
            self.transport.write(NOT_MODIFIED * ends)


async def _serve(hosts: int) -> None:
    loop = asyncio.get_running_loop()
    ports = []
    for _ in range(hosts):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.setblocking(False)
        await loop.create_server(_Answer304, sock=sock)
        ports.append(sock.getsockname()[1])
    print(json.dumps(ports), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin


async def _poll(urls: list[str], policy: FetchPolicy) -> tuple[float, float, int, list[str]]:
    not_modified = 0
    errors: list[str] = []
    async with Fetcher(policy) as fetcher:

        async def one(url: str) -> None:
            nonlocal not_modified
            try:
                result = await fetcher.fetch(url, etag=ETAG)
            except FetchError as exc:
                errors.append(str(exc))
            else:
                not_modified += result.not_modified

        started = time.perf_counter()
        cpu = time.process_time()
        await asyncio.gather(*(one(u) for u in urls))
        seconds = time.perf_counter() - started
        return seconds, time.process_time() - cpu, not_modified, errors


def _pipeline_cycle(urls: list[str], policy: FetchPolicy) -> tuple[float, float, int, list[str]]:
    import tempfile

    os.environ.update(BROADSHEET_HOME=tempfile.mkdtemp(prefix="broadsheet-poll-"),
                      DATABASE_URL="", DJANGO_SETTINGS_MODULE="broadsheet.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from broadsheet.poll.pipeline import Pipeline
    from broadsheet.sources import state
    from broadsheet.sources.models import Publisher, Source

    publisher = Publisher.objects.create(name="Poll bench")
    Source.objects.bulk_create(
        [Source(publisher=publisher, url=url, etag=ETAG) for url in urls], batch_size=1000)
    started = time.perf_counter()
    cpu = time.process_time()
    with Pipeline(policy, workers=1) as pipeline:
        summary = pipeline.run(state.claim_due(len(urls)))
    seconds = time.perf_counter() - started
    not_modified = sum(report.status == "not_modified" for report in summary.reports)
    recorded = Source.objects.filter(status=Source.Status.OK).count()
    assert recorded == len(urls), f"only {recorded} checks recorded"
    return seconds, time.process_time() - cpu, not_modified, [
        report.error for report in summary.failed_sources]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="sources to poll (default 10000)")
    parser.add_argument("--hosts", type=int, default=0, help="distinct hosts (default: n)")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--per-host", type=int, default=None)
    parser.add_argument("--host-delay", type=float, default=None)
    parser.add_argument("--pipeline", action="store_true",
                        help="run the whole cycle: database claim, pipeline, recorded checks")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve))
        return

    hosts = args.hosts or args.n
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(hosts)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ports = json.loads(server.stdout.readline())
        urls = [f"http://127.0.0.1:{ports[i % hosts]}/feeds/{i}.xml" for i in range(args.n)]
        overrides = {k: v for k, v in (("concurrency", args.concurrency),
                                       ("per_host", args.per_host),
                                       ("host_delay", args.host_delay)) if v is not None}
        policy = FetchPolicy(allow_private=True, **overrides)
        if args.pipeline:
            seconds, cpu, not_modified, errors = _pipeline_cycle(urls, policy)
        else:
            seconds, cpu, not_modified, errors = asyncio.run(_poll(urls, policy))
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    what = "pipeline cycle (claim, fetch, record)" if args.pipeline else "fetcher only"
    print(f"{what}: polled {args.n} sources on {hosts} hosts (127.0.0.1, one port each): "
          f"{seconds:.2f} s, {args.n / seconds:.0f} requests/s, fetcher CPU {cpu:.2f} s "
          f"({cpu / args.n * 1e6:.0f} us/source), {not_modified} not modified, "
          f"{len(errors)} errors; concurrency={policy.concurrency} per_host={policy.per_host} "
          f"host_delay={policy.host_delay}; {os.cpu_count()} cores")
    for message in errors[:5]:
        print("  error:", message)


if __name__ == "__main__":
    main()
