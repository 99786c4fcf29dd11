"""Feeds out: RSS, Atom and JSON Feed of the latest articles, by section, publication, topic
and story, and Our Picks.

Public feeds are read by anyone and cached by anyone, so they always carry the teaser a visitor
sees (whoever fetches them, signed in or not) and a link to the article's page on this site.
A member's private feed address carries a secret; the paywall policy is asked on every request,
so when a membership ends the same address drops to teasers.

A syndicated copy appears once, as its original, whose item names the outlets that carried it;
a publication's own feed keeps its copies (they are its articles).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import cached_property
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils.html import format_html

from broadsheet.articles.models import Article, not_hidden
from broadsheet.articles.search import MAX_QUERY_CHARS
from broadsheet.curation import picks
from broadsheet.curation.models import Section
from broadsheet.sources.models import Publisher
from broadsheet.stories.models import Topic
from broadsheet.stories.queries import (
    attach_carriers,
    latest_in_section,
    originals_only,
    resolve_story,
    topic_by_slug,
    topic_latest,
)
from broadsheet.web.queries import as_cards, topic_articles

from . import present
from .auth import user_for_token
from .models import ApiToken

FEED_ITEMS = 50
PUBLIC_FEED_SECONDS = 60


@dataclass(frozen=True)
class Channel:
    """What one request's feed is about and who it is for."""

    user: object
    title: str
    link: str
    description: str
    articles: QuerySet[Article]
    self_url: str | None = None
    subject: Topic | str | None = None  # what a feed of something other than articles is about


@dataclass(frozen=True)
class Item:
    article: Article
    shown: present.Shown

    @cached_property
    def url(self) -> str:
        """The article's page: the item's link, its guid and its "Read on Broadsheet" link,
        worked out once (a URL reversal each, three times an item, was a fifth of a feed)."""
        return present.article_url(self.article)


class ArticleFeed(Feed):
    """The shared item rendering: every body goes through the paywall for the channel's user.

    One class serves every format of a feed: ``SectionFeed()`` is RSS 2.0,
    ``SectionFeed(Atom1Feed)`` Atom and ``SectionFeed(JsonFeed)`` JSON Feed 1.1.
    """

    private = False

    def __init__(self, feed_type: type | None = None) -> None:
        super().__init__()
        if feed_type is not None:
            self.feed_type = feed_type

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if self.private:
            return self._private_response(super().__call__(request, *args, **kwargs))
        # A public feed is the same for everyone: rendered once a minute, not per request.
        key = f"feeds:public:{hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]}"
        response = cache.get(key)
        if response is None:
            response = super().__call__(request, *args, **kwargs)
            response["Cache-Control"] = "public, max-age=300"
            if response.status_code == 200:
                cache.set(key, response, PUBLIC_FEED_SECONDS)
        return response

    @staticmethod
    def _private_response(response: HttpResponse) -> HttpResponse:
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
        return response

    def title(self, channel: Channel) -> str:
        return channel.title

    def link(self, channel: Channel) -> str:
        return channel.link

    def description(self, channel: Channel) -> str:
        return channel.description

    subtitle = description  # Atom's name for it

    def feed_url(self, channel: Channel) -> str | None:
        return channel.self_url

    def get_object(self, request: HttpRequest, *args, **kwargs) -> Channel:
        channel = self.channel(request, *args, **kwargs)
        return replace(channel, self_url=present.site_url(request.path))

    def channel(self, request: HttpRequest, *args, **kwargs) -> Channel:
        raise NotImplementedError

    def items(self, channel: Channel) -> list[Item]:
        articles = list(channel.articles.select_related("publisher").order_by(
            "-published_at", "-id")[:FEED_ITEMS])
        attach_carriers(articles)
        return [Item(a, present.shown(channel.user, a)) for a in articles]

    def item_title(self, item: Item) -> str:
        return item.article.title

    def item_link(self, item: Item) -> str:
        return item.url

    def item_guid(self, item: Item) -> str:
        return item.url

    item_guid_is_permalink = True

    def item_description(self, item: Item) -> str:
        carriers = _carriers_html(item.article)
        if item.shown.full:
            return item.shown.html + carriers + format_html(
                '<p><a href="{}">Read on Broadsheet</a> · <a href="{}">{}</a></p>',
                item.url, item.article.canonical_url,
                item.article.publisher.name)
        return item.shown.html + carriers + present.teaser_footer_html(item.article)

    def item_author_name(self, item: Item) -> str | None:
        return item.article.author or item.article.publisher.name

    def item_pubdate(self, item: Item):
        return item.article.published_at

    def item_updateddate(self, item: Item):
        return max(item.article.updated_at, item.article.published_at)

    def item_categories(self, item: Item) -> list[str]:
        return [item.article.section] if item.article.section else []

    def item_extra_kwargs(self, item: Item) -> dict:
        """What JSON Feed carries beyond RSS: the publisher's own address and the image."""
        return {"external_url": item.article.canonical_url or None,
                "image": item.article.image_url or None}


def _carriers_html(article: Article) -> str:
    """"Also in: B, C" for an original whose copies other outlets carried; "" otherwise."""
    copies = getattr(article, "also_in", None) or []
    if not copies:
        return ""
    links = [format_html('<a href="{}">{}</a>', present.article_url(c), c.publisher.name)
             for c in copies]
    return format_html("<p>Also in: {}</p>", format_html(", ".join(["{}"] * len(links)), *links))


def _latest(user) -> Channel:
    return Channel(user, "Broadsheet: latest", present.site_url("/"),
                   "The latest articles from every publication on Broadsheet.",
                   Article.objects.filter(originals_only()))


class LatestFeed(ArticleFeed):
    def channel(self, request: HttpRequest) -> Channel:
        return _latest(AnonymousUser())


class SectionFeed(ArticleFeed):
    def channel(self, request: HttpRequest, slug: str) -> Channel:
        section = get_object_or_404(Section, slug=slug)
        return Channel(AnonymousUser(), f"Broadsheet: {section.name}",
                       present.site_url(present.page_path("section", f"/section/{slug}/",
                                                         slug=slug)),
                       f"The latest {section.name} articles on Broadsheet.",
                       Article.objects.filter(pk__in=latest_in_section(section.name,
                                                                       FEED_ITEMS)))


class PublicationFeed(ArticleFeed):
    def channel(self, request: HttpRequest, slug: str) -> Channel:
        publisher = get_object_or_404(Publisher, slug=slug)
        return Channel(AnonymousUser(), f"{publisher.name} on Broadsheet",
                       present.site_url(present.page_path("publication", f"/publication/{slug}/",
                                                         slug=slug)),
                       f"The latest articles from {publisher.name}, on Broadsheet.",
                       Article.objects.filter(not_hidden(), publisher=publisher))


class PrivateLatestFeed(ArticleFeed):
    """A member's own feed: full text while their membership gives access, teasers after."""

    private = True

    def channel(self, request: HttpRequest, token: str) -> Channel:
        user = user_for_token(token, ApiToken.Kind.FEED)
        if user is None:
            raise Http404("No such feed")
        return _latest(user)


@dataclass(frozen=True)
class PickItem(Item):
    title: str = ""
    link: str = ""
    note: str = ""


class PicksFeed(ArticleFeed):
    """Our Picks: every live pick (the home page's, then each section's), in the editors' order.

    A picked story links to its full coverage and carries its lead article's teaser; the
    editor's note comes first.
    """

    def channel(self, request: HttpRequest) -> Channel:
        return Channel(AnonymousUser(), "Our Picks on Broadsheet",
                       present.site_url(present.page_path("home", "/")),
                       "What Broadsheet's editors picked.", Article.objects.none())

    def items(self, channel: Channel) -> list[Item]:
        cards = as_cards(picks.every_live())
        attach_carriers([card.article for card in cards])
        return [PickItem(card.article, present.shown(channel.user, card.article),
                         title=card.title, note=card.pick.note,
                         link=(present.site_url(present.page_path(
                             "story", f"/story/{card.story.pk}/", pk=card.story.pk))
                               if card.story else present.article_url(card.article)))
                for card in cards]

    def item_title(self, item: Item) -> str:
        return item.title if isinstance(item, PickItem) else super().item_title(item)

    def item_link(self, item: Item) -> str:
        return item.link if isinstance(item, PickItem) else super().item_link(item)

    def item_guid(self, item: Item) -> str:
        return self.item_link(item)

    def item_description(self, item: Item) -> str:
        text = item.note if isinstance(item, PickItem) else ""
        note = format_html("<p><em>{}</em></p>", text) if text else ""
        return note + super().item_description(item)


class TopicFeed(ArticleFeed):
    """A topic's newest stories, each as its lead article."""

    def channel(self, request: HttpRequest, slug: str) -> Channel:
        topic, _ = topic_by_slug(slug)
        if topic is None:
            raise Http404("No such topic")
        return Channel(AnonymousUser(), f"{topic.name} on Broadsheet",
                       present.site_url(present.page_path("topic", f"/topic/{slug}/",
                                                         slug=topic.slug)),
                       f"The latest on {topic.name}, on Broadsheet.", Article.objects.none(),
                       subject=topic)

    def items(self, channel: Channel) -> list[Item]:
        assert isinstance(channel.subject, Topic)  # a topic feed's channel is about its topic
        articles = topic_latest(channel.subject, FEED_ITEMS)
        attach_carriers(articles)
        return [Item(a, present.shown(channel.user, a)) for a in articles]


class StoryFeed(ArticleFeed):
    """One story's coverage as it grows: every outlet's article, newest first, copies folded."""

    def channel(self, request: HttpRequest, pk: int) -> Channel:
        story, _ = resolve_story(pk)
        if story is None:
            raise Http404("No such story")
        articles = Article.objects.filter(originals_only(), story=story)
        first = articles.order_by("published_at", "id").first()
        if first is None:
            raise Http404("This story has no articles")
        title = story.title or first.title
        return Channel(AnonymousUser(), f"Full coverage: {title}",
                       present.site_url(present.page_path("story", f"/story/{story.pk}/",
                                                         pk=story.pk)),
                       f"Every outlet's reporting on {title}, on Broadsheet.", articles)


class SearchFeed(ArticleFeed):
    """The newest articles with these words (``?q=``): a search, or a followed phrase, to watch."""

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _search_words(request):
            return HttpResponseBadRequest("Give the words to search for, e.g. "
                                          "/feeds/search.xml?q=harbour+wall",
                                          content_type="text/plain; charset=utf-8")
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, *args, **kwargs) -> Channel:
        channel = self.channel(request)
        return replace(channel, self_url=present.site_url(request.get_full_path()))

    def channel(self, request: HttpRequest) -> Channel:
        words = _search_words(request)
        return Channel(AnonymousUser(), f"Broadsheet: “{words}”",
                       present.site_url(present.page_path("search", "/search") + "?"
                                        + urlencode({"q": words})),
                       f"The newest articles about “{words}” on Broadsheet.",
                       Article.objects.none(), subject=words)

    def items(self, channel: Channel) -> list[Item]:
        assert isinstance(channel.subject, str)  # a search feed's channel is about its words
        articles = topic_articles(channel.subject, channel.user, FEED_ITEMS)
        attach_carriers(articles)
        return [Item(a, present.shown(channel.user, a)) for a in articles]


def _search_words(request: HttpRequest) -> str:
    return " ".join(request.GET.get("q", "").split())[:MAX_QUERY_CHARS]
