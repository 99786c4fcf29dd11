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
from .models import Story
from .refining import Refinement

log = logging.getLogger("broadsheet.stories")

RECENT_ARTICLES = 2000


def refine_recent() -> int:
    """Refine every partition this process assigns; returns how many articles changed story.

    Each partition under its assignment lock (``assign.serialise``), after catching up, so that
    no other process assigns it while its stories change.
    """
    changed = 0
    for name in assign.loaded_partitions():
        with transaction.atomic():
            assign.serialise(name)
            if not assign.holds_engine(name):
                continue
            partition = assign.current_partition(name)
            change = partition.clusterer.refine(RECENT_ARTICLES)
            try:
                if not apply_refinement(change):
                    # An editor's decision stood against the engine: it relearns them.
                    assign.forget_engine(name)
            except Exception:
                assign.forget_engine(name)
                raise
            changed += len(change.moved)
    return changed


def apply_refinement(change: Refinement) -> bool:
    """Store the engine's new stories: moved articles, and where each emptied story went.

    What an editor decided stands: articles an editor placed are not moved and stories an
    editor shaped are not absorbed. Returns False when such a change was left out, so that the
    caller rebuilds the engine from the database.
    """
    if not change.moved and not change.absorbed:
        return True
    moved = {int(a): int(s) for a, s in change.moved.items()}
    absorbed = {int(a): int(s) for a, s in change.absorbed.items()}
    with transaction.atomic():
        # An article moves with its syndicated copies, so that a copy never leaves its original.
        rows = Article.objects.filter(pk__in=list(moved)).values_list(
            "pk", "duplicate_of_id", "story_pinned_at")
        root = {pk: original for pk, original, _ in rows}
        pinned = {pk for pk, _, at in rows if at is not None}
        kept = set(Story.objects.filter(pk__in=list(absorbed), kept_by_desk=True)
                   .values_list("pk", flat=True))
        vetoed = bool(pinned or kept)
        moved = {a: s for a, s in moved.items() if a not in pinned}
        absorbed = {gone: s for gone, s in absorbed.items() if gone not in kept}
        families: dict[int, set[int]] = {}
        for article, story in moved.items():
            families.setdefault(story, set()).add(root.get(article) or article)
        everyone = set().union(set(), *families.values())
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
        assign.refresh_stories(touched | set(absorbed))  # the absorbed lose their topics
    log.info("refine: %d articles moved, %d stories absorbed", len(moved), len(absorbed))
    return not vetoed
