"""Machine surfaces: the JSON API, feeds out and the Google Reader API."""

from django.urls import path, re_path

from . import feeds, greader
from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    # Feeds out: teasers for everyone; a member's private address carries full text.
    path("feeds/latest.xml", feeds.LatestFeed(), name="feed_latest_rss"),
    path("feeds/latest.atom", feeds.LatestAtomFeed(), name="feed_latest_atom"),
    path("feeds/picks.xml", feeds.PicksFeed(), name="feed_picks"),
    path("feeds/topic/<slug:slug>.xml", feeds.TopicFeed(), name="feed_topic"),
    path("feeds/section/<slug:slug>.xml", feeds.SectionFeed(), name="feed_section"),
    path("feeds/publication/<slug:slug>.xml", feeds.PublicationFeed(), name="feed_publication"),
    path("feeds/private/<str:token>/latest.xml", feeds.PrivateLatestFeed(),
         name="feed_private_latest"),
    path("feeds/private/<str:token>/latest.atom", feeds.PrivateLatestAtomFeed(),
         name="feed_private_latest_atom"),
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
