"""Context every page needs: the sections in the navigation, and whether to show the desk."""

from django.core.cache import cache

from broadsheet.curation.models import Section
from broadsheet.readers.roles import is_editor

NAV_CACHE_KEY = "web:nav-sections"


def navigation(request) -> dict:
    sections = cache.get(NAV_CACHE_KEY)
    if sections is None:
        sections = list(Section.objects.filter(in_navigation=True).values("name", "slug"))
        cache.set(NAV_CACHE_KEY, sections, 300)
    return {"nav_sections": sections}


def editor(request) -> dict:
    """Whether the page shows the editors' desk, and the sections a pick may go to (all of
    them, read fresh: an editor may pick for a section outside the navigation)."""
    if not is_editor(getattr(request, "user", None)):
        return {"is_editor": False}
    return {"is_editor": True, "desk_sections": Section.objects.all()}
