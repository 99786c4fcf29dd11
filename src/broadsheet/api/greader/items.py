"""Articles as Google Reader items (JSON): the stream, the id list and items by id.

An item's content is what the paywall policy lets this reader see, checked on every request.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from broadsheet.articles.models import Article, not_hidden
from broadsheet.sources.models import Publisher

from .. import present
from .common import (
    DEFAULT_ITEMS,
    LABEL_PREFIX,
    MAX_CONTENT_ITEMS,
    MAX_ID_ITEMS,
    READ,
    READING_LIST,
    STARRED,
    item_ids,
    json,
    long_item_id,
    param,
    reader_view,
    usec,
)
from .streams import states, stream_page, stream_title


def publisher_page(publisher: Publisher) -> str:
    return present.site_url(present.page_path("publication", f"/publication/{publisher.slug}/",
                                             slug=publisher.slug))


def content_html(user, article: Article) -> str:
    """The body through the paywall: whole for a member, else the teaser and a sign-up link."""
    body = present.shown(user, article)
    return body.html if body.full else body.html + present.teaser_footer_html(article)


def item(user, article: Article, read: bool, saved: bool) -> dict:
    """One article as a Google Reader item; its content passes the paywall for ``user``."""
    content = content_html(user, article)
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
        "timestampUsec": str(usec(article.published_at)),
        "published": int(article.published_at.timestamp()),
        "updated": int(max(article.updated_at, article.published_at).timestamp()),
        "title": article.title,
        "author": article.author,
        "canonical": [{"href": link}],
        "alternate": [{"href": link, "type": "text/html"}],
        "categories": categories,
        "origin": {"streamId": f"feed/{article.publisher_id}",
                   "title": article.publisher.name,
                   "htmlUrl": publisher_page(article.publisher)},
        "summary": {"direction": "ltr", "content": content},
        "content": {"direction": "ltr", "content": content},
    }


def _items(user, articles: list[Article]) -> list[dict]:
    read, saved = states(user, articles)
    return [item(user, a, a.pk in read, a.pk in saved) for a in articles]


def requested_stream(request: HttpRequest, stream_id: str | None) -> str:
    """The stream in the path, else ``s=``, else the reading list."""
    return stream_id or param(request, "s") or READING_LIST


@reader_view(("GET", "HEAD", "POST"))
def stream_contents(request: HttpRequest, user, stream_id: str | None = None) -> HttpResponse:
    stream = requested_stream(request, stream_id)
    page = stream_page(request, user, stream, DEFAULT_ITEMS, MAX_CONTENT_ITEMS)
    data = {"direction": "ltr", "id": stream, "title": stream_title(stream),
            "updated": int(timezone.now().timestamp()), "items": _items(user, page.articles)}
    if page.continuation:
        data["continuation"] = page.continuation
    return json(data)


@reader_view(("GET", "HEAD", "POST"))
def stream_item_ids(request: HttpRequest, user) -> HttpResponse:
    stream = requested_stream(request, None)
    page = stream_page(request, user, stream, DEFAULT_ITEMS, MAX_ID_ITEMS)
    data: dict = {"itemRefs": [{
        "id": str(a.pk), "directStreamIds": [f"feed/{a.publisher_id}"],
        "timestampUsec": str(usec(a.published_at)),
    } for a in page.articles]}
    if page.continuation:
        data["continuation"] = page.continuation
    return json(data)


@reader_view(("GET", "HEAD", "POST"))
def stream_item_contents(request: HttpRequest, user) -> HttpResponse:
    ids = item_ids(request, MAX_CONTENT_ITEMS)
    # An article an editor hid leaves apps too, as it leaves the streams.
    found = Article.objects.filter(not_hidden()).select_related("publisher").in_bulk(ids)
    articles = [found[pk] for pk in ids if pk in found]
    return json({"direction": "ltr", "id": READING_LIST,
                 "updated": int(timezone.now().timestamp()), "items": _items(user, articles)})
