"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) as a Django syndication feed type.

Every feed out is one ``Feed`` class rendered three ways: RSS, Atom and this. Items keep the
same id, link and paywalled body as the XML variants; a reason an item is in a reader's For you
travels in the ``_broadsheet`` extension object (extensions start with an underscore).
"""

from __future__ import annotations

import json

from django.utils.feedgenerator import SyndicationFeed, rfc3339_date

VERSION = "https://jsonfeed.org/version/1.1"


class JsonFeed(SyndicationFeed):
    content_type = "application/feed+json; charset=utf-8"

    def write(self, outfile, encoding: str) -> None:
        outfile.write(json.dumps(self.document(), ensure_ascii=False, indent=1))

    def document(self) -> dict:
        feed = self.feed
        document = {
            "version": VERSION,
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed["language"],
            "items": [self.item(item) for item in self.items],
        }
        return {key: value for key, value in document.items() if value not in (None, "")}

    @staticmethod
    def item(item: dict) -> dict:
        out: dict = {
            "id": str(item["unique_id"] or item["link"]),
            "url": item["link"],
            "title": item["title"],
            "content_html": item["description"] or "",
        }
        if item.get("pubdate"):
            out["date_published"] = rfc3339_date(item["pubdate"])
        if item.get("updateddate"):
            out["date_modified"] = rfc3339_date(item["updateddate"])
        if item.get("author_name"):
            out["authors"] = [{"name": item["author_name"]}]
        if item.get("categories"):
            out["tags"] = list(item["categories"])
        if item.get("external_url"):
            out["external_url"] = item["external_url"]
        if item.get("image"):
            out["image"] = item["image"]
        if item.get("reason"):
            out["_broadsheet"] = {"reason": item["reason"]}
        return out
