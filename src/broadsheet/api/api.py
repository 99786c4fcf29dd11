"""The JSON API at /api/v1/: articles, publishers, sections, search, the reader, tokens.

Every article body and summary goes through the paywall policy for the reader making the
request: visitors and expired members get the teaser and a sign-up link, members get it all.
The other parts of the API (stories, the reader, For you, picks, ...) are routers of their own
modules, mounted together at the bottom.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse, RawPostDataException
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from ninja import NinjaAPI, Query, Router, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError

from broadsheet import markup
from broadsheet.articles.models import Article, Takedown, not_hidden
from broadsheet.articles.search import SearchPage, search
from broadsheet.curation.models import Section
from broadsheet.sources.models import Publisher
from broadsheet.stories.queries import attach_carriers, latest_in_section, originals_only

from . import (
    cursor,
    follows,
    foryou,
    lists,
    me,
    membership,
    opml,
    picks,
    present,
    reads,
    schemas,
    stories,
)
from .auth import ReaderAuth, issue_fever_password, issue_token, reader_of, reader_or_visitor_of
from .models import ApiToken
from .openapi import declare_common_answers, open_to_visitors

reader_or_visitor = ReaderAuth(optional=True)
reader_required = ReaderAuth()

class BroadsheetAPI(NinjaAPI):
    """Answers for a signed-in reader (full text, their tokens, their account) are never stored
    by browsers, proxies or CDNs; visitors' teaser answers carry no such restriction."""

    def create_response(self, request: HttpRequest, data, *, status: int | None = None,
                        temporal_response: HttpResponse | None = None) -> HttpResponse:
        response = super().create_response(request, data, status=status,
                                           temporal_response=temporal_response)
        if _for_a_reader(request):
            patch_cache_control(response, private=True, no_store=True)
        return response

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict | None = None):
        """The document, with the answers any operation may give (429, 401, 422) declared."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return declare_common_answers(schema)


def _for_a_reader(request: HttpRequest) -> bool:
    """A token or a session says who is asking, so the answer may hold what they alone see."""
    for who in (getattr(request, "auth", None), getattr(request, "user", None)):
        if who is not None and getattr(who, "is_authenticated", False):
            return True
    return bool(request.headers.get("Authorization"))


api = BroadsheetAPI(
    title="Broadsheet API",
    version="1",
    description=(
        "Articles, publishers, sections and search. Anyone may read headlines and teasers; "
        "members (free trial or paid) get whole articles. Authenticate with a personal token "
        "(`Authorization: Bearer <token>`) or, from this site's pages, the signed-in session."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


# --- errors as JSON with clear messages ------------------------------------------------------

@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Sign in or send 'Authorization: Bearer <token>' with a personal "
                            "token."}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="broadsheet"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    response = api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
    if exc.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="broadsheet", error="invalid_token"'
    return response


def _form_body(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
    """A form or multipart body, read as a form for the CSRF check (or unreadable as one), is
    not JSON."""
    return api.create_response(
        request, {"detail": "Send the request body as JSON with 'Content-Type: "
                            "application/json'; form and multipart bodies are not accepted."},
        status=400)


api.add_exception_handler(RawPostDataException, _form_body)
api.add_exception_handler(MultiPartParserError, _form_body)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', [])[1:]) or 'request'}: "
        f"{error.get('msg', 'invalid')}" for error in exc.errors)
    return api.create_response(request, {"detail": f"Invalid request: {problems}",
                                         "errors": exc.errors}, status=422)


# --- shared -----------------------------------------------------------------------------------

def _publisher_ref(publisher: Publisher) -> dict:
    return present.publisher_ref(publisher)


def _article_summary(user, article: Article) -> tuple[dict, present.Shown]:
    return present.article_summary(user, article)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)
    return moment


def _publisher_or_404(key: str) -> Publisher:
    lookup = Q(slug=key) | Q(pk=int(key)) if key.isdigit() else Q(slug=key)
    publisher = Publisher.objects.filter(lookup).first()
    if publisher is None:
        raise HttpError(404, f"No publisher '{key}'.")
    return publisher


def _filtered(publisher: str | None, section: str | None, since: datetime | None,
              ) -> QuerySet[Article]:
    articles: QuerySet[Article] = Article.objects.select_related("publisher").filter(not_hidden())
    if publisher:
        articles = articles.filter(publisher=_publisher_or_404(publisher))
    if section:
        articles = present.in_section(articles, section)
    if since:
        articles = articles.filter(published_at__gte=_aware(since))
    return articles


# --- articles ---------------------------------------------------------------------------------

def _article_list(filters: schemas.ArticleFilters, before: tuple[datetime, int] | None,
                  ) -> QuerySet[Article]:
    articles = _filtered(filters.publisher, filters.section, filters.since).order_by(
        "-published_at", "-id")
    if not filters.publisher:
        # Syndicated copies are listed once, as their original (with also_in); a publisher's
        # own list keeps its copies, each with duplicate_of pointing at the original.
        articles = articles.filter(originals_only())
    if filters.q:
        for word in filters.q.split()[:10]:
            articles = articles.filter(Q(title__icontains=word) | Q(summary__icontains=word))
    if before:
        moment, pk = before
        articles = articles.filter(Q(published_at__lt=moment) | Q(published_at=moment, pk__lt=pk))
    return articles


def _section_page(section: str, since: datetime | None, before: tuple[datetime, int] | None,
                  limit: int) -> list[Article]:
    """A section's list read from its indexes (``latest_in_section``), newest first."""
    ids = latest_in_section(present.section_names(section)[0], limit, before=before)
    found = Article.objects.select_related("publisher").in_bulk(ids)
    page = [found[pk] for pk in ids if pk in found]
    since = _aware(since)
    return [a for a in page if since is None or a.published_at >= since]


articles_router = Router(tags=["articles"])


@articles_router.get("", response={200: schemas.ArticlePage, 400: schemas.Error,
                                   404: schemas.Error},
                     auth=reader_or_visitor, openapi_extra=open_to_visitors(),
                     summary="Latest articles, newest first")
def list_articles(request: HttpRequest, filters: Query[schemas.ArticleFilters]) -> dict:
    limit = filters.limit
    before = cursor.decode(filters.cursor) if filters.cursor else None
    if filters.section and not filters.publisher and not filters.q:
        page = _section_page(filters.section, filters.since, before, limit + 1)
    else:
        page = list(_article_list(filters, before)[:limit + 1])
    more, page = len(page) > limit, page[:limit]
    attach_carriers(page)
    next_cursor = cursor.encode(page[-1].published_at, page[-1].pk) if more and page else None
    next_url = None
    if next_cursor:
        params = {k: v for k, v in request.GET.items() if k != "cursor"}
        params["cursor"] = next_cursor
        next_url = present.site_url(request.path + "?" + urlencode(params))
    return {"items": [_article_summary(reader_or_visitor_of(request), a)[0] for a in page],
            "next_cursor": next_cursor, "next": next_url}


@articles_router.get("/{int:article_id}", response={200: schemas.ArticleDetail,
                                                    404: schemas.Error, 410: schemas.Error},
                     auth=reader_or_visitor, openapi_extra=open_to_visitors(),
                     summary="One article, in full for members")
def get_article(request: HttpRequest, article_id: int) -> dict:
    article = Article.objects.select_related("publisher").filter(pk=article_id).first()
    if article is None and Takedown.objects.filter(article_id=article_id).exists():
        raise HttpError(410, f"Article {article_id} was removed.")
    if article is None:
        raise HttpError(404, f"No article with id {article_id}.")
    attach_carriers([article])
    data, body = _article_summary(reader_or_visitor_of(request), article)
    data.update(word_count=article.word_count, html=body.html, text=body.text,
                signup_url=body.signup_url, text_trimmed=body.trimmed)
    return data


# --- publishers and sections --------------------------------------------------------------------

publishers_router = Router(tags=["publishers"])


def _publisher(publisher: Publisher) -> dict:
    return {
        **_publisher_ref(publisher),
        "homepage_url": publisher.homepage_url,
        "country": publisher.country,
        "language": publisher.language,
        "url": present.site_url(present.page_path("publication", f"/publication/{publisher.slug}/",
                                                 slug=publisher.slug)),
        "feed_url": present.site_url(reverse("feed_publication", args=[publisher.slug])),
    }


@publishers_router.get("", response=list[schemas.Publisher], summary="Every publisher")
def list_publishers(request: HttpRequest,
                    country: str | None = Query(None, description="ISO 3166 code"),
                    language: str | None = Query(None)) -> list[dict]:
    publishers = Publisher.objects.all()
    if country:
        publishers = publishers.filter(country__iexact=country)
    if language:
        publishers = publishers.filter(language__iexact=language)
    return [_publisher(p) for p in publishers]


@publishers_router.get("/{key}", response={200: schemas.PublisherDetail, 404: schemas.Error},
                       summary="One publisher, by slug or id")
def get_publisher(request: HttpRequest, key: str) -> dict:
    publisher = _publisher_or_404(key)
    stats = publisher.articles.aggregate(count=Count("id"), latest=Max("published_at"))
    return {**_publisher(publisher), "article_count": stats["count"],
            "latest_article_at": stats["latest"]}


sections_router = Router(tags=["sections"])


@sections_router.get("", response=list[schemas.Section], summary="Sections, in menu order")
def list_sections(request: HttpRequest) -> list[dict]:
    return [{
        "id": s.pk, "slug": s.slug, "name": s.name, "in_navigation": s.in_navigation,
        "url": present.site_url(present.page_path("section", f"/section/{s.slug}/", slug=s.slug)),
        "feed_url": present.site_url(reverse("feed_section", args=[s.slug])),
    } for s in Section.objects.all()]


# --- search -----------------------------------------------------------------------------------

search_router = Router(tags=["search"])
SNIPPET_WORDS = 30


def _run_search(request: HttpRequest, params: schemas.SearchParams,
                ) -> tuple[SearchPage, list[dict]]:
    """Ranked matches from the site's search index, as this reader may see them."""
    publisher = _publisher_or_404(params.publisher) if params.publisher else None
    section = present.section_names(params.section)[0] if params.section else None
    reader = reader_or_visitor_of(request)
    found = search(params.q, publisher=publisher, section=section, since=_aware(params.since),
                   until=_aware(params.until), page=params.page, per_page=params.per_page,
                   user=reader, fold_copies=publisher is None)  # copies as their original
    attach_carriers(r.article for r in found.results)
    items = []
    for result in found.results:
        data, body = _article_summary(reader, result.article)
        # Members get the index's best passage; everyone else a passage of the teaser alone.
        data["snippet"] = str(result.snippet) if body.full else snippet(body.text, params.q)
        items.append(data)
    return found, items


def _marked(token: str, pattern: re.Pattern[str] | None) -> str:
    """``token`` escaped, its matches wrapped in <mark>: matched on the text, not its escaped
    form, so a query for "amp" never cuts an entity in two."""
    if pattern is None:
        return markup.escape_attr(token)
    pieces = pattern.split(token)  # the pattern's one group: odd pieces are the matches
    return "".join(f"<mark>{markup.escape_attr(piece)}</mark>" if n % 2
                   else markup.escape_attr(piece) for n, piece in enumerate(pieces))


def snippet(text: str, query: str, words: int = SNIPPET_WORDS) -> str:
    """Safe HTML: the words around the first match in ``text``, matches wrapped in <mark>.

    ``text`` is what the reader may see (the teaser for visitors), so a snippet never reveals
    the rest of an article.
    """
    tokens = text.split()
    terms = [t.casefold() for t in re.findall(r"\w+", query)]
    if not tokens:
        return ""
    first = next((i for i, token in enumerate(tokens)
                  if any(term in token.casefold() for term in terms)), 0)
    start = max(0, first - words // 3)
    chosen = tokens[start:start + words]
    pattern = re.compile("(" + "|".join(re.escape(t) for t in terms) + ")", re.I) if terms \
        else None
    parts = [_marked(token, pattern) for token in chosen]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + words < len(tokens) else ""
    return prefix + " ".join(parts) + suffix


@search_router.get("", response={200: schemas.SearchPage, 404: schemas.Error},
                   auth=reader_or_visitor, openapi_extra=open_to_visitors(),
                   summary="Full-text search, best matches first")
def search_articles(request: HttpRequest, params: Query[schemas.SearchParams]) -> dict:
    found, items = _run_search(request, params)
    return {"query": params.q, "page": found.page, "per_page": found.per_page,
            "total": found.total, "total_is_lower_bound": found.more,
            "has_next": found.has_next, "items": items}


# --- the reader's tokens ----------------------------------------------------------------

tokens_router = Router(tags=["tokens"])


def _session_only(request: HttpRequest) -> None:
    if "Authorization" in request.headers:
        raise HttpError(403, "Tokens are managed from a signed-in browser session, not with "
                             "another token.")


def _token(token: ApiToken) -> dict:
    return {"id": token.pk, "name": token.name, "kind": token.kind, "prefix": token.prefix,
            "created_at": token.created_at, "last_used_at": token.last_used_at,
            "expires_at": token.expires_at}


@tokens_router.post("", response={201: schemas.NewToken, 401: schemas.Error,
                                  403: schemas.Error}, auth=reader_required,
                    summary="Make a personal token (from a signed-in session)")
def create_token(request: HttpRequest, payload: schemas.TokenIn) -> Status:
    _session_only(request)
    expires_at = (timezone.now() + timedelta(days=payload.expires_in_days)
                  if payload.expires_in_days else None)
    if payload.kind == ApiToken.Kind.FEVER:
        if payload.expires_in_days:
            raise HttpError(422, "A Fever app password lasts until it is revoked: leave out "
                                 "expires_in_days.")
        issued = issue_fever_password(reader_of(request), payload.name)
    else:
        issued = issue_token(reader_of(request), payload.kind, payload.name, expires_at)
    data = {**_token(issued.token), "token": issued.secret, "feed_url": None,
            "for_you_feed_url": None}
    if payload.kind == ApiToken.Kind.FEED:
        data["feed_url"] = present.site_url(reverse("feed_private_latest",
                                                    args=[issued.secret]))
        data["for_you_feed_url"] = present.site_url(reverse("feed_private_for_you",
                                                            args=[issued.secret]))
    return Status(201, data)


@tokens_router.get("", response={200: list[schemas.Token], 401: schemas.Error},
                   auth=reader_required, summary="The reader's tokens (without their secrets)")
def list_tokens(request: HttpRequest) -> list[dict]:
    return [_token(t) for t in ApiToken.objects.filter(user=reader_of(request))]


@tokens_router.delete("/{int:token_id}", response={204: None, 401: schemas.Error,
                                                   403: schemas.Error, 404: schemas.Error},
                      auth=reader_required, summary="Revoke a token")
def delete_token(request: HttpRequest, token_id: int) -> Status:
    _session_only(request)
    deleted, _ = ApiToken.objects.filter(user=reader_of(request), pk=token_id).delete()
    if not deleted:
        raise HttpError(404, f"No token with id {token_id}.")
    return Status(204, None)


# Every part of the API, mounted in one place.
for prefix, router in (("/articles", articles_router), ("/publishers", publishers_router),
                       ("/sections", sections_router), ("/search", search_router),
                       ("/me", me.router), ("/me/membership", membership.router),
                       ("/tokens", tokens_router), ("/stories", stories.router),
                       ("/topics", stories.topics_router), ("/picks", picks.router),
                       ("/reads", reads.router), ("/for-you", foryou.router),
                       ("/opml", opml.router), ("/saved", lists.saved_router),
                       ("/history", lists.history_router), ("/follows", follows.router)):
    api.add_router(prefix, router)
