"""Machine surfaces: the JSON API, feeds out and the Google Reader API."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.csrf import csrf_exempt

from . import feeds, fever
from .api import api
from .feeds_foryou import PrivateForYouFeed
from .greader import urls as greader_urls
from .jsonfeed import JsonFeed


def _formats(route: str, feed: type, rss_name: str, stem: str | None = None) -> list:
    """A feed's RSS (``<name>``), Atom (``<stem>_atom``) and JSON Feed (``<stem>_json``)."""
    stem = stem or rss_name
    return [path(f"{route}.xml", feed(), name=rss_name),
            path(f"{route}.atom", feed(Atom1Feed), name=f"{stem}_atom"),
            path(f"{route}.json", feed(JsonFeed), name=f"{stem}_json")]


@csrf_exempt  # as every operation of the API: a token's request carries no CSRF token
def not_in_the_api(request: HttpRequest) -> JsonResponse:
    """Any other address under /api/v1/ (an unknown path, or a path parameter not of its type)
    is answered in JSON, as every other error of the API is."""
    return JsonResponse({"detail": f"The API has no address {request.path!r}; its operations "
                                   "are listed at /api/v1/docs."}, status=404)


urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", not_in_the_api),
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
    # Google Reader API (the dialect of FreshRSS, Miniflux and FeedHQ), at every base apps use.
    path("", include(greader_urls)),
    # Fever API, for apps that speak only Fever (an app password signs them in).
    path("api/fever.php", fever.fever, name="fever"),
    re_path(greader_urls.BASES, include(greader_urls.at_bases)),
]
