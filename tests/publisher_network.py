"""A publisher network on 127.0.0.1 for ingest tests: good feeds and pages, and every kind of bad.

Good publishers serve teaser feeds whose articles are on realistic pages (menu, kicker, byline,
related links, newsletter prompt, footer), a full-content Atom feed, and a JSON Feed. Bad ones
time out, fail with 404/500/503, loop redirects, serve malformed or hostile XML, HTML, huge bodies
or a gzip bomb.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from netfixture import NetServer, Reply, gzip_bomb, redirect, zeros

FEEDS = Path(__file__).parent / "fixtures" / "feeds"

CHROME = [
    "Subscribe to our morning newsletter",
    "Most read this week",
    "All rights reserved",
    "We use cookies",
]


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    section: str
    author: str
    paragraphs: tuple[str, ...]


def _paragraphs(topic: str, detail: str) -> tuple[str, ...]:
    return (
        f"The {topic} was confirmed on Wednesday morning after weeks of speculation, officials "
        f"said, and {detail}.",
        f"Residents who spoke to reporters said the {topic} had been expected for some time, "
        "though few had imagined the scale of what was announced at the town hall.",
        f"According to the council's own figures, the {topic} will affect more than four "
        "thousand households across the district over the coming eighteen months.",
        "Opposition members called for an independent review, arguing that the consultation "
        "had been rushed and that several neighbourhoods had not been heard at all.",
        f"A spokesperson said the {topic} would be reviewed again in the spring, when the first "
        "results are due, and that residents would be invited to a public meeting in March.",
    )


STORIES = [
    Story("harbour-wall", "Harbour wall repairs to begin after storm damage", "World",
          "Ada Brennan", _paragraphs("harbour wall repair plan", "contractors arrive next week")),
    Story("tram-line", "Council approves new tram line to the east side", "Politics",
          "Tomás Reyes", _paragraphs("tram line extension", "the vote passed by nine to four")),
    Story("bakery-chain", "Family bakery chain opens its fortieth shop", "Business",
          "Mina Okafor", _paragraphs("bakery expansion", "forty new jobs will be created")),
]


def article_page(story: Story, canonical: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in story.paragraphs)
    ld = json.dumps({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": story.title,
        "author": {"@type": "Person", "name": story.author},
        "publisher": {"@type": "Organization", "name": "The Harbour Gazette"},
        "articleSection": story.section, "datePublished": "2026-11-25T09:30:00Z",
    })
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{story.title} | The Harbour Gazette</title>
<link rel="canonical" href="{canonical}">
<meta property="og:site_name" content="The Harbour Gazette">
<script type="application/ld+json">{ld}</script></head>
<body><header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/politics">Politics</a></li><li><a href="/business">Business</a></li></ul></nav>
<div class="cookie-banner">{CHROME[3]} to improve your experience. <button>Accept</button></div>
</header>
<main><article><p class="kicker">{story.section}</p><h1>{story.title}</h1>
<p class="byline">By {story.author} · 25 November 2026</p>
<div class="article-body">{body}</div></article>
<aside class="newsletter"><h2>{CHROME[0]}</h2><p>Get the day's top stories in your inbox.</p>
<form><input type="email"><button>Sign up</button></form></aside>
<aside class="related"><h2>{CHROME[1]}</h2><ul><li><a href="/x">Ferry timetable changes</a></li>
<li><a href="/y">Lighthouse reopens to visitors</a></li></ul></aside></main>
<footer><p>© 2026 The Harbour Gazette. {CHROME[2]}.</p></footer></body></html>""".encode()


def teaser_feed(server: NetServer, stories: list[Story]) -> bytes:
    items = "".join(
        f"<item><title>{s.title}</title>"
        f"<link>{server.url('/gazette/' + s.slug)}?utm_source=rss&amp;utm_medium=feed</link>"
        f"<guid isPermaLink='false'>gazette-{s.slug}</guid>"
        f"<pubDate>Wed, 25 Nov 2026 09:30:00 GMT</pubDate>"
        f"<description>{s.paragraphs[0][:80]}…</description></item>"
        for s in stories)
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>The Harbour Gazette</title><link>{server.url('/gazette/')}</link>{items}"
            f"</channel></rss>").encode()


def full_atom_feed(server: NetServer) -> bytes:
    paragraphs = "".join(
        f"&lt;p&gt;Paragraph {i}: the orchestra's winter season opens with a programme of "
        f"new commissions, a revival of a forgotten opera, and a free concert for schools, "
        f"the artistic director said on Monday.&lt;/p&gt;" for i in range(15))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Northern Ledger Culture</title>
<id>urn:ledger:culture</id><updated>2026-11-26T10:00:00Z</updated>
<link rel="alternate" href="{server.url('/ledger/')}"/>
<entry><title>Orchestra unveils a winter season of new music</title>
<id>urn:ledger:orchestra-season</id><link rel="alternate" href="{server.url('/ledger/orchestra')}"/>
<published>2026-11-26T10:00:00Z</published><updated>2026-11-26T10:00:00Z</updated>
<author><name>Lena Kowalski</name></author>
<content type="html">{paragraphs}</content></entry></feed>""".encode()


def json_feed(server: NetServer) -> bytes:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Tech Current",
        "home_page_url": server.url("/current/"),
        "items": [{
            "id": "current-1", "url": server.url("/current/chips"),
            "title": "Chip plant expansion doubles local output",
            "date_published": "2026-11-26T07:15:00Z", "authors": [{"name": "Sam Idowu"}],
            "content_html": "".join(
                f"<p>Section {i}: the chip plant's new line opened ahead of schedule, with the "
                "company saying output would double by summer and two hundred engineers "
                "would be hired from the region's universities.</p>" for i in range(15)),
        }],
    }).encode()


class PublisherNetwork:
    """Routes every publisher, good and bad, on one NetServer; ``urls`` names their feeds."""

    def __init__(self, server: NetServer) -> None:
        self.server = server
        self.urls: dict[str, str] = {}
        self._good()
        self._bad()

    def _feed(self, name: str, path: str, **route) -> None:
        self.server.route(path, **route)
        self.urls[name] = self.server.url(path)

    def _good(self) -> None:
        server = self.server
        for story in STORIES:
            canonical = server.url("/gazette/" + story.slug)
            server.route("/gazette/" + story.slug, body=article_page(story, canonical),
                         headers={"Content-Type": "text/html; charset=utf-8"})
        self._feed("gazette", "/gazette/feed.xml", body=teaser_feed(server, STORIES),
                   headers={"Content-Type": "application/rss+xml", "ETag": '"gazette-v1"'})
        self._feed("ledger", "/ledger/atom.xml", body=full_atom_feed(server),
                   headers={"Content-Type": "application/atom+xml"})
        self._feed("current", "/current/feed.json", body=json_feed(server),
                   headers={"Content-Type": "application/feed+json"})

    def _bad(self) -> None:
        xml = {"Content-Type": "application/rss+xml"}
        self._feed("slow", "/slow.xml", body=b"<rss/>", delay=5.0)
        self._feed("missing", "/missing.xml", status=404, body=b"not here")
        self._feed("broken", "/broken.xml", status=500, body=b"oops")
        # The busy publisher is a host of its own: its 503 pauses that host, not the others.
        self.server.route("/busy.xml", status=503, body=b"busy", headers={"Retry-After": "1800"})
        self.urls["busy"] = f"http://localhost:{self.server.port}/busy.xml"
        self.server.route("/loop-a", handler=lambda request: redirect("/loop-b"))
        self.server.route("/loop-b", handler=lambda request: redirect("/loop-a"))
        self.urls["loop"] = self.server.url("/loop-a")
        self._feed("huge", "/huge.xml", body=zeros(64 * 1024 * 1024), headers=xml)
        self._feed("bomb", "/bomb.xml", body=gzip_bomb(256 * 1024 * 1024),
                   headers={**xml, "Content-Encoding": "gzip"})
        for name, fixture in [("malformed", "malformed_broken.xml"),
                              ("laughs", "billion_laughs.xml"),
                              ("external", "external_entity.xml"),
                              ("html", "html_page.html"),
                              ("empty", "empty_feed.xml"),
                              ("latin1", "latin1_declared_utf8.xml"),
                              ("nolinks", "no_links_no_dates.xml"),
                              ("dupes", "duplicate_guids.xml")]:
            content_type = "text/html" if fixture.endswith(".html") else "application/rss+xml"
            self._feed(name, f"/fixtures/{fixture}", body=(FEEDS / fixture).read_bytes(),
                       headers={"Content-Type": content_type})
        # A feed whose pages are never reachable: every article fails, the feed itself is fine.
        self.server.route("/gone/article", handler=lambda request: Reply(status=410))
        self._feed("dead-links", "/gone/feed.xml", headers=xml, body=(
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Gone Daily</title>"
            f"<item><title>Vanished</title><link>{self.server.url('/gone/article')}</link>"
            "<guid>gone-1</guid></item></channel></rss>").encode())
