"""The editors' desk in the app: picks, story edits, takedowns and the audit log.

Every control is a plain form that posts here and comes back to the page it was on, with a
message saying what happened; with JavaScript, htmx swaps only the part of the page that
changed. Only editors reach these views; readers never see the controls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from broadsheet.articles.models import Article, Takedown
from broadsheet.audit.models import EditorialAction
from broadsheet.curation import desk, picks
from broadsheet.curation.models import Pick, Section
from broadsheet.readers.nextpath import safe_next
from broadsheet.readers.roles import is_editor
from broadsheet.stories.models import Story, Topic

from ..caching import mark_private
from ..links import article_path
from .common import signin_url

LOG_PAGE = 100


class FormError(ValueError):
    """A field of a desk form that could not be read."""


def editors_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(signin_url(request.path))
        if not is_editor(request.user):
            raise PermissionDenied("Editors only.")
        response = view(request, *args, **kwargs)
        mark_private(response)
        return response

    return wrapper


def _done(request: HttpRequest, fallback: str, text: str | None = None,
          error: str | None = None) -> HttpResponse:
    if error:
        messages.error(request, error)
    elif text:
        messages.success(request, text)
    return redirect(safe_next(request, fallback))


def _moment(request: HttpRequest, name: str) -> datetime | None:
    """A ``datetime-local`` field, read in the editor's time zone; empty is None."""
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None:
        raise FormError(f"{name.replace('_', ' ')}: not a date and time")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


def _position(request: HttpRequest) -> int | None:
    raw = request.POST.get("position", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise FormError("position: a whole number, 1 or more")
    return int(raw)


def _place(request: HttpRequest) -> Section | None:
    slug = request.POST.get("section", "").strip()
    if not slug:
        return None
    section = Section.objects.filter(slug=slug).first()
    if section is None:
        raise FormError(f"section: no section {slug!r}")
    return section


def _number(request: HttpRequest, name: str) -> int:
    """A record's number from a form; anything else is a 404, never an error page."""
    raw = request.POST.get(name, "").strip()
    if not raw.isdigit():
        raise Http404(f"{name}: not a number")
    return int(raw)


def _story_number(raw: str) -> int | None:
    """A story given by number or by its page's address (…/story/12/)."""
    digits = [part for part in raw.strip().rstrip("/").split("/") if part]
    return int(digits[-1]) if digits and digits[-1].isdigit() else None


# --- picks ---------------------------------------------------------------------------------------

@require_POST
@editors_only
def pick_create(request: HttpRequest) -> HttpResponse:
    story = article = None
    if request.POST.get("story_id"):
        story = get_object_or_404(Story, pk=_number(request, "story_id"))
    elif request.POST.get("article_id"):
        article = get_object_or_404(Article, pk=_number(request, "article_id"))
    try:
        pick = picks.create(request.user, story=story, article=article,
                            note=request.POST.get("note", ""), section=_place(request),
                            position=_position(request), starts_at=_moment(request, "starts_at"),
                            ends_at=_moment(request, "ends_at"))
    except (FormError, picks.PickError) as error:
        return _done(request, "/", error=f"Not picked: {error}")
    where = pick.section.name if pick.section else "the home page"
    return _done(request, "/", f"Picked for {where}.")


@require_POST
@editors_only
def pick_update(request: HttpRequest, pk: int) -> HttpResponse:
    pick = get_object_or_404(Pick.objects.select_related("section", "story", "article"), pk=pk)
    try:
        starts_at, ends_at = _moment(request, "starts_at"), _moment(request, "ends_at")
        section = _place(request) if "section" in request.POST else None
        picks.update(request.user, pick, picks.PickChanges(
            note=request.POST.get("note"), position=_position(request),
            section=section, move_to_home="section" in request.POST and section is None,
            starts_at=starts_at, ends_at=ends_at,
            clear_starts_at="starts_at" in request.POST and starts_at is None,
            clear_ends_at="ends_at" in request.POST and ends_at is None))
    except (FormError, picks.PickError) as error:
        return _done(request, "/", error=f"Not changed: {error}")
    return _done(request, "/", "Pick changed.")


@require_POST
@editors_only
def pick_move(request: HttpRequest, pk: int) -> HttpResponse:
    pick = get_object_or_404(Pick.objects.select_related("section", "story", "article"), pk=pk)
    picks.move(request.user, pick, -1 if request.POST.get("direction") == "up" else 1)
    return _done(request, "/", "Pick moved.")


@require_POST
@editors_only
def pick_delete(request: HttpRequest, pk: int) -> HttpResponse:
    pick = get_object_or_404(Pick.objects.select_related("section", "story", "article"), pk=pk)
    picks.remove(request.user, pick)
    return _done(request, "/", "Unpicked.")


# --- stories and articles ------------------------------------------------------------------------

@require_POST
@editors_only
def story_title(request: HttpRequest, pk: int) -> HttpResponse:
    story = get_object_or_404(Story, pk=pk)
    try:
        desk.retitle(request.user, story, request.POST.get("title", ""))
    except desk.DeskError as error:
        return _done(request, f"/story/{pk}/", error=f"Not retitled: {error}")
    return _done(request, f"/story/{pk}/", "Story retitled." if story.edited_headline
                 else "The story has its automatic title again.")


@require_POST
@editors_only
def story_lead(request: HttpRequest, pk: int) -> HttpResponse:
    story = get_object_or_404(Story, pk=pk)
    raw = request.POST.get("article_id", "")
    article = get_object_or_404(Article, pk=_number(request, "article_id")) if raw else None
    try:
        desk.set_lead(request.user, story, article)
    except desk.DeskError as error:
        return _done(request, f"/story/{pk}/", error=f"Lead not changed: {error}")
    return _done(request, f"/story/{pk}/", "Lead article chosen.")


@require_POST
@editors_only
def story_hide(request: HttpRequest, pk: int) -> HttpResponse:
    story = get_object_or_404(Story, pk=pk)
    hidden = request.POST.get("hidden") == "1"
    desk.set_story_hidden(request.user, story, hidden)
    return _done(request, f"/story/{pk}/",
                 "Story hidden from listings." if hidden else "Story listed again.")


@require_POST
@editors_only
def story_merge(request: HttpRequest, pk: int) -> HttpResponse:
    gone = get_object_or_404(Story, pk=pk)
    number = _story_number(request.POST.get("into", ""))
    survivor = Story.objects.filter(pk=number).first() if number else None
    if survivor is None:
        return _done(request, f"/story/{pk}/", error="Not merged: give the number or address "
                                                     "of the story to merge into.")
    try:
        desk.merge(request.user, gone, survivor)
    except desk.DeskError as error:
        return _done(request, f"/story/{pk}/", error=f"Not merged: {error}")
    messages.success(request, f"Merged into this story ({gone.title or gone.pk}).")
    return redirect(f"/story/{survivor.pk}/")


@require_POST
@editors_only
def article_move(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("story"), pk=pk)
    raw = request.POST.get("story", "").strip()
    to = None
    if raw.lower() != "new":
        number = _story_number(raw)
        to = Story.objects.filter(pk=number).first() if number else None
        if to is None:
            return _done(request, article_path(article),
                         error="Not moved: give a story's number or address, or \u201cnew\u201d.")
    try:
        story = desk.move_article(request.user, article, to)
    except desk.DeskError as error:
        return _done(request, article_path(article), error=f"Not moved: {error}")
    return _done(request, article_path(article), f"Moved to story {story.pk}.")


@require_POST
@editors_only
def article_hide(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    hidden = request.POST.get("hidden") == "1"
    desk.set_article_hidden(request.user, article, hidden)
    return _done(request, article_path(article),
                 "Hidden from listings." if hidden else "Listed again.")


@require_POST
@editors_only
def article_takedown(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    try:
        desk.take_down(request.user, article, request.POST.get("reason", ""))
    except desk.DeskError as error:
        return _done(request, article_path(article), error=f"Not taken down: {error}")
    messages.success(request, f"Taken down: \u201c{article.title}\u201d.")
    return redirect("desk_log")


# --- topics -------------------------------------------------------------------------------------

def _topic_or_404(pk: int) -> Topic:
    return get_object_or_404(Topic, pk=pk)


@require_POST
@editors_only
def topic_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename, hide or merge a topic (``action`` says which)."""
    topic = _topic_or_404(pk)
    back = f"/topic/{topic.slug}/"
    action = request.POST.get("action", "")
    try:
        if action == "rename":
            desk.rename_topic(request.user, topic, request.POST.get("name", ""))
            return _done(request, back, "Topic renamed.")
        if action in ("hide", "show"):
            desk.set_topic_hidden(request.user, topic, action == "hide")
            return _done(request, "/" if action == "hide" else back,
                         "Topic hidden." if action == "hide" else "Topic shown again.")
        if action == "merge":
            raw = request.POST.get("into", "").strip().rstrip("/").rsplit("/", 1)[-1]
            survivor = Topic.objects.filter(slug=raw).first()
            if survivor is None:
                return _done(request, back, error="Not merged: give the address or slug of "
                                                  "the topic to merge into.")
            desk.merge_topics(request.user, topic, survivor)
            return _done(request, f"/topic/{survivor.slug}/", "Topics merged.")
    except desk.DeskError as error:
        return _done(request, back, error=f"Not changed: {error}")
    return _done(request, back, error="Unknown topic action.")


# --- the log --------------------------------------------------------------------------------------

@editors_only
def log(request: HttpRequest) -> HttpResponse:
    entries = EditorialAction.objects.all()
    action = request.GET.get("action", "")
    if action:
        entries = entries.filter(action=action)
    actions = sorted(EditorialAction.objects.order_by().values_list("action", flat=True)
                     .distinct())
    return render(request, "web/desk_log.html", {
        "entries": entries[:LOG_PAGE], "actions": actions, "action": action,
        "takedowns": Takedown.objects.select_related("publisher")[:LOG_PAGE]})
