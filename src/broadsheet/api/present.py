"""What every machine surface shows of an article, decided in one place.

The body always comes from the paywall policy (``visible_body``); the short summary shown in
lists comes from it too for readers without full access, so that no list, feed or search result
carries more of an article than its teaser.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from broadsheet.articles.models import Article
from broadsheet.curation.models import Section
from broadsheet.ingest import words
from broadsheet.ingest.plaintext import plain_text
from broadsheet.readers.paywall import visible_body
from broadsheet.stories.queries import filed_under
from broadsheet.web import links

SUMMARY_CHARS = 400


@dataclass(frozen=True)
class Shown:
    """An article's body as one reader may see it, with where to go next for the rest."""

    html: str
    text: str
    full: bool
    signup_url: str | None  # set for teasers: where to start the free trial
    # Readable in full, but only the teaser is kept (BROADSHEET_KEEP_TEXT_DAYS): the rest is at
    # the publisher (source_url).
    trimmed: bool = False


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def page_path(name: str, fallback: str, **kwargs) -> str:
    """The path of a named page; ``fallback`` when this installation does not serve it."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return fallback


def article_path(article: Article) -> str:
    return links.article_path(article)


def article_url(article: Article) -> str:
    """The article's page on this site (where the paywall and sign-up live)."""
    return site_url(article_path(article))


def signup_url(article: Article | None = None) -> str:
    path = page_path("signup", "/account/signup/")
    if article is not None:
        path += "?" + urlencode({"next": article_path(article)})
    return site_url(path)


def signin_url(article: Article | None = None) -> str:
    path = page_path("signin", "/account/signin/")
    if article is not None:
        path += "?" + urlencode({"next": article_path(article)})
    return site_url(path)


def shown(user, article: Article) -> Shown:
    """The body ``user`` may see, through the one paywall policy."""
    body = visible_body(user, article)
    return Shown(body.html, body.text, body.full, None if body.full else signup_url(article),
                 trimmed=body.full and article.text_trimmed)


def summary(article: Article, body: Shown) -> str:
    """A short standfirst: the publisher's own summary for full readers, else the teaser's."""
    if body.full:
        return article.summary or _shorten(body.text)
    return _shorten(body.text)


def teaser_footer_html(article: Article) -> str:
    """The call to action appended to a teaser in feeds and reader apps."""
    from django.utils.html import format_html

    return format_html(
        '<p><strong>Sign up to read this article.</strong> '
        '<a href="{}">Start your free {}-day trial</a>. '
        'Already a member? <a href="{}">Sign in</a>.</p>',
        signup_url(article), settings.TRIAL_DAYS, signin_url(article))


def reading_minutes(article: Article) -> int:
    """Minutes to read the whole article (0 when its length is unknown), as the pages say."""
    return words.reading_minutes(article.word_count)


def _shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def publisher_ref(publisher) -> dict:
    return {"id": publisher.pk, "slug": publisher.slug, "name": publisher.name}


def article_summary(user, article: Article) -> tuple[dict, Shown]:
    """An article as lists show it (no body), with what ``user`` may see of it.

    ``also_in`` lists the outlets that carried a syndicated copy, when the caller looked them
    up (``broadsheet.stories.queries.attach_carriers``); otherwise it is empty.
    """
    body = shown(user, article)
    return {
        "id": article.pk,
        "title": article.title,
        "url": article_url(article),
        "source_url": article.canonical_url,
        # Plain text whatever the store holds: apps may put it in HTML as it comes.
        "author": plain_text(article.author),
        "publisher": publisher_ref(article.publisher),
        "section": article.section,
        "published_at": article.published_at,
        "language": article.language,
        "image_url": article.image_url,
        "reading_minutes": reading_minutes(article),
        "summary": summary(article, body),
        "full": body.full,
        "story_id": article.story_id,
        "duplicate_of": article.duplicate_of_id,
        "also_in": [{"article_id": copy.pk, "url": article_url(copy),
                     "publisher": publisher_ref(copy.publisher)}
                    for copy in getattr(article, "also_in", None) or []],
    }, body


def section_names(slug_or_name: str) -> list[str]:
    """The names an article's ``section`` may carry for a section given by slug or name."""
    found = Section.objects.filter(slug=slug_or_name).values_list("name", flat=True).first()
    return [found or slug_or_name]


def in_section(queryset: QuerySet[Article], slug_or_name: str) -> QuerySet[Article]:
    return queryset.filter(filed_under(section_names(slug_or_name)[0]))


def section_for(article: Article) -> Section | None:
    if not article.section:
        return None
    return Section.objects.filter(name__iexact=article.section).first()
