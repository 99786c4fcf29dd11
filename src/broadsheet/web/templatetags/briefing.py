"""The daily briefing's settings, as a box of the account page: ``{% briefing_settings %}``."""

from __future__ import annotations

from django import template

from broadsheet.web.forms import BriefingForm

register = template.Library()


@register.inclusion_tag("web/_briefing_settings.html", takes_context=True)
def briefing_settings(context) -> dict:
    """The form with the reader's settings, or the one they just sent back with its errors."""
    request = context["request"]
    form = getattr(request, "briefing_form", None) or BriefingForm.of(request.user)
    return {"form": form, "csrf_token": context.get("csrf_token")}
