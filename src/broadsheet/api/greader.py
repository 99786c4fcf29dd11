"""The Google Reader API, as FreshRSS and Miniflux speak it, so reader apps (Reeder,
NetNewsWire, FeedMe, Read You, …) can sync with Broadsheet.

How Broadsheet maps onto it:

- subscriptions are the publishers the reader follows (every publisher with articles while
  they follow none), as ``feed/<publisher id>``; their categories are the sections their
  feeds cover, as ``user/-/label/<Section>``;
- ``user/-/state/com.google/read`` is the reader's reading history, and
  ``user/-/state/com.google/starred`` their saved articles;
- an item's content is what the paywall policy lets this reader see: the whole article for a
  member, the teaser and a sign-up link for anyone else, checked on every request.

Apps authenticate with ``Authorization: GoogleLogin auth=<token>``, the token coming from
``/accounts/ClientLogin``. The header cannot be sent by another site, so these views need no
CSRF cookie.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from broadsheet.articles.models import Article, not_hidden
from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow, ReadingHistory, SavedArticle
from broadsheet.readers.paywall import can_read_full
from broadsheet.readers.throttle import client_address, signin_throttle
from broadsheet.sources.models import Publisher, Source

from . import present
from .auth import greader_action_token, greader_user, issue_token
from .models import ApiToken

LONG_ITEM_PREFIX = "tag:google.com,2005:reader/item/"
READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
KEPT_UNREAD = "user/-/state/com.google/kept-unread"
LABEL_PREFIX = "user/-/label/"
DEFAULT_ITEMS = 20
MAX_CONTENT_ITEMS = 1000
MAX_ID_ITEMS = 10000
UNREAD_MAX = 1000
BULK_BATCH = 500


class BadRequest(Exception):
    """A request the API cannot serve; its message goes back to the app."""


# --- plumbing ---------------------------------------------------------------------------------

def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _json(data: dict) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response


def reader_view(methods: tuple[str, ...] = ("GET", "HEAD", "POST")) -> Callable:
    """Authenticate with the GoogleLogin header and allow only ``methods``."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = greader_user(request)
            if user is None:
                response = _text("Unauthorized", 401)
                response["WWW-Authenticate"] = 'GoogleLogin realm="broadsheet"'
                return response
            if request.method not in methods:
                response = _text(f"Method {request.method} not allowed", 405)
                response["Allow"] = ", ".join(methods)
                return response
            request.user = user
            try:
                return view(request, user, *args, **kwargs)
            except BadRequest as exc:
                return _text(f"Error={exc}", 400)

        return wrapper

    return decorate


def _param(request: HttpRequest, name: str, default: str = "") -> str:
    return request.POST.get(name) or request.GET.get(name) or default


def _params(request: HttpRequest, name: str) -> list[str]:
    return request.POST.getlist(name) + request.GET.getlist(name)


def _int(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = _param(request, name)
    if not raw:
        return default
    try:
        return min(high, max(low, int(raw)))
    except ValueError as exc:
        raise BadRequest(f"{name} must be a number") from exc


def _usec(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _from_epoch(value: str, name: str) -> datetime:
    """A time sent as seconds, milliseconds or microseconds since the epoch."""
    try:
        number = int(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a number") from exc
    if number > 10**14:
        number //= 1_000_000
    elif number > 10**11:
        number //= 1_000
    return datetime.fromtimestamp(number, tz=UTC)


# --- item ids ---------------------------------------------------------------------------------

def long_item_id(article_id: int) -> str:
    """``tag:google.com,2005:reader/item/`` and the id as 16 hex digits."""
    return f"{LONG_ITEM_PREFIX}{article_id:016x}"


def parse_item_id(value: str) -> int:
    """An article id from the long form, the short decimal form or bare 16 hex digits."""
    value = value.strip()
    try:
        if value.lower().startswith(LONG_ITEM_PREFIX):
            return int(value[len(LONG_ITEM_PREFIX):], 16)
        if value.isdigit():
            return int(value)
        if re.fullmatch(r"[0-9a-fA-F]{16}", value):
            return int(value, 16)
    except ValueError:
        pass
    raise BadRequest(f"Unknown item id {value[:60]!r}")


def _item_ids(request: HttpRequest, limit: int) -> list[int]:
    ids = []
    for value in _params(request, "i")[:limit]:
        pk = parse_item_id(value)
        if pk not in ids:
            ids.append(pk)
    return ids


# --- streams ----------------------------------------------------------------------------------

def _normalise_stream(stream_id: str) -> str:
    """``user/1234/state/…`` and ``user/-/state/…`` are the same stream."""
    return re.sub(r"^user/[^/]+/", "user/-/", stream_id.strip())


def subscribed_publishers(user) -> QuerySet[Publisher]:
    followed = Publisher.objects.filter(followers__user=user,
                                        followers__kind=Follow.Kind.PUBLISHER)
    if followed.exists():
        return followed
    return Publisher.objects.filter(Exists(Article.objects.filter(publisher=OuterRef("pk"))))


def _publisher_from_feed(feed: str) -> Publisher | None:
    if feed.isdigit():
        return Publisher.objects.filter(pk=int(feed)).first()
    match = re.search(r"/feeds/publication/([\w-]+)\.xml$", feed)
    slug = match.group(1) if match else feed
    return Publisher.objects.filter(slug=slug).first()


def _label_name(label: str) -> str:
    section = Section.objects.filter(Q(name__iexact=label) | Q(slug=label)).first()
    return section.name if section else label


def _once(articles: QuerySet[Article], user) -> QuerySet[Article]:
    """Without the syndicated copies whose original the reader gets from another subscription.

    A copy stays when its original's outlet is not subscribed: then it is the reader's only
    way to the story. A single feed's stream keeps its copies (they are that outlet's items).
    """
    return articles.exclude(duplicate_of__publisher__in=subscribed_publishers(user))


def stream_articles(user, stream_id: str) -> QuerySet[Article]:
    """The articles in a stream, for this reader."""
    stream = _normalise_stream(stream_id)
    articles = Article.objects.filter(not_hidden())
    if stream == READING_LIST:
        if not Follow.objects.filter(user=user, kind=Follow.Kind.PUBLISHER).exists():
            # Subscribed to every publication: each piece of reporting once, as its original,
            # read straight from the index of originals.
            return articles.filter(duplicate_of__isnull=True)
        return _once(articles.filter(publisher__in=subscribed_publishers(user)), user)
    if stream == STARRED:
        return articles.filter(Exists(SavedArticle.objects.filter(user=user,
                                                                  article=OuterRef("pk"))))
    if stream == READ:
        return articles.filter(Exists(ReadingHistory.objects.filter(user=user,
                                                                    article=OuterRef("pk"))))
    if stream.startswith("feed/"):
        publisher = _publisher_from_feed(stream[len("feed/"):])
        return articles.filter(publisher=publisher) if publisher else articles.none()
    if stream.startswith(LABEL_PREFIX):
        name = _label_name(stream[len(LABEL_PREFIX):])
        return _once(articles.filter(publisher__in=subscribed_publishers(user),
                                     section__iexact=name), user)
    raise BadRequest(f"Unknown stream {stream_id[:100]!r}")


def _filter_state(user, articles: QuerySet[Article], target: str, include: bool
                  ) -> QuerySet[Article]:
    target = _normalise_stream(target)
    if target == READ:
        state = Exists(ReadingHistory.objects.filter(user=user, article=OuterRef("pk")))
    elif target == STARRED:
        state = Exists(SavedArticle.objects.filter(user=user, article=OuterRef("pk")))
    elif target and target != READING_LIST:
        state = Q(pk__in=stream_articles(user, target).values("pk"))
    else:
        return articles
    return articles.filter(state) if include else articles.exclude(state)


@dataclass(frozen=True)
class Page:
    articles: list[Article]
    continuation: str | None


def _continuation(article: Article) -> str:
    return f"{_usec(article.published_at)}-{article.pk}"


def stream_page(request: HttpRequest, user, stream_id: str, default_n: int, max_n: int) -> Page:
    """One page of a stream, honouring n, r, ot, nt, xt, it and c."""
    articles = stream_articles(user, stream_id)
    for target in _params(request, "xt"):
        articles = _filter_state(user, articles, target, include=False)
    for target in _params(request, "it"):
        articles = _filter_state(user, articles, target, include=True)
    if _param(request, "ot"):
        articles = articles.filter(published_at__gte=_from_epoch(_param(request, "ot"), "ot"))
    if _param(request, "nt"):
        articles = articles.filter(published_at__lt=_from_epoch(_param(request, "nt"), "nt"))
    oldest_first = _param(request, "r") == "o"
    continuation = _param(request, "c")
    if continuation:
        try:
            usec, pk = (int(part) for part in continuation.split("-", 1))
        except ValueError as exc:
            raise BadRequest("Unknown continuation") from exc
        moment = datetime.fromtimestamp(usec / 1_000_000, tz=UTC)
        if oldest_first:
            articles = articles.filter(Q(published_at__gt=moment) | Q(published_at=moment,
                                                                      pk__gt=pk))
        else:
            articles = articles.filter(Q(published_at__lt=moment) | Q(published_at=moment,
                                                                      pk__lt=pk))
    order = ("published_at", "id") if oldest_first else ("-published_at", "-id")
    n = _int(request, "n", default_n, 1, max_n)
    rows = list(articles.select_related("publisher").order_by(*order)[:n + 1])
    more, rows = len(rows) > n, rows[:n]
    return Page(rows, _continuation(rows[-1]) if more and rows else None)


# --- items ------------------------------------------------------------------------------------

def _states(user, articles: list[Article]) -> tuple[set[int], set[int]]:
    ids = [a.pk for a in articles]
    read = set(ReadingHistory.objects.filter(user=user, article_id__in=ids)
               .values_list("article_id", flat=True))
    saved = set(SavedArticle.objects.filter(user=user, article_id__in=ids)
                .values_list("article_id", flat=True))
    return read, saved


def _publisher_page(publisher: Publisher) -> str:
    return present.site_url(present._reverse("publication", f"/publication/{publisher.slug}/",
                                             slug=publisher.slug))


def item(user, article: Article, read: bool, saved: bool) -> dict:
    """One article as a Google Reader item; its content passes the paywall for ``user``."""
    body = present.shown(user, article)
    content = body.html if body.full else body.html + present.teaser_footer_html(article)
    categories = [READING_LIST]
    if article.section:
        categories.append(LABEL_PREFIX + article.section)
    if read:
        categories.append(READ)
    if saved:
        categories.append(STARRED)
    link = present.article_url(article)
    return {
        "id": long_item_id(article.pk),
        "crawlTimeMsec": str(int(article.fetched_at.timestamp() * 1000)),
        "timestampUsec": str(_usec(article.published_at)),
        "published": int(article.published_at.timestamp()),
        "updated": int(max(article.updated_at, article.published_at).timestamp()),
        "title": article.title,
        "author": article.author,
        "canonical": [{"href": link}],
        "alternate": [{"href": link, "type": "text/html"}],
        "categories": categories,
        "origin": {"streamId": f"feed/{article.publisher_id}",
                   "title": article.publisher.name,
                   "htmlUrl": _publisher_page(article.publisher)},
        "summary": {"direction": "ltr", "content": content},
        "content": {"direction": "ltr", "content": content},
    }


def _items(user, articles: list[Article]) -> list[dict]:
    read, saved = _states(user, articles)
    return [item(user, a, a.pk in read, a.pk in saved) for a in articles]


# --- sign-in ----------------------------------------------------------------------------------

@csrf_exempt
def client_login(request: HttpRequest) -> HttpResponse:
    """Email and Passwd in, ``Auth=<token>`` out (the token works only on this API)."""
    if request.method != "POST":
        # A password in a query string ends up in server logs: only a POST body is read.
        response = _text("Error=BadAuthentication\nInfo=Send Email and Passwd in a POST body", 405)
        response["Allow"] = "POST"
        return response
    email = request.POST.get("Email", "").strip().lower()
    password = request.POST.get("Passwd", "")
    client = client_address(request)
    attempt = signin_throttle.attempt(email, client)  # booked before the password is checked
    if not attempt.allowed:
        verdict = attempt.verdict
        response = _text(f"Error=BadAuthentication\nInfo={verdict.message}", 429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    user = authenticate(request, username=email, password=password) if email and password \
        else None
    if user is None or not user.is_active:
        attempt.failed()
        return _text("Error=BadAuthentication", 401)
    attempt.succeeded()
    secret = issue_token(user, ApiToken.Kind.GREADER, "Google Reader app").secret
    if request.POST.get("output") == "json":
        return _json({"SID": secret, "LSID": "null", "Auth": secret})
    return _text(f"SID={secret}\nLSID=null\nAuth={secret}\n")


@reader_view(("GET", "HEAD", "POST"))
def token(request: HttpRequest, user) -> HttpResponse:
    return _text(greader_action_token(user))


@reader_view(("GET", "HEAD"))
def user_info(request: HttpRequest, user) -> HttpResponse:
    return _json({
        "userId": str(user.pk), "userName": user.get_full_name() or user.email,
        "userProfileId": str(user.pk), "userEmail": user.email, "isBloggerUser": False,
        "signupTimeSec": int(user.date_joined.timestamp()), "isMultiLoginEnabled": False,
    })


# --- subscriptions and tags -------------------------------------------------------------------

def _categories(publishers: list[Publisher]) -> dict[int, list[str]]:
    """Section names each publisher's feeds cover (in menu order)."""
    sections = {s.name.casefold(): s.name for s in Section.objects.all()}
    order = {name: i for i, name in enumerate(sections.values())}
    found: dict[int, set[str]] = {p.pk: set() for p in publishers}
    rows = (Source.objects.filter(publisher__in=publishers).exclude(section="")
            .values_list("publisher_id", "section").distinct())
    for publisher_id, section in rows:
        name = sections.get(section.casefold())
        if name:
            found[publisher_id].add(name)
    return {pk: sorted(names, key=order.__getitem__) for pk, names in found.items()}


@reader_view(("GET", "HEAD"))
def subscription_list(request: HttpRequest, user) -> HttpResponse:
    publishers = list(subscribed_publishers(user).order_by("name"))
    categories = _categories(publishers)
    return _json({"subscriptions": [{
        "id": f"feed/{p.pk}",
        "title": p.name,
        "categories": [{"id": LABEL_PREFIX + name, "label": name}
                       for name in categories[p.pk]],
        "url": present.site_url(reverse("feed_publication", args=[p.slug])),
        "htmlUrl": p.homepage_url or _publisher_page(p),
        "iconUrl": "",
    } for p in publishers]})


@reader_view(("POST",))
def subscription_edit(request: HttpRequest, user) -> HttpResponse:
    """Follow (``ac=subscribe``) or unfollow (``ac=unsubscribe``) publishers from an app."""
    action = _param(request, "ac")
    streams = _params(request, "s")
    publishers = [_publisher_from_feed(s[len("feed/"):]) for s in streams
                  if s.startswith("feed/")]
    if action not in ("subscribe", "unsubscribe", "edit") or None in publishers:
        raise BadRequest("Unknown feed or action")
    for publisher in publishers:
        if action == "subscribe":
            try:
                with transaction.atomic():
                    Follow.objects.get_or_create(user=user, kind=Follow.Kind.PUBLISHER,
                                                 publisher=publisher)
            except IntegrityError:
                pass
        elif action == "unsubscribe":
            Follow.objects.filter(user=user, kind=Follow.Kind.PUBLISHER,
                                  publisher=publisher).delete()
    return _text("OK")


@reader_view(("GET", "HEAD"))
def tag_list(request: HttpRequest, user) -> HttpResponse:
    publishers = list(subscribed_publishers(user))
    used = {name for names in _categories(publishers).values() for name in names}
    tags = [{"id": STARRED}]
    tags += [{"id": LABEL_PREFIX + s.name, "type": "folder"}
             for s in Section.objects.all() if s.name in used]
    return _json({"tags": tags})


@reader_view(("GET", "HEAD"))
def unread_count(request: HttpRequest, user) -> HttpResponse:
    unread = (_once(Article.objects.filter(publisher__in=subscribed_publishers(user)), user)
              .exclude(Exists(ReadingHistory.objects.filter(user=user, article=OuterRef("pk")))))
    counts = []
    total, newest_overall = 0, None
    for row in unread.values("publisher_id").annotate(n=Count("id"), newest=Max("published_at")):
        counts.append({"id": f"feed/{row['publisher_id']}", "count": row["n"],
                       "newestItemTimestampUsec": str(_usec(row["newest"]))})
        total += row["n"]
        newest_overall = max(filter(None, (newest_overall, row["newest"])))
    sections = {s.name.casefold(): s.name for s in Section.objects.all()}
    by_section = (unread.exclude(section="").annotate(key=Lower("section")).values("key")
                  .annotate(n=Count("id"), newest=Max("published_at")))
    for row in by_section:
        name = sections.get(row["key"])
        if name:
            counts.append({"id": LABEL_PREFIX + name, "count": row["n"],
                           "newestItemTimestampUsec": str(_usec(row["newest"]))})
    if newest_overall is not None:
        counts.append({"id": READING_LIST, "count": total,
                       "newestItemTimestampUsec": str(_usec(newest_overall))})
    return _json({"max": UNREAD_MAX, "unreadcounts": counts})


# --- streams of items -------------------------------------------------------------------------

def _stream_id(request: HttpRequest, stream_id: str | None) -> str:
    stream = stream_id or _param(request, "s") or READING_LIST
    return stream


@reader_view(("GET", "HEAD", "POST"))
def stream_contents(request: HttpRequest, user, stream_id: str | None = None) -> HttpResponse:
    stream = _stream_id(request, stream_id)
    page = stream_page(request, user, stream, DEFAULT_ITEMS, MAX_CONTENT_ITEMS)
    data = {"direction": "ltr", "id": stream, "title": _stream_title(stream),
            "updated": int(timezone.now().timestamp()), "items": _items(user, page.articles)}
    if page.continuation:
        data["continuation"] = page.continuation
    return _json(data)


def _stream_title(stream: str) -> str:
    stream = _normalise_stream(stream)
    if stream.startswith(LABEL_PREFIX):
        return stream[len(LABEL_PREFIX):]
    if stream.startswith("feed/"):
        publisher = _publisher_from_feed(stream[len("feed/"):])
        return publisher.name if publisher else ""
    return {READING_LIST: "Reading list", STARRED: "Saved", READ: "History"}.get(stream, "")


@reader_view(("GET", "HEAD", "POST"))
def stream_item_ids(request: HttpRequest, user) -> HttpResponse:
    stream = _stream_id(request, None)
    page = stream_page(request, user, stream, DEFAULT_ITEMS, MAX_ID_ITEMS)
    data: dict = {"itemRefs": [{
        "id": str(a.pk), "directStreamIds": [f"feed/{a.publisher_id}"],
        "timestampUsec": str(_usec(a.published_at)),
    } for a in page.articles]}
    if page.continuation:
        data["continuation"] = page.continuation
    return _json(data)


@reader_view(("GET", "HEAD", "POST"))
def stream_item_contents(request: HttpRequest, user) -> HttpResponse:
    ids = _item_ids(request, MAX_CONTENT_ITEMS)
    found = Article.objects.select_related("publisher").in_bulk(ids)
    articles = [found[pk] for pk in ids if pk in found]
    return _json({"direction": "ltr", "id": READING_LIST,
                  "updated": int(timezone.now().timestamp()), "items": _items(user, articles)})


# --- read and starred state -------------------------------------------------------------------

def _mark_read(user, article_ids: list[int], full: bool) -> None:
    now = timezone.now()
    for start in range(0, len(article_ids), BULK_BATCH):
        ReadingHistory.objects.bulk_create(
            [ReadingHistory(user=user, article_id=pk, read_at=now, full=full)
             for pk in article_ids[start:start + BULK_BATCH]],
            ignore_conflicts=True)


def _save(user, article_ids: list[int]) -> None:
    SavedArticle.objects.bulk_create([SavedArticle(user=user, article_id=pk)
                                      for pk in article_ids], ignore_conflicts=True)


@reader_view(("POST",))
def edit_tag(request: HttpRequest, user) -> HttpResponse:
    """``a=`` adds and ``r=`` removes read / starred on the items ``i=``."""
    ids = list(Article.objects.filter(pk__in=_item_ids(request, MAX_ID_ITEMS))
               .values_list("pk", flat=True))
    add = {_normalise_stream(t) for t in _params(request, "a")}
    remove = {_normalise_stream(t) for t in _params(request, "r")}
    if READ in add or KEPT_UNREAD in remove:
        # An app marks an item read when the reader has it in front of them: a reading, in full
        # when their membership gives full text.
        _mark_read(user, ids, full=can_read_full(user))
    if READ in remove or KEPT_UNREAD in add:
        ReadingHistory.objects.filter(user=user, article_id__in=ids).delete()
    if STARRED in add:
        _save(user, ids)
    if STARRED in remove:
        SavedArticle.objects.filter(user=user, article_id__in=ids).delete()
    return _text("OK")


@reader_view(("POST",))
def mark_all_as_read(request: HttpRequest, user) -> HttpResponse:
    """Everything in stream ``s`` published up to ``ts`` becomes read (not a reading in full)."""
    stream = _param(request, "s")
    if not stream:
        raise BadRequest("s (the stream) is required")
    articles = stream_articles(user, stream).exclude(
        Exists(ReadingHistory.objects.filter(user=user, article=OuterRef("pk"))))
    if _param(request, "ts"):
        articles = articles.filter(published_at__lte=_from_epoch(_param(request, "ts"), "ts"))
    _mark_read(user, list(articles.values_list("pk", flat=True)), full=False)
    return _text("OK")


@reader_view(("GET", "HEAD"))
def stream_prefs(request: HttpRequest, user) -> HttpResponse:
    return _json({"streamprefs": {}})

