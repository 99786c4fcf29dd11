"""Our Picks in the JSON API, mounted at /api/v1/picks.

Anyone reads the live picks; editors (staff accounts, by token or session) make, change and
remove them. The picked story or article is shaped as in the other lists, through the paywall.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError, ValidationError

from broadsheet.articles.models import Article
from broadsheet.curation import picks
from broadsheet.curation.models import Pick, Section
from broadsheet.readers.roles import is_editor
from broadsheet.stories.models import Story

from . import present, schemas
from .auth import ReaderAuth, reader_of, reader_or_visitor_of
from .openapi import open_to_visitors
from .stories import articles_of, story_out

router = Router(tags=["picks"])
reader_or_visitor = ReaderAuth(optional=True)
signed_in = ReaderAuth()


def _pick_out(user, pick: Pick, stories: dict[int, list[Article]]) -> dict:
    return {
        "id": pick.pk, "position": pick.position, "note": pick.note,
        "section": pick.section.slug if pick.section is not None else None,
        "starts_at": pick.starts_at, "ends_at": pick.ends_at,
        "story": (story_out(user, pick.story, stories.get(pick.story.pk, []))
                  if pick.story is not None else None),
        "article": (present.article_summary(user, pick.article)[0]
                    if pick.article is not None else None),
    }


def _shaped(user, chosen) -> list[dict]:
    chosen = list(chosen)
    stories = articles_of([p.story_id for p in chosen if p.story_id])
    return [_pick_out(user, pick, stories) for pick in chosen]


def _editor(request: HttpRequest):
    reader = reader_of(request)
    if not is_editor(reader):
        raise HttpError(403, "Only editors change Our Picks.")
    return reader


def _invalid(field: str, message: str) -> ValidationError:
    """422 naming the field, as the API's other validation errors do."""
    return ValidationError([{"loc": ["body", "payload", field], "msg": message,
                             "type": "value_error"}])


def _section(slug: str | None) -> Section | None:
    if not slug:
        return None
    section = Section.objects.filter(slug=slug).first()
    if section is None:
        raise _invalid("section", f"no section {slug!r}")
    return section


def _one(pick_id: int) -> Pick:
    return get_object_or_404(Pick.objects.select_related("section", "story", "article",
                                                         "article__publisher"), pk=pick_id)


@router.get("", response=list[schemas.PickOut],
            auth=reader_or_visitor, openapi_extra=open_to_visitors(),
            summary="Live picks, in the editors' order")
def list_picks(request: HttpRequest,
               section: str | None = Query(None, description="A section's slug; omit for "
                                                             "every place")) -> list[dict]:
    chosen = picks.live(_section(section)) if section else picks.every_live()
    return _shaped(reader_or_visitor_of(request), chosen)


@router.post("", response={201: schemas.PickOut, 401: schemas.Error, 403: schemas.Error,
                           422: schemas.Error},
             auth=signed_in, summary="Pick a story or an article (editors)")
def create_pick(request: HttpRequest, payload: schemas.PickIn) -> Status:
    editor = _editor(request)
    if (payload.story_id is None) == (payload.article_id is None):
        raise _invalid("story_id", "give either story_id or article_id")
    story = article = None
    if payload.story_id is not None:
        story = Story.objects.filter(pk=payload.story_id).first()
        if story is None:
            raise _invalid("story_id", f"no story {payload.story_id}")
    else:
        article = Article.objects.select_related("publisher").filter(
            pk=payload.article_id).first()
        if article is None:
            raise _invalid("article_id", f"no article {payload.article_id}")
    try:
        pick = picks.create(editor, story=story, article=article, note=payload.note,
                            section=_section(payload.section), position=payload.position,
                            starts_at=payload.starts_at, ends_at=payload.ends_at)
    except picks.PickError as error:
        raise _invalid(error.field, error.message) from error
    return Status(201, _shaped(reader_of(request), [_one(pick.pk)])[0])


@router.patch("/{int:pick_id}", response={200: schemas.PickOut, 401: schemas.Error,
                                          403: schemas.Error, 404: schemas.Error,
                                          422: schemas.Error},
              auth=signed_in, summary="Change a pick's note, place, position or schedule")
def update_pick(request: HttpRequest, pick_id: int, payload: schemas.PickPatch) -> dict:
    editor = _editor(request)
    pick = _one(pick_id)
    given = payload.model_fields_set
    section = _section(payload.section) if "section" in given else None
    changes = picks.PickChanges(
        note=payload.note, position=payload.position, section=section,
        move_to_home="section" in given and section is None,
        starts_at=payload.starts_at, ends_at=payload.ends_at,
        clear_starts_at="starts_at" in given and payload.starts_at is None,
        clear_ends_at="ends_at" in given and payload.ends_at is None)
    try:
        picks.update(editor, pick, changes)
    except picks.PickError as error:
        raise _invalid(error.field, error.message) from error
    return _shaped(reader_of(request), [_one(pick.pk)])[0]


@router.delete("/{int:pick_id}", response={204: None, 401: schemas.Error, 403: schemas.Error,
                                           404: schemas.Error},
               auth=signed_in, summary="Unpick")
def delete_pick(request: HttpRequest, pick_id: int) -> Status:
    editor = _editor(request)
    picks.remove(editor, _one(pick_id))
    return Status(204, None)
