"""Our Picks: what editors choose for the home page and for each section.

A pick is a story or an article, with an optional note, in one place (the home page, or one
section's page), at a position (1 first), live between its optional start and end. Positions are
kept dense among the picks of a place that have not ended: a pick given a taken position moves
the others down, a pick without one goes last. Every change is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.audit.log import record
from broadsheet.stories.models import Story

from .models import Pick, Section

MAX_NOTE_CHARS = 300


class PickError(ValueError):
    """A pick that cannot be made as asked; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class PickChanges:
    """What an editor sets on a pick; ``None`` leaves a field as it is (``clear_*`` empties)."""

    note: str | None = None
    section: Section | None = None
    move_to_home: bool = False
    position: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    clear_starts_at: bool = False
    clear_ends_at: bool = False


def live_condition(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return ((Q(starts_at__isnull=True) | Q(starts_at__lte=now))
            & (Q(ends_at__isnull=True) | Q(ends_at__gt=now)))


def _not_ended(now: datetime) -> Q:
    return Q(ends_at__isnull=True) | Q(ends_at__gt=now)


def _in_place(section: Section | None) -> Q:
    return Q(section__isnull=True) if section is None else Q(section=section)


def live(section: Section | None = None, now: datetime | None = None) -> QuerySet[Pick]:
    """The live picks of one place (the home page when ``section`` is None), in order."""
    return (Pick.objects.filter(_in_place(section), live_condition(now))
            .select_related("section", "story", "article", "article__publisher")
            .order_by("position", "id"))


def every_live(now: datetime | None = None) -> QuerySet[Pick]:
    """All live picks: the home page's first, then each section's, in order."""
    return (Pick.objects.filter(live_condition(now))
            .select_related("section", "story", "article", "article__publisher")
            .order_by(F("section__position").asc(nulls_first=True), "section__name",
                      "position", "id"))


def upcoming(section: Section | None = None, now: datetime | None = None) -> QuerySet[Pick]:
    """Picks of a place that have not ended, live or scheduled (the editors' view)."""
    now = now or timezone.now()
    return (Pick.objects.filter(_in_place(section), _not_ended(now))
            .select_related("section", "story", "article", "article__publisher")
            .order_by("position", "id"))


def snapshot(pick: Pick) -> dict:
    """The pick as the audit log records it."""
    return {
        "story": pick.story_id, "article": pick.article_id, "note": pick.note,
        "section": pick.section.slug if pick.section is not None else None,
        "position": pick.position,
        "starts_at": pick.starts_at.isoformat() if pick.starts_at else None,
        "ends_at": pick.ends_at.isoformat() if pick.ends_at else None,
    }


def picked_title(pick: Pick) -> str:
    if pick.story is not None:
        return pick.story.title
    assert pick.article is not None  # a pick is a story or an article (pick_story_or_article)
    return pick.article.title


def _where(section: Section | None) -> str:
    return "the home page" if section is None else section.name


def _validate(pick: Pick) -> None:
    if len(pick.note) > MAX_NOTE_CHARS:
        raise PickError("note", f"A note is at most {MAX_NOTE_CHARS} characters.")
    if pick.position < 1:
        raise PickError("position", "Position 1 is first; a position is 1 or more.")
    if pick.starts_at and pick.ends_at and pick.ends_at <= pick.starts_at:
        raise PickError("ends_at", "A pick must end after it starts.")
    if pick.story is not None and pick.story.merged_into_id:
        raise PickError("story_id", "That story was merged into another; pick that one.")
    same = Pick.objects.filter(_in_place(pick.section), _not_ended(timezone.now()),
                               # one of the two is NULL, which matches NULL
                               Q(story_id=pick.story_id, article_id=pick.article_id))
    if same.exclude(pk=pick.pk).exists():
        raise PickError("story_id" if pick.story_id else "article_id",
                        f"Already picked for {_where(pick.section)}.")


def _place(pick: Pick, position: int | None) -> None:
    """Give ``pick`` its position among its place's picks; renumber the others densely."""
    others = list(Pick.objects.filter(_in_place(pick.section), _not_ended(timezone.now()))
                  .exclude(pk=pick.pk).order_by("position", "id"))
    position = len(others) + 1 if position is None else min(position, len(others) + 1)
    others.insert(position - 1, pick)
    for number, each in enumerate(others, start=1):
        if each.position != number or each is pick:
            each.position = number
            if each is not pick:
                Pick.objects.filter(pk=each.pk).update(position=number)


def create(editor, *, story: Story | None = None, article: Article | None = None,
           note: str = "", section: Section | None = None, position: int | None = None,
           starts_at: datetime | None = None, ends_at: datetime | None = None) -> Pick:
    """Pick a story or an article for the home page (``section`` None) or a section."""
    if (story is None) == (article is None):
        raise PickError("story_id", "Pick either a story or an article.")
    if position is not None and position < 1:
        raise PickError("position", "Position 1 is first; a position is 1 or more.")
    pick = Pick(story=story, article=article, note=(note or "").strip(), section=section,
                position=position or 1, starts_at=starts_at, ends_at=ends_at,
                created_by=editor if getattr(editor, "pk", None) else None)
    _validate(pick)
    with transaction.atomic():
        _place(pick, position)
        pick.save()
        record(editor, "pick.create", f"pick:{pick.pk}",
               f"Picked \u201c{picked_title(pick)}\u201d for {_where(section)}",
               after=snapshot(pick))
    return pick


def update(editor, pick: Pick, changes: PickChanges) -> Pick:
    """Change a pick's note, place, position or schedule."""
    before = snapshot(pick)
    if changes.note is not None:
        pick.note = changes.note.strip()
    if changes.move_to_home:
        pick.section = None
    elif changes.section is not None:
        pick.section = changes.section
    if changes.starts_at is not None or changes.clear_starts_at:
        pick.starts_at = changes.starts_at
    if changes.ends_at is not None or changes.clear_ends_at:
        pick.ends_at = changes.ends_at
    if changes.position is not None:
        if changes.position < 1:
            raise PickError("position", "Position 1 is first; a position is 1 or more.")
        pick.position = changes.position
    _validate(pick)
    moved_place = before["section"] != (pick.section.slug if pick.section is not None else None)
    with transaction.atomic():
        if changes.position is not None or moved_place:
            _place(pick, changes.position)
        pick.save()
        if moved_place:
            _renumber(Section.objects.filter(slug=before["section"]).first()
                      if before["section"] else None)
        record(editor, "pick.update", f"pick:{pick.pk}",
               f"Changed the pick of \u201c{picked_title(pick)}\u201d",
               before=before, after=snapshot(pick))
    return pick


def move(editor, pick: Pick, by: int) -> Pick:
    """Move a pick up (``by`` < 0) or down among its place's picks."""
    return update(editor, pick, PickChanges(position=max(1, pick.position + by)))


def remove(editor, pick: Pick) -> None:
    """Unpick: the pick is deleted and the rest of its place closes up."""
    before = snapshot(pick)
    title = picked_title(pick)
    section = pick.section
    with transaction.atomic():
        record(editor, "pick.delete", f"pick:{pick.pk}",
               f"Unpicked \u201c{title}\u201d from {_where(section)}", before=before)
        pick.delete()
        _renumber(section)


def _renumber(section: Section | None) -> None:
    picks = Pick.objects.filter(_in_place(section), _not_ended(timezone.now()))
    for number, pick in enumerate(picks.order_by("position", "id"), start=1):
        if pick.position != number:
            Pick.objects.filter(pk=pick.pk).update(position=number)


def follow_merge(gone: Story, survivor: Story) -> None:
    """Picks of a story merged into another pick the survivor (once per place)."""
    for pick in Pick.objects.filter(story=gone):
        duplicate = Pick.objects.filter(_in_place(pick.section), story=survivor).exists()
        if duplicate:
            pick.delete()
        else:
            Pick.objects.filter(pk=pick.pk).update(story=survivor)
