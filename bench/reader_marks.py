"""Google Reader API streams of a reader's saved and read articles, for few marks and many.

    BROADSHEET_HOME=/work/stores/s100k .venv/bin/python bench/reader_marks.py
    DATABASE_URL=postgres://... .venv/bin/python bench/reader_marks.py --marks 2,900,25000

A reader of its own (``reader-marks-bench@example.com``, removed at the end) is given N read
and N saved articles chosen at random from the store, then each stream is asked for its newest
20 items through Django's whole handler with the test client, as an app would: saved
(``starred``), read, the reading list of saved items only (``it=starred``) and the unread
reading list (``xt=read``), the unread counts apps ask for on every sync, and four Fever
API requests (groups, feeds, items, unread item ids). The reader
follows nothing, so their reading list is every publisher's. Prints a markdown table of each
request's least and median wall time over the repeats. Saved articles are capped at 5,000 (a
reader saves fewer than reads). On PostgreSQL the two tables are analysed after the marks are
made, as autovacuum would have done while a reader made them over months: without it the
planner takes a reader of 25,000 marks for a reader of one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import django

CONTENTS = "/reader/api/0/stream/contents"
FEVER = "/api/fever.php?api"  # POSTed with the reader's api_key
REQUESTS = {
    "saved": (CONTENTS, {"s": "user/-/state/com.google/starred"}),
    "read": (CONTENTS, {"s": "user/-/state/com.google/read"}),
    "reading list, saved only": (CONTENTS, {"s": "user/-/state/com.google/reading-list",
                                            "it": "user/-/state/com.google/starred"}),
    "reading list, unread": (CONTENTS, {"s": "user/-/state/com.google/reading-list",
                                        "xt": "user/-/state/com.google/read"}),
    "unread counts": ("/reader/api/0/unread-count", {"output": "json"}),
    "Fever: groups": (FEVER + "&groups", {}),
    "Fever: feeds": (FEVER + "&feeds", {}),
    "Fever: items": (FEVER + "&items", {}),
    "Fever: unread item ids": (FEVER + "&unread_item_ids", {}),
}
EMAIL = "reader-marks-bench@example.com"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--marks", default="2,900,1100,25000",
                        help="comma-separated numbers of read articles to try")
    parser.add_argument("--repeats", type=int, default=5)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.config.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from broadsheet.api.auth import fever_api_key, issue_fever_password, issue_token
    from broadsheet.articles.models import Article
    from broadsheet.readers.models import ReadingHistory, SavedArticle, User

    User.objects.filter(email=EMAIL).delete()
    reader = User.objects.create_user(EMAIL, "not-used-for-signing-in")
    client = Client(HTTP_HOST="127.0.0.1")
    auth = {"Authorization": f"GoogleLogin auth={issue_token(reader, 'greader', 'b').secret}"}
    fever = {"api_key": fever_api_key(EMAIL, issue_fever_password(reader, "b").secret)}
    print(f"{Article.objects.count():,} articles")
    print("| read, saved | stream | least ms | median ms |")
    print("| --- | --- | --- | --- |")
    try:
        for read in (int(n) for n in args.marks.split(",")):
            saved = min(read, 5000)
            ids = list(Article.objects.order_by("?").values_list("pk", flat=True)[:read + saved])
            ReadingHistory.objects.filter(user=reader).delete()
            SavedArticle.objects.filter(user=reader).delete()
            ReadingHistory.objects.bulk_create(
                [ReadingHistory(user=reader, article_id=i, read_at=timezone.now(), full=True)
                 for i in ids[:read]], batch_size=2000)
            SavedArticle.objects.bulk_create(
                [SavedArticle(user=reader, article_id=i) for i in ids[read:]], batch_size=2000)
            if connection.vendor == "postgresql":  # as autovacuum would after months of marks
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE readers_readinghistory, readers_savedarticle")
            for name, (path, query) in REQUESTS.items():
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    if path.startswith(FEVER):
                        answer = client.post(path, fever)
                    else:
                        answer = client.get(path, {**query, "n": 20}, headers=auth)
                    times.append((time.perf_counter() - start) * 1000)
                    assert answer.status_code == 200, answer.content[:300]
                print(f"| {read:,}, {saved:,} | {name} | {min(times):.1f} | "
                      f"{statistics.median(times):.1f} |", flush=True)
    finally:
        User.objects.filter(email=EMAIL).delete()


if __name__ == "__main__":
    main()
