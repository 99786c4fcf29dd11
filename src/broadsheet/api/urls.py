"""Machine surfaces: the JSON API, feeds out and the Google Reader API."""

from django.urls import path, re_path
from django.utils.feedgenerator import Atom1Feed

from . import feeds, greader
from .api import api
from .feeds_foryou import PrivateForYouFeed
from .jsonfeed import JsonFeed


def _formats(route: str, feed: type, rss_name: str, stem: str | None = None) -> list:
    """A feed's RSS (``<name>``), Atom (``<stem>_atom``) and JSON Feed (``<stem>_json``)."""
    stem = stem or rss_name
    return [path(f"{route}.xml", feed(), name=rss_name),
            path(f"{route}.atom", feed(Atom1Feed), name=f"{stem}_atom"),
            path(f"{route}.json", feed(JsonFeed), name=f"{stem}_json")]


urlpatterns = [
    path("api/v1/", api.urls),
    # Feeds out: teasers for everyone; a member's private address carries full text.
    # Each feed in three formats: .xml (RSS 2.0), .atom (Atom) and .json (JSON Feed 1.1).
    *_formats("feeds/latest", feeds.LatestFeed, "feed_latest_rss", "feed_latest"),
    *_formats("feeds/picks", feeds.PicksFeed, "feed_picks"),
    *_formats("feeds/topic/<slug:slug>", feeds.TopicFeed, "feed_topic"),
    *_formats("feeds/section/<slug:slug>", feeds.SectionFeed, "feed_section"),
    *_formats("feeds/publication/<slug:slug>", feeds.PublicationFeed, "feed_publication"),
    *_formats("feeds/story/<int:pk>", feeds.StoryFeed, "feed_story"),
    *_formats("feeds/search", feeds.SearchFeed, "feed_search"),
    *_formats("feeds/private/<str:token>/latest", feeds.PrivateLatestFeed,
              "feed_private_latest"),
    *_formats("feeds/private/<str:token>/for-you", PrivateForYouFeed, "feed_private_for_you"),
    # Google Reader API (the dialect of FreshRSS and Miniflux).
    path("accounts/ClientLogin", greader.client_login, name="greader_client_login"),
    path("reader/api/0/token", greader.token, name="greader_token"),
    path("reader/api/0/user-info", greader.user_info, name="greader_user_info"),
    path("reader/api/0/subscription/list", greader.subscription_list,
         name="greader_subscription_list"),
    path("reader/api/0/subscription/edit", greader.subscription_edit,
         name="greader_subscription_edit"),
    path("reader/api/0/tag/list", greader.tag_list, name="greader_tag_list"),
    path("reader/api/0/unread-count", greader.unread_count, name="greader_unread_count"),
    path("reader/api/0/preference/stream/list", greader.stream_prefs,
         name="greader_stream_prefs"),
    path("reader/api/0/stream/items/ids", greader.stream_item_ids, name="greader_item_ids"),
    path("reader/api/0/stream/items/contents", greader.stream_item_contents,
         name="greader_item_contents"),
    path("reader/api/0/stream/contents", greader.stream_contents, name="greader_stream"),
    re_path(r"^reader/api/0/stream/contents/(?P<stream_id>.+)$", greader.stream_contents,
            name="greader_stream_contents"),
    path("reader/api/0/edit-tag", greader.edit_tag, name="greader_edit_tag"),
    path("reader/api/0/mark-all-as-read", greader.mark_all_as_read,
         name="greader_mark_all_as_read"),
]
