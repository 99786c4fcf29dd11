"""For you's cards: the shared card of each article (``broadsheet.web.cards``) with the reader's
own parts put in, the reason it was chosen and the "Show fewer like this" forms.

Those parts are a few short strings per card, written here rather than through templates: a
template include per form cost more than the rest of the card, rendered for every reader.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from broadsheet.curation.foryou import ForYouItem

from .cards import Personal

FEWER_FORM = ('<li><form method="post" action="{0}" hx-post="{0}" hx-target="closest .card" '
              'hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" value="{1}">'
              '<input type="hidden" name="kind" value="{2}">'
              '<input type="hidden" name="slug" value="{3}">'
              '<input type="hidden" name="next" value="{4}">'
              '<button type="submit" class="link-button">{5}</button></form></li>')


def personal_parts(items: Sequence[ForYouItem], request: HttpRequest) -> dict[int, Personal]:
    """Each item's reader's own parts of its card, by article id."""
    action, token, here = reverse("for_you_fewer"), get_token(request), request.get_full_path()
    parts = {}
    for item in items:
        forms = format_html_join("", FEWER_FORM, (
            (action, token, kind, slug, here, label) for kind, slug, label in _fewer_choices(item)))
        parts[item.article.pk] = Personal(
            lead=format_html('<p class="reason" data-reason="{}">{}</p>', item.reason.kind,
                             item.reason.text),
            via="?via=for-you",
            tail=_fewer_block(forms))
    return parts


def _fewer_choices(item: ForYouItem) -> list[tuple[str, str, str]]:
    """(kind, slug, button label) of each "fewer" choice the item offers."""
    choices = []
    if item.topic:
        choices.append(("topic", item.topic[0], f"Fewer about {item.topic[1]}"))
    if item.section:
        choices.append(("section", item.section[0], f"Fewer {item.section[1]} stories"))
    choices.append(("publisher", item.publisher[0], f"Fewer from {item.publisher[1]}"))
    return choices


def _fewer_block(forms: SafeString) -> SafeString:
    return format_html('<details class="fewer"><summary>Show fewer like this</summary>'
                       '<ul class="fewer-options">{}</ul></details>', forms)
