"""The Google Reader API, as FreshRSS, Miniflux and FeedHQ speak it, so reader apps (Reeder,
NetNewsWire, FeedMe, Read You, newsboat, …) can sync with Broadsheet.

How Broadsheet maps onto it:

- subscriptions are the publishers the reader follows (every publisher with articles while
  they follow none), as ``feed/<publisher id>``; their categories are the sections their
  feeds cover, as ``user/-/label/<Section>``;
- ``user/-/state/com.google/read`` is the reader's reading history, and
  ``user/-/state/com.google/starred`` their saved articles;
- an item's content is what the paywall policy lets this reader see: the whole article for a
  member, the teaser and a sign-up link for anyone else, checked on every request.

Apps authenticate with ``Authorization: GoogleLogin auth=<token>``, the token coming from
``/accounts/ClientLogin``. The header cannot be sent by another site, so these views need no
CSRF cookie. The API answers at the site root and under ``/api/greader/`` and
``/api/greader.php/`` (see ``urls``).
"""

from .common import READ, READING_LIST, STARRED, BadRequest, long_item_id, parse_item_id

__all__ = ["READ", "READING_LIST", "STARRED", "BadRequest", "long_item_id", "parse_item_id"]
