"""Machine surfaces: the JSON API, feeds out and the Google Reader API."""

from django.urls import include, path, re_path

from . import feeds, fever
from .api import api
from .greader import urls as greader_urls

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
    # Google Reader API (the dialect of FreshRSS, Miniflux and FeedHQ), at every base apps use.
    path("", include(greader_urls)),
    # Fever API, for apps that speak only Fever (an app password signs them in).
    path("api/fever.php", fever.fever, name="fever"),
    re_path(greader_urls.BASES, include(greader_urls.at_bases)),
]
