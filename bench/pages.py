"""Page latency: p50/p95/p99 and throughput of every reading surface, as a visitor and a member.

    .venv/bin/python bench/pages.py                          # everything, about 15 minutes
    .venv/bin/python bench/pages.py --pages home,search --roles visitor --connections 16
    .venv/bin/python bench/pages.py --url http://127.0.0.1:8000 --json results.json

It measures the store the environment configures, as the product would (``DATABASE_URL``, else
SQLite under ``BROADSHEET_HOME``), normally one filled by ``bench/make_store.py``. It starts the
product's own server with its defaults (``broadsheet web --port PORT``: gunicorn, two processes
per core) and stops it at the end, or measures a server already running with ``--url`` (which
must use the same database, and run with ``BROADSHEET_RATE_LIMIT_ANONYMOUS=0`` and
``BROADSHEET_RATE_LIMIT_TOKEN=0``, as the server started here does, or the JSON API answers 429
past its limits). The load comes from wrk, in its own process, through
``bench/pages.lua``: each run cycles through many URLs of one page (300 articles, 100 stories,
every section, ten search words of each frequency class...) so that caches and indexes are
exercised as by many readers.

The member is a reader account with access and follows (one is made if there is none): a session
made in the database for the pages, a personal token for the JSON API, a private feed address for
the feeds, and a Google Reader sign-in for the Reader stream; they are revoked at the end. The
member's article readings go into its reading history, as real readings do.

Prints a markdown table (page, role, connections, p50/p95/p99 ms, req/s, errors); exits 1 when any
run had a socket error or a response other than 2xx/3xx, so a broken page cannot hide in a table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.config.settings")

LUA = Path(__file__).with_name("pages.lua")
VISITOR, MEMBER = "visitor", "member"
WARM_UP_SECONDS = 2
WRK_TIMEOUT = "10s"
SETTLED_SECONDS = 0.2  # a cached page answered within this: nothing is queued before it
ARTICLE_URLS = 300
STORY_URLS = 100
API_SECTION_URLS = 5
BENCH_MEMBER = "reader-bench@example.org"
# The search engines' tokens: runs of letters and digits (articles.search uses the same pattern).
WORD = re.compile(r"[^\W_]+")
READING_LIST = "/reader/api/0/stream/contents/user/-/state/com.google/reading-list"


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    roles: tuple[str, ...] = (VISITOR, MEMBER)
    door: str = "web"  # how a member proves who they are: web, api, feed or greader


PAGES = (
    Page("home", "home"),
    Page("section", "section"),
    Page("article", "article"),
    Page("story", "story"),
    Page("search-common", "search, common words"),
    Page("search-medium", "search, medium words"),
    Page("search-rare", "search, rare words"),
    Page("search-phrase", "search, phrases"),
    Page("following", "for you (following)", (MEMBER,)),
    Page("api", "API list", door="api"),
    Page("feeds", "feeds", door="feed"),
    Page("greader", "Reader stream", (MEMBER,), door="greader"),
)
SEARCH_CLASSES = ("common", "medium", "rare", "phrase")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default="all",
                        help="comma list of: " + ", ".join(p.key for p in PAGES)
                        + " ('search' means the four search classes)")
    parser.add_argument("--roles", default="visitor,member", help="visitor, member or both")
    parser.add_argument("--connections", default="1,16,64", help="comma list of wrk -c values")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warm-up", type=int, default=WARM_UP_SECONDS,
                        help="seconds of load before each measured run, not counted")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1 or 2)")
    parser.add_argument("--settle", type=float, default=120,
                        help="seconds the server may take to work off its queue between runs; "
                             "a page whose server is still busy then is reported unmeasured")
    parser.add_argument("--port", type=int, default=0, help="port for the server (0: a free one)")
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--member", help="email of the member account to use")
    parser.add_argument("--words", type=int, default=10, help="search words per class")
    parser.add_argument("--sample", type=int, default=3000,
                        help="articles sampled to measure words' document frequency")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice")
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    return parser.parse_args(argv)


def chosen_pages(spec: str) -> list[Page]:
    if spec == "all":
        return list(PAGES)
    keys = set()
    for key in (k.strip() for k in spec.split(",") if k.strip()):
        keys |= ({f"search-{c}" for c in SEARCH_CLASSES} if key == "search" else {key})
    unknown = keys - {p.key for p in PAGES}
    if unknown:
        raise SystemExit(f"pages.py: unknown page(s) {', '.join(sorted(unknown))}")
    return [p for p in PAGES if p.key in keys]


def setup_django(check_migrations: bool = True) -> None:
    """Django as the product configures it, on a store that is ready to be measured.

    With ``--url`` the running server's code decides which migrations it needs (an older
    version may be measured against the same store), so they are not checked.
    """
    import django

    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from broadsheet.articles.models import Article

    executor = MigrationExecutor(connection)
    if check_migrations and executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise SystemExit("pages.py: the database needs migrations first: broadsheet migrate")
    if not Article.objects.exists():
        raise SystemExit("pages.py: the store has no articles; fill it with bench/make_store.py")


# --- search words ------------------------------------------------------------------------------

def _stop_words() -> frozenset[str]:
    """Words PostgreSQL's english configuration drops: a search for them alone finds nothing
    there while SQLite's FTS5 finds every article, so the classes leave them out on both."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS | {"did", "does", "doing", "don", "having", "just",
                                           "theirs"})


def _grams(tokens: list[str], wanted: set[str]) -> Iterator[tuple[str, ...]]:
    """Two- and three-word phrases that start and end with a ``wanted`` word."""
    for size in (2, 3):
        for i in range(len(tokens) - size + 1):
            gram = tuple(tokens[i:i + size])
            if gram[0] in wanted and gram[-1] in wanted and all(w.isalpha() for w in gram):
                yield gram


def sample_texts(rng: random.Random, size: int) -> list[tuple[str, str]]:
    """(title, text) of ``size`` random articles (ids drawn in Python: ORDER BY random() reads
    the whole table)."""
    from broadsheet.articles.models import Article

    ids = list(Article.objects.order_by("id").values_list("id", flat=True))
    chosen = rng.sample(ids, min(size, len(ids)))
    texts = []
    for start in range(0, len(chosen), 500):
        rows = Article.objects.filter(id__in=chosen[start:start + 500])
        texts += list(rows.values_list("title", "text"))
    return texts


def document_frequencies(texts: list[tuple[str, str]], stop: frozenset[str]
                         ) -> tuple[Counter[str], Counter[tuple[str, ...]]]:
    """How many texts hold each word and each phrase; only phrases of words in 2% or more of
    the texts are counted (a frequent phrase needs frequent words; all of them fill memory)."""
    words: Counter[str] = Counter()
    tokenised = [[WORD.findall(part.lower()) for part in pair] for pair in texts]
    for parts in tokenised:
        words.update({w for tokens in parts for w in tokens})
    wanted = {w for w, n in words.items()
              if n >= len(texts) / 50 and w.isalpha() and len(w) > 2 and w not in stop}
    phrases: Counter[tuple[str, ...]] = Counter()
    for parts in tokenised:  # a phrase does not run from the headline into the body
        phrases.update({g for tokens in parts for g in _grams(tokens, wanted)})
    return words, phrases


@dataclass
class SearchTerms:
    """Per class, (query, share of the sampled articles that contain it)."""

    sample: int
    classes: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


def choose_search_terms(rng: random.Random, sample: int, per_class: int) -> SearchTerms:
    """Words by how many articles hold them, since that is what a search's cost follows:
    common (the most frequent, in half the articles or more in real news), medium (about 1%),
    rare (the fewest documents of the sample), and the most frequent two- and three-word phrases.
    """
    stop = _stop_words()
    texts = sample_texts(rng, sample)
    words, phrases = document_frequencies(texts, stop)
    n = max(1, len(texts))
    usable = sorted((w for w in words if w.isalpha() and len(w) > 2 and w not in stop),
                    key=lambda w: (-words[w], w))
    common = usable[:per_class]
    target = n / 100
    near = sorted(usable, key=lambda w: (abs(words[w] - target), rng.random()))
    medium = near[:per_class]
    fewest = min((words[w] for w in usable if len(w) > 3), default=1)
    rare_pool = [w for w in sorted(usable)
                 if words[w] == fewest and len(w) > 3 and w not in medium]
    rare = rng.sample(rare_pool, min(per_class, len(rare_pool)))
    ranked = sorted(phrases, key=lambda p: (-phrases[p], p))
    triples = [p for p in ranked if len(p) == 3][:per_class * 2 // 5]
    pairs = [p for p in ranked if len(p) == 2][:per_class - len(triples)]
    terms = SearchTerms(len(texts))
    terms.classes["common"] = [(w, words[w] / n) for w in common]
    terms.classes["medium"] = [(w, words[w] / n) for w in medium]
    terms.classes["rare"] = [(w, words[w] / n) for w in rare]
    terms.classes["phrase"] = [(f'"{" ".join(p)}"', phrases[p] / n) for p in pairs + triples]
    return terms


# --- the member --------------------------------------------------------------------------------

@dataclass
class Member:
    user: object
    created: bool
    password: str | None = None  # known only for an account this bench made


def _with_access_and_follows(email: str | None) -> Iterator[object]:
    from django.db.models import Count

    from broadsheet.readers.models import Membership, User

    users = (User.objects.filter(is_active=True, membership__isnull=False)
             .exclude(membership__state=Membership.State.EXPIRED)
             .annotate(follow_count=Count("follows")).filter(follow_count__gt=0)
             .select_related("membership").order_by("id"))
    if email:
        users = users.filter(email__iexact=email)
    return users.iterator(chunk_size=500)


def find_member(email: str | None, topic: str | None) -> Member:
    """The first reader with access and follows; one is made (and said so) if there is none."""
    from django.utils import timezone

    now = timezone.now()
    for user in _with_access_and_follows(email):
        if user.membership.has_access(now):
            return Member(user, created=False)
    if email:
        raise SystemExit(f"pages.py: {email} is not a member with access and follows")
    return create_member(topic)


def create_member(topic: str | None) -> Member:
    """An active member following the busiest publishers, two sections and a topic."""
    import secrets

    from django.db.models import Count

    from broadsheet.curation.models import Section
    from broadsheet.readers import membership
    from broadsheet.readers.models import Follow, User
    from broadsheet.sources.models import Publisher

    password = secrets.token_urlsafe(18)
    user = User.objects.filter(email=BENCH_MEMBER).first()
    if user is None:
        user = User.objects.create_user(BENCH_MEMBER, password)
    else:  # left from an earlier run, and since expired or unfollowed everything
        user.set_password(password)
        user.is_active = True
        user.save()
    membership.grant(user)
    busiest = (Publisher.objects.annotate(n=Count("articles")).filter(n__gt=0)
               .order_by("-n", "id")[:5])
    follows = [Follow(user=user, kind=Follow.Kind.PUBLISHER, publisher=p) for p in busiest]
    follows += [Follow(user=user, kind=Follow.Kind.SECTION, section=s)
                for s in Section.objects.exclude(slug="")[:2]]
    if topic:
        follows.append(Follow(user=user, kind=Follow.Kind.TOPIC, topic=topic))
    Follow.objects.bulk_create(follows, ignore_conflicts=True)
    print(f"No member with access and follows: made {BENCH_MEMBER} (active, "
          f"{len(follows)} follows).", file=sys.stderr)
    return Member(user, created=True, password=password)


@dataclass
class Credentials:
    """What the member sends at each door; everything here is revoked at the end."""

    session_key: str
    api_token: str
    feed_token: str
    greader_token: str
    greader_sign_in: str
    token_ids: list[int]


def sign_in(member: Member, base: str) -> Credentials:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from broadsheet.api.auth import issue_token
    from broadsheet.api.models import ApiToken

    user = member.user
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    api = issue_token(user, ApiToken.Kind.API, "bench/pages.py")
    feed = issue_token(user, ApiToken.Kind.FEED, "bench/pages.py")
    token_ids = [api.token.pk, feed.token.pk]
    if member.password:
        greader, how = client_login(base, user.email, member.password), "ClientLogin"
    else:
        # The account's password is unknown: the same token ClientLogin would hand out.
        issued = issue_token(user, ApiToken.Kind.GREADER, "bench/pages.py")
        greader, how = issued.secret, "a Reader token issued in the database"
        token_ids.append(issued.token.pk)
    return Credentials(session.session_key, api.secret, feed.secret, greader, how, token_ids)


def client_login(base: str, email: str, password: str) -> str:
    body = urlencode({"Email": email, "Passwd": password})
    status, text = fetch(base, "/accounts/ClientLogin", method="POST", body=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    found = re.search(r"^Auth=(\S+)", text.decode(), re.MULTILINE)
    if status != 200 or not found:
        raise SystemExit(f"pages.py: ClientLogin answered {status}: {text[:200]!r}")
    return found.group(1)


def revoke(credentials: Credentials, email: str) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    from broadsheet.api.auth import hash_secret
    from broadsheet.api.models import ApiToken

    SessionStore(session_key=credentials.session_key).delete()
    ApiToken.objects.filter(pk__in=credentials.token_ids).delete()
    ApiToken.objects.filter(user__email=email,
                            key_hash=hash_secret(credentials.greader_token)).delete()


def member_headers(page: Page, credentials: Credentials) -> dict[str, str]:
    if page.door == "api":
        return {"Authorization": f"Bearer {credentials.api_token}"}
    if page.door == "greader":
        return {"Authorization": f"GoogleLogin auth={credentials.greader_token}"}
    if page.door == "feed":
        return {}  # the secret is in the private feed's address
    return {"Cookie": f"sessionid={credentials.session_key}"}


# --- URL pools ---------------------------------------------------------------------------------

def _sample(rng: random.Random, values: list, size: int) -> list:
    return rng.sample(values, min(size, len(values)))


def section_slugs() -> list[str]:
    from broadsheet.curation.models import Section

    return list(Section.objects.exclude(slug="").order_by("position", "name")
                .values_list("slug", flat=True))


def article_paths(rng: random.Random) -> list[str]:
    from broadsheet.articles.models import Article
    from broadsheet.web.links import article_path

    ids = list(Article.objects.order_by("id").values_list("id", flat=True))
    chosen = _sample(rng, ids, ARTICLE_URLS)
    articles = Article.objects.filter(id__in=chosen).only("id", "title")
    by_id = {a.pk: article_path(a) for a in articles}
    return [by_id[pk] for pk in chosen]


def story_paths(rng: random.Random) -> list[str]:
    """Stories of three or more articles, topped up with two-article ones if there are few."""
    from broadsheet.stories.models import Story

    live = Story.objects.filter(merged_into__isnull=True).order_by("id")
    ids = _sample(rng, list(live.filter(article_count__gte=3).values_list("id", flat=True)),
                  STORY_URLS)
    if len(ids) < STORY_URLS:
        pairs = list(live.filter(article_count=2).values_list("id", flat=True))
        ids += _sample(rng, pairs, STORY_URLS - len(ids))
    return [f"/story/{pk}/" for pk in ids]


def build_pools(rng: random.Random, terms: SearchTerms, credentials: Credentials | None
                ) -> dict[tuple[str, str], list[str]]:
    """Every (page, role) and the paths its runs cycle through."""
    slugs = section_slugs()
    shared = {
        "home": ["/"],
        "section": [f"/section/{s}/" for s in slugs],
        "article": article_paths(rng),
        "story": story_paths(rng),
        "api": ["/api/v1/articles"] + [f"/api/v1/articles?section={s}"
                                       for s in slugs[:API_SECTION_URLS]],
    }
    for name, items in terms.classes.items():
        shared[f"search-{name}"] = ["/search?q=" + quote(q) for q, _ in items]
    pools = {(key, VISITOR): paths for key, paths in shared.items()}
    pools[("feeds", VISITOR)] = (["/feeds/latest.xml", "/feeds/latest.atom"]
                                 + [f"/feeds/section/{s}.xml" for s in slugs])
    if credentials is not None:
        pools.update({(key, MEMBER): paths for key, paths in shared.items()})
        pools[("following", MEMBER)] = ["/following/"]
        private = f"/feeds/private/{credentials.feed_token}"
        pools[("feeds", MEMBER)] = [f"{private}/latest.xml", f"{private}/latest.atom"]
        pools[("greader", MEMBER)] = [READING_LIST,
                                      READING_LIST + "?xt=user/-/state/com.google/read"]
    return {key: paths for key, paths in pools.items() if paths}


def shown(path: str) -> str:
    """A path fit to print: a private feed's secret is left out."""
    return re.sub(r"/private/[^/]+/", "/private/…/", path)


# --- the server --------------------------------------------------------------------------------

def fetch(base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET",
          body: str | None = None, timeout: float = 30) -> tuple[int, bytes]:
    """One request, redirects not followed (a redirect is an answer worth seeing here)."""
    parts = urlsplit(base)
    kind = (http.client.HTTPSConnection if parts.scheme == "https"
            else http.client.HTTPConnection)
    connection = kind(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _allowed_hosts() -> str:
    """The operator's hosts, with 127.0.0.1 added: the bench asks for http://127.0.0.1:PORT."""
    hosts = [h.strip() for h in os.environ.get("BROADSHEET_ALLOWED_HOSTS", "").split(",")
             if h.strip()] or ["127.0.0.1", "localhost"]
    if "127.0.0.1" not in hosts and "*" not in hosts:
        hosts.append("127.0.0.1")
    return ",".join(hosts)


ACCESS_LINE = re.compile(r'^\S+ - \S+ \[[^]]*\] "')


def _tail(log: Path, lines: int = 30) -> str:
    """The server's last words, without gunicorn's access log, where tracebacks would drown."""
    try:
        text = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return "\n".join([x for x in text if not ACCESS_LINE.match(x)][-lines:]) or "(nothing)"


def wait_until_up(base: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"pages.py: the server exited with {process.returncode}:\n"
                             + _tail(log))
        try:
            status, _ = fetch(base, "/", timeout=10)
        except OSError:
            time.sleep(0.25)
            continue
        if status == 200:
            return
        raise SystemExit(f"pages.py: the server answers / with {status}:\n" + _tail(log))
    raise SystemExit(f"pages.py: the server did not answer within {seconds:.0f} s:\n"
                     + _tail(log))


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's master (a graceful stop), then SIGKILL to its group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # its own group: start_new_session below
    except ProcessLookupError:
        return
    process.wait()


@contextmanager
def product_server(port: int, log: Path) -> Iterator[str]:
    """``broadsheet web --port PORT``, as an operator starts it; stopped however the bench ends."""
    program = Path(sys.executable).with_name("broadsheet")
    if not program.exists():
        raise SystemExit(f"pages.py: {program} is missing; run this with the venv's python")
    # Rate limits off: the load comes from one address and one token, far past a reader's pace.
    env = {**os.environ, "BROADSHEET_ALLOWED_HOSTS": _allowed_hosts(),
           "BROADSHEET_RATE_LIMIT_ANONYMOUS": "0", "BROADSHEET_RATE_LIMIT_TOKEN": "0"}
    with log.open("wb") as output:
        process = subprocess.Popen([str(program), "web", "--port", str(port)], cwd=ROOT,
                                   env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # Ctrl-C reaches the bench only
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, process, log)
        yield base
    finally:
        stop(process)


@contextmanager
def serving(args: argparse.Namespace, log: Path) -> Iterator[str]:
    if args.url:
        yield args.url.rstrip("/")
        return
    port = args.port or free_port()
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"pages.py: port {port} is taken; choose another with --port, or "
                             f"measure that server with --url http://127.0.0.1:{port}")
    with product_server(port, log) as base:
        yield base


# --- checks before measuring -------------------------------------------------------------------

def check_member(base: str, credentials: Credentials) -> None:
    """A refused session or token would quietly measure a visitor's pages as the member's."""
    web = member_headers(Page("", ""), credentials)
    status, _ = fetch(base, "/following/", web)
    if status != 200:
        raise SystemExit(f"pages.py: the member's session is refused (/following/: {status})")
    api = member_headers(Page("", "", door="api"), credentials)
    status, body = fetch(base, "/api/v1/me", api)
    if status != 200 or not json.loads(body)["membership"]["full_access"]:
        raise SystemExit(f"pages.py: the member's API token is refused or has no full access "
                         f"({status}: {body[:200]!r})")
    greader = member_headers(Page("", "", door="greader"), credentials)
    status, _ = fetch(base, "/reader/api/0/user-info", greader)
    if status != 200:
        raise SystemExit(f"pages.py: the member's Reader sign-in is refused ({status})")


def preflight(base: str, pools: dict[tuple[str, str], list[str]],
              headers: dict[tuple[str, str], dict[str, str]]) -> list[str]:
    """The first URL of every pool must answer 200 before anything is timed."""
    problems = []
    for (key, role), paths in pools.items():
        status, _ = fetch(base, paths[0], headers[key, role])
        if status != 200:
            problems.append(f"{key} as {role}: {shown(paths[0])} answered {status}")
    return problems


# --- running wrk -------------------------------------------------------------------------------

def wrk(base: str, paths: Path, headers: Path, connections: int, seconds: int,
        threads: int) -> dict:
    """One wrk run; its Lua ``done()`` prints the figures as one JSON line."""
    command = ["wrk", "-t", str(max(1, min(threads, connections))), "-c", str(connections),
               "-d", f"{seconds}s", "--timeout", WRK_TIMEOUT, "-s", str(LUA), base + "/",
               str(paths), str(headers)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in done.stdout.splitlines() if x.startswith("PAGES_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"pages.py: wrk failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return json.loads(line.removeprefix("PAGES_JSON "))


def summarise(page: Page, role: str, connections: int, urls: int, raw: dict) -> dict:
    seconds = raw["duration_us"] / 1e6
    socket_errors = sum(raw[k] for k in ("connect", "read", "write", "timeout"))
    bad_status = raw["status_4xx"] + raw["status_5xx"]
    return {
        "page": page.key, "label": page.label, "role": role, "connections": connections,
        "urls": urls, "p50_ms": raw["p50_us"] / 1000, "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000, "requests": raw["requests"],
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "socket_errors": socket_errors, "bad_status": bad_status,
        "redirects": raw["status_3xx"], "errors": socket_errors + bad_status, "wrk": raw,
    }


def measure(base: str, page: Page, role: str, paths: list[str], headers: dict[str, str],
            args: argparse.Namespace, workdir: Path) -> Iterator[dict]:
    """Every connection count for one page and role: warm up, then measure."""
    paths_file = workdir / f"{page.key}-{role}.paths"
    paths_file.write_text("\n".join(paths) + "\n")
    headers_file = workdir / f"{page.key}-{role}.headers"
    headers_file.write_text("".join(f"{k}: {v}\n" for k, v in headers.items()))
    for connections in args.connection_counts:
        try:
            settle(base, args.settle)
            if args.warm_up > 0:
                wrk(base, paths_file, headers_file, connections, args.warm_up, args.threads)
                settle(base, args.settle)
        except ServerBusy as busy:
            print(f"  {page.label}, {role}, {connections} connections: not measured, {busy}",
                  file=sys.stderr, flush=True)
            yield {**not_applicable(page, role, f"not measured: {busy}"),
                   "connections": connections}
            return  # more connections would find it busier still
        raw = wrk(base, paths_file, headers_file, connections, args.duration, args.threads)
        row = summarise(page, role, connections, len(paths), raw)
        print(f"  {page.label}, {role}, {connections} connections: p50 {row['p50_ms']:.1f} ms,"
              f" p99 {row['p99_ms']:.1f} ms, {row['rps']:.1f} req/s, {row['errors']} errors"
              + (f", {row['redirects']} redirects" if row["redirects"] else ""),
              file=sys.stderr, flush=True)
        yield row


class ServerBusy(Exception):
    """The server did not work off its queue in time: the page is reported unmeasured."""


def settle(base: str, seconds: float) -> None:
    """Wait until the server has worked off the requests a finished run left in its queue.

    wrk closes its connections when the time is up, but requests already sent still wait in
    gunicorn's listen queue and would slow the next run; a cheap request answered promptly
    (the visitor's home page, from the page cache) says the queue is empty again.
    """
    deadline = time.monotonic() + seconds
    prompt = 0
    while prompt < 2:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ServerBusy(f"the server was still busy {seconds:.0f} s after the last run")
        started = time.monotonic()
        try:
            fetch(base, "/", timeout=left)
        except (OSError, http.client.HTTPException):
            prompt = 0
            time.sleep(0.5)
            continue
        prompt = prompt + 1 if time.monotonic() - started < SETTLED_SECONDS else 0


def not_applicable(page: Page, role: str, why: str) -> dict:
    return {"page": page.key, "label": page.label, "role": role, "na": why}


# --- what was measured, and the report ---------------------------------------------------------

def database() -> str:
    import sqlite3

    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version} ({settings['NAME']})"
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        major, minor = divmod(connection.pg_version, 10000)
        where = f"{settings.get('HOST') or 'local socket'}/{settings['NAME']}"
        return f"PostgreSQL {major}.{minor} ({where})"
    return connection.vendor


def commit() -> str:
    def git(*words: str) -> str:
        done = subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with local changes" if git("status", "--porcelain", "--untracked-files=no")
                   else "")


def machine() -> str:
    memory = 0.0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 2**20
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, {memory:.1f} GiB, load average {load:.2f} at the start"


def describe(args: argparse.Namespace, member: Member | None) -> dict:
    from broadsheet.articles.models import Article
    from broadsheet.stories.models import Story

    server = (f"the server at {args.url}" if args.url
              else "`broadsheet web` (gunicorn, the product's defaults)")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "database": database(),
        "articles": Article.objects.count(), "stories": Story.objects.count(),
        "commit": commit(), "machine": machine(), "server": server,
        "member": (f"{member.user.email}" + (" (made by the bench)" if member.created else "")
                   if member else "none"),
        "load": f"wrk -t {args.threads} --timeout {WRK_TIMEOUT}, {args.duration} s per run "
                f"after {args.warm_up} s of warm-up",
    }


def _errors(row: dict) -> str:
    if not row["errors"]:
        return "0"
    kinds = {k: row["wrk"][k] for k in ("connect", "read", "write", "timeout")}
    kinds.update({"4xx": row["wrk"]["status_4xx"], "5xx": row["wrk"]["status_5xx"]})
    return f"{row['errors']} ({', '.join(f'{n} {k}' for k, n in kinds.items() if n)})"


def report(meta: dict, terms: SearchTerms, rows: list[dict]) -> str:
    lines = [f"Page latency, {meta['date']}: {meta['database']}, {meta['articles']:,} articles, "
             f"{meta['stories']:,} stories; commit {meta['commit']}; {meta['machine']}; "
             f"{meta['server']}; {meta['load']}; member {meta['member']}.", ""]
    lines.append(f"Search words (share of {terms.sample:,} sampled articles containing them):")
    for name, items in terms.classes.items():
        lines.append(f"- {name}: " + ", ".join(f"{q} ({share:.1%})" for q, share in items))
    lines += ["", "| page | role | connections | p50 ms | p95 ms | p99 ms | req/s | errors |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        if "na" in row:
            lines.append(f"| {row['label']} | {row['role']} | {row.get('connections', 'all')} "
                         f"| n/a | n/a | n/a | n/a | {row['na']} |")
            continue
        lines.append(f"| {row['label']} | {row['role']} | {row['connections']} | "
                     f"{row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | "
                     f"{row['rps']:.1f} | {_errors(row)} |")
    redirects = sum(row.get("redirects", 0) for row in rows)
    if redirects:
        lines += ["", f"{redirects:,} responses were redirects (3xx), timed as answers."]
    return "\n".join(lines)


# --- the whole bench ---------------------------------------------------------------------------

def run_all(base: str, args: argparse.Namespace, rng: random.Random, terms: SearchTerms,
            member: Member | None, workdir: Path) -> list[dict]:
    credentials = sign_in(member, base) if member else None
    try:
        wanted = {(p.key, role) for p in args.page_list for role in args.role_list}
        pools = {k: v for k, v in build_pools(rng, terms, credentials).items() if k in wanted}
        headers = {(p.key, role): (member_headers(p, credentials) if role == MEMBER else {})
                   for p in PAGES for role in (VISITOR, MEMBER) if (p.key, role) in pools}
        if credentials:
            check_member(base, credentials)
            print(f"Member: {member.user.email} (Reader API: {credentials.greader_sign_in}).",
                  file=sys.stderr)
        problems = preflight(base, pools, headers)
        if problems:
            raise SystemExit("pages.py: pages that do not answer 200:\n  " + "\n  ".join(problems))
        rows: list[dict] = []
        for page in args.page_list:
            for role in args.role_list:
                if role not in page.roles:
                    rows.append(not_applicable(page, role, "not applicable to visitors"))
                elif (page.key, role) not in pools:
                    rows.append(not_applicable(page, role, "nothing of this kind in the store"))
                else:
                    rows += measure(base, page, role, pools[page.key, role],
                                    headers[page.key, role], args, workdir)
        return rows
    finally:
        if credentials:
            revoke(credentials, member.user.email)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so that the server is stopped on the way out


def options(argv: list[str] | None) -> argparse.Namespace:
    args = parse_args(argv)
    args.page_list = chosen_pages(args.pages)
    args.role_list = [r.strip() for r in args.roles.split(",") if r.strip()]
    if not args.role_list or set(args.role_list) - {VISITOR, MEMBER}:
        raise SystemExit("pages.py: --roles takes visitor, member or both")
    try:
        args.connection_counts = [int(c) for c in args.connections.split(",") if c.strip()]
    except ValueError:
        args.connection_counts = []
    if not args.connection_counts or min(args.connection_counts) < 1:
        raise SystemExit("pages.py: --connections takes numbers of connections, like 1,16,64")
    return args


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    if shutil.which("wrk") is None:
        print("pages.py: wrk is not installed; install it with: apt-get install wrk",
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    setup_django(check_migrations=not args.url)
    rng = random.Random(args.seed)
    print(f"Sampling {args.sample:,} articles for search words...", file=sys.stderr)
    terms = choose_search_terms(rng, args.sample, args.words)
    topic = terms.classes["medium"][0][0] if terms.classes["medium"] else None
    member = find_member(args.member, topic) if MEMBER in args.role_list else None
    meta = describe(args, member)
    workdir = Path(tempfile.mkdtemp(prefix="broadsheet-pages-"))
    try:
        with serving(args, workdir / "server.log") as base:
            rows = run_all(base, args, rng, terms, member, workdir)
        failed = [r for r in rows if r.get("errors")]
        if failed and not args.url:
            print("Server log, last lines:\n" + _tail(workdir / "server.log", 40),
                  file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(report(meta, terms, rows))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "search": terms.classes,
                                         "sample": terms.sample, "results": rows}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("pages.py: interrupted (the server is stopped)", file=sys.stderr)
        sys.exit(130)
