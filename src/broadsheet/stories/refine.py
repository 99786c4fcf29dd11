"""Periodic refinement: cluster the newest articles again, now more coverage is in.

An article may move to another story and two stories may merge. A story emptied that way keeps
its address, which leads to the story that took most of its articles (``Story.merged_into``).
"""

from __future__ import annotations

import logging

from django.db import transaction

from broadsheet.articles.models import Article
from broadsheet.db import update_rows

from . import assign
from .cluster import Refinement
from .models import Story

log = logging.getLogger("broadsheet.stories")

RECENT_ARTICLES = 2000


def refine_recent() -> int:
    """Refine every partition this process assigns; returns how many articles changed story."""
    from huey.contrib.djhuey import HUEY
    from huey.exceptions import TaskLockedException

    changed = 0
    for name in list(assign._partitions):
        try:
            with HUEY.lock_task(f"stories-assign-{name}"):
                partition = assign._partitions.get(name)
                if partition is None:
                    continue
                partition.catch_up()
                change = partition.clusterer.refine(RECENT_ARTICLES)
                try:
                    apply_refinement(change)
                except Exception:
                    assign._partitions.pop(name, None)
                    raise
                changed += len(change.moved)
        except TaskLockedException:
            continue
    return changed


def apply_refinement(change: Refinement) -> None:
    """Store the engine's new stories: moved articles, and where each emptied story went."""
    if not change.moved and not change.absorbed:
        return
    moved = {int(a): int(s) for a, s in change.moved.items()}
    absorbed = {int(a): int(s) for a, s in change.absorbed.items()}
    with transaction.atomic():
        left = set(Article.objects.filter(pk__in=list(moved)).values_list("story_id", flat=True))
        update_rows(Article, [Article(pk=a, story_id=s) for a, s in moved.items()], ["story"])
        for gone, survivor in absorbed.items():
            # Articles that left the engine's window follow their story too.
            Article.objects.filter(story_id=gone).update(story_id=survivor)
            Story.objects.filter(pk=gone).update(merged_into_id=survivor, article_count=0,
                                                 publisher_count=0, score=0.0)
            Story.objects.filter(merged_into_id=gone).update(merged_into_id=survivor)
        touched = (left | set(moved.values()) | set(absorbed.values())) - set(absorbed)
        assign.refresh_stories(touched)
    log.info("refine: %d articles moved, %d stories absorbed", len(moved), len(absorbed))
