"""Periodic refinement: cluster the newest articles again, now more coverage is in.

An article may move to another story and two stories may merge. A story emptied that way keeps
its address, which leads to the story that took most of its articles (``Story.merged_into``).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q

from broadsheet.articles.models import Article

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
        # An article moves with its syndicated copies, so that a copy never leaves its original.
        root = dict(Article.objects.filter(pk__in=list(moved))
                    .values_list("pk", "duplicate_of_id"))
        families: dict[int, set[int]] = {}
        for article, story in moved.items():
            families.setdefault(story, set()).add(root.get(article) or article)
        everyone = set().union(*families.values())
        left = set(Article.objects.filter(Q(pk__in=everyone) | Q(duplicate_of__in=everyone))
                   .values_list("story_id", flat=True))
        for story, heads in families.items():
            Article.objects.filter(Q(pk__in=heads) | Q(duplicate_of__in=heads)).update(
                story_id=story)
        for gone, survivor in absorbed.items():
            # Articles that left the engine's window follow their story too.
            Article.objects.filter(story_id=gone).update(story_id=survivor)
            Story.objects.filter(pk=gone).update(merged_into_id=survivor, article_count=0,
                                                 publisher_count=0, score=0.0)
            Story.objects.filter(merged_into_id=gone).update(merged_into_id=survivor)
        touched = (left | set(moved.values()) | set(absorbed.values())) - set(absorbed)
        assign.refresh_stories(touched)
    log.info("refine: %d articles moved, %d stories absorbed", len(moved), len(absorbed))
