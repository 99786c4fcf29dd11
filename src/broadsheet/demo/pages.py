"""HTML pages of the demo publishers: article pages with the chrome real news sites wrap around
the story (navigation, cookie notice, newsletter prompt, related links, ads, footer), so that
extraction is exercised on realistic pages rather than bare paragraphs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from broadsheet.markup import escape_attr

from .content import WIRE_AGENCY, slugify
from .images import IMAGE_HEIGHT, IMAGE_WIDTH

if TYPE_CHECKING:
    from .site import DemoArticle, DemoPublisher, Site

HTML = "text/html; charset=utf-8"
INFO_PAGES = ("about", "contact", "privacy", "terms", "newsletters", "subscribe")

_DATE_FORMATS = {
    "harbour-gazette": "%A %d %B %Y, %H:%M UTC",
    "northern-ledger": "%d %B %Y · %H:%M CET",
    "daily-meridian": "%H:%M, %d %b %Y",
    "tech-current": "%B %d, %Y at %I:%M %p UTC",
    "pitchside": "%d/%m/%Y %H:%M",
}


def e(text: object) -> str:
    return escape_attr(str(text))


def _slug(text: str) -> str:
    return slugify(text)


def _head(site: Site, publisher: DemoPublisher, title: str, extra: str = "") -> str:
    style = publisher.style
    feeds = "".join(
        f'<link rel="alternate" type="{_feed_type(f.format)}" title="{e(f.title)}" '
        f'href="{e(f.url)}">' for f in site.feeds
        if f.publisher == publisher.name and f.kind == "feed")
    return f"""<!DOCTYPE html>
<html lang="{e(style.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
{extra}{feeds}
<link rel="icon" href="/{publisher.slug}/logo.svg">
<style>
body{{margin:0;font:17px/1.6 Georgia,serif;color:#222;background:#fafafa}}
.site-header{{background:{style.colour};color:#fff;padding:12px 24px}}
.site-header a{{color:#fff;text-decoration:none}}
.main-nav ul{{list-style:none;display:flex;gap:18px;padding:0;margin:8px 0 0}}
.subscribe{{background:{style.accent};color:#000!important;padding:4px 10px;border-radius:3px}}
main{{max-width:760px;margin:0 auto;padding:24px;background:#fff}}
.kicker{{color:{style.colour};text-transform:uppercase;font:600 13px/1 sans-serif}}
.cookie-notice{{position:fixed;bottom:0;left:0;right:0;background:#222;color:#eee;padding:12px}}
.newsletter{{border:2px solid {style.colour};padding:16px;margin:32px 0}}
.ad-slot{{background:#eee;color:#888;text-align:center;font:12px sans-serif;padding:40px}}
.site-footer{{background:#222;color:#bbb;padding:24px;font:14px sans-serif}}
.site-footer a{{color:#ddd}}
img{{max-width:100%;height:auto}}
</style>
</head>
"""


def _feed_type(fmt: str) -> str:
    return {"rss": "application/rss+xml", "atom": "application/atom+xml",
            "jsonfeed": "application/feed+json"}.get(fmt, "application/xml")


def _header(publisher: DemoPublisher) -> str:
    style = publisher.style
    items = "".join(f'<li><a href="/{publisher.slug}/{_slug(n)}/">{e(n)}</a></li>'
                    for n in style.nav)
    return f"""<div class="cookie-notice" role="dialog" aria-label="Cookie consent">
<p>We and our partners use cookies to personalise content and ads, and to analyse our traffic.
You can change your choices at any time in
<a href="/{publisher.slug}/privacy/">Cookie settings</a>.</p>
<button type="button">Accept all</button> <button type="button">Reject non-essential</button>
</div>
<header class="site-header">
<a class="logo" href="/{publisher.slug}/"><img src="/{publisher.slug}/logo.svg"
 alt="{e(style.name)}" width="300" height="40"></a>
<span class="tagline">{e(style.tagline)}</span>
<a class="subscribe" href="/{publisher.slug}/subscribe/">Subscribe</a>
<a class="login" href="/{publisher.slug}/subscribe/">Sign in</a>
<nav class="main-nav" aria-label="Sections"><ul>{items}</ul></nav>
</header>
"""


def _footer(site: Site, publisher: DemoPublisher) -> str:
    style = publisher.style
    links = "".join(f'<li><a href="/{publisher.slug}/{p}/">{p.capitalize()}</a></li>'
                    for p in INFO_PAGES)
    recent = "".join(f'<li><a href="{e(a.url)}">{e(a.headline)}</a></li>'
                     for a in site.articles_of(publisher.slug)[:3])
    return f"""<footer class="site-footer">
<section class="most-read"><h2>Most read</h2><ol>{recent}</ol></section>
<nav aria-label="About {e(style.name)}"><ul>{links}</ul></nav>
<p>{e(style.footer_note)}</p>
<p>© {style.founded}–{site.now.year} {e(style.name)}. All rights reserved. This is a fictional
publication, part of the Broadsheet demo network.</p>
</footer>
</body>
</html>
"""


def _json_ld(site: Site, publisher: DemoPublisher, article: DemoArticle) -> str:
    if article.wire:
        author: object = {"@type": "Organization", "name": article.author}
    else:
        author = [{"@type": "Person", "name": article.author, "jobTitle": article.role,
                   "url": f"{publisher.homepage}authors/{_slug(article.author)}/"}]
    news_article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.url},
        "url": article.url,
        "headline": article.headline,
        "description": article.summary,
        "image": {"@type": "ImageObject", "url": article.image_url,
                  "width": IMAGE_WIDTH, "height": IMAGE_HEIGHT},
        "datePublished": _iso(publisher, article.published_at),
        "dateModified": _iso(publisher, article.modified_at),
        "author": author,
        "publisher": {"@type": "NewsMediaOrganization", "name": publisher.name,
                      "url": publisher.homepage,
                      "logo": {"@type": "ImageObject", "url": f"{publisher.homepage}logo.svg"}},
        "articleSection": article.section,
        "keywords": [article.kicker, article.section],
        "inLanguage": publisher.style.language,
        "wordCount": article.word_count,
        "isAccessibleForFree": True,
    }
    if publisher.slug == "pitchside":  # some CMSs wrap everything in one @graph
        crumbs = {"@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Pitchside", "item": publisher.homepage},
            {"@type": "ListItem", "position": 2, "name": article.kicker,
             "item": f"{publisher.homepage}{_slug(article.kicker)}/"}]}
        del news_article["@context"]
        data: object = {"@context": "https://schema.org", "@graph": [news_article, crumbs]}
    else:
        data = news_article
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def _iso(publisher: DemoPublisher, moment: datetime) -> str:
    if publisher.slug == "tech-current":
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat()


def article_page(site: Site, publisher: DemoPublisher, article: DemoArticle,
                 related: list[DemoArticle]) -> str:
    style = publisher.style
    meta = f"""<meta name="description" content="{e(article.summary)}">
<link rel="canonical" href="{e(article.url)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{e(style.name)}">
<meta property="og:title" content="{e(article.headline)}">
<meta property="og:description" content="{e(article.summary)}">
<meta property="og:url" content="{e(article.url)}">
<meta property="og:image" content="{e(article.image_url)}">
<meta property="og:image:width" content="{IMAGE_WIDTH}">
<meta property="og:image:height" content="{IMAGE_HEIGHT}">
<meta property="og:locale" content="{e(style.language.replace('-', '_'))}">
<meta property="article:published_time" content="{e(_iso(publisher, article.published_at))}">
<meta property="article:modified_time" content="{e(_iso(publisher, article.modified_at))}">
<meta property="article:section" content="{e(article.section)}">
<meta property="article:author" content="{e(article.author)}">
<meta name="author" content="{e(article.author)}">
<meta name="twitter:card" content="summary_large_image">
{_json_ld(site, publisher, article)}"""
    title = f"{article.headline} | {style.name}"
    published = article.published_at.strftime(_DATE_FORMATS[publisher.slug])
    if article.wire:
        byline = f'<span class="byline-author">{e(article.author)}</span>'
    else:
        role = f', <span class="byline-role">{e(article.role)}</span>' if article.role else ""
        byline = (f'By <a rel="author" class="byline-author" href="/{publisher.slug}/authors/'
                  f'{_slug(article.author)}/">{e(article.author)}</a>{role}')
    updated = ""
    if article.modified_at != article.published_at:
        updated = (f' <span class="updated">Updated <time datetime="'
                   f'{e(_iso(publisher, article.modified_at))}">'
                   f'{article.modified_at.strftime("%H:%M")}</time></span>')
    body = _body(publisher, article, related)
    related_items = "".join(
        f'<li><a href="{e(r.url)}"><span class="kicker">{e(r.kicker)}</span> '
        f"{e(r.headline)}</a></li>" for r in related)
    share = ""
    if publisher.slug in ("tech-current", "daily-meridian"):
        share = ('<ul class="share-tools" aria-label="Share this article"><li><a href="#">Share '
                 'on social media</a></li><li><a href="#">Email</a></li><li><button type="button">'
                 "Copy link</button></li></ul>\n")
    wire_note = ""
    if article.wire:
        wire_note = (f'<p class="wire-credit">This story was supplied by {e(WIRE_AGENCY)} and '
                     f"edited by {e(style.name)} staff.</p>\n")
    container = "article" if publisher.slug != "northern-ledger" else "div"
    return (_head(site, publisher, title, meta)
            + f'<body class="{publisher.slug} article-page section-{_slug(article.section)}">\n'
            + _header(publisher)
            + f"""<main id="main-content">
<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/{publisher.slug}/">Home</a> ›
<a href="/{publisher.slug}/{_slug(article.section)}/">{e(article.section)}</a></nav>
<{container} class="story story-{publisher.slug}" data-article-id="{e(article.id)}">
<header class="story-header">
<p class="kicker">{e(article.kicker)}</p>
<h1 class="headline">{e(article.headline)}</h1>
<p class="standfirst">{e(article.summary)}</p>
<p class="byline">{byline} ·
<time class="published" datetime="{e(_iso(publisher, article.published_at))}">
{e(published)}</time>{updated}</p>
</header>
{share}<figure class="lead-image">
<img src="{e(article.image_url)}" alt="{e(article.kicker)}: {e(article.headline)}"
 width="{IMAGE_WIDTH}" height="{IMAGE_HEIGHT}">
<figcaption>Illustration for {e(style.name)}</figcaption>
</figure>
<div class="article-body">
{body}</div>
{wire_note}<aside class="newsletter">
<h2>Sign up to {e(style.newsletter)}</h2>
<p>The day's most important stories, straight to your inbox every morning. Free.</p>
<form action="/{publisher.slug}/newsletters/" method="get">
<label>Email address <input type="email" name="email" required></label>
<button type="submit">Sign up</button>
</form>
<p class="small">By signing up you agree to our <a href="/{publisher.slug}/terms/">terms</a> and
<a href="/{publisher.slug}/privacy/">privacy notice</a>.</p>
</aside>
<section class="related">
<h2>Related</h2>
<ul>{related_items}</ul>
</section>
</{container}>
</main>
""" + _footer(site, publisher))


def _body(publisher: DemoPublisher, article: DemoArticle, related: list[DemoArticle]) -> str:
    parts: list[str] = []
    for n, paragraph in enumerate(article.paragraphs):
        parts.append(f"<p>{e(paragraph)}</p>\n")
        if n == 1 and publisher.slug == "daily-meridian":
            parts.append('<aside class="ad-slot" aria-label="Advertisement">Advertisement'
                         "</aside>\n")
        if n == 2 and publisher.slug == "harbour-gazette" and related:
            parts.append(f'<aside class="read-more">Read more: <a href="{e(related[0].url)}">'
                         f"{e(related[0].headline)}</a></aside>\n")
        if n == 3 and publisher.slug == "pitchside":
            parts.append('<div class="embed-promo"><p>Watch the highlights on Pitchside TV. '
                         "Subscribers only.</p></div>\n")
    return "".join(parts)


def listing(site: Site, publisher: DemoPublisher, heading: str,
            articles: list[DemoArticle]) -> str:
    """A publisher's front page, section page or author page: a list of teasers."""
    items = "".join(
        f'<li class="teaser"><p class="kicker">{e(a.kicker)}</p><h2><a href="{e(a.url)}">'
        f"{e(a.headline)}</a></h2><p>{e(a.summary)}</p>"
        f'<time datetime="{e(a.published_at.isoformat())}">'
        f"{a.published_at.strftime('%d %b %H:%M')}</time></li>\n" for a in articles)
    if not items:
        items = "<li>No stories in this section right now.</li>"
    return (_head(site, publisher, f"{heading} | {publisher.style.name}",
                  f'<meta property="og:site_name" content="{e(publisher.style.name)}">\n')
            + f'<body class="{publisher.slug} listing-page">\n' + _header(publisher)
            + f'<main id="main-content"><h1>{e(heading)}</h1>\n<ul class="teasers">\n{items}'
            + "</ul></main>\n" + _footer(site, publisher))


def info_page(site: Site, publisher: DemoPublisher, page: str) -> str:
    style = publisher.style
    return (_head(site, publisher, f"{page.capitalize()} | {style.name}")
            + f'<body class="{publisher.slug} info-page">\n' + _header(publisher)
            + f"<main><h1>{e(page.capitalize())}</h1><p>{e(style.name)} is a fictional "
              f"publication in the Broadsheet demo network, founded (in fiction) in "
              f"{style.founded}. {e(style.footer_note)}</p></main>\n"
            + _footer(site, publisher))


def network_index(site: Site) -> str:
    rows = []
    for publisher in site.publishers:
        feeds = "".join(f'<li><a href="{e(f.url)}">{e(f.title)}</a> ({e(f.format)})</li>'
                        for f in site.feeds if f.publisher == publisher.name)
        rows.append(f'<li><a href="{e(publisher.homepage)}">{e(publisher.name)}</a>'
                    f"<ul>{feeds}</ul></li>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Broadsheet demo network</title></head>
<body><h1>Broadsheet demo network</h1>
<p>Five fictional publishers serving {len(site.articles)} articles written for the demo.
Dates are relative to {e(site.now.isoformat())}.</p>
<ul>{"".join(rows)}</ul></body></html>
"""
