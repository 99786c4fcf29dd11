"""Periodic refinement: merge recent stories that turn out to be one, now more coverage is in.

Stories are only ever merged, never split, so a story page a reader opened keeps its articles;
an absorbed story's address leads to the story that absorbed it (see ``Story.merged_into``).
"""

from __future__ import annotations

import logging

from django.db import transaction

from broadsheet.articles.models import Article

from . import assign
from .cluster import PERIODIC_MIN_COSINE
from .models import Story

log = logging.getLogger("broadsheet.stories")

RECENT_ARTICLES = 2000


def refine_recent() -> int:
    """Merge stories in every partition this process assigns; returns how many were absorbed."""
    from huey.contrib.djhuey import HUEY
    from huey.exceptions import TaskLockedException

    absorbed = 0
    for name in list(assign._partitions):
        try:
            with HUEY.lock_task(f"stories-assign-{name}"):
                partition = assign._partitions.get(name)
                if partition is None:
                    continue
                partition.catch_up()
                merges = partition.clusterer.refine(RECENT_ARTICLES, PERIODIC_MIN_COSINE)
                try:
                    apply_merges({int(a): int(b) for a, b in merges.items()})
                except Exception:
                    assign._partitions.pop(name, None)
                    raise
                absorbed += len(merges)
        except TaskLockedException:
            continue
    return absorbed


def apply_merges(merges: dict[int, int]) -> None:
    """Move each absorbed story's articles to its survivor and remember where it went."""
    if not merges:
        return
    with transaction.atomic():
        for absorbed, survivor in merges.items():
            while survivor in merges:  # a chain of merges ends at the last survivor
                survivor = merges[survivor]
            Article.objects.filter(story_id=absorbed).update(story_id=survivor)
            Story.objects.filter(pk=absorbed).update(merged_into_id=survivor, article_count=0,
                                                     publisher_count=0, score=0.0)
            Story.objects.filter(merged_into_id=absorbed).update(merged_into_id=survivor)
        assign.refresh_stories(set(merges.values()))
    log.info("merged %d stories", len(merges))
