"""Template helpers for reader pages: article links, times in the reader's zone, reading time."""

from __future__ import annotations

import json
from datetime import datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from broadsheet.ingest.words import reading_minutes
from broadsheet.web.cards import render_cards
from broadsheet.web.for_you_cards import personal_parts
from broadsheet.web.images.signing import proxied, proxy_images
from broadsheet.web.links import article_path
from broadsheet.web.queries import publisher_names, section_slugs

register = template.Library()


@register.filter
def article_url(article) -> str:
    return article_path(article)


@register.filter
def image_src(url: str) -> str:
    """A picture's address on this site's image proxy, so the publisher never sees the reader."""
    return proxied(url or "")


@register.filter
def images_proxied(html: str) -> str:
    """Stored article HTML with its pictures loaded through the image proxy."""
    return proxy_images(html or "")


@register.filter
def section_url(article_or_name) -> str:
    """The section page for an article's section (or a section name); "" when there is none."""
    name = getattr(article_or_name, "section", article_or_name) or ""
    slug = section_slugs().get(str(name).lower())
    return reverse("section", args=[slug]) if slug else ""


@register.filter
def local_input(moment: datetime | None) -> str:
    """A time as a ``datetime-local`` field's value, in the reader's zone ("" for none)."""
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@register.filter
def json_text(value) -> str:
    """A recorded value as compact JSON text (the audit log's before and after)."""
    if value in ("", None):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@register.filter
def reading_time(article) -> str:
    """"5 min read" from the stored word count, by the one rule the API and feeds use too."""
    minutes = reading_minutes(getattr(article, "word_count", 0) or 0)
    return f"{minutes} min read" if minutes else ""


def describe_time(moment: datetime, now: datetime | None = None) -> str:
    """"5 min ago", "3 h ago" for today's news; a date (and time this year) for older items.

    Shown in the active time zone (the reader's, set by ReaderTimeZoneMiddleware).
    """
    now = now or timezone.now()
    seconds = (now - moment).total_seconds()
    if 0 <= seconds < 60:
        return "just now"
    if 0 <= seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if 0 <= seconds < 12 * 3600:
        return f"{int(seconds // 3600)} h ago"
    local = timezone.localtime(moment)
    if local.year == timezone.localtime(now).year:
        return format_date(local, "j M, H:i")
    return format_date(local, "j M Y")


@register.simple_tag
def when(moment: datetime | None, style: str = "relative") -> str:
    """A <time> element: relative for recent times, the full local date as its tooltip."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    full = format_date(local, "j F Y, H:i T")
    shown = full if style == "full" else describe_time(moment)
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(), full, shown)


@register.simple_tag
def cards(articles) -> str:
    """A list's cards, shared by every reader (see ``broadsheet.web.cards``)."""
    return render_cards(articles, lambda article: when(article.published_at))


@register.simple_tag(takes_context=True)
def for_you_cards(context, items) -> str:
    """For you's cards: shared cards with the reader's reasons and forms put in."""
    parts = personal_parts(items, context["request"])
    return render_cards([item.article for item in items],
                        lambda article: when(article.published_at), lambda a: parts[a.pk])


_joined_options: tuple[list[tuple[str, str]], str] = ([], "")


@register.simple_tag
def publisher_options(selected: str = "") -> str:
    """<option>s of every publisher for a filter, ``selected`` (a slug) marked: a few hundred
    options are joined once per list of publishers (kept in the process), not per request."""
    global _joined_options
    names = publisher_names()
    if _joined_options[0] != names:
        _joined_options = (names, format_html_join("", '<option value="{}">{}</option>', names))
    options = _joined_options[1]
    if selected:
        opening = format_html('<option value="{}">', selected)
        options = options.replace(opening, f"{opening[:-1]} selected>", 1)
    return mark_safe(options)  # noqa: S308 - joined by format_html_join, the slug escaped
