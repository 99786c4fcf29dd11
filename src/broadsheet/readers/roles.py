"""Who may do what beyond reading: editors run the front page and the stories desk."""

from __future__ import annotations


def is_editor(user) -> bool:
    """Editors are staff accounts (``broadsheet users create --editor`` makes them)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff)
