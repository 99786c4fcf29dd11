"""A reader's own For you as a feed, at their private feed address.

The address is the same secret as their private latest feed (an ApiToken of kind feed), so
revoking that token closes both. Each item says why it is there ("Because you follow Sport"):
in the body of the RSS and Atom items, and in JSON Feed's ``_broadsheet.reason`` as well.
Bodies go through the paywall for the reader on every request, as on the For you page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from broadsheet.articles.models import Article
from broadsheet.curation.foryou import Reason, for_you
from broadsheet.stories.queries import attach_carriers

from . import present
from .auth import user_for_token
from .feeds import FEED_ITEMS, ArticleFeed, Channel, Item
from .models import ApiToken


@dataclass(frozen=True)
class ForYouFeedItem(Item):
    reason: Reason | None = None


class PrivateForYouFeed(ArticleFeed):
    """The reader's For you, best first, as the For you page ranks it."""

    private = True

    def channel(self, request: HttpRequest, token: str) -> Channel:
        user = user_for_token(token, ApiToken.Kind.FEED)
        if user is None:
            raise Http404("No such feed")
        return Channel(user, "Broadsheet: For you",
                       present.site_url(present.page_path("for_you", "/for-you/")),
                       "Stories picked for you on Broadsheet, each with the reason it is there.",
                       Article.objects.none())

    def items(self, channel: Channel) -> list[Item]:
        chosen = for_you(channel.user, FEED_ITEMS, timezone.now())
        attach_carriers([item.article for item in chosen])
        return [ForYouFeedItem(item.article, present.shown(channel.user, item.article),
                               reason=item.reason) for item in chosen]

    def item_description(self, item: Item) -> str:
        reason = getattr(item, "reason", None)
        why = format_html('<p class="reason"><em>{}</em></p>', reason.text) if reason else ""
        return why + super().item_description(item)

    def item_extra_kwargs(self, item: Item) -> dict:
        reason = getattr(item, "reason", None)
        return {**super().item_extra_kwargs(item),
                "reason": reason.as_dict() if reason else None}
