"""The Fever API (``/api/fever.php``), for apps that speak only Fever (Reeder classic, Unread,
Fiery Feeds, …).

Apps send ``api_key`` = MD5(``email:password``) in a POST body on every request. The password
is an app password made for Fever apps (``POST /api/v1/tokens`` with ``"kind": "fever"``), never
the account's own; Broadsheet stores the SHA-256 of the key it gives, so revoking the token
signs the app out. Groups are sections, feeds the reader's subscriptions (as on the Google
Reader API), items the reading list, read is the reading history and saved the saved articles.
Item content passes the paywall, as everywhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from broadsheet.articles.models import Article, not_hidden
from broadsheet.curation.models import Section
from broadsheet.readers.models import ReadingHistory, SavedArticle
from broadsheet.readers.paywall import can_read_full
from broadsheet.sources.models import Publisher, Source

from . import present
from .auth import user_for_token
from .greader.common import LABEL_PREFIX, MAX_ID_ITEMS, READING_LIST
from .greader.edit import mark_read, save
from .greader.items import content_html, publisher_page
from .greader.streams import states, stream_articles, subscribed_publishers
from .greader.subscriptions import section_folders
from .models import ApiToken

API_VERSION = 3
ITEMS_PER_REQUEST = 50


class FeverError(Exception):
    """A request Fever cannot serve; the message goes back in ``error``."""


def _answer(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse({"api_version": API_VERSION, **data}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response


def _ids(value: str, name: str) -> list[int]:
    return [_number(part, name) for part in value.split(",") if part.strip()]


def _number(value: str, name: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        number = -1
    if not 0 <= number < 2**62:
        raise FeverError(f"{name} must be numbers from 0 to {2**62 - 1}")
    return number


def _one_id(request: HttpRequest, name: str) -> int:
    return _number(request.POST.get(name) or request.GET.get(name, ""), name)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@csrf_exempt
def fever(request: HttpRequest) -> JsonResponse:
    """One request: every query word asked for (``groups``, ``items``, …) is answered."""
    if request.GET.get("api") not in (None, "", "json"):
        return _answer({"auth": 0, "error": "Only the JSON form is served: use ?api"}, 400)
    key = request.POST.get("api_key", "") if request.method == "POST" else ""
    user = user_for_token(key.strip().lower(), ApiToken.Kind.FEVER) if key else None
    if user is None:
        return _answer({"auth": 0, "error": "Send api_key = md5(email:app password) in a POST "
                                            "body; make an app password for Fever apps first"},
                       401)
    data: dict = {"auth": 1, "last_refreshed_on_time": _last_refreshed(user)}
    try:
        if request.POST.get("mark") or request.GET.get("mark"):
            _mark(request, user)
        for word, part in PARTS.items():
            if word in request.GET or word in request.POST:
                data.update(part(request, user))
    except FeverError as exc:
        return _answer({"auth": 1, "error": str(exc)}, 400)
    return _answer(data)


def _last_refreshed(user) -> int:
    """When the reader's feeds were last refreshed (Fever: "the most recently refreshed, not
    updated, feed"): their sources' newest successful check. Every answer carries it; read
    from every article of the reading list instead, it cost 0.25 s a request at 100,000
    articles."""
    newest = (Source.objects.filter(publisher__in=subscribed_publishers(user))
              .aggregate(newest=Max("last_success_at"))["newest"])
    return _epoch(newest) if newest else 0


# --- groups and feeds -------------------------------------------------------------------------

def _feeds_groups(publishers: list) -> tuple[list[dict], list[dict]]:
    folders = section_folders(publishers)
    sections = {s.name: s.pk for s in Section.objects.all()}
    members: dict[int, list[int]] = {}
    for publisher in publishers:
        for name in folders[publisher.pk]:
            members.setdefault(sections[name], []).append(publisher.pk)
    names = {pk: name for name, pk in sections.items()}
    groups = [{"id": pk, "title": names[pk]} for pk in sorted(members)]
    links = [{"group_id": pk, "feed_ids": ",".join(str(i) for i in ids)}
             for pk, ids in sorted(members.items())]
    return groups, links


def _groups(request: HttpRequest, user) -> dict:
    groups, links = _feeds_groups(list(subscribed_publishers(user)))
    return {"groups": groups, "feeds_groups": links}


def _feeds(request: HttpRequest, user) -> dict:
    # Each feed's newest item, found in the publisher's own index (not a scan of them all).
    newest = (Article.objects.filter(not_hidden(), publisher=OuterRef("pk"))
              .order_by("-published_at", "-id").values("published_at")[:1])
    publishers = list(subscribed_publishers(user).annotate(newest=Subquery(newest))
                      .order_by("name"))
    _, links = _feeds_groups(publishers)
    return {"feeds": [{
        "id": p.pk, "favicon_id": 0, "title": p.name,
        "url": present.site_url(reverse("feed_publication", args=[p.slug])),
        "site_url": p.homepage_url or publisher_page(p), "is_spark": 0,
        "last_updated_on_time": _epoch(p.newest) if p.newest else 0,
    } for p in publishers], "feeds_groups": links}


# --- items ------------------------------------------------------------------------------------

def _items(request: HttpRequest, user) -> dict:
    """Up to 50 items: after ``since_id`` (oldest first), before ``max_id`` (newest first), the
    ``with_ids`` asked for, or else the newest."""
    articles = stream_articles(user, READING_LIST)
    total = articles.count()
    param = {name: request.GET.get(name) or request.POST.get(name)
             for name in ("since_id", "max_id", "with_ids")}
    chosen: QuerySet[Article]
    if param["with_ids"]:
        ids = _ids(param["with_ids"], "with_ids")[:ITEMS_PER_REQUEST]
        chosen = Article.objects.filter(not_hidden(), pk__in=ids).order_by("id")
    elif param["since_id"]:
        chosen = articles.filter(pk__gt=_number(param["since_id"], "since_id")).order_by("id")
    elif param["max_id"]:
        chosen = articles.filter(pk__lt=_number(param["max_id"], "max_id")).order_by("-id")
    else:
        chosen = articles.order_by("-id")
    rows = list(chosen.select_related("publisher")[:ITEMS_PER_REQUEST])
    read, saved = states(user, rows)
    return {"total_items": total, "items": [{
        "id": a.pk, "feed_id": a.publisher_id, "title": a.title, "author": a.author,
        "html": content_html(user, a), "url": present.article_url(a),
        "is_saved": int(a.pk in saved), "is_read": int(a.pk in read),
        "created_on_time": _epoch(a.published_at),
    } for a in rows]}


def _joined(ids: QuerySet) -> str:
    return ",".join(str(pk) for pk in ids)


def _unread_item_ids(request: HttpRequest, user) -> dict:
    unread = stream_articles(user, READING_LIST).exclude(
        Exists(ReadingHistory.objects.filter(user=user, article=OuterRef("pk"))))
    newest = unread.order_by("-published_at", "-id").values_list("pk", flat=True)
    return {"unread_item_ids": _joined(newest[:MAX_ID_ITEMS])}


def _saved_item_ids(request: HttpRequest, user) -> dict:
    saved = SavedArticle.objects.filter(user=user).order_by("-id")
    return {"saved_item_ids": _joined(saved.values_list("article_id", flat=True))}


def _nothing(key: str):
    return lambda request, user: {key: []}


PARTS = {
    "groups": _groups, "feeds": _feeds, "items": _items, "unread_item_ids": _unread_item_ids,
    "saved_item_ids": _saved_item_ids, "favicons": _nothing("favicons"),
    "links": _nothing("links"),
}


# --- marking ----------------------------------------------------------------------------------

def _mark(request: HttpRequest, user) -> None:
    """``mark=item`` with ``as=read|unread|saved|unsaved``; ``mark=feed|group`` with ``as=read``
    and ``before`` (epoch seconds): what was published until then becomes read."""
    what = request.POST.get("mark") or request.GET.get("mark")
    state = request.POST.get("as") or request.GET.get("as", "")
    pk = _one_id(request, "id")
    if what == "item":
        _mark_item(user, pk, state)
    elif what in ("feed", "group") and state == "read":
        before = _one_id(request, "before") if (request.POST.get("before")
                                                or request.GET.get("before")) else None
        _mark_stream(user, _stream(what, pk), before)
    else:
        raise FeverError("mark must be item (as read, unread, saved or unsaved), or feed or "
                         "group (as read)")


def _mark_item(user, pk: int, state: str) -> None:
    if state not in ("read", "unread", "saved", "unsaved"):
        raise FeverError("as must be read, unread, saved or unsaved")
    if not Article.objects.filter(pk=pk).exists():
        raise FeverError(f"No item with id {pk}")
    if state == "read":
        mark_read(user, [pk], full=can_read_full(user))
    elif state == "unread":
        ReadingHistory.objects.filter(user=user, article_id=pk).delete()
    elif state == "saved":
        save(user, [pk])
    else:
        SavedArticle.objects.filter(user=user, article_id=pk).delete()


def _stream(what: str, pk: int) -> str:
    """The Google Reader stream a Fever feed or group stands for (group 0: everything)."""
    if what == "feed":
        if not Publisher.objects.filter(pk=pk).exists():
            raise FeverError(f"No feed with id {pk}")
        return f"feed/{pk}"
    if pk == 0:
        return READING_LIST
    section = Section.objects.filter(pk=pk).first()
    if section is None:
        raise FeverError(f"No group with id {pk}")
    return LABEL_PREFIX + section.name


def _mark_stream(user, stream: str, before: int | None) -> None:
    articles = stream_articles(user, stream).exclude(
        Exists(ReadingHistory.objects.filter(user=user, article=OuterRef("pk"))))
    if before is not None:
        try:
            moment = datetime.fromtimestamp(before, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise FeverError("before is out of range") from exc
        articles = articles.filter(published_at__lte=moment)
    mark_read(user, list(articles.values_list("pk", flat=True)), full=False)
