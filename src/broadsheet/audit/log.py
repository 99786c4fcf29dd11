"""Writing to the audit log: one call per editorial action, inside the action's transaction."""

from __future__ import annotations

from typing import Any

from broadsheet.freshness import bump_now_and_after_commit

from .models import EditorialAction


def record(editor, action: str, target: str, summary: str, *, before: Any = None,
           after: Any = None, reason: str = "") -> EditorialAction:
    """Log ``action`` on ``target`` by ``editor`` (a user, or None for the system).

    Every editorial action changes what pages show, so cached pages are made stale here.
    """
    entry = EditorialAction.objects.create(
        editor_id=getattr(editor, "pk", None), editor=getattr(editor, "email", "") or "",
        action=action, target=target, summary=summary[:500], reason=reason[:1000],
        before=before, after=after)
    bump_now_and_after_commit()
    return entry
