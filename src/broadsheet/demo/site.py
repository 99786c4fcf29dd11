"""The demo network as a table of addresses: every page, feed and image it serves.

Built once per server start from the bundled articles, the base URL and "now", so URLs are
absolute and dates are fresh and identical wherever they appear (feeds, JSON-LD, visible dates).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

from . import feeds, pages
from .content import (
    PUBLISHERS,
    WIRE_AGENCY,
    ArticleText,
    PublisherStyle,
    load_articles,
    slugify,
)
from .images import article_png, logo_svg

LEDGER_TZ = timezone(timedelta(hours=1), "CET")  # the Northern Ledger dates in local time


@dataclass(frozen=True)
class DemoPublisher:
    name: str
    slug: str
    homepage: str
    country: str
    language: str
    style: PublisherStyle


@dataclass(frozen=True)
class DemoFeed:
    url: str
    publisher: str  # publisher name
    section: str  # section given to the feed's articles; "" for a mixed feed
    kind: str = "feed"  # "feed" or "sitemap", as in Source.Kind
    format: str = "rss"  # "rss", "atom", "jsonfeed" or "sitemap"
    title: str = ""
    path: str = ""


@dataclass(frozen=True)
class DemoArticle:
    id: str
    publisher: str  # publisher name
    publisher_slug: str
    story: str  # shared by every publisher's version of the same news story
    section: str
    kicker: str
    headline: str
    author: str
    role: str
    summary: str
    paragraphs: tuple[str, ...]
    wire: str  # news agency name for syndicated copies, else ""
    published_at: datetime  # aware
    modified_at: datetime  # aware
    path: str
    url: str  # canonical URL
    image_url: str
    feed_link: str = ""  # the link as the publisher's main feed gives it (may carry utm_*)

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str
    last_modified: datetime | None = None


def _article_path(text: ArticleText, index: int) -> str:
    slug = slugify(text.headline)
    match text.publisher:
        case "harbour-gazette":
            return f"/harbour-gazette/news/{text.section.lower()}/{slug}-{4100 + index}"
        case "northern-ledger":
            return f"/northern-ledger/{text.section.lower()}/{slug}"
        case "daily-meridian":
            return f"/daily-meridian/article/{slug}.html"
        case "tech-current":
            return f"/tech-current/posts/{slug}/"
        case _:
            return f"/{text.publisher}/{slugify(text.kicker)}/{slug}"


class Site:
    """Everything the demo server answers, keyed by path (query strings are ignored)."""

    def __init__(self, base_url: str, now: datetime | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        self.publishers = [
            DemoPublisher(name=s.name, slug=s.slug, homepage=f"{self.base_url}/{s.slug}/",
                          country=s.country, language=s.language.split("-")[0], style=s)
            for s in PUBLISHERS]
        self._by_slug = {p.slug: p for p in self.publishers}
        self.articles = self._build_articles()
        self.routes: dict[str, Resource] = {}
        self.feeds: list[DemoFeed] = []
        self._images: dict[str, DemoArticle] = {}
        self._build_feeds()
        self._build_pages()

    def _build_articles(self) -> list[DemoArticle]:
        articles: list[DemoArticle] = []
        counters: dict[str, int] = {}
        for text in load_articles():
            publisher = self._by_slug[text.publisher]
            index = counters.get(text.publisher, 0)
            counters[text.publisher] = index + 1
            published = (self.now - timedelta(hours=text.hours)).replace(second=0)
            edited = published + timedelta(minutes=17 + index * 7)
            modified = edited if index % 3 == 1 and edited < self.now else published
            if text.publisher == "northern-ledger":
                published = published.astimezone(LEDGER_TZ)
                modified = modified.astimezone(LEDGER_TZ)
            path = _article_path(text, index)
            articles.append(DemoArticle(
                id=text.id, publisher=publisher.name, publisher_slug=publisher.slug,
                story=text.story, section=text.section, kicker=text.kicker,
                headline=text.headline, author=text.author or WIRE_AGENCY, role=text.role,
                summary=text.summary, paragraphs=text.paragraphs, wire=text.wire,
                published_at=published, modified_at=modified, path=path,
                url=self.base_url + path, image_url=f"{self.base_url}/images/{text.id}.png"))
        return articles

    def publisher(self, slug: str) -> DemoPublisher:
        return self._by_slug[slug]

    def articles_of(self, slug: str) -> list[DemoArticle]:
        return [a for a in self.articles if a.publisher_slug == slug]

    def _build_feeds(self) -> None:
        def utm(campaign: str, source: str = "rss") -> str:
            return f"?utm_source={source}&utm_medium=feed&utm_campaign={campaign}"

        hg, nl, dm, tc, ps = (self._by_slug[s] for s in (
            "harbour-gazette", "northern-ledger", "daily-meridian", "tech-current", "pitchside"))
        plan = [
            (hg, "/harbour-gazette/feeds/news.rss", "rss", "Top stories", "", None,
             utm("top-stories")),
            (hg, "/harbour-gazette/feeds/business.rss", "rss", "Business", "Business",
             "Business", ""),
            (nl, "/northern-ledger/atom.xml", "atom", "All stories", "", None, ""),
            (dm, "/daily-meridian/sitemap-news.xml", "sitemap", "News sitemap", "", None, ""),
            (dm, "/daily-meridian/rss/culture.xml", "rss", "Culture", "Culture", "Culture", ""),
            (tc, "/tech-current/feed.json", "jsonfeed", "Latest", "", None, ""),
            (ps, "/pitchside/rss.xml", "rss", "Latest", "Sport", None,
             utm("latest", "pitchside")),
        ]
        links: dict[str, str] = {}
        for publisher, path, fmt, title, section, only, query in plan:
            items = [a for a in self.articles_of(publisher.slug)
                     if only is None or a.section == only]
            pairs = [(a, a.url + query) for a in items]
            for article, link in pairs:
                links.setdefault(article.id, link)
            url = self.base_url + path
            feed = DemoFeed(url=url, publisher=publisher.name, section=section,
                            kind="sitemap" if fmt == "sitemap" else "feed", format=fmt,
                            title=f"{publisher.name}: {title}", path=path)
            self.feeds.append(feed)
            body, content_type = feeds.render(fmt, feed, publisher, pairs, self.now)
            newest = max((a.modified_at for a in items), default=self.now)
            self.routes[path] = Resource(body, content_type, newest)
        self.articles = [_with_link(a, links.get(a.id, a.url)) for a in self.articles]

    def _build_pages(self) -> None:
        self.routes["/"] = Resource(pages.network_index(self).encode(), pages.HTML)
        self.routes["/robots.txt"] = Resource(
            b"User-agent: *\nAllow: /\nSitemap: " + self.base_url.encode()
            + b"/daily-meridian/sitemap-news.xml\n", "text/plain; charset=utf-8")
        for publisher in self.publishers:
            style = publisher.style
            own = self.articles_of(publisher.slug)
            self.routes[f"/{publisher.slug}/logo.svg"] = Resource(
                logo_svg(style.name, style.colour, style.accent), "image/svg+xml")
            self.routes[f"/{publisher.slug}/"] = Resource(
                pages.listing(self, publisher, style.tagline, own).encode(), pages.HTML)
            for nav in style.nav:
                chosen = [a for a in own if nav == "News"
                          or nav.lower() in (a.section.lower(), a.kicker.lower())]
                self.routes[f"/{publisher.slug}/{slugify(nav)}/"] = Resource(
                    pages.listing(self, publisher, nav, chosen).encode(), pages.HTML)
            for author in sorted({a.author for a in own}):
                chosen = [a for a in own if a.author == author]
                self.routes[f"/{publisher.slug}/authors/{slugify(author)}/"] = Resource(
                    pages.listing(self, publisher, author, chosen).encode(), pages.HTML)
            for info in pages.INFO_PAGES:
                self.routes[f"/{publisher.slug}/{info}/"] = Resource(
                    pages.info_page(self, publisher, info).encode(), pages.HTML)
            for article in own:
                html = pages.article_page(self, publisher, article, self._related(article))
                self.routes[article.path] = Resource(html.encode(), pages.HTML,
                                                     article.modified_at)
                self._images[f"/images/{article.id}.png"] = article

    def _related(self, article: DemoArticle) -> list[DemoArticle]:
        others = [a for a in self.articles_of(article.publisher_slug) if a.id != article.id]
        others.sort(key=lambda a: (a.section != article.section, -a.published_at.timestamp()))
        return others[:4]

    def resolve(self, path: str) -> Resource | None:
        """The resource at ``path`` (no query string), or None for a 404."""
        found = self.routes.get(path)
        if found is None and path in self._images:
            article = self._images[path]
            found = Resource(article_png(article.id, article.section), "image/png",
                             article.published_at)
        return found


def _with_link(article: DemoArticle, link: str) -> DemoArticle:
    return replace(article, feed_link=link)
